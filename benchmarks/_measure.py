"""Run a command (``--stdout FILE`` keeps its output), print {"wall": seconds, "peak_rss_mb": MB} of it as JSON on the last line.

Peak RSS is the largest resident set of any single process in the command's tree (what
getrusage(RUSAGE_CHILDREN) reports); a process pool's sum can be larger.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

if __name__ == "__main__":
    args = sys.argv[1:]
    out = subprocess.DEVNULL
    if args[:1] == ["--stdout"]:
        out = open(args[1], "w")
        args = args[2:]
    t = time.perf_counter()
    proc = subprocess.run(args, stdout=out, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"wall": wall, "peak_rss_mb": rss_kb / 1024, "rc": proc.returncode,
                      "stderr": proc.stderr[-400:]}))
