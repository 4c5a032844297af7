"""Single values of wg's configuration, checked by the C tool's rules, and the `Lookup`
protocol through which a parse asks for what only the host can answer.

Pure: no I/O. Numbers, keys and addresses are parsed here; hostnames, service names and
key files go to the `Lookup` (see wg_py/config/__init__.py).
"""

from __future__ import annotations

import errno as _errno
import ipaddress
from collections.abc import Callable  # not typing's: that import costs ~4 ms

from wg_py.errors import ConfigValueError, KeyFileError, KeyFormatError
from wg_py.fastpath import csocket as socket
from wg_py.keys import key_from_base64
from wg_py.model import Endpoint, WgAllowedIP

Warn = Callable[[str], None]

# The C tool's char_is_space (ctype.h): exactly these six, never locale-dependent.
C_SPACE = " \t\n\v\f\r"
STRIP_C_SPACE = str.maketrans("", "", C_SPACE)
_DIGITS = "0123456789"
_HEXDIGITS = "0123456789abcdefABCDEF"
INT_MAX = 2**31 - 1
ULONG_MAX = 2**64 - 1


def _silent(text: str) -> None:
    """The default `warn` of pure parses: warnings are the caller's to show (the CLIs pass
    wg_py.hostio.stderr_warn)."""


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """strcasecmp's folding in the C locale: A-Z only (str.lower would map the Kelvin sign to k)."""
    # On ASCII text str.lower() is exactly that, and much faster than translate().
    return text.lower() if text.isascii() else text.translate(_ASCII_LOWER)


def strip_spaces(text: str) -> str:
    # Per-character translate() is slow; most lines hold one or two spaces at most.
    if text.isascii():
        for ch in C_SPACE:
            if ch in text:
                text = text.replace(ch, "")
        return text
    return text.translate(STRIP_C_SPACE)


def is_digit(ch: str) -> bool:
    return ch != "" and ch in _DIGITS


def all_digits(text: str, digits: str = _DIGITS) -> bool:
    if digits is _DIGITS:
        return text.isascii() and text.isdigit()  # ASCII 0-9 only; False for ""
    return text != "" and all(c in digits for c in text)


def to_bytes(text: str) -> bytes:
    # What the C tool hands to libc is the file's bytes; surrogateescape gets them back.
    return text.encode("utf-8", "surrogateescape")


# --- single values ------------------------------------------------------------------------


def parse_key(value: str) -> bytes:
    """A base64 key; ConfigValueError("key") on anything but 44 canonical characters."""
    try:
        return key_from_base64(value)
    except KeyFormatError:
        raise ConfigValueError("key", value) from None


def parse_fwmark(value: str) -> int:
    """`off`, decimal or `0x` hex, at most 0xffffffff; the first character must be a digit."""
    if ascii_lower(value) == "off":
        return 0
    if not is_digit(value[:1]):
        raise ConfigValueError("fwmark", value)
    if len(value) > 2 and value.startswith("0x"):
        ok, base, digits = all_digits(value[2:], _HEXDIGITS), 16, value[2:]
    else:
        ok, base, digits = all_digits(value), 10, value
    if not ok or int(digits, base) > 0xFFFFFFFF:
        raise ConfigValueError("fwmark", value)
    return int(digits, base)


def parse_keepalive(value: str) -> int:
    """`off` or 0–65535 seconds (0 also means off)."""
    if ascii_lower(value) == "off":
        return 0
    if not all_digits(value) or int(value) > 65535:
        raise ConfigValueError("keepalive", value)
    return int(value)


def parse_allowed_ips(value: str, warn: Warn | None = None) -> list[WgAllowedIP]:
    """A comma list of `ip[/cidr]`; empty text is the empty list (clear all).

    A prefix with bits set beyond its length is kept (masked, as the device stores it)
    after a warning, exactly as the C tool does.
    """
    if value == "":
        return []
    result = []
    for entry in value.split(","):
        # The C tool's parse_ip: IPv6 if the text has a colon, strict inet_pton either way.
        # Kept as integers, not ipaddress objects: a 10,000-peer file has tens of thousands.
        ip_text, slash, mask = entry.partition("/")
        if ":" in ip_text:
            family, version, max_len, masks = socket.AF_INET6, 6, 128, _MASKS6
        else:
            family, version, max_len, masks = socket.AF_INET, 4, 32, _MASKS4
        try:
            address = int.from_bytes(socket.inet_pton(family, ip_text), "big")
        except (OSError, ValueError, UnicodeError):
            raise ConfigValueError("ip", ip_text) from None
        if slash:
            if not (mask.isascii() and mask.isdigit()) or int(mask) > max_len:
                raise ConfigValueError("allowed-ip", entry)
            cidr = int(mask)
        else:
            cidr = max_len
        network_address = address & masks[cidr]
        if network_address != address:  # only possible with an explicit /cidr
            (warn or _silent)(f"Warning: AllowedIP has nonzero host part: {ip_text}/{mask}")
        result.append(WgAllowedIP.from_int(version, network_address, cidr))
    return result


