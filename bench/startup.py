#!/usr/bin/env python3
"""Start-up benchmark for the key commands (not a test): how close is a Python `wg` to the floor?

Times, in one run, interleaved, with the interpreter running this script:
  - ours:  `wg genkey` and `wg pubkey` (through the installed console script if there is
           one that runs wg-py, else `python -m wg_py`),
  - floor: `python -c 'import re, sys'` (what pip's console-script wrapper itself costs
           before it calls into wg-py: every Python `wg` pays at least this),
  - real:  `/usr/bin/wg genkey`,
and prints the median wall time of each and the ratios to the floor. Usage:

    python3 bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
KEY = b"yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n"


def console_script() -> str | None:
    """The installed `wg` console script of this interpreter, if it runs wg-py."""
    candidate = Path(sysconfig.get_path("scripts")) / "wg"
    if candidate.is_file() and b"wg_py" in candidate.read_bytes()[:1000]:
        return str(candidate)
    return None


def commands() -> dict[str, tuple[list[str], bytes | None]]:
    script = console_script()
    ours = [script] if script else [sys.executable, "-m", "wg_py"]
    table = {
        "floor: python -c 'import re, sys'": ([sys.executable, "-c", "import re, sys"], None),
        "ours: wg genkey": (ours + ["genkey"], None),
        "ours: wg pubkey": (ours + ["pubkey"], KEY),
    }
    if os.path.exists("/usr/bin/wg"):
        table["real: /usr/bin/wg genkey"] = (["/usr/bin/wg", "genkey"], None)
    return table


def time_once(argv: list[str], stdin: bytes | None) -> float:
    start = time.perf_counter()
    result = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=REPO)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{argv} failed: {result.stderr.decode(errors='replace')}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    table = commands()
    samples: dict[str, list[float]] = {name: [] for name in table}
    for name, (argv, stdin) in table.items():  # warm the page cache once
        time_once(argv, stdin)
    for _ in range(args.runs):  # interleaved, so load changes hit every command alike
        for name, (argv, stdin) in table.items():
            samples[name].append(time_once(argv, stdin))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    floor = medians["floor: python -c 'import re, sys'"]
    ours = console_script() or f"{sys.executable} -m wg_py"
    print(f"interpreter: {sys.executable} ({sys.version.split()[0]}); ours via: {ours}; runs: {args.runs}")
    for name, median in medians.items():
        print(f"{name:40s} median {median * 1000:8.2f} ms   {median / floor:5.2f}x floor")
    ratio = medians["ours: wg genkey"] / floor
    print(f"goal: ours genkey <= 1.30x floor -> {ratio:.2f}x ({'met' if ratio <= 1.3 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
