"""The search report: one self-contained HTML page rendered from ``result.json`` alone."""

from __future__ import annotations

from html import escape
from typing import Any

from autofeat.report.page import PAGE_END, TABLE_SCRIPT, num, page_start, pct
from autofeat.report.svg import bar_chart, category_matrix, grouped_bars, histograms, history_chart

__all__ = ["search_html"]


def _baseline(m: dict[str, Any], chosen: str) -> str:
    """A two-row table, baseline first: every candidate feature vs what the search chose."""
    if "all_features_test_auc" not in m:
        return ""
    nan = float("nan")
    n_all = m.get("all_features_n", m.get("candidates", "?"))
    rows = [("all %s candidate features" % n_all, m.get("all_features_valid_auc", nan), m.get("all_features_test_auc", nan),
             m.get("all_features_test_logloss", nan), m.get("all_features_params")),
            (chosen, m.get("valid_auc", nan), m.get("test_auc", nan), m.get("test_logloss", nan), m.get("params_after"))]
    out = ["<h2>Against the model on every feature</h2><table><tr><th class='l'>model</th><th>valid AUC</th>"
           "<th>test AUC</th><th>test log loss</th><th>parameters</th></tr>"]
    for name, va, ta, tl, params in rows:
        p = f"{params:,}" if isinstance(params, int) else "&ndash;"
        out.append(f"<tr><td class='l'>{escape(name)}</td><td>{va:.4f}</td><td>{ta:.4f}</td><td>{tl:.4f}</td><td>{p}</td></tr>")
    out.append("</table>")
    return "\n".join(out)


def _dropped(result: dict[str, Any]) -> str:
    dropped = result.get("dropped_fields") or {}
    check = result.get("field_check")
    out = []
    if dropped:
        out.append("<h2>Dropped fields</h2><table><tr><th class='l'>field</th><th class='l'>why</th></tr>")
        for name, info in dropped.items():
            out.append(f"<tr><td class='l'>{escape(name)}</td><td class='l'>{escape(str(info.get('reason', '')))}</td></tr>")
        out.append("</table>")
    if check:
        from autofeat.searching.gates.base import describe_check

        out.append(f"<p>Check against the baseline: {escape(describe_check(check))}.</p>")
    return "\n".join(out)



def search_html(result: dict[str, Any]) -> str:
    """Render a ``result.json`` document (as a dict)."""
    m = result.get("metrics", {})
    method = str(result.get("method", ""))
    if method != "optuna":
        return _gate_html(result)
    out = [page_start(f"autofeat search: {method}", f"Search ({method})"),
           f"<p>{result.get('n_trials', 0) + result.get('n_pruned', 0)} trials finished ({result.get('n_trials', 0)} "
           f"complete, {result.get('n_pruned', 0)} stopped early by the pruner). Chosen trial "
           f"#{result.get('best_trial', {}).get('number', '?')}: valid AUC <b>{m.get('valid_auc', float('nan')):.4f}</b>, "
           f"test AUC <b>{m.get('test_auc', float('nan')):.4f}</b>, test log loss {m.get('test_logloss', float('nan')):.4f}, "
           f"{len(result.get('features', []))} of {m.get('candidates', '?')} candidate features.</p>",
           "<p class='note'>Choices are made on the validation split; the test split is scored once, "
           "for the chosen trial only.</p>"]
    if str(result.get("chosen_by", "")).startswith("fewest"):
        out.append(f"<p>Chosen by: {escape(str(result['chosen_by']))}.</p>")
    out.append(_baseline(m, f"chosen trial, {len(result.get('features', []))} features"))
    hist = result.get("history", [])
    done = [(h["number"], h["value"]) for h in hist if h.get("state") == "complete" and h.get("value") is not None]
    pruned = [h["number"] for h in hist if h.get("state") == "pruned"]
    if done:
        out.append("<h2>Optimization history</h2>")
        out.append(history_chart([x for x, _ in done], [y for _, y in done], pruned=pruned,
                                 title="validation AUC per trial",
                                 ylabel="valid AUC"))
    imp = result.get("importances") or {}
    if imp:
        names = sorted(imp, key=lambda k: -imp[k])
        out.append("<h2>Parameter importances</h2>")
        out.append(bar_chart(names, [imp[k] for k in names], title="PED-ANOVA importance (share of the top trials' spread)",
                             xlabel="importance"))
    if result.get("pareto"):
        extra = "params" in result["pareto"][0]
        out.append("<h2>Pareto front</h2><table><tr><th>trial</th><th>valid AUC</th><th>features</th>"
                   + ("<th>params</th>" if extra else "") + "</tr>")
        for p in result["pareto"]:
            out.append(f"<tr><td>{p['number']}</td><td>{p['valid_auc']:.4f}</td><td>{p['n_features']}</td>"
                       + (f"<td>{p['params']:,}</td>" if extra else "") + "</tr>")
        out.append("</table>")
    if result.get("evaluator") == "torch":  # the chosen architecture, as the gate searches show it
        dims = result.get("embedding_dims") or {}
        if dims:
            names = sorted(dims, key=lambda k: -dims[k])
            out.append("<h2>Embedding dimensions</h2>")
            out.append(bar_chart(names, [float(dims[k]) for k in names], title="embedding width per field",
                                 xlabel="embedding dimensions"))
        out.append(_interactions(result.get("interactions") or []))
    out.append("<h2>Selected features</h2><p>" + ", ".join(escape(f) for f in result.get("features", [])) + "</p>")
    params = result.get("best_trial", {}).get("params", {})
    if params:
        out.append("<h2>Parameters of the chosen trial</h2><table>")
        for k, v in params.items():
            shown = f"{v:.4g}" if isinstance(v, float) else str(v)
            out.append(f"<tr><td class='l'>{escape(str(k))}</td><td class='l'>{escape(shown)}</td></tr>")
        out.append("</table>")
    out.append(_trials_table(hist, result.get("best_trial", {}).get("number")))
    out.append(PAGE_END)
    return "\n".join(out)