# Network masks by prefix length, as integers.
_MASKS4 = [(1 << 32) - (1 << (32 - n)) for n in range(33)]
_MASKS6 = [(1 << 128) - (1 << (128 - n)) for n in range(129)]


def strtoul(text: str) -> tuple[int, str]:
    """C strtoul(text, &end, 10): (value, unparsed rest); the rest is all text if no digits."""
    i = len(text) - len(text.lstrip(C_SPACE))
    sign = 1
    if text[i : i + 1] in ("+", "-"):
        sign = -1 if text[i] == "-" else 1
        i += 1
    j = i
    while j < len(text) and text[j] in _DIGITS:
        j += 1
    if j == i:
        return 0, text
    number = min(int(text[i:j]), ULONG_MAX)
    return (number if sign > 0 or number == ULONG_MAX else (-number) % 2**64), text[j:]


# --- endpoints -----------------------------------------------------------------------------


def split_endpoint(text: str) -> tuple[str, str]:
    if text == "":
        raise ConfigValueError("endpoint-empty")
    if text.startswith("["):
        close = text.find("]")
        if close < 0:
            raise ConfigValueError("endpoint-brace", text)
        if text[close + 1 : close + 2] != ":" or close + 2 == len(text):
            raise ConfigValueError("endpoint-port", text)
        return text[1:close], text[close + 2 :]
    host, colon, port = text.rpartition(":")
    if not colon or port == "":
        raise ConfigValueError("endpoint-port", text)
    return host, port


def numeric_endpoint(host: str, port: str) -> Endpoint | None:
    """The endpoint getaddrinfo would give for an inet_pton address and a decimal port.

    Only for the unambiguous case, which is what config files almost always hold; anything
    else (names, scoped IPv6, inet_aton forms such as `127.1`, service names, `+5`, ports
    that wrap) returns None and goes to getaddrinfo. Saves a resolver call per peer.
    """
    if not (port.isascii() and port.isdigit()) or int(port) > 65535:
        return None
    if ":" in host:
        try:
            packed = socket.inet_pton(socket.AF_INET6, host)
        except (OSError, ValueError, UnicodeError):
            return None
        return Endpoint(ipaddress.IPv6Address(packed), int(port))
    try:
        packed = socket.inet_pton(socket.AF_INET, host)
    except (OSError, ValueError, UnicodeError):
        return None
    return Endpoint(ipaddress.IPv4Address(packed), int(port))


class Lookup:
    """What a parse asks of the host (the C tool asks libc): implemented by
    wg_py.hostio.SystemLookup for the CLIs, and by NumericLookup for pure parses."""

    def endpoint(self, text: str) -> Endpoint:
        """`host:port` / `[host]:port` → a numeric Endpoint, or ConfigValueError."""
        raise NotImplementedError

    def port(self, text: str) -> int:
        """A ListenPort / `listen-port` value → the port, or ConfigValueError."""
        raise NotImplementedError

    def key_file(self, path: str) -> bytes:
        """The key in the file at `path` (`wg set private-key FILE`), or KeyFileError."""
        raise NotImplementedError


class NumericLookup(Lookup):
    """Numeric values only: what can be known without asking the host. A name fails as an
    unknown one would (`Name or service not known`); a key file cannot be read."""

    def endpoint(self, text: str) -> Endpoint:
        host, port = split_endpoint(text)
        endpoint = numeric_endpoint(host, port)
        if endpoint is None:
            raise ConfigValueError("endpoint-resolve", text, "Name or service not known")
        return endpoint

    def port(self, text: str) -> int:
        if text == "":
            raise ConfigValueError("empty-port")
        if not all_digits(text) or int(text) > 65535:
            raise ConfigValueError("port-resolve", text, "Servname not supported for ai_socktype")
        return int(text)

    def key_file(self, path: str) -> bytes:
        raise KeyFileError("open", errno=_errno.EACCES)   # a pure parse reads no file


NUMERIC = NumericLookup()
