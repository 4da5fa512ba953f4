"""The ranking report: one self-contained HTML page (inline SVG, no external files)."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from autofeat.report.page import PAGE_END, page_start
from autofeat.report.svg import bar_chart, heat_map, scatter_log_x

if TYPE_CHECKING:
    from autofeat.ranking.result import Ranking

__all__ = ["ranking_html"]


_FLAG_COLOR = "#c0504d"
_OK_COLOR = "#4878a8"


def _color(flags: tuple[str, ...]) -> str:
    return _FLAG_COLOR if flags else _OK_COLOR


def ranking_html(r: Ranking, *, top: int = 40, heat: int = 15) -> str:
    feats = r.features
    clean = [f for f in feats if not f.flags]
    shown = clean[:top]
    weight = float(r.options.get("interaction_weight", 0.5))
    out = [page_start(f"autofeat ranking: {r.source}", "Feature ranking"),
           f"<p>Source <b>{escape(r.source)}</b>, label <b>{escape(r.label)}</b>: "
           f"{r.rows:,} rows, {r.positives:,} positive ({r.positives / max(r.rows, 1):.2%}), "
           f"{len(feats)} features, {len(r.quality)} quality findings.</p>",
           "<p class='note'>score = mutual information minus its expectation under random label "
           "permutation (nats): about 0 for noise at any cardinality. Order: redundancy-aware "
           "(mRMR) on score plus interaction credit; flagged columns (red) come last.</p>"]
    out.append("<h2>Score per feature</h2>")
    out.append(bar_chart([f.name for f in shown], [f.score for f in shown],
                         title=f"corrected MI (dark) + interaction credit (light), first {len(shown)} "
                               "unflagged features in final order",
                         extra=[weight * max(f.interaction_gain, 0.0) for f in shown]))
    out.append("<p class='note'>Flagged columns (leaks, ids, constants, duplicates) are listed "
               "under Quality findings and in the table, not charted: a leak would dwarf every bar.</p>")
    out.append("<h2>Score vs cardinality</h2>")
    out.append(scatter_log_x([f.cardinality for f in clean], [f.score for f in clean],
                             [f.name for f in clean], title="corrected score, unflagged features (noise sits at 0)",
                             xlabel="cardinality (log)", ylabel="score (nats)"))
    out.append(scatter_log_x([f.cardinality for f in feats], [f.mi for f in feats],
                             [f.name for f in feats], title="plain MI, all features, flagged in red (inflated by cardinality)",
                             xlabel="cardinality (log)", ylabel="MI (nats)",
                             colors=[_color(f.flags) for f in feats]))
    if r.pairs:
        names: list[str] = []
        for p in r.pairs:
            for n in p.features:
                if n not in names:
                    names.append(n)
        order = [f.name for f in feats if f.name in names][:heat]
        idx = {n: i for i, n in enumerate(order)}
        m: list[list[float | None]] = [[None] * len(order) for _ in order]
        for p in r.pairs:
            a, b = p.features
            if a in idx and b in idx:
                m[idx[a]][idx[b]] = m[idx[b]][idx[a]] = p.score
        out.append("<h2>Pairs</h2>")
        out.append(heat_map(order, m, title="interaction gain (blue: the pair says more than its parts)"))
        out.append("<table><tr><th class='l'>pair</th><th>gain</th><th>joint score</th><th>joint levels</th></tr>")
        for p in r.pairs[:15]:
            out.append(f"<tr><td class='l'>{escape(p.features[0])} &times; {escape(p.features[1])}</td>"
                       f"<td>{p.score:.4g}</td><td>{p.joint_score:.4g}</td><td>{p.levels:,}</td></tr>")
        out.append("</table>")
    out.append("<h2>Quality findings</h2>")
    if r.quality:
        out.append("<table><tr><th class='l'>column</th><th class='l'>kind</th><th class='l'>detail</th></tr>")
        for q in r.quality:
            out.append(f"<tr><td class='l'>{escape(q['column'])}</td><td class='l'>{escape(q['kind'])}</td>"
                       f"<td class='l'>{escape(q['detail'])}</td></tr>")
        out.append("</table>")
    else:
        out.append("<p>None.</p>")
    out.append("<h2>Ranked features</h2><table><tr><th>rank</th><th class='l'>feature</th><th>score</th>"
               "<th>MI</th><th>E[MI]</th><th>p-value</th><th>cardinality</th><th>missing</th>"
               "<th>pair gain</th><th>redundancy</th><th class='l'>redundant with</th><th class='l'>flags</th></tr>")
    for f in feats:
        red = "" if f.redundancy is None else f"{f.redundancy:.2f}"
        out.append(
            f"<tr class='{'flag' if f.flags else ''}'><td>{f.rank}</td><td class='l'>{escape(f.name)}</td>"
            f"<td>{f.score:.4g}</td><td>{f.mi:.4g}</td><td>{f.expected_mi:.3g}</td><td>{f.p_value:.2g}</td>"
            f"<td>{f.cardinality:,}</td><td>{f.missing_rate:.1%}</td><td>{f.interaction_gain:.3g}</td>"
            f"<td>{red}</td><td class='l'>{escape(f.redundant_with or '')}</td>"
            f"<td class='l'>{escape(', '.join(f.flags))}</td></tr>")
    out.append("</table>")
    t = ", ".join(f"{k} {v:.2f} s" for k, v in r.timings.items())
    out.append(f"<p class='note'>Timings: {escape(t)}.</p>" + PAGE_END)
    return "\n".join(out)