_METHOD_COLORS = {"memorize": "#4878a8", "factorize": "#9cc3e6", "naive": "#f2f2f2"}


def _trials_table(history: list[dict[str, Any]], chosen: Any) -> str:
    """Every trial: state, valid AUC, features (and the exported model's parameters); the
    chosen one in bold."""
    if not history:
        return ""
    params = any("params" in h for h in history)
    rows = ["<h2>Trials</h2><table><tr><th>trial</th><th class='l'>state</th><th>valid AUC</th><th>features</th>"
            + ("<th>params</th>" if params else "") + "</tr>"]
    for h in history:
        value = "" if h.get("value") is None else f"{h['value']:.4f}"
        cells = [str(h["number"]), escape(str(h.get("state", ""))), value, str(h.get("n_features", ""))]
        if params:
            cells.append(f"{h['params']:,}" if "params" in h else "")
        tds = "".join(f"<td class='l'>{c}</td>" if i == 1 else f"<td>{c}</td>" for i, c in enumerate(cells))
        rows.append(f"<tr style='font-weight:bold'>{tds}</tr>" if h["number"] == chosen else f"<tr>{tds}</tr>")
    return "\n".join(rows) + "</table>"


def _interactions(inter: list[dict[str, Any]]) -> str:
    """The method chosen per candidate pair as a matrix ("" without pairs)."""
    if not inter:
        return ""
    names: list[str] = []
    for p in inter:
        for n in p["features"]:
            if n not in names:
                names.append(n)
    cells = {(names.index(p["features"][0]), names.index(p["features"][1])): p["method"] for p in inter}
    return ("<h2>Interaction methods</h2>"
            + category_matrix(names, cells, _METHOD_COLORS, title="method chosen per candidate pair"))


def _field_summary(result: dict[str, Any]) -> tuple[str, str]:
    """The headline's count of fields used and, for value gates (OptFS), the per-field table:
    share of values kept and share of training rows they cover; a field whose kept values
    cover a negligible share of rows counts as dropped."""
    from autofeat.searching.result import NEGLIGIBLE_ROW_SHARE, field_shares

    m = result.get("metrics", {})
    fields = field_shares(result)
    n_kept = len(result.get("features", []))
    if not fields:
        return f"{n_kept} of {m.get('candidates', '?')} features kept", ""
    used = [f for f in fields if f["status"] == "kept"]
    negligible = [f for f in fields if f["status"] == "negligible"]
    dropped = len(fields) - len(used)
    split = fields[0]["rows"]
    head = f"<b>{len(used)} of {len(fields)} fields used</b>, {dropped} dropped"
    if negligible:
        head += (f" ({len(negligible)} of them keep values that cover under {NEGLIGIBLE_ROW_SHARE:.0%} of the "
                 f"{split} rows: {', '.join(escape(f['name']) for f in negligible)})")
    out = ["<h2>Fields: values kept and rows covered</h2>",
           grouped_bars([f["name"] for f in fields],
                        [("share of the field's values kept", "#9cc3e6", [f["value_share"] for f in fields]),
                         (f"share of {split} rows whose value is kept", "#4878a8", [f["row_share"] for f in fields])],
                        title="a field can keep few of its values and still cover most rows (frequent values), "
                              "or most values and few rows", xlabel="share", fmt=pct, hi=1.0),
           "<table id='fields' class='sortable'><thead><tr><th data-sort='text' class='l'>field</th>"
           "<th data-sort='text' class='l'>status</th><th data-sort='num'>values kept</th>"
           "<th data-sort='num'>vocabulary</th><th data-sort='num'>share of values</th>"
           "<th data-sort='num'>share of rows</th><th data-sort='text' class='l'>why dropped</th></tr></thead>"]
    for f in fields:
        cells = [(f["kept_values"], num(f["kept_values"])), (f["vocabulary"], num(f["vocabulary"])),
                 (f["value_share"], pct(f["value_share"])), (f["row_share"], pct(f["row_share"]))]
        nums = "".join(f"<td data-v='{'' if v is None else repr(float(v))}'>{t}</td>" for v, t in cells)
        status = {"kept": "kept", "negligible": "dropped (rows ~0)", "dropped": "dropped"}[f["status"]]
        out.append(f"<tbody><tr class='{'' if f['status'] == 'kept' else 'flag'}'><td class='l'>{escape(f['name'])}</td>"
                   f"<td class='l'>{status}</td>{nums}<td class='l w'>{escape(f['reason'])}</td></tr></tbody>")
    out.append(f"</table><p class='note'>Shares of rows are over the {split} rows; a value below the "
               "vocabulary's minimum count shares the out-of-vocabulary id.</p>")
    return head, "\n".join(out)


