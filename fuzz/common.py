"""What every fuzz target shares: the entry point (atheris, libFuzzer's flags) and the
rule for what may escape a parser.

Run a target from the repository root:
    .venv/bin/python fuzz/fuzz_conffile.py -runs=1000000           # a long run
    .venv/bin/python fuzz/fuzz_conffile.py -runs=2000 -seed=1      # what the tests run
Any exception but the ones the target declares is a crash: libFuzzer stops, prints the
input and writes it to crash-<sha1>; keep it as a regression test in tests/fuzz/.
"""

from __future__ import annotations

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)


def run(test_one_input, instrument: tuple[str, ...] = ("wg_py", "wg_quick_py")) -> None:
    """atheris.Fuzz with coverage of our own modules (imported after instrumentation)."""
    import atheris

    atheris.instrument_all() if os.environ.get("FUZZ_INSTRUMENT_ALL") else None
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


def text(data: bytes) -> str:
    """Bytes as our readers decode files and sockets: UTF-8, undecodable bytes kept."""
    return data.decode("utf-8", "surrogateescape")
