"""Running programs the way the real wg-quick does: echo `[#] <command>` to stderr first.

Links, addresses, routes and rules are done in-process (net.py), but they are announced with
the same `[#] ip ...` line the bash tool prints, so a user's eye (and their log greps) still
find what they know. `announce()` is that echo; `run()` echoes and then runs a program.
"""

from __future__ import annotations

import contextlib
import errno as _errno
import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence

from wg_quick_py.errors import QuickError, StepFailed, render

# Bash shows a process substitution `<(...)` as /dev/fd/63; we hand the same number over.
SUBSTITUTION_FD = 63


def announce(line: str) -> None:
    sys.stderr.write(f"[#] {line}\n")
    sys.stderr.flush()


def warn(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def run(argv: Sequence[str], *, shown: str | None = None, stdin_text: str | None = None,
        env: dict[str, str] | None = None) -> None:
    """Echo `shown` (default: argv joined), run argv, raise StepFailed on failure."""
    line = shown if shown is not None else " ".join(argv)
    announce(line)
    status = call(argv, stdin_text=stdin_text, env=env)
    if status != 0:
        raise StepFailed(line, status)


def call(argv: Sequence[str], *, stdin_text: str | None = None, pass_fds: Sequence[int] = (),
         env: dict[str, str] | None = None) -> int:
    """Run argv with our stdout/stderr; return its exit status (127 when it cannot be found)."""
    try:
        proc = subprocess.run(list(argv), input=stdin_text, text=True, pass_fds=tuple(pass_fds),
                              env=env)
    except FileNotFoundError:
        sys.stderr.write(f"{argv[0]}: command not found\n")
        return 127
    except PermissionError:
        sys.stderr.write(f"{argv[0]}: Permission denied\n")
        return 126
    return proc.returncode


def capture(argv: Sequence[str], quiet: bool = False) -> tuple[int, str]:
    """Run argv quietly (stderr passes through unless `quiet`); return (status, stdout)."""
    try:
        proc = subprocess.run(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True,
                              stderr=subprocess.DEVNULL if quiet else None)
    except FileNotFoundError:
        return 127, ""
    return proc.returncode, proc.stdout


def run_with_file(argv_before: Sequence[str], text: str) -> None:
    """Run `argv_before /dev/fd/63` with `text` readable at /dev/fd/63, like `<(echo ...)`."""
    with substitution(text) as path:
        argv = [*argv_before, path]
        shown = " ".join(argv)
        announce(shown)
        status = call(argv, pass_fds=(int(path.rsplit("/", 1)[1]),))
    if status != 0:
        raise StepFailed(shown, status)


@contextlib.contextmanager
def substitution(text: str) -> Iterator[str]:
    """A pipe holding `text`, its read end open at /dev/fd/63 when that number is free."""
    # The file's bytes that are not UTF-8 were kept as surrogates (conffile.load): hand them
    # over unchanged, so `wg` reports them as it would for the real tool.
    data = text.encode("utf-8", "surrogateescape")
    read_fd, write_fd = os.pipe()
    try:
        fd = read_fd
        if not _is_open(SUBSTITUTION_FD):
            fd = os.dup2(read_fd, SUBSTITUTION_FD, inheritable=False)
            os.close(read_fd)
        read_fd = fd
        # A config bigger than the pipe buffer would block us: grow the pipe (Linux), and
        # past that write from a thread so the reader drains it.
        with contextlib.suppress(OSError):
            fcntl.fcntl(write_fd, 1031, max(len(data), 65536))  # F_SETPIPE_SZ
        if len(data) <= 65536:
            os.write(write_fd, data)
            os.close(write_fd)
            write_fd = -1
            yield f"/dev/fd/{fd}"
        else:
            import threading

            def feed(w: int = write_fd) -> None:
                with contextlib.suppress(OSError):
                    os.write(w, data)
                os.close(w)

            writer = threading.Thread(target=feed, daemon=True)
            write_fd = -1
            writer.start()
            yield f"/dev/fd/{fd}"
    finally:
        os.close(read_fd)
        if write_fd >= 0:
            os.close(write_fd)


def _is_open(fd: int) -> bool:
    try:
        fcntl.fcntl(fd, fcntl.F_GETFD)
    except OSError as e:
        if e.errno == _errno.EBADF:
            return False
        raise
    return True


PROGRAM = "wg-quick"


def report(error: QuickError) -> None:
    """Print a QuickError as `<program>: <message>`, once."""
    if error.announced:
        return
    error.announced = True
    message = render(error)
    if message:
        sys.stderr.write(f"{PROGRAM}: {message}\n")
        sys.stderr.flush()
