"""Colour under a real terminal: both tools run on a pseudo-terminal and print the same bytes.

`WG_COLOR_MODE` unset/`auto` colours only when stdout is a TTY; `always` and `never` force it.
The pty turns "\\n" into "\\r\\n" for both tools alike, so the captured bytes are compared raw.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import pytest

from tests.cli.sidebyside import REAL_WG
from tests.cli.test_show import SCENARIOS, fakes  # noqa: F401  (module fixture)

pytestmark = pytest.mark.oracle

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_on_pty(argv: list[str], env: dict[str, str]) -> bytes:
    master, slave = pty.openpty()
    full_env = dict(os.environ, PYTHONPATH=REPO, **env)
    if "WG_COLOR_MODE" not in env:
        full_env.pop("WG_COLOR_MODE", None)
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.DEVNULL,
                            env=full_env, cwd=REPO)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    proc.wait(10)
    os.close(master)
    return b"".join(chunks)


def ours_pty(args, env):
    return run_on_pty([sys.executable, "-m", "wg_py", *args], env)


def real_pty(args, env):
    return run_on_pty([REAL_WG, *args], env)


@pytest.mark.parametrize("scenario", ["full", "clock", "keyonly"])
@pytest.mark.parametrize("env", [{}, {"WG_COLOR_MODE": "auto"}, {"WG_COLOR_MODE": "never"},
                                 {"WG_HIDE_KEYS": "never"}], ids=["unset", "auto", "never", "keys"])
def test_terminal_output_matches(fakes, scenario, env):  # noqa: F811
    args = ["show", fakes[scenario].name]
    for _ in range(3):
        mine, theirs = ours_pty(args, env), real_pty(args, env)
        if mine == theirs:
            break
        time.sleep(0.3)
    assert mine == theirs
    coloured = env.get("WG_COLOR_MODE") != "never"
    assert (b"\x1b[" in mine) == coloured


def test_exact_escape_sequences(fakes):  # noqa: F811
    out = ours_pty(["show", fakes["full"].name], {})
    assert out.startswith(b"\x1b[0m\x1b[32m\x1b[1minterface\x1b[0m: \x1b[32m")
    assert b"\x1b[33m\x1b[1mpeer\x1b[0m: \x1b[33m" in out
    assert b"  \x1b[1mallowed ips\x1b[0m: 10.0.0.2\x1b[36m/\x1b[0m32, fd00::2\x1b[36m/\x1b[0m128\r\n" in out
    assert b"1.50 \x1b[36mKiB\x1b[0m received, 3.00 \x1b[36mMiB\x1b[0m sent" in out


def test_script_fields_never_coloured(fakes):  # noqa: F811
    out = ours_pty(["show", fakes["full"].name, "dump"], {"WG_COLOR_MODE": "always"})
    assert b"\x1b" not in out and out == real_pty(["show", fakes["full"].name, "dump"], {"WG_COLOR_MODE": "always"})
