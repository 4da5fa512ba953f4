"""The shell shared by autofeat's self-contained HTML reports, and their number formats."""

from __future__ import annotations

import math
from html import escape

__all__ = ["page_start", "PAGE_END", "TABLE_SCRIPT", "num", "pct"]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:24px auto;
max-width:1100px;padding:0 24px;color:#222;line-height:1.4}
h1{font-size:26px;margin:0 0 8px}h2{font-size:19px;margin:30px 0 8px;padding-bottom:4px;border-bottom:1px solid #e3e3e3}
table{border-collapse:collapse;font-size:12.5px;font-variant-numeric:tabular-nums}
td,th{padding:3px 7px;border-bottom:1px solid #e6e6e6;text-align:right;vertical-align:top}
th{background:#f4f6f8;font-weight:600;vertical-align:bottom}td{white-space:nowrap}td.w{white-space:normal;min-width:190px}td.l,th.l{text-align:left}
tr.flag>td{color:#a33}.note{color:#666;font-size:12.5px}svg{display:block;margin:6px 0;max-width:100%;height:auto}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.card{border:1px solid #e3e3e3;border-radius:6px;padding:8px 14px;min-width:110px;background:#fafbfc}
.card b{display:block;font-size:19px}.card span{color:#666;font-size:12px}
.tools{margin:8px 0;font-size:13px;display:flex;gap:14px;align-items:center;flex-wrap:wrap}
.tools input[type=search]{padding:4px 8px;width:260px;border:1px solid #bbb;border-radius:4px}
table.sortable th[data-sort]{cursor:pointer;user-select:none}
table.sortable th[data-sort]:hover{text-decoration:underline}
table.sortable th.asc:after{content:" \\2191";color:#333}table.sortable th.desc:after{content:" \\2193";color:#333}
tbody.feat>tr.main{cursor:pointer}tbody.feat>tr.main:hover{background:#f3f7fb}
tbody.feat>tr.main>td:first-child:before{content:"\\25B8 ";color:#999}
tbody.feat.open>tr.main>td:first-child:before{content:"\\25BE ";color:#333}
tr.detail>td{background:#fafbfc;text-align:left;padding:8px 14px 12px}
.detail-grid{display:flex;gap:28px;flex-wrap:wrap}.detail-grid h4{margin:0 0 4px;font-size:12.5px}
.detail-grid table{font-size:12px}.ctrbar{display:inline-block;height:9px;background:#4878a8;vertical-align:middle}
.why{color:#555}
"""

# Sorting, filtering and expanding of the tables marked ``sortable``: a header with
# ``data-sort`` ("num" or "text") sorts by its column (numbers from each cell's ``data-v``,
# ascending then descending); an ``input[data-filter]`` keeps the rows whose text contains it;
# a ``select[data-show]`` keeps all, unflagged or flagged rows; a click on a ``tr.main``
# shows or hides the ``tr.detail`` after it (one ``tbody`` per row keeps the two together);
# ``report.html#f-NAME`` opens and shows feature NAME's details.
TABLE_SCRIPT = """<script>
(function(){
document.querySelectorAll("table.sortable").forEach(function(t){
  var bodies=function(){return Array.prototype.slice.call(t.tBodies)};
  t.querySelectorAll("th[data-sort]").forEach(function(th){th.addEventListener("click",function(){
    var i=th.cellIndex,num=th.dataset.sort==="num",up=!th.classList.contains("asc");
    t.querySelectorAll("th").forEach(function(h){h.classList.remove("asc","desc")});
    th.classList.add(up?"asc":"desc");
    var key=function(b){var c=b.rows[0].cells[i];return num?parseFloat(c.dataset.v):c.textContent.toLowerCase()};
    bodies().sort(function(a,b){var x=key(a),y=key(b);if(num){x=isNaN(x)?Infinity:x;y=isNaN(y)?Infinity:y}
      return (x<y?-1:x>y?1:0)*(up?1:-1)}).forEach(function(b){t.appendChild(b)});});});
  t.addEventListener("click",function(e){var r=e.target.closest("tr.main");if(!r)return;
    var d=r.nextElementSibling;if(d){d.hidden=!d.hidden;r.parentNode.classList.toggle("open",!d.hidden)}});
  var box=document.querySelector("[data-filter='"+t.id+"']"),show=document.querySelector("[data-show='"+t.id+"']"),
      count=document.querySelector("[data-count='"+t.id+"']");
  var apply=function(){var q=box?box.value.toLowerCase():"",s=show?show.value:"all",n=0;
    bodies().forEach(function(b){var r=b.rows[0],f=r.classList.contains("flag");
      var ok=r.textContent.toLowerCase().indexOf(q)>=0&&(s==="all"||(s==="flagged")===f);b.hidden=!ok;if(ok)n++});
    if(count)count.textContent=n+" of "+bodies().length+" shown"};
  if(box)box.addEventListener("input",apply);if(show)show.addEventListener("change",apply);apply();
});
var open=function(){var b=location.hash&&document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if(b&&b.classList.contains("feat")&&b.rows[1]){b.rows[1].hidden=false;b.classList.add("open");b.scrollIntoView()}};
window.addEventListener("hashchange",open);open();
})();
</script>"""

PAGE_END = "</body></html>"


def page_start(title: str, heading: str) -> str:
    """Doctype, head with the shared style, and the page's first heading."""
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<style>{_CSS}</style></head><body><h1>{escape(heading)}</h1>")


def num(v: float | int | None) -> str:
    """The reports' one number format: integers with thousands separators, other numbers to
    4 significant digits (scientific only below 1e-4), "\u2013" for none or NaN."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "\u2013"
    if isinstance(v, (int,)) and not isinstance(v, bool):
        return f"{v:,}"
    v = float(v)
    if v == 0:
        return "0"
    if abs(v) >= 1e4:
        return f"{v:,.0f}"
    return f"{v:.4g}"


def pct(v: float | None) -> str:
    """A share as a percentage to one decimal ("<0.1%" for a small non-zero share)."""
    if v is None or math.isnan(v):
        return "\u2013"
    if 0 < v < 0.0005:
        return "<0.1%"
    return f"{v:.1%}"