def _gate_html(result: dict[str, Any]) -> str:
    """Report of a differentiable search (optfs, dnis, optinter)."""
    m = result.get("metrics", {})
    method = str(result.get("method", ""))
    nan = float("nan")
    head, fields = _field_summary(result)
    out = [page_start(f"autofeat search: {method}", f"Search ({method} + {escape(str(result.get('model', '')))})"),
           f"<p>Retrained model: valid AUC <b>{m.get('valid_auc', nan):.4f}</b>, test AUC <b>{m.get('test_auc', nan):.4f}</b>, "
           f"test log loss {m.get('test_logloss', nan):.4f}. Parameters {num(m.get('params_before', 0))} (supernet) &rarr; "
           f"<b>{num(m.get('params_after', 0))}</b> (exported model). Search {num(m.get('search_seconds', nan))} s, "
           f"retrain {num(m.get('retrain_seconds', nan))} s ({m.get('retrain_epochs', '?')} epochs); {head}.</p>",
           "<p class='note'>Vocabularies come from the train split; every choice is made on train and validation "
           "rows; the test split is scored once, after the retrain.</p>",
           _baseline(m, f"{method}, {len(result.get('features', []))} features"), fields,
           "" if fields else _dropped(result)]
    if fields:
        out.append(_dropped({"field_check": result.get("field_check")}))
    hists = result.get("gate_histograms")
    if hists and hists.get("counts"):
        out.append("<h2>Gate values over the search</h2>")
        out.append(histograms(hists["edges"], hists["counts"], row_labels=[f"epoch {i}" for i in range(len(hists["counts"]))],
                              title="gate logit m of every value at the end of each search epoch",
                              threshold=0.0, xlabel="gate logit m (a value is kept when m > 0)"))
    ratio = result.get("kept_ratio")
    if ratio and not fields:
        names = sorted(ratio, key=lambda k: -ratio[k])
        out.append("<h2>Kept values per field</h2>")
        out.append(bar_chart(names, [ratio[k] for k in names], title="share of the field's values kept",
                             xlabel="share of values kept", fmt=pct))
    dims = result.get("embedding_dims") or {}
    if method == "dnis" and dims:
        names = sorted(dims, key=lambda k: -dims[k])
        out.append("<h2>Embedding dimensions</h2>")
        out.append(bar_chart(names, [float(dims[k]) for k in names], title="dimensions per field (mean over its values)",
                             xlabel="embedding dimensions"))
        blocks = result.get("block_dims") or {}
        sizes = result.get("block_sizes") or {}
        if blocks:
            out.append("<table><tr><th class='l'>field</th><th class='l'>dims per frequency block (values)</th></tr>")
            for f, ds in blocks.items():
                cells = ", ".join(f"{d} ({num(n)})" for d, n in zip(ds, sizes.get(f, [])))
                out.append(f"<tr><td class='l'>{escape(f)}</td><td class='l'>{cells}</td></tr>")
            out.append("</table>")
    out.append(_interactions(result.get("interactions") or []))
    for key, title in (("search_history", "Search"), ("retrain_history", "Retrain")):
        h = result.get(key) or []
        if h:
            out.append(f"<h2>{title}: validation AUC per epoch</h2>")
            start = h[0]["epoch"] < 0  # a warm-started retrain scores its starting weights as epoch -1
            out.append(history_chart([int(r["epoch"]) for r in h], [r["valid_auc"] for r in h],
                                     title=f"{title.lower()} validation AUC", ylabel="valid AUC",
                                     xlabel="epoch (-1: the search's weights)" if start else "epoch"))
    out.append("<h2>Kept features</h2><p>" + ", ".join(escape(f) for f in result.get("features", [])) + "</p>")
    out.append(TABLE_SCRIPT + PAGE_END)
    return "\n".join(out)
