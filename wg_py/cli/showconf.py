"""`wg showconf <interface>`: the running configuration in the config-file grammar.

The exact layout of wireguard-tools' showconf.c (REFERENCE.md §1.4), so that
`wg showconf wg0 > f; wg setconf wg0 f` round-trips. Stdlib only.
"""

from __future__ import annotations

from wg_py import ipc
from wg_py.cli.errors import report, usage_error, write_stdout
from wg_py.keys import key_to_base64 as key
from wg_py.uapi.text import format_endpoint as endpoint, format_prefix as prefix
from wg_py.errors import WgError
from wg_py.model import WgDevice


def render_config(device: WgDevice) -> str:
    out = ["[Interface]\n"]
    if device.listen_port:
        out.append(f"ListenPort = {device.listen_port}\n")
    if device.fwmark:
        out.append(f"FwMark = 0x{device.fwmark:x}\n")
    if device.private_key is not None:
        out.append(f"PrivateKey = {key(device.private_key)}\n")
    out.append("\n")
    for index, peer in enumerate(device.peers):
        out.append(f"[Peer]\nPublicKey = {key(peer.public_key)}\n")
        if peer.preshared_key is not None:
            out.append(f"PresharedKey = {key(peer.preshared_key)}\n")
        if peer.allowed_ips:
            out.append(f"AllowedIPs = {', '.join(prefix(a) for a in peer.allowed_ips)}\n")
        if peer.endpoint is not None:
            out.append(f"Endpoint = {endpoint(peer.endpoint)}\n")
        if peer.persistent_keepalive_interval:
            out.append(f"PersistentKeepalive = {peer.persistent_keepalive_interval}\n")
        if index + 1 < len(device.peers):
            out.append("\n")
    return "".join(out)


def run(argv0: str, name: str, argv: list[str]) -> int:
    if len(argv) != 1:
        return usage_error(argv0, name, "<interface>")
    try:
        device = ipc.get_device(argv[0])
    except WgError as e:
        return report(e)
    write_stdout(render_config(device))
    return 0
