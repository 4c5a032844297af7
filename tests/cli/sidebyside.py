"""Run the real /usr/bin/wg and ours on the same arguments and collect what each printed.

Ours runs in-process (fast) with the real fds 0/1/2 swapped for files, as the C tool writes
to them; `ours_subprocess` runs the console entry point when a test needs a real process.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from dataclasses import dataclass

from tests.support.fdio import run_with_fds

REAL_WG = "/usr/bin/wg"


@dataclass(frozen=True)
class Result:
    stdout: bytes
    stderr: bytes
    status: int


def real(*args: str, stdin: bytes = b"", env: dict[str, str] | None = None) -> Result:
    full_env = dict(os.environ, **(env or {}))
    proc = subprocess.run([REAL_WG, *args], input=stdin, capture_output=True, env=full_env, timeout=60)
    return Result(proc.stdout, proc.stderr, proc.returncode)


@contextlib.contextmanager
def _environ(env: dict[str, str] | None):
    saved = dict(os.environ)
    os.environ.update(env or {})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def ours(*args: str, stdin: bytes = b"", env: dict[str, str] | None = None) -> Result:
    from wg_py.cli.main import main

    with _environ(env):
        out, err, status = run_with_fds(lambda: main([REAL_WG, *args]), stdin=stdin)
    return Result(out, err, status)


def ours_subprocess(*args: str, stdin: bytes = b"", env: dict[str, str] | None = None) -> Result:
    full_env = dict(os.environ, **(env or {}))
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    full_env["PYTHONPATH"] = repo
    proc = subprocess.run([sys.executable, "-m", "wg_py", *args], input=stdin, capture_output=True,
                          env=full_env, timeout=60, cwd=repo)
    return Result(proc.stdout, proc.stderr, proc.returncode)


def both(*args: str, **kw) -> tuple[Result, Result]:
    return ours(*args, **kw), real(*args, **kw)


def sorted_lines(data: bytes) -> list[bytes]:
    return sorted(data.splitlines(keepends=True))


def pretty_blocks(data: bytes) -> tuple[bytes, list[bytes]]:
    """Pretty output → (interface block, sorted peer blocks), for devices whose order is random."""
    parts = [part.rstrip(b"\n") for part in data.split(b"\n\n")]
    # The last block alone carries the final newline: compare it through the total length.
    return parts[0] + b" %d" % len(data), sorted(parts[1:])


def lines_of(data: bytes, ifname: str) -> bytes:
    """The lines of a `show all <field>` output that belong to `ifname`."""
    prefix = ifname.encode() + b"\t"
    return b"".join(line for line in data.splitlines(keepends=True) if line.startswith(prefix))


def section_of(data: bytes, ifname: str) -> bytes:
    """The pretty block of `ifname` in `show all` output (colour off), without separators."""
    marker = b"interface: " + ifname.encode() + b"\n"
    start = data.find(marker)
    if start < 0:
        return b""
    end = data.find(b"\ninterface: ", start + 1)
    block = data[start:] if end < 0 else data[start:end + 1]
    return block.rstrip(b"\n") + b"\n"
