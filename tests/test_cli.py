"""The CLI through main(argv): outputs, and one-line exit-2 errors with no partial output."""

from __future__ import annotations

import json

import pytest

from autofeat.cli import main
from autofeat.datasets import write_ctr_csv


@pytest.fixture(scope="module")
def data_csv(tmp_path_factory):
    p = tmp_path_factory.mktemp("d") / "data.csv"
    write_ctr_csv(p, 20_000, seed=4)
    return p


def test_rank_writes_outputs(data_csv, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["rank", str(data_csv), "--label", "click", "--out", str(out), "--quiet"]) == 0
    doc = json.loads((out / "ranking.json").read_text())
    assert doc["label"] == "click" and doc["rows"] == 20_000
    f0 = doc["features"][0]
    assert {"name", "rank", "score", "mi", "cardinality", "p_value"} <= set(f0)
    assert [f["rank"] for f in doc["features"]] == list(range(1, len(doc["features"]) + 1))
    assert doc["pairs"][0]["features"] and "score" in doc["pairs"][0]
    assert {"column", "kind", "detail"} <= set(doc["quality"][0])
    assert (out / "ranking.tsv").read_text().startswith("rank\tname\tscore")
    html = (out / "report.html").read_text()
    assert "<svg" in html and "Quality findings" in html
    assert sorted(p.name for p in out.iterdir()) == ["ranking.json", "ranking.tsv", "report.html"]


def test_rank_names_left_out_columns_on_stderr_in_one_line(data_csv, tmp_path, capsys):
    assert main(["rank", str(data_csv), "--label", "click", "--out", str(tmp_path / "o")]) == 0
    lines = [ln for ln in capsys.readouterr().err.splitlines() if "not search candidates" in ln]
    assert len(lines) == 1 and "conversion_time (leak)" in lines[0] and "row_id (id_like)" in lines[0]


