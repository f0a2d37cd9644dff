#!/usr/bin/env python3
"""Times a whole command over several runs and records its peak RSS.

Usage: measure.py LABEL RUNS OUT.json -- COMMAND...
Prints min / median / max wall seconds and the largest peak RSS (MiB) of the runs, and writes
them to OUT.json. Peak RSS comes from wait4's rusage (ru_maxrss, KiB on Linux).
"""
import json
import os
import statistics
import subprocess
import sys
import time


def main():
    label, runs, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    walls, rss = [], []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - start)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"{label}: command failed: {' '.join(cmd)}")
        rss.append(usage.ru_maxrss / 1024)
    result = {
        "label": label,
        "command": cmd,
        "runs": runs,
        "wall_s": {"min": min(walls), "median": statistics.median(walls), "max": max(walls)},
        "peak_rss_mib": max(rss),
    }
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
    w = result["wall_s"]
    print(f"  {label:<44} wall {w['min']:.3f} / {w['median']:.3f} / {w['max']:.3f} s"
          f" (min/median/max of {runs}), peak RSS {max(rss):.0f} MiB")


if __name__ == "__main__":
    main()
