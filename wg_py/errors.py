"""Typed errors: data inside, words at the CLI edge (`wg_py/cli/errors.py`).

Everything wg-py raises on purpose derives from `WgError`. Errors carry the values
that a message needs, never display text, so the one place that renders them can
reproduce wireguard-tools' wording character for character.
"""

from __future__ import annotations

import errno as _errno


class WgError(Exception):
    """Root of everything wg-py raises on purpose."""


class KeyFormatError(WgError):
    """A base64 or hex key is not 32 bytes in canonical encoding."""

    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.value = value


class ConfigLineError(WgError):
    """A config-file line that the grammar does not accept.

    `line` is the line as the real `wg` shows it (comments and all whitespace removed);
    `lineno` is 1-based, for messages that go further than the C tool's.
    """

    def __init__(self, line: str, lineno: int = 0) -> None:
        super().__init__(line, lineno)
        self.line, self.lineno = line, lineno


class ConfigValueError(WgError):
    """A value that does not parse; `kind` names the rule that failed.

    kinds: "key", "port", "empty-port", "fwmark", "keepalive", "ip", "allowed-ip",
    "endpoint-empty", "endpoint-brace", "endpoint-port", "endpoint-family",
    "endpoint-resolve" (with `detail` = gai_strerror text), "port-resolve" (likewise),
    "missing-public-key", "argument" (`wg set`: a token out of place), "retries-env"
    (WG_ENDPOINT_RESOLUTION_RETRIES does not parse).
    `lineno` is the 1-based config-file line (0: not from a file, e.g. `wg set` arguments).
    """

    def __init__(self, kind: str, value: str = "", detail: str = "", lineno: int = 0) -> None:
        super().__init__(kind, value, detail)
        self.kind, self.value, self.detail, self.lineno = kind, value, detail, lineno


class KeyFileError(WgError):
    """A `private-key`/`preshared-key` file that cannot be used.

    kinds: "open" / "read" (with `errno`), "length", "trailing" (`value` = the character).
    """

    def __init__(self, kind: str, value: str = "", errno: int = 0) -> None:
        super().__init__(kind, value, errno)
        self.kind, self.value, self.errno = kind, value, errno


class QuickConfigError(WgError):
    """A wg-quick key whose value wg-quick refuses; kinds: "bool" (SaveConfig), "mtu"."""

    def __init__(self, kind: str, value: str) -> None:
        super().__init__(kind, value)
        self.kind, self.value = kind, value


class InterfaceAccessError(WgError):
    """An interface could not be reached or read (`errno` is positive)."""

    def __init__(self, interface: str, errno: int, listing: bool = False) -> None:
        super().__init__(interface, errno)
        self.interface, self.errno, self.listing = interface, errno, listing


class InterfaceModifyError(WgError):
    """A set request was refused by the device (`errno` is positive)."""

    def __init__(self, interface: str, errno: int) -> None:
        super().__init__(interface, errno)
        self.interface, self.errno = interface, errno


class InterfaceListError(WgError):
    """Listing the interfaces failed (`errno` positive): `wg show all` / `show interfaces`."""

    def __init__(self, errno: int) -> None:
        super().__init__(errno)
        self.errno = errno


class ConfigRetrieveError(WgError):
    """`syncconf` could not read the running configuration it compares against."""

    def __init__(self, interface: str, errno: int) -> None:
        super().__init__(interface, errno)
        self.interface, self.errno = interface, errno


class UapiError(WgError):
    """A UAPI request or reply that breaks the protocol; `errno` goes on the wire negated."""

    def __init__(self, errno: int = _errno.EPROTO, reason: str = "") -> None:
        super().__init__(errno, reason)
        self.errno, self.reason = errno, reason


class PeerAdminError(WgError):
    """`wg-py peer ...` refused to change a server's config; nothing was written.

    kinds: "bad-name", "exists", "missing" (value: a peer name), "no-address", "bad-address",
    "full" (value: the network), "no-endpoint", "no-port", "no-private-key", "no-client-key",
    "changed" (value: the path, changed by someone else while we edited it), "client-exists",
    "io" (value: the path, errno set).
    """

    def __init__(self, kind: str, value: str = "", errno: int = 0) -> None:
        super().__init__(kind, value, errno)
        self.kind, self.value, self.errno = kind, value, errno
