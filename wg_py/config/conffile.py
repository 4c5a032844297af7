"""`wg setconf/addconf/syncconf` files → the change they ask for (pure).

The grammar of wireguard-tools v1.0.20210914 (REFERENCE.md §1.5–1.8): `#` starts a comment,
every whitespace character is removed from a line (even inside values), section headers and
keys match case-insensitively, a key must be followed by a non-empty value, and anything else
is `Line unrecognized`.
"""

from __future__ import annotations

from collections.abc import Callable  # not typing's: that import costs ~4 ms

from wg_py.config.values import (
    STRIP_C_SPACE, NUMERIC, Lookup, Warn, ascii_lower, parse_allowed_ips, parse_fwmark, parse_keepalive,
    parse_key,
)
from wg_py.errors import ConfigLineError, ConfigValueError
from wg_py.keys import ZERO_KEY
from wg_py.model import WgDevice, WgPeer


def decode_config(data: bytes) -> str:
    """A config file's bytes → the text these parsers take.

    Read files as bytes (or with newline="") and decode here: text-mode universal newlines
    would turn a lone CR into a line break, which neither wg nor wg-quick does, and
    surrogateescape keeps undecodable bytes so that messages echo them unchanged.
    """
    return data.decode("utf-8", "surrogateescape")


class _ParseState:
    # A plain class, like the model's (see wg_py/model.py): no dataclasses import at start-up.
    __slots__ = ("device", "keys", "peer_lines", "lookup", "on_first_peer")

    def __init__(self, device: WgDevice, lookup: Lookup) -> None:
        self.device = device
        self.keys: dict = _NO_KEYS  # the current section's key table (none before a header)
        self.peer_lines: list[int] = []
        self.lookup = lookup
        self.on_first_peer: Callable[[], None] | None = None


def config_lines(text: str) -> list[str]:
    """The file's lines as the C tool's getline sees them (split on LF only; a NUL ends one)."""
    if "\0" not in text:
        return text.split("\n")
    return [line.split("\0", 1)[0] for line in text.split("\n")]


def parse_wg_config(text: str, append: bool = False, *, warn: Warn | None = None,
                    lookup: Lookup = NUMERIC, on_first_peer: Callable[[], None] | None = None,
                    errors: list | None = None) -> WgDevice:
    """A `wg setconf/addconf/syncconf` file → the change it asks for.

    With `append` False (setconf, syncconf) the change replaces the peers and sets the
    private key, listen port and fwmark even when the file leaves them out (zero key,
    port 0, fwmark 0), as the C tool sends them. Every peer replaces its allowed IPs.
    Raises at the first bad line (ConfigLineError / ConfigValueError with `lineno`).
    `on_first_peer` is called once, at the first [Peer] header: from there on the file, if
    it parses, has peers (syncconf starts reading the running configuration then).
    Endpoints and ListenPort go through `lookup` (numeric values only by default; the CLIs
    pass wg_py.hostio.SystemLookup), warnings to `warn` (none shown by default).
    With an `errors` list, every bad line is appended to it and the parse goes on (what
    `wg-py lint` reports all at once); the device returned is then only what did parse.
    """
    state = _ParseState(WgDevice(replace_peers=not append), lookup)
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
            line = line.translate(STRIP_C_SPACE)
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
        except (ConfigValueError, ConfigLineError) as e:
            e.lineno = lineno
            if errors is None:
                raise
            errors.append(e)
    for peer, lineno in zip(state.device.peers, state.peer_lines):
        if not peer.public_key:
            if errors is None:
                raise ConfigValueError("missing-public-key", lineno=lineno)
            errors.append(ConfigValueError("missing-public-key", lineno=lineno))
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
    state.device.listen_port = state.lookup.port(value)


def _set_fwmark(state: _ParseState, value: str, warn: Warn | None) -> None:
    state.device.fwmark = parse_fwmark(value)


def _set_private_key(state: _ParseState, value: str, warn: Warn | None) -> None:
    state.device.private_key = parse_key(value)


def _set_endpoint(state: _ParseState, value: str, warn: Warn | None) -> None:
    state.device.peers[-1].endpoint = state.lookup.endpoint(value)


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
