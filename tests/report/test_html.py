"""The reports' HTML without a browser: the table script's hooks, axes and legends on every
chart, one number format, per-feature details, the OptFS field summary."""

from __future__ import annotations

import html as htmllib
import re

import numpy as np
import pytest

import autofeat
from autofeat.ranking.result import Ranking
from autofeat.report.html import DETAIL_ROWS, ranking_html
from autofeat.report.page import num, pct
from autofeat.report.search_html import search_html
from autofeat.report.svg import histograms, nice_ticks
from autofeat.searching.result import NEGLIGIBLE_ROW_SHARE, SearchResult, field_shares


@pytest.fixture(scope="module")
def report(ctr_ranking) -> str:
    return ranking_html(ctr_ranking)


def _svgs(page: str) -> list[str]:
    return re.findall(r"<svg.*?</svg>", page, flags=re.S)


def _texts(svg: str) -> list[str]:
    return [htmllib.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def test_the_feature_table_sorts_filters_and_expands(ctr_ranking, report):
    r = ctr_ranking
    assert "<table id='features' class='sortable'>" in report
    head = re.search(r"<table id='features'.*?</thead>", report, flags=re.S).group(0)
    assert head.count("<th data-sort='num'") == 9 and head.count("<th data-sort='text'") == 3
    for hook in ("data-filter='features'", "data-show='features'", "data-count='features'"):
        assert hook in report
    script = report[report.index("<script>"):report.index("</script>")]
    for name in ("table.sortable", "th[data-sort]", "tr.main", "data-filter", "data-show", "hidden"):
        assert name in script
    # Self-contained: no external script, style, font or image.
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", report) and "http://" not in report.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    # One tbody per feature, in rank order; a hidden detail row for the first DETAIL_ROWS.
    assert report.count("<tbody class='feat'") == len(r.features)
    assert report.count("<tr class='detail' hidden>") == min(len(r.features), DETAIL_ROWS)
    ids = re.findall(r"<tbody class='feat' id='f-([^']*)'>", report)
    assert [htmllib.unescape(i) for i in ids] == r.names
    # Numbers sort by data-v, not by their text.
    first = re.search(r"<tbody class='feat'[^>]*><tr class='main[^']*'>(.*?)</tr>", report, flags=re.S).group(1)
    v = re.findall(r"data-v='([^']*)'", first)
    assert float(v[1]) == pytest.approx(r.features[0].score)


def test_why_here_column_matches_the_text_summary(ctr_ranking, report):
    r = ctr_ranking
    rows = dict(zip(r.names, re.findall(r"<span class='why'>([^<]*)</span>", report)))
    for f in r.features:
        assert htmllib.unescape(rows[f.name]) == "; ".join([*f.flags, *r.why(f)])
    assert any("interaction with" in w for w in rows.values())
    assert any(f.flags for f in r.features) and "tr class='main flag'" in report


def test_detail_rows_show_counts_levels_pairs_and_findings(ctr_ranking, report):
    r = ctr_ranking
    f = r.features[0]
    body = re.search(rf"<tbody class='feat' id='f-{re.escape(f.name)}'>(.*?)</tbody>", report, flags=re.S).group(1)
    detail = body[body.index("<tr class='detail'"):]
    for part in ("Counts", "rows with a value", "levels", "missing", "CTR of the top levels", "Best pairs", "Findings"):
        assert part in detail
    value, rows, pos = f.top_levels[0]
    assert f"<td class='l'>{htmllib.escape(value)}</td><td>{num(rows)}</td>" in detail and pct(pos / rows) in detail
    flagged = next(x for x in r.features if x.flags)
    body = re.search(rf"<tbody class='feat' id='f-{re.escape(flagged.name)}'>(.*?)</tbody>", report, flags=re.S).group(1)
    finding = next(q for q in r.quality if q["column"] == flagged.name)
    assert htmllib.escape(finding["detail"]) in body


def test_every_chart_has_axes_tick_labels_and_a_legend(report):
    svgs = _svgs(report)
    assert len(svgs) == 4  # scores, two scatters, pair heat map
    bars, score_scatter, mi_scatter, heat = svgs
    assert "nats" in _texts(bars) and "corrected MI (score)" in _texts(bars)
    assert any(t.startswith("interaction credit") for t in _texts(bars))
    ticks = [t for t in _texts(bars) if re.fullmatch(r"-?[\d.]+(e-?\d+)?", t)]
    assert "0" in ticks and len(ticks) >= 4  # x tick labels
    for sc in (score_scatter, mi_scatter):
        texts = _texts(sc)
        assert "levels (log scale)" in texts and {"1", "10", "100"} <= set(texts)
        assert all("<title>" in c for c in re.findall(r"<circle.*?</circle>", sc))  # labelled on hover
    assert "score (nats)" in _texts(score_scatter) and "MI (nats)" in _texts(mi_scatter)
    assert "flagged (leak, id, constant, duplicate...)" in _texts(mi_scatter)
    assert "gain (nats)" in _texts(heat) and "not scored" in _texts(heat) and "linearGradient" in heat


def test_one_number_format(report):
    """Every number shown has at most 4 significant digits (integers: thousands separators)."""
    body = re.sub(r"<(script|style)>.*?</\1>", "", report, flags=re.S)
    shown = " ".join(re.findall(r">([^<]+)<", body))
    for token in re.findall(r"-?\d[\d,]*\.\d+", shown):
        digits = token.lstrip("-").replace(",", "").replace(".", "").lstrip("0")
        assert len(digits) <= 4, token
    assert not re.search(r"\d{4,}\.", shown.replace(",", "")) or "," in shown
    assert num(0.0206712) == "0.02067" and num(12345.6) == "12,346" and num(1234) == "1,234"
    assert num(2.6e-208) == "2.6e-208" and num(None) == "\u2013" and pct(0.0001) == "<0.1%"


def test_top_levels_are_counted_from_the_scan_and_saved(tmp_path):
    data = {"c": ["a"] * 6 + ["b"] * 3 + [None], "n": [float(i) for i in range(10)],
            "click": [1, 0, 0, 0, 0, 0, 1, 1, 0, 1]}
    r = autofeat.rank(data, label="click")
    assert r.feature("c").top_levels == [("a", 6, 1), ("b", 3, 2), ("<missing>", 1, 1)]
    levels = r.feature("n").top_levels
    assert len(levels) == 5 and all(rows == 1 for _, rows, _ in levels)
    assert [v for v, _, _ in levels] == sorted((v for v, _, _ in levels), key=lambda s: float(s[1:].split(",")[0]))
    autofeat.save(r, tmp_path)
    assert Ranking.load(tmp_path).feature("c").top_levels == r.feature("c").top_levels


def test_nice_ticks_are_round_and_cover_the_range():
    assert nice_ticks(0.0, 0.0323) == [0.0, 0.01, 0.02, 0.03, 0.04]
    for lo, hi in ((-0.5, 2.3), (0.75, 0.8616), (3.0, 3.0), (0.0, 1e-12)):
        t = nice_ticks(lo, hi)
        assert t[0] <= lo and t[-1] >= hi and len(t) >= 2
        steps = np.diff(t)
        assert np.allclose(steps, steps[0])


def _optfs_doc() -> dict:
    edges = np.linspace(-4.0, 4.0, 33).tolist()
    counts = [[0] * 14 + [3, 40, 400, 30] + [0] * 14, [0] * 13 + [20, 60, 10, 300, 40] + [0] * 14]
    return {"method": "optfs", "model": "deepfm", "features": ["a", "b", "n"],
            "metrics": {"valid_auc": 0.8, "test_auc": 0.79, "test_logloss": 0.41, "candidates": 4,
                        "params_before": 120000, "params_after": 5000, "search_seconds": 2.0,
                        "retrain_seconds": 3.0, "retrain_epochs": 4},
            "kept_values": {"a": 10, "b": 3, "n": 1}, "vocabulary": {"a": 12, "b": 40, "n": 11486, "z": 50},
            "kept_ratio": {"a": 10 / 12, "b": 3 / 40, "n": 1 / 11486, "z": 0.0},
            "kept_train_row_share": {"a": 0.95, "b": 0.9, "n": 0.0001, "z": 0.0},
            "dropped_fields": {"z": {"reason": "every value's gate closed"}},
            "gate_histograms": {"edges": edges, "counts": counts}}


def test_optfs_report_counts_fields_whose_values_cover_no_rows_as_dropped():
    doc = _optfs_doc()
    fields = {f["name"]: f for f in field_shares(doc)}
    assert [f["status"] for f in field_shares(doc)] == ["kept", "kept", "negligible", "dropped"]
    assert fields["n"]["row_share"] < NEGLIGIBLE_ROW_SHARE and fields["z"]["reason"] == "every value's gate closed"
    res = SearchResult(method="optfs", features=doc["features"], metrics=doc["metrics"], kept_values=doc["kept_values"],
                       extra={k: v for k, v in doc.items() if k not in {"method", "features", "metrics", "kept_values"}})
    assert res.used_features() == ["a", "b"]
    page = search_html(doc)
    assert "<b>2 of 4 fields used</b>, 2 dropped" in page and "3 of 4 features kept" not in page
    assert "dropped (rows ~0)" in page and "<0.1%" in page
    # both shares per field, in the table and the chart
    assert "<td data-v='0.8333333333333334'>83.3%</td><td data-v='0.95'>95.0%</td>" in page
    chart = next(s for s in _svgs(page) if "share of training rows whose value is kept" in s)
    assert "share of the field's values kept" in _texts(chart) and "100.0%" in _texts(chart)
    assert "<table id='fields' class='sortable'>" in page and "<script>" in page
    # A result with the validation rows' share only says so.
    doc["kept_row_share"] = doc.pop("kept_train_row_share")
    assert {f["rows"] for f in field_shares(doc)} == {"validation"}
    assert "share of validation rows whose value is kept" in search_html(doc)


def test_gate_histogram_has_a_count_scale_the_threshold_and_the_occupied_range():
    doc = _optfs_doc()
    page = search_html(doc)
    svg = next(s for s in _svgs(page) if "gate logit m" in s)
    texts = _texts(svg)
    assert "values (log scale)" in texts and {"1", "10", "100"} <= set(texts)
    assert "threshold m = 0" in texts and 'stroke-dasharray="4 3"' in svg
    # occupied bins -0.75..0.75 (plus one bin each side): the axis no longer spans -4..4
    assert "-4" not in texts and "4" not in texts and "0" in texts
    bars = [(float(x), float(w)) for x, w in
            re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"[^>]*fill="#(?:4878a8|c0504d)"><title>epoch', svg)]
    assert max(x + w for x, w in bars) - min(x for x, _ in bars) > 0.6 * 960  # the bars use the width
    red = histograms([-1.0, 0.0, 1.0], [[5, 5]], title="t", row_labels=["e"])
    assert red.count('fill="#c0504d"><title>') == 1 and red.count('fill="#4878a8"><title>') == 1


def test_the_search_summary_counts_fields_whose_values_cover_no_rows_as_dropped(tmp_path, monkeypatch, capsys):
    import autofeat.api as api
    from autofeat.cli import main

    doc = _optfs_doc()
    doc["metrics"].update(all_features_test_auc=0.78, all_features_test_logloss=0.42)
    res = SearchResult(method="optfs", features=doc["features"], metrics=doc["metrics"], kept_values=doc["kept_values"],
                       extra={k: v for k, v in doc.items() if k not in {"method", "features", "metrics", "kept_values"}})
    monkeypatch.setattr(api, "search", lambda *a, **k: res)
    data = tmp_path / "d.csv"
    data.write_text("a,click\n1,0\n2,1\n")
    assert main(["search", str(data), "--label", "click", "--method", "optfs", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "2 of 4 features used: a, b" in out
    assert "dropped: z, n (its kept values cover under 1% of the rows)" in out
