"""Config files and `wg set` arguments → the shared model (`WgDevice`).

The one parser for wg's configuration grammar, behaving as wireguard-tools v1.0.20210914
does (REFERENCE.md §1.5–1.8): `#` starts a comment, every whitespace character is removed
from a line (even inside values), section headers and keys match case-insensitively, a key
must be followed by a non-empty value, and anything else is `Line unrecognized`. Values are
checked by the same rules as the C tool: strict canonical base64 keys, `inet_pton` addresses,
service-name ports through getaddrinfo, hostnames in endpoints resolved once with the
transient-failure retry loop. Plus `parse_quick_config`, the view of the same file that
wg-quick's bash `parse_options` has (REFERENCE.md §2.3).

Errors are typed (`ConfigLineError`, `ConfigValueError` with the line number, `KeyFileError`,
`QuickConfigError`) and become the C tool's words in `wg_py/cli/errors.py`. The two
*warnings* the C tool prints while parsing (non-zero host part, resolver retries) go through
the `warn` callable, by default straight to stderr as the real tool prints them, in order.

Only stdlib is imported: `wg-quick strip` uses this module and must start fast.
"""

from __future__ import annotations

import ipaddress
import os
# The C module: `import socket` would also load enum and selectors (~5 ms of every `wg` run);
# the functions and constants used here are the same objects.
import _socket as socket
import sys
import time
from collections.abc import Callable  # not typing's: that import costs ~4 ms

from wg_py.errors import ConfigLineError, ConfigValueError, KeyFileError, KeyFormatError, QuickConfigError
from wg_py.keys import KEY_B64_LEN, ZERO_KEY, key_from_base64
from wg_py.model import Endpoint, WgAllowedIP, WgDevice, WgPeer

Warn = Callable[[str], None]

# The C tool's char_is_space (ctype.h): exactly these six, never locale-dependent.
C_SPACE = " \t\n\v\f\r"
_STRIP_SPACE = str.maketrans("", "", C_SPACE)
_DIGITS = "0123456789"
_HEXDIGITS = "0123456789abcdefABCDEF"

