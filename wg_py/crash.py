"""What every entry point (`wg`, `wg-quick`, `wireguard-py`, `wg-py`) does with an exception
nobody planned for: one line naming the command and the cause, never a traceback, unless
`WG_PY_DEBUG=1` asks for one.

The errors raised on purpose (WgError and its kin) are rendered in their tool's own words
before they get here; this is the net under everything else. It is the one place outside the
CLIs that catches `Exception`, and it is called only from the outermost `entry()` functions.
Stdlib only, nothing imported until an error happens: `wg genkey` starts no slower for it.
"""

from __future__ import annotations

import os
import sys

DEBUG_ENV = "WG_PY_DEBUG"
EXIT_STATUS = 1


def describe(error: BaseException) -> str:
    """The cause in one line: an OSError as strerror and file name, anything else as its type
    and message."""
    if isinstance(error, OSError) and error.strerror:
        names = [n for n in (error.filename, error.filename2) if n is not None]
        where = "".join(f": `{os.fsdecode(n) if isinstance(n, bytes) else n}'" for n in names)
        return f"{error.strerror}{where}"
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def report(program: str, error: BaseException) -> int:
    """Print `program: cause` (or the traceback with WG_PY_DEBUG=1) to stderr; the exit status."""
    try:
        if os.environ.get(DEBUG_ENV) == "1":
            import traceback

            traceback.print_exception(error, file=sys.stderr)
        elif sys.stderr is not None:
            sys.stderr.write(f"{program}: {describe(error)} (set {DEBUG_ENV}=1 for the traceback)\n")
        if sys.stderr is not None:
            sys.stderr.flush()
    except (OSError, ValueError):
        pass   # stderr itself is gone: the exit status is all that is left to say it
    return EXIT_STATUS
