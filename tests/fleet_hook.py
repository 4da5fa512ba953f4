"""A hook on the first LightGBM fit of every process of a search fleet, for tests/test_fleet.py.

Loaded by a ``sitecustomize.py`` that the tests put on ``PYTHONPATH`` (the worker processes
inherit it), and installed by hand in the test process itself. With ``FLEET_GATE`` (a folder)
and ``FLEET_N`` set, each process's first fit writes its pid into the folder, then:

- ``FLEET_MODE=barrier``: waits until ``FLEET_N`` processes have written theirs, so every
  worker holds a trial at once (each is seen to take part, whatever the machine's speed);
- ``FLEET_MODE=hold``: the same, then waits until it is interrupted (Ctrl-C tests);
- ``FLEET_MODE=fail``: a worker started by ``autofeat run --workers`` raises instead.

Waits are for those files, not for a time.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def install() -> None:
    from autofeat.searching.evaluators import lightgbm_eval as m

    if getattr(m.fit_lightgbm, "_fleet_hook", False):
        return
    real = m.fit_lightgbm
    first = [True]

    def fit(*args, **kwargs):  # type: ignore[no-untyped-def]
        gate, n, mode = os.environ.get("FLEET_GATE"), int(os.environ.get("FLEET_N", "0")), os.environ.get("FLEET_MODE")
        if first[0] and gate:
            first[0] = False
            (Path(gate) / str(os.getpid())).touch()
            if mode == "fail" and "--trials-only" in sys.argv:
                raise RuntimeError("planted failure")
            while len(list(Path(gate).iterdir())) < n:
                time.sleep(0.02)
            while mode == "hold":
                time.sleep(0.05)
        return real(*args, **kwargs)

    fit._fleet_hook = True  # type: ignore[attr-defined]
    m.fit_lightgbm = fit