DEFAULT_RESOLUTION_RETRIES = 15
_INT_MAX = 2**31 - 1
_ULONG_MAX = 2**64 - 1
# getaddrinfo results that retrying cannot fix (glibc's NameResolver wiki; config.c).
_PERMANENT_GAI = {socket.EAI_NONAME, socket.EAI_FAIL, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


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
    return text.translate(_STRIP_SPACE)


def _is_digit(ch: str) -> bool:
    return ch != "" and ch in _DIGITS


def _all_digits(text: str, digits: str = _DIGITS) -> bool:
    if digits is _DIGITS:
        return text.isascii() and text.isdigit()  # ASCII 0-9 only; False for ""
    return text != "" and all(c in digits for c in text)


def _to_bytes(text: str) -> bytes:
    # What the C tool hands to libc is the file's bytes; surrogateescape gets them back.
    return text.encode("utf-8", "surrogateescape")


# --- single values ------------------------------------------------------------------------


def parse_key(value: str) -> bytes:
    """A base64 key; ConfigValueError("key") on anything but 44 canonical characters."""
    try:
        return key_from_base64(value)
    except KeyFormatError:
        raise ConfigValueError("key", value) from None


def parse_port(value: str) -> int:
    """ListenPort / `listen-port`: a number or an /etc/services name, via getaddrinfo.

    Like the C tool this hands the text to getaddrinfo as a UDP service, so a name such
    as `domain` works and a number above 65535 wraps (glibc stores it in 16 bits).
    """
    if value == "":
        raise ConfigValueError("empty-port")
    hints = (socket.AF_UNSPEC, socket.SOCK_DGRAM, socket.IPPROTO_UDP, socket.AI_PASSIVE)
    try:
        results = socket.getaddrinfo(None, _to_bytes(value), *hints)
    except socket.gaierror as e:
        raise ConfigValueError("port-resolve", value, e.strerror or "") from None
    except (OSError, ValueError, UnicodeError) as e:
        detail = os.strerror(e.errno) if isinstance(e, OSError) and e.errno else "Invalid argument"
        raise ConfigValueError("port-resolve", value, detail) from None
    family, _type, _proto, _name, sockaddr = results[0]
    if family not in (socket.AF_INET, socket.AF_INET6):
        raise ConfigValueError("endpoint-family", value)
    return sockaddr[1]


def parse_fwmark(value: str) -> int:
    """`off`, decimal or `0x` hex, at most 0xffffffff; the first character must be a digit."""
    if ascii_lower(value) == "off":
        return 0
    if not _is_digit(value[:1]):
        raise ConfigValueError("fwmark", value)
    if len(value) > 2 and value.startswith("0x"):
        ok, base, digits = _all_digits(value[2:], _HEXDIGITS), 16, value[2:]
    else:
        ok, base, digits = _all_digits(value), 10, value
    if not ok or int(digits, base) > 0xFFFFFFFF:
        raise ConfigValueError("fwmark", value)
    return int(digits, base)


def parse_keepalive(value: str) -> int:
    """`off` or 0–65535 seconds (0 also means off)."""
    if ascii_lower(value) == "off":
        return 0
    if not _all_digits(value) or int(value) > 65535:
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
            (warn or stderr_warn)(f"Warning: AllowedIP has nonzero host part: {ip_text}/{mask}")
        result.append(WgAllowedIP.from_int(version, network_address, cidr))
    return result


# Network masks by prefix length, as integers.
_MASKS4 = [(1 << 32) - (1 << (32 - n)) for n in range(33)]
_MASKS6 = [(1 << 128) - (1 << (128 - n)) for n in range(129)]


def resolution_retries(env: dict[str, str] | None = None) -> int:
    """WG_ENDPOINT_RESOLUTION_RETRIES as the C tool reads it (strtoul): -1 means forever."""
    text = (os.environ if env is None else env).get("WG_ENDPOINT_RESOLUTION_RETRIES")
    if text is None:
        return DEFAULT_RESOLUTION_RETRIES
    if text == "infinity":
        return -1
    number, rest = _strtoul(text)
    if rest or number > _INT_MAX:
        raise ConfigValueError("retries-env", text)
    return number


def _strtoul(text: str) -> tuple[int, str]:
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
    number = min(int(text[i:j]), _ULONG_MAX)
    return (number if sign > 0 or number == _ULONG_MAX else (-number) % 2**64), text[j:]


# --- endpoints -----------------------------------------------------------------------------


def _split_endpoint(text: str) -> tuple[str, str]:
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


def _endpoint_from_sockaddr(family: int, sockaddr: tuple) -> Endpoint:
    if family == socket.AF_INET:
        return Endpoint(ipaddress.IPv4Address(sockaddr[0]), sockaddr[1])
    host, port, _flowinfo, scope_id = sockaddr
    host = host.partition("%")[0]
    if scope_id:
        # getnameinfo(NI_NUMERICHOST) names the scope by interface when it can.
        try:
            scope = socket.if_indextoname(scope_id)
        except OSError:
            scope = str(scope_id)
        host = f"{host}%{scope}"
    return Endpoint(ipaddress.IPv6Address(host), port)


def _numeric_endpoint(host: str, port: str) -> Endpoint | None:
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


def resolve_endpoint(text: str, *, warn: Warn | None = None, retries: int | None = None,
                     getaddrinfo: Callable = socket.getaddrinfo,
                     sleep: Callable[[float], None] = time.sleep) -> Endpoint:
    """`host:port` or `[host]:port` → a numeric Endpoint, resolving names once.

    Transient resolver failures are retried (each announced through `warn`, with the
    C tool's growing delay: 1 s, ×1.2 per try, at most 20 s) up to `retries` times
    (default: from WG_ENDPOINT_RESOLUTION_RETRIES; -1 = forever); permanent ones fail at once.
    """
    warn = warn or stderr_warn
    if retries is None:
        retries = resolution_retries()  # read first, as the C tool does, even for bad text
    host, port = _split_endpoint(text)
    numeric = _numeric_endpoint(host, port)
    if numeric is not None:
        return numeric
    timeout_us = 1_000_000
    while True:
        try:
            results = getaddrinfo(_to_bytes(host), _to_bytes(port), socket.AF_UNSPEC,
                                  socket.SOCK_DGRAM, socket.IPPROTO_UDP)
            break
        except socket.gaierror as e:
            code, message = e.errno, e.strerror or ""
        except (UnicodeError, ValueError):
            code, message = socket.EAI_NONAME, "Name or service not known"
        except OSError as e:  # EAI_SYSTEM: Python raises the errno itself
            code, message = socket.EAI_SYSTEM, os.strerror(e.errno or 0)
        if code in _PERMANENT_GAI or retries == 0:
            raise ConfigValueError("endpoint-resolve", text, message)
        if retries > 0:
            retries -= 1
        warn(f"{message}: `{text}'. Trying again in {timeout_us / 1_000_000:.2f} seconds...")
        sleep(timeout_us / 1_000_000)
        timeout_us = min(20_000_000, timeout_us * 6 // 5)
    family, _type, _proto, _name, sockaddr = results[0]
    if family not in (socket.AF_INET, socket.AF_INET6):
        raise ConfigValueError("endpoint-family", text)
    return _endpoint_from_sockaddr(family, sockaddr)


# --- key files -----------------------------------------------------------------------------


def read_key_file(path: str) -> bytes:
    """A `private-key`/`preshared-key` file: 44 base64 characters, then only whitespace.

    An empty regular file or /dev/null is the all-zero key (it removes the key). Works on
    pipes and FIFOs (`<(echo KEY)`, /dev/stdin): the file is read as a stream, never sought.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as e:
        raise KeyFileError("open", errno=e.errno or 0) from None
    try:
        head, failed = _read_upto(fd, KEY_B64_LEN)
        if len(head) < KEY_B64_LEN:
            if not failed and head == b"" and _at_offset_zero(fd):
                return ZERO_KEY
            raise KeyFileError("length")
        while True:
            chunk, failed = _read_upto(fd, 4096)
            if failed:
                raise KeyFileError("read", errno=failed)
            if not chunk:
                break
            for byte in chunk:
                if chr(byte) not in C_SPACE:
                    raise KeyFileError("trailing", bytes([byte]).decode("utf-8", "surrogateescape"))
    finally:
        os.close(fd)
    # The C tool reads the key as a C string: a NUL ends it early (and it then fails).
    text = head.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
    return parse_key(text)


def _read_upto(fd: int, n: int) -> tuple[bytes, int]:
    """Read until n bytes or EOF; returns (data, errno of a failed read or 0).

    Raw os.read, not a file object: like fopen(3), this must accept a directory and fail
    only when reading it (EISDIR), which the C tool reports as a short key.
    """
    data = b""
    while len(data) < n:
        try:
            chunk = os.read(fd, n - len(data))
        except OSError as e:
            return data, e.errno or 1
        if not chunk:
            break
        data += chunk
    return data, 0


def _at_offset_zero(fd: int) -> bool:
    # ftell() == 0: true for an empty file or /dev/null; a pipe cannot tell (ESPIPE).
    try:
        return os.lseek(fd, 0, os.SEEK_CUR) == 0
    except OSError:
        return False


# --- config files --------------------------------------------------------------------------


def decode_config(data: bytes) -> str:
    """A config file's bytes → the text these parsers take.

    Read files as bytes (or with newline="") and decode here: text-mode universal newlines
    would turn a lone CR into a line break, which neither wg nor wg-quick does, and
    surrogateescape keeps undecodable bytes so that messages echo them unchanged.
    """
    return data.decode("utf-8", "surrogateescape")


class _ParseState:
    # A plain class, like the model's (see wg_py/model.py): no dataclasses import at start-up.
    __slots__ = ("device", "keys", "peer_lines", "retries", "on_first_peer")

    def __init__(self, device: WgDevice) -> None:
        self.device = device
        self.keys: dict = _NO_KEYS  # the current section's key table (none before a header)
        self.peer_lines: list[int] = []
        self.retries: int | None = None  # WG_ENDPOINT_RESOLUTION_RETRIES, once read
        self.on_first_peer: Callable[[], None] | None = None


def config_lines(text: str) -> list[str]:
    """The file's lines as the C tool's getline sees them (split on LF only; a NUL ends one)."""
    if "\0" not in text:
        return text.split("\n")
    return [line.split("\0", 1)[0] for line in text.split("\n")]


def parse_wg_config(text: str, append: bool = False, *, warn: Warn | None = None,
                    on_first_peer: Callable[[], None] | None = None) -> WgDevice:
    """A `wg setconf/addconf/syncconf` file → the change it asks for.

    With `append` False (setconf, syncconf) the change replaces the peers and sets the
    private key, listen port and fwmark even when the file leaves them out (zero key,
    port 0, fwmark 0), as the C tool sends them. Every peer replaces its allowed IPs.
    Raises at the first bad line (ConfigLineError / ConfigValueError with `lineno`).
    `on_first_peer` is called once, at the first [Peer] header: from there on the file, if
    it parses, has peers (syncconf starts reading the running configuration then).
    """
    state = _ParseState(WgDevice(replace_peers=not append))
    state.on_first_peer = on_first_peer
    if not append:
        state.device.private_key, state.device.listen_port, state.device.fwmark = ZERO_KEY, 0, 0
    for lineno, raw in enumerate(config_lines(text), start=1):
        if "#" in raw:
            raw = raw.partition("#")[0]
        # strip_spaces, inlined for the common case: a line whose only C spaces are ' '
        # is printable once they are gone (the other five never are).
        line = raw.replace(" ", "")
        if not line.isprintable():
            line = line.translate(_STRIP_SPACE)
        if not line:
            continue
        try:
            # The common case, `Key=value` of the current section, without a call for the line;
            # section headers and anything unrecognized go through _process_line.
            name, eq, value = line.partition("=")
            apply = state.keys.get(name.lower() if name.isascii() else ascii_lower(name)) if value else None
            if apply is not None:
                apply(state, value, warn)
            else:
                _process_line(state, line, lineno, warn)
        except ConfigValueError as e:
            e.lineno = lineno
            raise
    for peer, lineno in zip(state.device.peers, state.peer_lines):
        if not peer.public_key:
            raise ConfigValueError("missing-public-key", lineno=lineno)
    return state.device


_NO_KEYS: dict = {}


def _process_line(state: _ParseState, line: str, lineno: int, warn: Warn | None) -> None:
    # The C tool tries each `Key=` as a case-insensitive prefix of the line and needs a
    # non-empty value after it; no key contains `=`, so that is the text before the first
    # `=`, looked up in the section's table. A section header is a whole line.
    name, eq, value = line.partition("=")
    name = name.lower() if name.isascii() else ascii_lower(name)
    if not eq:
        if name == "[interface]":
            state.keys = _INTERFACE_KEYS
            return
        if name == "[peer]":
            if state.on_first_peer is not None:
                state.on_first_peer, callback = None, state.on_first_peer
                callback()
            # An empty public key marks "not given yet"; checked once the whole file is read.
            state.device.peers.append(WgPeer(b"", replace_allowed_ips=True))
            state.peer_lines.append(lineno)
            state.keys = _PEER_KEYS
            return
    apply = state.keys.get(name) if value else None
    if apply is None:
        raise ConfigLineError(line, lineno)
    apply(state, value, warn)


def _set_listen_port(state: _ParseState, value: str, warn: Warn | None) -> None:
    state.device.listen_port = parse_port(value)


def _set_fwmark(state: _ParseState, value: str, warn: Warn | None) -> None:
    state.device.fwmark = parse_fwmark(value)


def _set_private_key(state: _ParseState, value: str, warn: Warn | None) -> None:
    state.device.private_key = parse_key(value)


def _set_endpoint(state: _ParseState, value: str, warn: Warn | None) -> None:
    if state.retries is None:
        # Read at the first endpoint, as the C tool first reads it (a bad value fails there);
        # the environment does not change during a parse, so once is enough.
        state.retries = resolution_retries()
    state.device.peers[-1].endpoint = resolve_endpoint(value, warn=warn, retries=state.retries)


def _set_public_key(state: _ParseState, value: str, warn: Warn | None) -> None:
    state.device.peers[-1].public_key = parse_key(value)


def _add_allowed_ips(state: _ParseState, value: str, warn: Warn | None) -> None:
    state.device.peers[-1].allowed_ips.extend(parse_allowed_ips(value, warn))


def _set_keepalive(state: _ParseState, value: str, warn: Warn | None) -> None:
    state.device.peers[-1].persistent_keepalive_interval = parse_keepalive(value)


def _set_preshared_key(state: _ParseState, value: str, warn: Warn | None) -> None:
    state.device.peers[-1].preshared_key = parse_key(value)


# config.c's keys, lower-cased (they are matched case-insensitively).
_INTERFACE_KEYS = {"listenport": _set_listen_port, "fwmark": _set_fwmark,
                   "privatekey": _set_private_key}
_PEER_KEYS = {"endpoint": _set_endpoint, "publickey": _set_public_key,
              "allowedips": _add_allowed_ips, "persistentkeepalive": _set_keepalive,
              "presharedkey": _set_preshared_key}


# --- `wg set` arguments --------------------------------------------------------------------


def parse_set_args(argv: list[str], *, warn: Warn | None = None) -> WgDevice:
    """The tokens after `wg set <interface>` → the change they ask for (never replace_peers).

    Device options are accepted only before the first `peer`; a token out of place, or
    one missing its value, is ConfigValueError("argument", token).
    """
    device = WgDevice()
    peer: WgPeer | None = None
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "remove" and peer is not None:
            peer.remove = True
            i += 1
            continue
        if i + 1 >= len(argv):
            raise ConfigValueError("argument", token)
        value = argv[i + 1]
        if token == "peer":
            peer = WgPeer(public_key=parse_key(value))
            device.peers.append(peer)
        elif not _apply_set_option(device, peer, token, value, warn):
            raise ConfigValueError("argument", token)
        i += 2
    return device


def _apply_set_option(device: WgDevice, peer: WgPeer | None, token: str, value: str,
                      warn: Warn | None) -> bool:
    """Apply one `<option> <value>` pair; False if `token` is not an option here."""
    if peer is None:
        if token == "listen-port":
            device.listen_port = parse_port(value)
        elif token == "fwmark":
            device.fwmark = parse_fwmark(value)
        elif token == "private-key":
            device.private_key = read_key_file(value)
        else:
            return False
        return True
    if token == "endpoint":
        peer.endpoint = resolve_endpoint(value, warn=warn)
    elif token == "allowed-ips":
        peer.allowed_ips.extend(parse_allowed_ips(strip_spaces(value), warn))
        peer.replace_allowed_ips = True
    elif token == "persistent-keepalive":
        peer.persistent_keepalive_interval = parse_keepalive(value)
    elif token == "preshared-key":
        peer.preshared_key = read_key_file(value)
    else:
        return False
    return True


# --- wg-quick's view -----------------------------------------------------------------------


class QuickConfig:
    """What wg-quick's parse_options takes from a config file; `wg_text` is the rest.

    `wg_text` is what `wg-quick strip` prints before its final newline: every line that is
    not a wg-quick key of the [Interface] section, with its leading and trailing blanks
    trimmed and NUL bytes dropped (bash `read -r`), each followed by a newline.
    (A plain class for the reason given in wg_py/model.py: `wg setconf` imports this module.)
    """

    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.dns: list[str] = []
        self.dns_search: list[str] = []
        self.mtu_text: str | None = None
        self.table: str | None = None
        self.pre_up: list[str] = []
        self.post_up: list[str] = []
        self.pre_down: list[str] = []
        self.post_down: list[str] = []
        self.save_config = False
        self.wg_text = ""

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return vars(self) == vars(other)

    def __repr__(self) -> str:
        return "QuickConfig(" + ", ".join(f"{k}={v!r}" for k, v in vars(self).items()) + ")"

    @property
    def mtu(self) -> int | None:
        """The MTU as a number; QuickConfigError if it is not one.

        Read lazily: `strip` passes an unparsable MTU through as the real tool does, and
        `up` reads it before touching anything.
        """
        return None if self.mtu_text is None else _parse_mtu(self.mtu_text)


# [[:space:]] in the C locale, which wg-quick runs under (LC_ALL=C).
_BASH_SPACE = " \t\n\v\f\r"
# `read` with the default IFS trims these (IFS whitespace), and only these.
_IFS_SPACE = " \t\n"
_LIST_KEYS = {"preup": "pre_up", "postup": "post_up", "predown": "pre_down", "postdown": "post_down"}


def bash_read_lines(text: str) -> list[str]:
    """The lines `while read -r line || [[ -n $line ]]` yields: NULs dropped, blanks trimmed."""
    pieces = text.replace("\0", "").split("\n")
    last = pieces.pop()  # text after the final newline: read only if non-blank
    lines = [p.strip(_IFS_SPACE) for p in pieces]
    if last.strip(_IFS_SPACE):
        lines.append(last.strip(_IFS_SPACE))
    return lines


def _split_list(value: str) -> list[str]:
    # ${value//,/ } unquoted: commas become spaces, then IFS word splitting.
    # Pathname expansion of the unquoted words is not reproduced (addresses have no globs).
    # (str methods rather than `re`, which `wg setconf` would otherwise import for nothing.)
    return [word for word in value.replace(",", " ").replace("\t", " ").replace("\n", " ").split(" ") if word]


def _is_nameserver(item: str) -> bool:
    """wg-quick's test for a DNS= item that is an address: `[0-9.]+` or anything with a colon."""
    return ":" in item or (item != "" and not item.strip("0123456789."))


def parse_quick_config(text: str) -> QuickConfig:
    """A wg-quick config file's text → its wg-quick keys and the config left for `wg`.

    Keys are those of REFERENCE.md §2.3, recognised (case-insensitively) only inside
    [Interface]; repeated list keys accumulate, MTU/Table/SaveConfig keep the last.
    Raises QuickConfigError for a SaveConfig that is not true/false (any case, since
    wg-quick compares with nocasematch on); an MTU that is not a number raises only when
    `QuickConfig.mtu` is read.
    """
    quick = QuickConfig()
    in_interface = False
    kept: list[str] = []
    for line in bash_read_lines(text):
        stripped = line.partition("#")[0]
        key = ascii_lower(stripped.partition("=")[0].strip(_BASH_SPACE))
        value = stripped.partition("=")[2] if "=" in stripped else stripped
        value = value.strip(_BASH_SPACE)
        if key.startswith("["):
            in_interface = key == "[interface]"
        if in_interface and _take_quick_key(quick, key, value):
            continue
        kept.append(line + "\n")
    quick.wg_text = "".join(kept)
    return quick


def _take_quick_key(quick: QuickConfig, key: str, value: str) -> bool:
    """Record one wg-quick key of [Interface]; False if `key` is not one (the line stays)."""
    if key == "address":
        quick.addresses.extend(_split_list(value))
    elif key == "dns":
        for item in _split_list(value):
            (quick.dns if _is_nameserver(item) else quick.dns_search).append(item)
    elif key == "mtu":
        quick.mtu_text = value or None
    elif key == "table":
        quick.table = value or None
    elif key in _LIST_KEYS:
        getattr(quick, _LIST_KEYS[key]).append(value)
    elif key == "saveconfig":
        if ascii_lower(value) not in ("true", "false"):
            raise QuickConfigError("bool", value)
        quick.save_config = ascii_lower(value) == "true"
    else:
        return False
    return True


def _parse_mtu(value: str) -> int | None:
    """MTU as `ip link set mtu` reads it (strtoul base 0: decimal, 0x hex, 0 octal); "" is unset."""
    if value == "":
        return None
    low = ascii_lower(value)
    if low.startswith("0x") and _all_digits(low[2:], "0123456789abcdef"):
        return int(low[2:], 16)
    if low.startswith("0") and _all_digits(low, "01234567"):
        return int(low, 8)
    if _all_digits(value):
        return int(value)
    raise QuickConfigError("mtu", value)
