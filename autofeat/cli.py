"""The ``autofeat`` command line: thin wrappers that parse options, call the library and map
user errors to exit code 2 with a one-line message.

Exit codes (:data:`EXIT_CODES`, shown in every ``--help``): 0 success; 2 a user error (bad
input, bad option); 74 an output could not be written; 75 ``autofeat run`` found its output
folder locked by another run; 130 interrupted; 1 a bug (with a traceback).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from autofeat.errors import AutofeatError, OptionError, WriteError
from autofeat.io.files import RANK_FILES, SEARCH_FILES, check_out_dir, refuse_overwriting_input
from autofeat.searching.registry import METHODS
from autofeat.searching.storage import safe_url

__all__ = ["main", "build_parser", "cli_reference", "EXIT_CODES"]

# The epilog of every --help: scripts and schedulers branch on these.
EXIT_CODES = """exit codes:
  0    success
  2    user error: bad input, option or job file (one line on stderr, nothing written)
  74   an output could not be written (no space left, file too large; none of its files written)
  75   autofeat run: the output folder is locked by another run (try again later)
  130  interrupted (Ctrl-C)
  1    internal error: a bug; please report it with the traceback"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line instead of usage + message
        self.exit(2, f"{self.prog}: error: {message}\n")


class _CommandParser(_Parser):
    """A command's parser: its --help ends with the exit codes too (raw: argparse would join
    their lines)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("epilog", EXIT_CODES)
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)


def _csv_list(text: str) -> list[str]:
    return [t for t in (s.strip() for s in text.split(",")) if t]


def _int_at_least(low: int):  # type: ignore[no-untyped-def]
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if v < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {v}")
        return v

    return parse


_positive_int = _int_at_least(1)
_nonneg_int = _int_at_least(0)  # also --seed: NumPy refuses a negative seed deep inside the run


def _finite_float(text: str) -> float:
    """A float that is not nan or inf: ``--lr nan`` passed every range check (comparisons
    with nan are false) and broke the run later."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return v


def _positive_float(text: str) -> float:
    v = _finite_float(text)
    if v <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return v


def _delimiter(text: str) -> str:
    """One character: Arrow's parser takes nothing else (',,' or a typed '\\t' crashed it)."""
    if text == "\\t":
        raise argparse.ArgumentTypeError("'\\t' is two characters; for a TAB pass --delimiter $'\\t' (bash)")
    if len(text) != 1:
        raise argparse.ArgumentTypeError(f"must be one character, got {text!r}")
    return text