def test_rank_json_to_stdout(data_csv, capsys):
    assert main(["rank", str(data_csv), "--label", "click", "--format", "json", "--quiet"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 20_000


def _write(path, text):
    path.write_text(text)
    return str(path)


BAD = {
    "missing_file": (lambda d: str(d / "nope.csv"), "click", "no such file"),
    "empty_file": (lambda d: _write(d / "e.csv", ""), "click", "empty"),
    "header_only": (lambda d: _write(d / "h.csv", "click,a\n"), "click", "no data rows"),
    "ragged": (lambda d: _write(d / "r.csv", "click,a,b\n1,2,3\n0,1\n"), "click", "expected 3 fields"),
    "no_label": (lambda d: _write(d / "l.csv", "y,a\n1,2\n"), "click", "label column 'click' not found"),
    "not_binary": (lambda d: _write(d / "b.csv", "click,a\n1,2\n2,3\n0,1\n"), "click", "must be binary"),
    "label_missing": (lambda d: _write(d / "m.csv", "click,a\n1,2\n,3\n0,1\n"), "click", "data row(s) 2"),
    "one_class": (lambda d: _write(d / "o.csv", "click,a\n1,2\n1,3\n"), "click", "one class"),
}


def test_all_missing_column_is_a_finding_not_an_error(tmp_path, capsys):
    # Wide logs often have an empty column in one extract: the rest is still ranked.
    path = _write(tmp_path / "c.csv", "click,a,b\n" + "1,,2\n0,,3\n" * 20)
    out = tmp_path / "out"
    assert main(["rank", path, "--label", "click", "--out", str(out), "--quiet"]) == 0
    doc = json.loads((out / "ranking.json").read_text())
    assert {"column": "a", "kind": "all_missing"} in [{k: q[k] for k in ("column", "kind")} for q in doc["quality"]]
    assert [f["name"] for f in doc["features"]] == ["b", "a"]  # left out of the order, listed last


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_one_line_exit_2_no_output(case, tmp_path, capsys):
    make, label, expect = BAD[case]
    path = make(tmp_path)
    out = tmp_path / "out"
    code = main(["rank", path, "--label", label, "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert expect in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("argv,expect", [
    (["rank", "x.csv", "--label", "y", "--bins", "zero", "--out", "o"], "expected an integer"),
    (["rank", "x.csv", "--label", "y", "--format", "xml"], "invalid choice"),
    (["rank", "x.csv"], "--label"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_options_exit_2(argv, expect, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and expect in err and len(err.strip().splitlines()) == 1


def test_unknown_column_option(data_csv, tmp_path, capsys):
    code = main(["rank", str(data_csv), "--label", "click", "--numeric", "nope", "--out", str(tmp_path / "o")])
    assert code == 2 and "unknown column 'nope'" in capsys.readouterr().err


def test_generate_and_demo(tmp_path, capsys):
    p = tmp_path / "g.csv"
    assert main(["generate", str(p), "--rows", "1000", "--seed", "1"]) == 0
    truth = json.loads((tmp_path / "g.csv.truth.json").read_text())
    assert truth["label"] == "click" and p.read_text().startswith("click,")
    assert main(["demo", "--out", str(tmp_path / "demo"), "--rows", "20000", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "ranked first among pairs: True" in out and "leak flagged: True" in out
    assert (tmp_path / "demo" / "rank" / "report.html").exists()


def test_import_is_light():
    import subprocess
    import sys

    code = ("import sys, autofeat, autofeat.cli; from autofeat.ranking.api import rank; "
            "bad = [m for m in ('torch', 'lightgbm', 'matplotlib', 'optuna', 'pandas') if m in sys.modules]; "
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_cli_reference_is_current():
    from pathlib import Path

    from autofeat.cli import cli_reference

    doc = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
    assert doc.read_text() == cli_reference(), "regenerate docs/cli.md (command at its top)"


def test_no_command_prints_usage_and_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main([])
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert err.startswith("usage: autofeat")
    for name in ("rank", "generate", "search", "run", "demo"):
        assert f"\n  {name} " in err
    assert "autofeat COMMAND --help" in err and "arguments are required" not in err


def test_rank_without_out_names_the_command_once(data_csv, capsys):
    assert main(["rank", str(data_csv), "--label", "click"]) == 2
    err = capsys.readouterr().err
    assert err.count("autofeat rank") == 1 and err.startswith("autofeat rank: error: give --out")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("name,extra", [("g.gz", []), ("g.parquet", ["--no-header"])])
def test_generate_errors_name_the_command_once(tmp_path, name, extra, capsys):
    assert main(["generate", str(tmp_path / name), "--rows", "10", *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"autofeat generate: error: {tmp_path / name}: ")  # was "error: generate PATH: "
    assert len(err.strip().splitlines()) == 1 and not list(tmp_path.iterdir())


def _parsers():
    import argparse

    from autofeat.cli import build_parser

    top = build_parser()
    sub = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    return top, sub.choices


def test_every_option_has_help_and_its_default():
    import argparse

    _, commands = _parsers()
    for name, parser in commands.items():
        for action in parser._actions:
            if action.help == argparse.SUPPRESS or isinstance(action, argparse._HelpAction):
                continue
            where = f"autofeat {name} {action.option_strings or action.dest}"
            assert action.help and action.help.strip(), f"{where}: no help"
            if action.default not in (None, False, [], argparse.SUPPRESS):
                assert "default" in action.help, f"{where}: default {action.default!r} not in its help"
        quiet = next(a for a in parser._actions if "--quiet" in a.option_strings) if name != "generate" else None
        assert quiet is None or "stderr" in quiet.help


def test_exit_codes_in_every_help():
    top, commands = _parsers()
    for parser in [top, *commands.values()]:
        text = parser.format_help()
        for code in ("0 ", "2 ", "74 ", "75 ", "130 ", "1 "):
            assert f"\n  {code}" in text, (parser.prog, code)
    assert "--top TOP" in commands["rank"].format_help() and "(default 20)" in commands["rank"].format_help()


@pytest.mark.parametrize("url,hint,wrong", [
    ("mysql://u@h/db", "pip install pymysql and write the URL as mysql+pymysql://", "psycopg"),
    ("mysql+pymysql://u:secret@h/db", "pip install pymysql", "psycopg"),
    ("postgresql+psycopg2://u@h/db", "pip install psycopg2-binary", "pymysql"),
])
def test_storage_driver_hint_follows_the_scheme(url, hint, wrong, monkeypatch, tmp_path):
    import optuna

    from autofeat.errors import OptionError
    from autofeat.searching.storage import open_storage

    def missing_driver(*args, **kwargs):  # what Optuna raises when SQLAlchemy lacks the driver
        raise ImportError("Failed to import DB access module for the specified storage URL.")

    monkeypatch.setattr(optuna.storages, "RDBStorage", missing_driver)
    with pytest.raises(OptionError) as exc:
        open_storage(url, tmp_path)
    msg = str(exc.value)
    assert hint in msg and wrong not in msg and "secret" not in msg and len(msg.splitlines()) == 1


def test_cli_optuna_with_a_torch_evaluator_closes_with_its_files_and_study(tmp_path, capsys):
    pytest.importorskip("torch")
    from autofeat.datasets import write_ctr_csv

    data = tmp_path / "d.csv"
    write_ctr_csv(data, 2000, seed=4)
    out = tmp_path / "s"
    assert main(["search", str(data), "--label", "click", "--trials", "2", "--max-features", "4", "--model", "fm",
                 "--epochs", "1", "--space", "embedding_dims,interactions", "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "2 trials finished" in text and "embedding widths:" in text and "model.pt" in text
    assert f"optuna-dashboard {out / 'study.journal'}" in text
    assert (out / "model.pt").exists() and json.loads((out / "result.json").read_text())["evaluator"] == "torch"
    # a torch flag without --model, and a gate-only flag with optuna, are one-line errors
    assert main(["search", str(data), "--label", "click", "--epochs", "2", "--out", str(tmp_path / "x")]) == 2
    assert main(["search", str(data), "--label", "click", "--keep", "0.5", "--out", str(tmp_path / "y")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "--epochs applies to the torch evaluator only" in err[0] and "--keep does not apply" in err[1]


def test_rank_summary_says_why_a_feature_sits_where_its_score_would_not(tmp_path, capsys):
    # the planted XOR pair has score ~0 alone and ranks first: the summary names the partner
    from autofeat.datasets import write_ctr_csv

    data = tmp_path / "d.csv"
    write_ctr_csv(data, 3000, seed=0)
    assert main(["rank", str(data), "--label", "click", "--quiet", "--top", "5", "--out", str(tmp_path / "r")]) == 0
    lines = capsys.readouterr().out.splitlines()
    row = {line.split()[1]: line for line in lines if line[:4].strip().isdigit()}
    assert "interaction with int_b" in row["int_a"] and "interaction with int_a" in row["int_b"]
