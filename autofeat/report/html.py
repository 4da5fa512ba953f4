"""The ranking report: one self-contained HTML page (inline SVG and a few lines of inline
script to sort, filter and expand the feature table; no external files, works offline)."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from autofeat.report.page import PAGE_END, TABLE_SCRIPT, num, page_start, pct
from autofeat.report.svg import bar_chart, heat_map, scatter_log_x

if TYPE_CHECKING:
    from autofeat.ranking.result import FeatureScore, Ranking

__all__ = ["ranking_html"]


_FLAG_COLOR = "#c0504d"
_OK_COLOR = "#4878a8"
# Features (in rank order) whose table row can be expanded into a detail row; past it the
# page would grow by a kilobyte per column of a very wide table.
DETAIL_ROWS = 500
# Columns of the feature table: (header, sort kind, tooltip).
_COLUMNS = [
    ("rank", "num", "position in the final, redundancy-aware order"),
    ("feature", "text", "click a row for its levels, pairs and findings"),
    ("kind", "text", "categorical, or numeric (quantile bins)"),
    ("score", "num", "corrected MI: MI minus its expectation under label permutation (nats)"),
    ("MI", "num", "plug-in mutual information with the label (nats)"),
    ("p-value", "num", "significance of MI under label permutation"),
    ("levels", "num", "distinct non-missing values (numeric: bins)"),
    ("missing", "num", "share of rows without a value"),
    ("held-out AUC", "num", "AUC of the column's cross-fitted level rate"),
    ("pair gain", "num", "best interaction gain with another top feature (nats)"),
    ("redundancy", "num", "largest normalized shared information with a feature ranked before it"),
    ("why here", "text", "flags, interaction credit, redundancy: what placed it where it is"),
]


def _color(flags: tuple[str, ...]) -> str:
    return _FLAG_COLOR if flags else _OK_COLOR


def ranking_html(r: Ranking, *, top: int = 40, heat: int = 15) -> str:
    feats = r.features
    clean = [f for f in feats if not f.flags]
    shown = clean[:top]
    weight = float(r.options.get("interaction_weight", 0.5))
    rate = r.positives / max(r.rows, 1)
    cards = [(num(r.rows), "rows"), (pct(rate), "positive (label = 1)"), (num(len(feats)), "features"),
             (num(len(feats) - len(clean)), "flagged"), (num(len(r.pairs)), "pairs scored"),
             (num(len(r.quality)), "quality findings")]
    out = [page_start(f"autofeat ranking: {r.source}", "Feature ranking"),
           f"<p>Source <b>{escape(r.source)}</b>, label <b>{escape(r.label)}</b>.</p>",
           "<div class='cards'>" + "".join(f"<div class='card'><b>{v}</b><span>{k}</span></div>" for v, k in cards)
           + "</div>",
           "<p class='note'>score = mutual information minus its expectation under random label "
           "permutation (nats): about 0 for noise at any cardinality. Order: redundancy-aware "
           "(mRMR) on score plus interaction credit; flagged columns (red) come last.</p>"]
    out.append("<h2>Score per feature</h2>")
    out.append(bar_chart([f.name for f in shown], [f.score for f in shown],
                         title=f"first {len(shown)} unflagged features in final order",
                         extra=[weight * max(f.interaction_gain, 0.0) for f in shown], xlabel="nats",
                         legend=[("corrected MI (score)", _OK_COLOR),
                                 (f"interaction credit ({num(weight)} \u00d7 best pair gain)", "#9cc3e6")]))
    out.append("<p class='note'>Flagged columns (leaks, ids, constants, duplicates) are listed "
               "under Quality findings and in the table, not charted: a leak would dwarf every bar.</p>")
    out.append(_feature_table(r))
    out.append("<h2>Score vs cardinality</h2>")
    out.append(scatter_log_x([f.cardinality for f in clean], [f.score for f in clean], [f.name for f in clean],
                             title="corrected score, unflagged features (noise sits at 0)",
                             xlabel="levels (log scale)", ylabel="score (nats)", label_top=6,
                             tips=[_tip(f) for f in clean],
                             legend=[("unflagged feature (hover for name and values)", _OK_COLOR)]))
    out.append(scatter_log_x([f.cardinality for f in feats], [f.mi for f in feats], [f.name for f in feats],
                             title="plain MI, all features (inflated by cardinality)",
                             xlabel="levels (log scale)", ylabel="MI (nats)", label_top=4,
                             colors=[_color(f.flags) for f in feats], tips=[_tip(f) for f in feats],
                             legend=[("unflagged", _OK_COLOR), ("flagged (leak, id, constant, duplicate...)", _FLAG_COLOR)]))
    if r.pairs:
        out.append(_pairs(r, heat))
    out.append("<h2>Quality findings</h2>")
    if r.quality:
        out.append("<table><tr><th class='l'>column</th><th class='l'>kind</th><th class='l'>detail</th></tr>")
        for q in r.quality:
            out.append(f"<tr><td class='l'>{escape(q['column'])}</td><td class='l'>{escape(q['kind'])}</td>"
                       f"<td class='l'>{escape(q['detail'])}</td></tr>")
        out.append("</table>")
    else:
        out.append("<p>None.</p>")
    t = ", ".join(f"{k} {num(v)} s" for k, v in r.timings.items())
    out.append(f"<p class='note'>Timings: {escape(t)}.</p>")
    out.append(TABLE_SCRIPT + PAGE_END)
    return "\n".join(out)


def _tip(f: FeatureScore) -> str:
    return (f"#{f.rank} {f.name}: score {num(f.score)}, MI {num(f.mi)}, {num(f.cardinality)} levels"
            + (f", {', '.join(f.flags)}" if f.flags else ""))


def _pairs(r: Ranking, heat: int) -> str:
    names: list[str] = []
    for p in r.pairs:
        for n in p.features:
            if n not in names:
                names.append(n)
    order = [f.name for f in r.features if f.name in names][:heat]
    idx = {n: i for i, n in enumerate(order)}
    m: list[list[float | None]] = [[None] * len(order) for _ in order]
    for p in r.pairs:
        a, b = p.features
        if a in idx and b in idx:
            m[idx[a]][idx[b]] = m[idx[b]][idx[a]] = p.score
    out = ["<h2>Pairs</h2>",
           heat_map(order, m, title="interaction gain: blue, the pair says more than its parts; red, less",
                    legend_label="gain (nats)"),
           "<table><tr><th class='l'>pair</th><th>gain</th><th>joint score</th><th>joint levels</th></tr>"]
    for p in r.pairs[:15]:
        out.append(f"<tr><td class='l'>{escape(p.features[0])} &times; {escape(p.features[1])}</td>"
                   f"<td>{num(p.score)}</td><td>{num(p.joint_score)}</td><td>{num(p.levels)}</td></tr>")
    out.append("</table>")
    return "\n".join(out)


def _feature_table(r: Ranking) -> str:
    """Every feature, one ``tbody`` each: its row and (for the first ``DETAIL_ROWS``) a hidden
    detail row that a click on the row shows."""
    out = ["<h2>Ranked features</h2>",
           "<div class='tools'><input type='search' data-filter='features' placeholder='filter: name, kind, note...' "
           "aria-label='filter features'><select data-show='features' aria-label='which features'>"
           "<option value='all'>all features</option><option value='unflagged'>unflagged only</option>"
           "<option value='flagged'>flagged only</option></select><span class='note' data-count='features'></span>"
           "<span class='note'>Click a header to sort, a row for its details.</span></div>",
           "<table id='features' class='sortable'><thead><tr>"
           + "".join(f"<th data-sort='{kind}' class='{'l' if kind == 'text' else ''}' title='{escape(tip)}'>{h}</th>"
                     for h, kind, tip in _COLUMNS) + "</tr></thead>"]
    quality: dict[str, list[dict[str, str]]] = {}
    for q in r.quality:
        quality.setdefault(q["column"], []).append(q)
    for i, f in enumerate(r.features):
        why = "; ".join([*f.flags, *r.why(f)])
        cells = [(f.rank, str(f.rank)), (None, escape(f.name)), (None, escape(f.kind)),
                 (f.score, num(f.score)), (f.mi, num(f.mi)), (f.p_value, num(f.p_value)),
                 (f.cardinality, num(f.cardinality)), (f.missing_rate, pct(f.missing_rate)),
                 (f.heldout_auc, num(f.heldout_auc)), (f.interaction_gain, num(f.interaction_gain)),
                 (f.redundancy, num(f.redundancy)), (None, f"<span class='why'>{escape(why)}</span>")]
        tds = "".join(f"<td class='l{' w' if k == 11 else ''}'>{text}</td>" if v is None and k in (1, 2, 11)
                      else f"<td data-v='{'' if v is None else repr(float(v))}'>{text}</td>"
                      for k, (v, text) in enumerate(cells))
        row = f"<tr class='main{' flag' if f.flags else ''}'>{tds}</tr>"
        detail = (f"<tr class='detail' hidden><td colspan='{len(_COLUMNS)}'>{_detail(r, f, quality.get(f.name, []))}"
                  "</td></tr>") if i < DETAIL_ROWS else ""
        out.append(f"<tbody class='feat' id='f-{escape(f.name)}'>{row}{detail}</tbody>")
    out.append("</table>")
    if len(r.features) > DETAIL_ROWS:
        out.append(f"<p class='note'>Details for the first {DETAIL_ROWS:,} features; ranking.json has them all.</p>")
    return "\n".join(out)


def _detail(r: Ranking, f: FeatureScore, findings: list[dict[str, str]]) -> str:
    """A feature's counts, CTR per top level, best pairs and quality findings."""
    missing = round(f.missing_rate * r.rows)
    rate = r.positives / max(r.rows, 1)
    counts = [("rows with a value", num(r.rows - missing)), ("levels", num(f.cardinality)),
              ("missing", f"{num(missing)} ({pct(f.missing_rate)})"), ("expected MI (noise)", num(f.expected_mi)),
              ("entropy", num(f.entropy)), ("held-out Brier skill", num(f.heldout_skill))]
    if f.mrmr_score is not None:
        counts.append(("mRMR value", num(f.mrmr_score)))
    if f.redundant_with:
        counts.append(("most shared with", f"{escape(f.redundant_with)} ({num(f.redundancy)})"))
    for view, v in (f.kind_scores or {}).items():
        counts.append((f"score as {view.replace('_', ' ')}", num(v)))
    parts = ["<div class='detail-grid'><div><h4>Counts</h4><table>"
             + "".join(f"<tr><td class='l'>{k}</td><td>{v}</td></tr>" for k, v in counts) + "</table></div>"]
    if f.top_levels:
        top_ctr = max([pos / rows for _, rows, pos in f.top_levels if rows] + [rate, 1e-12])
        rows_html = []
        for value, rows, pos in f.top_levels:
            ctr = pos / rows if rows else float("nan")
            bar = int(round(80 * ctr / top_ctr)) if rows else 0
            rows_html.append(f"<tr><td class='l'>{escape(value)}</td><td>{num(rows)}</td><td>{pct(rows / max(r.rows, 1))}</td>"
                             f"<td>{pct(ctr)}</td><td class='l'><span class='ctrbar' style='width:{bar}px'></span></td></tr>")
        parts.append(f"<div><h4>CTR of the top levels (all rows: {pct(rate)})</h4><table><tr><th class='l'>value</th>"
                     "<th>rows</th><th>share</th><th>CTR</th><th></th></tr>" + "".join(rows_html) + "</table></div>")
    pairs = [(p.features[1] if p.features[0] == f.name else p.features[0], p.score, "count-based")
             for p in r.pairs if f.name in p.features][:3]
    pairs += [(p.features[1] if p.features[0] == f.name else p.features[0], p.gain, "factorized")
              for p in r.factorized_pairs if f.name in p.features and p.gain > 0][:2]
    if pairs:
        parts.append("<div><h4>Best pairs</h4><table><tr><th class='l'>with</th><th>gain</th><th class='l'>scored</th></tr>"
                     + "".join(f"<tr><td class='l'>{escape(n)}</td><td>{num(g)}</td><td class='l'>{k}</td></tr>"
                               for n, g, k in pairs) + "</table></div>")
    why = r.why(f)
    notes = [f"<b>{escape(q['kind'])}</b>: {escape(q['detail'])}" for q in findings] + [escape(w) for w in why]
    parts.append("<div><h4>Findings</h4>" + ("<br>".join(notes) if notes else "none") + "</div>")
    return "".join(parts) + "</div>"
