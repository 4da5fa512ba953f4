"""The search report: one self-contained HTML page rendered from ``result.json`` alone."""

from __future__ import annotations

from html import escape
from typing import Any

from autofeat.report.page import PAGE_END, page_start
from autofeat.report.svg import bar_chart, history_chart

__all__ = ["search_html"]



def search_html(result: dict[str, Any]) -> str:
    """Render a ``result.json`` document (as a dict)."""
    m = result.get("metrics", {})
    method = str(result.get("method", ""))
    out = [page_start(f"autofeat search: {method}", f"Search ({method})"),
           f"<p>{result.get('n_trials', 0)} finished trials ({result.get('n_pruned', 0)} pruned). Best trial "
           f"#{result.get('best_trial', {}).get('number', '?')}: valid AUC <b>{m.get('valid_auc', float('nan')):.4f}</b>, "
           f"test AUC <b>{m.get('test_auc', float('nan')):.4f}</b>, test log loss {m.get('test_logloss', float('nan')):.4f}, "
           f"{len(result.get('features', []))} of {m.get('candidates', '?')} candidate features.</p>",
           "<p class='note'>Choices are made on the validation split; the test split is scored once, "
           "for the best trial only.</p>"]
    hist = result.get("history", [])
    done = [(h["number"], h["value"]) for h in hist if h.get("state") == "complete" and h.get("value") is not None]
    pruned = [h["number"] for h in hist if h.get("state") == "pruned"]
    if done:
        out.append("<h2>Optimization history</h2>")
        out.append(history_chart([x for x, _ in done], [y for _, y in done], pruned=pruned,
                                 title="validation AUC per trial (red: best so far; grey ticks: pruned)",
                                 ylabel="valid AUC"))
    imp = result.get("importances") or {}
    if imp:
        names = sorted(imp, key=lambda k: -imp[k])
        out.append("<h2>Parameter importances</h2>")
        out.append(bar_chart(names, [imp[k] for k in names], title="PED-ANOVA importance (share of the top trials' spread)"))
    if result.get("pareto"):
        out.append("<h2>Pareto front</h2><table><tr><th>trial</th><th>valid AUC</th><th>features</th></tr>")
        for p in result["pareto"]:
            out.append(f"<tr><td>{p['number']}</td><td>{p['valid_auc']:.4f}</td><td>{p['n_features']}</td></tr>")
        out.append("</table>")
    out.append("<h2>Selected features</h2><p>" + ", ".join(escape(f) for f in result.get("features", [])) + "</p>")
    params = result.get("best_trial", {}).get("params", {})
    if params:
        out.append("<h2>Best parameters</h2><table>")
        for k, v in params.items():
            out.append(f"<tr><td class='l'>{escape(str(k))}</td><td class='l'>{escape(str(v))}</td></tr>")
        out.append("</table>")
    out.append(PAGE_END)
    return "\n".join(out)