def _int_list(text: str) -> tuple[int, ...]:
    """Comma-separated positive integers (--hidden 256,128)."""
    try:
        values = tuple(int(t) for t in _csv_list(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected integers >= 1, got {text!r}")
    return values


def _add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", help="CSV/TSV (optionally .gz/.bz2/.zst) or Parquet file")
    p.add_argument("--label", required=True, help="label column name (index for --no-header files)")
    p.add_argument("--no-header", action="store_true", help="the file has no header row; columns are named 0, 1, ...")
    p.add_argument("--delimiter", type=_delimiter, help="field separator (default: sniffed from the first line)")
    p.add_argument("--ignore", type=_csv_list, action="extend", default=[], metavar="COLS", help="comma-separated columns to skip")
    p.add_argument("--numeric", type=_csv_list, action="extend", default=[], metavar="COLS", help="columns to treat as numeric (binned)")
    p.add_argument("--categorical", type=_csv_list, action="extend", default=[], metavar="COLS", help="columns to treat as categorical")


def _add_rank_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bins", type=_int_at_least(2), default=20, help="quantile bins for numeric columns (default 20)")
    p.add_argument("--sample-rows", type=_positive_int, help="rank on a seeded random sample of N rows (default: every row)")
    p.add_argument("--analysis-rows", type=_positive_int, default=100_000, help="rows sampled for redundancy/pairs/duplicates (default 100,000)")
    p.add_argument("--pairs-top", type=_nonneg_int, default=20, help="pair the best M features for interaction gain (default 20; 0 = off)")
    p.add_argument("--factor-top", type=_nonneg_int, default=6,
                   help="columns whose pairs get a cross-fitted factorized gain (default 6; 0 = off)")
    p.add_argument("--no-redundancy", action="store_true", help="order by score alone, not mRMR")
    p.add_argument("--redundancy-top", type=_nonneg_int, default=100, help="leading positions filled by the mRMR greedy (default 100)")
    # All-missing columns are always findings now; the flag is kept so old command lines run.
    p.add_argument("--allow-empty-columns", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--seed", type=_nonneg_int, default=0, help="seed for row samples (default 0)")
    p.add_argument("--n-jobs", type=_positive_int, help="threads (default: all usable cores; at most that many)")


_OPTUNA_FLAGS: dict[str, dict[str, Any]] = {
    "--space": {"type": _csv_list, "help": "comma-separated search spaces: built-in names or .toml paths (default feature_subset,lightgbm)"},
    "--spaces-dir": {"help": "folder with more space files"},
    "--trials": {"type": _positive_int, "help": "global budget of finished trials (default 30)"},
    "--timeout": {"type": _positive_float, "help": "seconds this worker may spend"},
    "--storage": {"help": "journal:PATH, sqlite:///PATH or postgresql://... (default: a journal in --out)"},
    "--study": {"help": "study name to create or continue (default autofeat)"},
    "--second-objective": {"choices": ["n_features", "params", "latency"],
                           "help": "also minimize the number of features, or (with --model) the exported "
                                   "model's parameters or CPU scoring time per row: NSGA-II, a Pareto front"},
}
_GATE_FLAGS: dict[str, dict[str, Any]] = {
    "--model": {"help": "backbone: lr, fm, deepfm, dcn, ipnn, dnn, autoint, finalmlp (default deepfm)"},
    "--dim": {"type": _positive_int, "help": "embedding width (default 16)"},
    "--hidden": {"type": _int_list, "help": "comma-separated MLP widths (default 256,128)"},
    "--epochs": {"type": _positive_int, "help": "most retrain epochs; early stopping by --stop-on (default 10)"},
    "--search-epochs": {"type": _positive_int, "help": "search epochs (default 3; optinter 2)"},
    "--batch-size": {"type": _positive_int, "help": "rows per step (default: train rows / 100, within 256..4096)"},
    "--lr": {"type": _finite_float, "help": "learning rate of the weights (default 1e-3)"},
    "--field-z": {"type": _finite_float,
                  "help": "optfs/dnis: a field stays if shuffling it on valid rows raises log loss "
                          "by this many standard errors (default 1; 0 keeps all)"},
    "--path-tolerance": {"type": _finite_float,
                         "help": "optfs: keep the sparsest gate state whose valid AUC is within this "
                                 "of the best (default 0.001)"},
    "--patience": {"type": _positive_int, "help": "epochs without a better valid score before stopping (default 1)"},
    "--stop-on": {"choices": ["logloss", "auc"],
                  "help": "valid score that picks the best epoch: lowest logloss or highest auc (default logloss)"},
    "--device": {"help": "cpu or cuda (default cpu)"},
    "--final-temp": {"type": _finite_float, "help": "optfs: gate temperature at the last search epoch (default 200)"},
    "--penalty": {"type": _finite_float, "help": "optfs: sparsity weight on the mean gate (default 20)"},
    "--gate-lr": {"type": _finite_float, "help": "optfs: learning rate of the gates (default 1e-2)"},
    "--rewind-epoch": {"type": _nonneg_int, "help": "optfs: retrain from the weights after this search epoch (default 1)"},
    "--blocks": {"type": _positive_int, "help": "dnis: frequency blocks per field (default 4)"},
    "--arch-lr": {"type": _finite_float, "help": "dnis/optinter: learning rate of the selection weights (default 1e-2)"},
    "--l1": {"type": _finite_float, "help": "dnis: L1 weight on the dimension weights (default 1e-5)"},
    "--keep": {"type": _finite_float, "help": "dnis: fraction of embedding parameters kept (default 0.5)"},
    "--pairs-top": {"type": _positive_int, "help": "optinter: candidate pairs from the ranking (default 10)"},
    "--cross-min-count": {"type": _positive_int,
                          "help": "optinter: train rows a memorized pair's cross value needs for its own id (default 5)"},
    "--min-temp": {"type": _finite_float, "help": "optinter: softmax temperature at the end of the search (default 0.01)"},
    "--pair-penalty": {"type": _finite_float, "help": "optinter: cost on memorize/factorize weights (default 1e-3)"},
}
# Gate flags that the Optuna study takes too: with --model, a torch CTR model is its evaluator.
_TORCH_EVAL_FLAGS = ("--model", "--dim", "--epochs", "--device")
# Flags whose option name differs from the flag.
_RENAMED = {"trials": "n_trials", "study": "study_name"}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="autofeat", description="Feature ranking and search for large sparse CTR tables.",
                     epilog=f"{_HINT}\n\n{EXIT_CODES}", formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=_version())
    # Not required=True: argparse then says only "the following arguments are required:
    # command"; main() prints the commands instead (_no_command).
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands", parser_class=_CommandParser)

    r = sub.add_parser("rank", help="rank features by cardinality-corrected MI; write ranking.json/.tsv and report.html")
    _add_data_args(r)
    _add_rank_args(r)
    r.add_argument("--out", help="output folder (ranking.json, ranking.tsv, report.html); required unless --format json")
    r.add_argument("--format", choices=["text", "json"], default="text",
                   help="what to print on stdout: text, a summary table; json, the whole ranking (default text)")
    r.add_argument("--top", type=_positive_int, default=20, help="features shown in the text summary (default 20)")
    r.add_argument("--quiet", action="store_true",
                   help="no progress bar and no notes on stderr; the summary or JSON still goes to stdout")
    r.add_argument("--engine", choices=["local", "spark", "dask"], default="local",
                   help="where the scan runs: this process, Spark or Dask; the same ranking either way "
                        "(spark/dask: pip install 'autofeat[spark]' / 'autofeat[dask]'; default local)")
    r.add_argument("--master", help="with --engine spark: the master URL (default: local[*]), e.g. spark://host:7077")
    r.add_argument("--scheduler", help="with --engine dask: the scheduler address, e.g. tcp://host:8786 "
                                       "(default: dask's local scheduler)")

    g = sub.add_parser("generate", help="write a CTR-like CSV or Parquet file with planted structure and its truth file")
    g.add_argument("out", help="output .csv/.tsv/.parquet file; the truth goes to OUT.truth.json")
    g.add_argument("--rows", type=_positive_int, default=200_000, help="data rows (default 200000)")
    g.add_argument("--informative", type=_nonneg_int, default=6,
                   help="Zipf categoricals that shift the click logit (default 6)")
    g.add_argument("--noise", type=_nonneg_int, default=6, help="Zipf categoricals independent of the label (default 6)")
    g.add_argument("--uniform-noise", type=_nonneg_int, default=2,
                   help="uniform high-cardinality noise columns, the ones plain MI ranks first (default 2)")
    g.add_argument("--max-cardinality", type=_positive_int, default=100_000,
                   help="largest cardinality of the Zipf columns (default 100000)")
    g.add_argument("--max-noise-cardinality", type=_positive_int, default=1_000_000,
                   help="largest cardinality of the uniform noise columns (default 1000000)")
    g.add_argument("--zipf", type=_finite_float, default=1.1,
                   help="Zipf exponent of the categoricals' level frequencies (default 1.1)")
    g.add_argument("--ctr", type=_finite_float, default=0.17, help="target click rate (default 0.17)")
    g.add_argument("--no-planted", action="store_true", help="no interaction/leak/id/duplicate columns")
    g.add_argument("--no-header", action="store_true", help="write no header row")
    g.add_argument("--seed", type=_nonneg_int, default=0, help="seed: the same seed gives the same file (default 0)")

    s = sub.add_parser("search", help="search features, embedding dims or pair interactions over the ranking's best features")
    _add_data_args(s)
    s.add_argument("--method", choices=list(METHODS), default="optuna",
                   help="; ".join(f"{m.name}: {m.summary}" for m in METHODS.values()) + " (default optuna)")
    s.add_argument("--ranking", help="ranking.json (or its folder) from autofeat rank; ranked here if omitted")
    s.add_argument("--max-features", type=_positive_int, help="clean features taken from the ranking, in order (default 40)")
    s.add_argument("--include", type=_csv_list, action="extend", metavar="COLS",
                   help="comma-separated columns that are candidates even if the ranking flags them (leak, id, ...)")
    s.add_argument("--sample-rows", type=_positive_int, help="search on a seeded sample of N rows")
    s.add_argument("--time-column", help="split by this column's order (newest rows test) instead of a seeded shuffle")
    s.add_argument("--min-count", type=_positive_int,
                   help="train rows a value needs for its own id; rarer share the out-of-vocabulary id (default 2)")
    s.add_argument("--no-baseline", action="store_true",
                   help="skip the model on every candidate feature (reported as all_features_* in result.json)")
    s.add_argument("--seed", type=_nonneg_int, help="seed (default 0)")
    s.add_argument("--n-jobs", type=_positive_int, help="threads (default: all usable cores; at most that many)")
    s.add_argument("--out", required=True, help="output folder (result.json, report.html; optuna: study journal; gates: model.pt)")
    s.add_argument("--quiet", action="store_true",
                   help="no progress bars, training or Optuna trial log lines and notes on stderr; "
                        "the results still print on stdout")
    o = s.add_argument_group("optuna")
    for flag, kw in _OPTUNA_FLAGS.items():
        o.add_argument(flag, **kw)
    t = s.add_argument_group("optfs / dnis / optinter, and optuna with --model (torch)")
    for flag, kw in _GATE_FLAGS.items():
        t.add_argument(flag, **kw)

    j = sub.add_parser("run", help="run a job file: rank -> prune -> search -> summary, resuming where it stopped")
    j.add_argument("job", help="job file (TOML; see docs/jobs.md)")
    j.add_argument("--quiet", action="store_true",
                   help="no progress bars or log lines of the rank and search steps on stderr; "
                        "the one line per step still prints on stdout")
    j.add_argument("--workers", type=_positive_int, default=1, metavar="N",
                   help="worker processes sharing the Optuna searches' trials on this machine, each with its share "
                        "of the usable cores; the rank step runs once, before them; gate searches run once "
                        "(default 1)")

    w = sub.add_parser("worker", help="join a job's Optuna searches (from another machine, a scheduler's array task): "
                                      "run trials until their budgets are done")
    w.add_argument("job", help="job file (TOML; see docs/jobs.md); its output folder must be shared with the other workers")
    w.add_argument("--trials-only", action="store_true",
                   help="never take the job's lock: no ranking (it must be there), no result or summary files "
                        "(what 'autofeat run --workers' starts under its own lock)")
    w.add_argument("--n-jobs", type=_positive_int,
                   help="threads (default: all usable cores; at most that many); a search's n_jobs caps it")
    w.add_argument("--quiet", action="store_true",
                   help="no progress bars or Optuna trial log lines on stderr; the one line per search still prints")

    d = sub.add_parser("demo", help="generate data, rank it and write the report (no data needed)")
    d.add_argument("--out", default="autofeat-demo", help="output folder (default autofeat-demo)")
    d.add_argument("--rows", type=_demo_rows, default=200_000,
                   help=f"rows of generated data (default 200000, at least {DEMO_MIN_ROWS:,})")
    d.add_argument("--seed", type=_nonneg_int, default=0, help="seed of the generated data and row samples (default 0)")
    d.add_argument("--quiet", action="store_true",
                   help="no progress bar on stderr; the summary still prints on stdout")
    return parser


_HINT = "Run 'autofeat COMMAND --help' for a command's options; 'autofeat demo' tries it on generated data."


def _no_command(parser: argparse.ArgumentParser) -> NoReturn:
    """``autofeat`` alone: the usage and the commands, not only "arguments are required"."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    width = max(len(a.dest) for a in sub._choices_actions)
    lines = [parser.format_usage().rstrip(), "", "commands:"]
    lines += [f"  {a.dest:<{width}}  {a.help}" for a in sub._choices_actions]
    parser.exit(2, "\n".join([*lines, "", _HINT]) + "\n")


def _version() -> str:
    from autofeat import __version__

    return f"autofeat {__version__}"


def _rank_options(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from autofeat.ranking.api import RankOptions

    return RankOptions(
        bins=args.bins, sample_rows=args.sample_rows, analysis_rows=args.analysis_rows,
        pairs_top=args.pairs_top, redundancy=not args.no_redundancy,
        redundancy_top=args.redundancy_top, factor_top=args.factor_top,
        seed=args.seed, n_jobs=args.n_jobs,
    )


def _summary(ranking, top: int) -> str:  # type: ignore[no-untyped-def]
    lines = [f"{ranking.rows:,} rows, label {ranking.label!r} ({ranking.positives / ranking.rows:.2%} positive), "
             f"{len(ranking.features)} features", "",
             f"{'rank':>4}  {'feature':<24} {'score':>10} {'MI':>10} {'p-value':>9} {'card':>9}  flags / why here"]
    for f in ranking.features[:top]:
        lines.append(f"{f.rank:>4}  {f.name[:24]:<24} {f.score:>10.5f} {f.mi:>10.5f} {f.p_value:>9.2g} "
                     f"{f.cardinality:>9,}  {'; '.join([*f.flags, *ranking.why(f)])}")
    if ranking.pairs:
        lines += ["", "strongest pairs (interaction gain):"]
        for p in ranking.pairs[:5]:
            lines.append(f"  {p.features[0]} x {p.features[1]}: {p.score:.5f}")
    if ranking.quality:
        lines += ["", "quality findings:"]
        for q in ranking.quality[:QUALITY_LINES]:
            lines.append(f"  {q['column']}: {q['kind']} ({q['detail']})")
        if len(ranking.quality) > QUALITY_LINES:  # 60k constant columns printed 60k lines
            kinds: dict[str, int] = {}
            for q in ranking.quality[QUALITY_LINES:]:
                kinds[q["kind"]] = kinds.get(q["kind"], 0) + 1
            more = ", ".join(f"{n:,} {k}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
            lines.append(f"  ... and {len(ranking.quality) - QUALITY_LINES:,} more ({more}; "
                         "ranking.tsv and report.html list them all)")
    return "\n".join(lines)


# Quality findings printed by rank's summary; the files hold them all.
QUALITY_LINES = 20


def _cmd_rank(args: argparse.Namespace) -> int:
    from autofeat.ranking.api import rank

    if args.out is None and args.format == "text":
        raise AutofeatError("give --out DIR (or --format json to print the ranking)")
    if args.out:  # before the ranking: nothing is computed or written for a bad --out
        check_out_dir(args.out)
        refuse_overwriting_input(args.data, [Path(args.out) / n for n in RANK_FILES], "--out")
    if args.master and args.engine != "spark" or args.scheduler and args.engine != "dask":
        raise OptionError("--master goes with --engine spark, --scheduler with --engine dask")
    ranking = rank(
        args.data, args.label, header=not args.no_header, delimiter=args.delimiter,
        ignore=args.ignore, numeric=args.numeric, categorical=args.categorical,
        options=_rank_options(args), quiet=args.quiet,
        engine=args.engine, address=args.master or args.scheduler,
    )
    if args.out:
        from autofeat.report.outputs import save_ranking

        save_ranking(ranking, args.out)
    left_out = ranking.left_out()
    if left_out and not args.quiet:
        shown = ", ".join(f"{n} ({k})" for n, k in left_out)
        print(f"autofeat: not search candidates unless named: {shown}", file=sys.stderr)
    if args.format == "json":
        sys.stdout.write(ranking.to_json() + "\n")
    else:
        print(_summary(ranking, args.top))
        print(f"\nwrote {Path(args.out) / 'ranking.json'}, ranking.tsv, report.html")
    return 0


def _cmd_search(args: argparse.Namespace) -> int:
    from autofeat.api import search

    check_out_dir(args.out)  # before the search: a bad --out was found when the results were saved
    refuse_overwriting_input(args.data, [Path(args.out) / n for n in SEARCH_FILES], "--out")
    gate = args.method != "optuna"
    mine, other = (_GATE_FLAGS, _OPTUNA_FLAGS) if gate else ({**_OPTUNA_FLAGS, **{f: {} for f in _TORCH_EVAL_FLAGS}},
                                                             _GATE_FLAGS)
    for flag in other:
        if flag not in mine and getattr(args, _dest(flag)) is not None:
            raise AutofeatError(f"{flag} does not apply to --method {args.method}")
    if gate:  # each gate method has its own settings (--penalty is OptFS's)
        from autofeat.searching.gates.options import methods_with, options_type

        own = options_type(args.method).__dataclass_fields__
        for flag in mine:
            if _dest(flag) not in own and getattr(args, _dest(flag)) is not None:
                raise AutofeatError(f"{flag} applies to --method {' and '.join(methods_with(_dest(flag)))}, "
                                    f"not to {args.method}")
    options: dict[str, Any] = {}
    for flag in [*mine, "--max-features", "--include", "--sample-rows", "--time-column", "--min-count", "--seed",
                 "--n-jobs"]:
        value = getattr(args, _dest(flag))
        if value is not None:
            options[_RENAMED.get(_dest(flag), _dest(flag))] = value
    if args.no_baseline:
        options["baseline"] = False
    if "space" in options:
        from autofeat.searching.spaces import load_space

        load_space(options["space"], spaces_dir=options.get("spaces_dir"))  # fail on a bad space before any work
        options["space"] = tuple(options["space"])
    result = search(
        args.data, args.label, method=args.method, ranking=args.ranking, out=args.out,
        header=not args.no_header, delimiter=args.delimiter, ignore=args.ignore,
        numeric=args.numeric, categorical=args.categorical, quiet=args.quiet, **options,
    )
    from autofeat.searching.result import NEGLIGIBLE_ROW_SHARE

    m = result.metrics
    if "all_features_test_auc" in m:
        n_all = m.get("all_features_n", m.get("candidates"))
        print(f"all {n_all} candidate features: test AUC {m['all_features_test_auc']:.4f}, "
              f"test logloss {m['all_features_test_logloss']:.4f}")
    if gate:
        print(f"{args.method} + {result.extra['model']}: valid AUC {m['valid_auc']:.4f}, test AUC {m['test_auc']:.4f}, "
              f"test logloss {m['test_logloss']:.4f}; params {m['params_before']:,} -> {m['params_after']:,}; "
              f"search {m['search_seconds']:.1f} s, retrain {m['retrain_seconds']:.1f} s")
        used = result.used_features()  # OptFS: a field whose kept values cover ~0 rows is not used
        print(f"{len(used)} of {m['candidates']} features used: " + ", ".join(used))
        dropped = list(result.extra.get("dropped_fields") or {})
        dropped += [f"{f} (its kept values cover under {NEGLIGIBLE_ROW_SHARE:.0%} of the rows)"
                    for f in result.features if f not in used]
        if dropped:
            print("dropped: " + ", ".join(dropped))
        check = result.extra.get("field_check")
        if check:
            from autofeat.searching.gates.base import describe_check

            print(f"check against the baseline: {describe_check(check)}")
        if result.interactions:
            chosen = [f"{' x '.join(p['features'])}: {p['method']}" for p in result.interactions if p["method"] != "naive"]
            print("pairs: " + (", ".join(chosen) if chosen else "all naive"))
        print(f"wrote {Path(args.out) / 'result.json'}, model.pt, report.html")
        return 0
    x = result.extra
    done = x["n_trials"] + x["n_pruned"]
    print(f"{done} trials finished ({x['n_trials']} complete, {x['n_pruned']} stopped early by the pruner; "
          f"both count toward --trials); chosen trial #{x['best_trial']['number']}: valid AUC {m['valid_auc']:.4f}, "
          f"test AUC {m['test_auc']:.4f}, {len(result.features)} features")
    if x.get("chosen_by", "").startswith("fewest"):
        print(f"chosen by: {x['chosen_by']}")
    print("features: " + ", ".join(result.features))
    if result.embedding_dims:
        print("embedding widths: " + ", ".join(f"{f} {d}" for f, d in result.embedding_dims.items()))
    if result.interactions:
        chosen = [f"{' x '.join(p['features'])}: {p['method']}" for p in result.interactions if p["method"] != "naive"]
        print("pairs: " + (", ".join(chosen) if chosen else "all naive"))
    out = Path(args.out)
    files = ["result.json", "report.html"] + (["model.pt"] if x.get("model_file") else [])
    print(f"wrote {out / files[0]}, " + ", ".join(files[1:]))
    storage = args.storage or f"journal:{out / 'study.journal'}"
    print(f"study {x['study']!r} in {safe_url(storage)}; browse it with: "
          f"optuna-dashboard {storage[len('journal:'):] if storage.startswith('journal:') else safe_url(storage)}")
    return 0


def _dest(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def _cmd_run(args: argparse.Namespace) -> int:
    from autofeat.fleet import WorkerFailed
    from autofeat.jobs import EXIT_LOCKED, LockedError, run_job

    try:
        outcome = run_job(args.job, quiet=args.quiet, log=print, workers=args.workers)
    except LockedError as exc:
        print(f"autofeat run: error: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except WorkerFailed as exc:  # the worker's own code: 2 its user error, 74 a write, else 1
        print(f"autofeat run: error: {exc}", file=sys.stderr)
        return exc.exit_code
    ran = [k for k, v in outcome.items() if v in ("ran", "partial")]
    print("nothing to do: every step is up to date" if not ran else f"ran: {', '.join(ran)}")
    partial = [k for k, v in outcome.items() if v == "partial"]
    if partial:  # a search stopped by its timeout: the next run continues it
        print(f"not finished: {', '.join(partial)} (timeout before the trial budget); run again to continue")
    return 0


def _cmd_worker(args: argparse.Namespace) -> int:
    from autofeat.fleet import work

    ran = work(args.job, trials_only=args.trials_only, n_jobs=args.n_jobs, quiet=args.quiet, say=print)
    print(f"trials run by this worker: {sum(ran.values())}" if ran else "nothing to do: every Optuna search is done")
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from autofeat.datasets import CTRSpec, write_ctr_csv, write_ctr_parquet
    from autofeat.io.files import write_text_atomic

    spec = CTRSpec(n_informative=args.informative, n_noise=args.noise, n_uniform_noise=args.uniform_noise,
                   max_cardinality=args.max_cardinality, max_noise_cardinality=args.max_noise_cardinality,
                   planted=not args.no_planted, zipf=args.zipf, ctr=args.ctr)
    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix in (".gz", ".bz2", ".zst", ".xz", ".zip"):  # it wrote plain text under these names
        raise OptionError(f"{out}: writes plain CSV/TSV or Parquet; give a .csv, .tsv or .parquet "
                          f"name (compress the CSV afterwards if you need to)")
    if suffix == ".parquet":  # it wrote CSV text into a .parquet file
        if args.no_header:
            raise OptionError(f"{out}: --no-header applies to CSV/TSV, not Parquet")
        truth = write_ctr_parquet(out, args.rows, spec=spec, seed=args.seed)
    else:
        delim = "\t" if suffix in (".tsv", ".tab") else ","
        truth = write_ctr_csv(out, args.rows, spec=spec, seed=args.seed, delimiter=delim, header=not args.no_header)
    write_text_atomic(out.with_name(out.name + ".truth.json"), json.dumps(truth, indent=1))
    print(f"wrote {out} ({args.rows:,} rows) and {out.name}.truth.json")
    return 0


# Fewer rows than this leave the demo's rarer planted columns (and at a few rows, the label)
# without both classes, and the ranking would refuse the data it had just written.
DEMO_MIN_ROWS = 500


def _demo_rows(text: str) -> int:
    n = _positive_int(text)
    if n < DEMO_MIN_ROWS:
        raise argparse.ArgumentTypeError(f"the demo needs at least {DEMO_MIN_ROWS:,} rows (got {n})")
    return n


def _cmd_demo(args: argparse.Namespace) -> int:
    from autofeat.datasets import write_ctr_csv
    from autofeat.ranking.api import rank

    check_out_dir(args.out)  # an existing file here failed with a traceback
    out = Path(args.out)
    data = out / "data.csv"
    truth = write_ctr_csv(data, args.rows, seed=args.seed)
    ranking = rank(data, "click", options=None, quiet=args.quiet, seed=args.seed)
    from autofeat.report.outputs import save_ranking

    save_ranking(ranking, out / "rank")
    print(_summary(ranking, 15))
    top = set(ranking.top(len(truth["informative"]) + 2))
    found = sorted(top & set(truth["informative"]))
    flagged = {q["column"] for q in ranking.quality}
    print(f"\nplanted informative found in the top {len(top)}: {len(found)}/{len(truth['informative'])}; "
          f"interaction {truth['interactions'][0]} ranked first among pairs: "
          f"{bool(ranking.pairs) and sorted(ranking.pairs[0].features) == sorted(truth['interactions'][0])}; "
          f"leak flagged: {truth['leak'][0] in flagged}; id flagged: {truth['id_like'][0] in flagged}")
    print(f"report: {out / 'rank' / 'report.html'}")
    return 0


def _note_capped_jobs(args: argparse.Namespace) -> None:
    """One line when --n-jobs asks for more threads than there are usable cores (the library
    caps it: see autofeat._threads)."""
    n_jobs = getattr(args, "n_jobs", None)
    if n_jobs is None or getattr(args, "quiet", False):
        return
    from autofeat._threads import usable_cores

    cores = usable_cores()
    if n_jobs > cores:
        print(f"autofeat: --n-jobs {n_jobs}: this process can use {cores} cores; using {cores} threads",
              file=sys.stderr)


def cli_reference() -> str:
    """docs/cli.md, generated from the parser (a test keeps the file in step)."""
    import os

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"  # argparse wraps help to the terminal width
    try:
        parser = build_parser()
        parts = ["# CLI reference", "",
                 "Generated from the parser by `python -c \"from autofeat.cli import cli_reference; "
                 "print(cli_reference(), end='')\" > docs/cli.md`.", "",
                 "```", parser.format_help().rstrip(), "```"]
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        for name, p in sub.choices.items():
            parts += ["", f"## autofeat {name}", "", "```", p.format_help().rstrip(), "```"]
        return "\n".join(parts) + "\n"
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


_COMMANDS = {"rank": _cmd_rank, "search": _cmd_search, "run": _cmd_run, "worker": _cmd_worker,
             "generate": _cmd_generate, "demo": _cmd_demo}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 user error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        _no_command(parser)
    _note_capped_jobs(args)
    if (args.command == "search" and args.storage and not args.n_jobs) or args.command == "worker" or (
            args.command == "run" and args.workers > 1):
        # Several workers sharing a study usually share a machine too; with OpenMP's default
        # spinning, two LightGBM processes on 2 cores ran 20x slower (99 s vs 5 s). Passive
        # waiting removes that. It must be set before the OpenMP runtime loads.
        import os

        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        return _COMMANDS[args.command](args)
    except WriteError as exc:  # the environment's (a full disk), not the options'
        print(f"autofeat {args.command}: error: {exc}", file=sys.stderr)
        return 74
    except AutofeatError as exc:
        print(f"autofeat {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("autofeat: interrupted", file=sys.stderr)
        return 130


def entry() -> None:
    """Console-script entry point."""
    raise SystemExit(main())


if __name__ == "__main__":
    entry()
