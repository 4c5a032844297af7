"""The engine's log, shaped like wireguard-go's: `LOG_LEVEL` = verbose|debug, error, silent.

Lines look like wireguard-go's (`DEBUG: (wg0) 2022/03/16 12:00:00 message` for verbose,
`ERROR: (wg0) …` for errors) and go to stdout. Nothing here is ever given a key: callers
log peers by a short public-key prefix at most (`peer(AbCd…wxyz)`, like wireguard-go).
"""

from __future__ import annotations

import sys
import time

SILENT, ERROR, VERBOSE = 0, 1, 2


def level_from_env(value: str | None) -> int:
    if value in ("verbose", "debug"):
        return VERBOSE
    if value == "silent":
        return SILENT
    return ERROR


class Log:
    def __init__(self, ifname: str, level: int, stream=None) -> None:
        self.prefix = f"({ifname}) "
        self.level = level
        self.stream = stream if stream is not None else sys.stdout

    def _write(self, tag: str, message: str) -> None:
        stamp = time.strftime("%Y/%m/%d %H:%M:%S")
        try:
            self.stream.write(f"{tag}: {self.prefix}{stamp} {message}\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass  # a closed stdout must not take the tunnel down

    def verbose(self, message: str) -> None:
        if self.level >= VERBOSE:
            self._write("DEBUG", message)

    def error(self, message: str) -> None:
        if self.level >= ERROR:
            self._write("ERROR", message)
