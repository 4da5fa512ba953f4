"""Kill soak: SIGKILLs at seeded random moments (mid-trial, right after an ask, inside a journal
append), two workers at a time on one storage, through ``search`` and ``run``; then two clean
workers finish. Prints one row per storage and command: kills survived, trials lost (budget -
finished), configurations run twice, stale locks, torn journal lines.

    python benchmarks/bench_soak.py                       # journal; 25 kills per command
    python benchmarks/bench_soak.py --kills 50 --postgres "$(bash .ci/postgres.sh)"

The same harness runs in the test suite (tests/faults/test_soak.py, marked slow).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from autofeat.datasets import write_ctr_csv  # noqa: E402
from tests.faults.soak import reset_postgres, soak  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=25, help="SIGKILLs per command and storage")
    ap.add_argument("--budget", type=int, default=40, help="trials per study")
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--postgres", default="", help="a PostgreSQL URL (also soaked when given)")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="autofeat-soak-") as tmp:
        work = Path(tmp)
        data = work / "data.csv"
        write_ctr_csv(data, args.rows, seed=args.seed)
        storages = [("journal", lambda c: f"journal:{work / c / 'shared.journal'}")]
        if args.postgres:
            reset_postgres(args.postgres)
            storages.append(("postgresql", lambda c: args.postgres))
        for name, url in storages:
            for k, command in enumerate(("search", "run")):
                r = soak(data, work / f"{name}-{command}", url(f"{name}-{command}"), command, args.kills,
                         seed=args.seed * 100 + k, budget=args.budget)
                kinds = "/".join(str(r.kinds.get(x, 0)) for x in ("fit", "ask", "append"))
                rows.append((name, command, r.kills, kinds, r.rounds, r.budget, r.finished, r.lost, r.retries,
                             r.duplicates, r.stale_locks, r.torn_lines, f"{r.seconds:.0f}"))
                print(f"{name} {command}: done", file=sys.stderr, flush=True)
    head = ("storage", "command", "kills", "fit/ask/append", "rounds", "budget", "finished", "lost", "retries",
            "run twice", "stale locks", "torn lines", "seconds")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in rows:
        print("| " + " | ".join(str(v) for v in row) + " |")


if __name__ == "__main__":
    main()
