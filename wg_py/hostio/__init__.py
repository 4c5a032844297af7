"""What the tools ask of the host while they parse: name and service resolution
(`resolve`), key files (`keyfile`), and warnings on stderr.

`SystemLookup` is the `wg_py.config.values.Lookup` the CLIs hand to the pure parsers.
"""

from __future__ import annotations

import os
import sys

from wg_py.config.values import Lookup, Warn
from wg_py.model import Endpoint


def stderr_warn(text: str) -> None:
    """The default `warn`: one line to fd 2, unbuffered, as the C tool's fprintf(stderr, ...).

    The text goes back to the bytes it came from (surrogateescape), as a quoted value must.
    """
    if sys.stderr is not None:  # None when started with fd 2 closed
        sys.stderr.flush()
    data = (text + "\n").encode("utf-8", "surrogateescape")
    try:
        while data:
            data = data[os.write(2, data):]
    except OSError:
        pass


class SystemLookup(Lookup):
    """Lookups as the C tool does them: getaddrinfo for endpoints (with the retry loop,
    WG_ENDPOINT_RESOLUTION_RETRIES read at the first endpoint) and ports, files for keys."""

    def __init__(self, warn: Warn | None = None) -> None:
        self.warn = warn or stderr_warn
        self.retries: int | None = None

    def endpoint(self, text: str) -> Endpoint:
        from wg_py.hostio.resolve import resolution_retries, resolve_endpoint

        if self.retries is None:
            # Read at the first endpoint, as the C tool first reads it (a bad value fails
            # there, even for a numeric endpoint); the environment does not change during a
            # parse, so once is enough.
            self.retries = resolution_retries()
        return resolve_endpoint(text, warn=self.warn, retries=self.retries)

    def port(self, text: str) -> int:
        from wg_py.hostio.resolve import resolve_port

        return resolve_port(text)

    def key_file(self, path: str) -> bytes:
        from wg_py.hostio.keyfile import read_key_file

        return read_key_file(path)
