"""`wg set` arguments → the change they ask for (pure; wireguard-tools' set.c)."""

from __future__ import annotations

from wg_py.config.values import Lookup, Warn, parse_allowed_ips, parse_fwmark, parse_keepalive, parse_key, strip_spaces
from wg_py.errors import ConfigValueError
from wg_py.model import WgDevice, WgPeer


def parse_set_args(argv: list[str], *, lookup: Lookup, warn: Warn | None = None) -> WgDevice:
    """The tokens after `wg set <interface>` → the change they ask for (never replace_peers).

    Device options are accepted only before the first `peer`; a token out of place, or
    one missing its value, is ConfigValueError("argument", token). Endpoints, ports and
    key files go through `lookup` (the CLI passes wg_py.hostio.SystemLookup).
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
        elif not _apply_set_option(device, peer, token, value, lookup, warn):
            raise ConfigValueError("argument", token)
        i += 2
    return device


def _apply_set_option(device: WgDevice, peer: WgPeer | None, token: str, value: str, lookup: Lookup,
                      warn: Warn | None) -> bool:
    """Apply one `<option> <value>` pair; False if `token` is not an option here."""
    if peer is None:
        if token == "listen-port":
            device.listen_port = lookup.port(value)
        elif token == "fwmark":
            device.fwmark = parse_fwmark(value)
        elif token == "private-key":
            device.private_key = lookup.key_file(value)
        else:
            return False
        return True
    if token == "endpoint":
        peer.endpoint = lookup.endpoint(value)
    elif token == "allowed-ips":
        peer.allowed_ips.extend(parse_allowed_ips(strip_spaces(value), warn))
        peer.replace_allowed_ips = True
    elif token == "persistent-keepalive":
        peer.persistent_keepalive_interval = parse_keepalive(value)
    elif token == "preshared-key":
        peer.preshared_key = lookup.key_file(value)
    else:
        return False
    return True
