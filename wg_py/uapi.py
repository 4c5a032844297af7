"""The UAPI text protocol: model objects to and from `key=value` lines.

Both directions live here, one pair per request:
- `format_set(change)` is what the `wg` client sends for `set=1`, in exactly the order
  wireguard-tools writes it (device keys, `replace_peers`, then one block per peer).
- `parse_get(reply)` reads a `get=1` reply with the C client's strictness: the reply must end
  with a blank line after an `errno=` line, numbers are digits only, unknown keys are skipped,
  an all-zero preshared key means "none", and the public key is derived from the private key.
- `format_get(snapshot)` writes a `get=1` reply in wireguard-go's order (for engines and tests).

Pure: no sockets, no clock. Errors are `UapiError(errno)`: EPROTO for a malformed reply, or the
errno the device reported.
"""

from __future__ import annotations

import errno as _errno
import ipaddress

from wg_py.errors import UapiError
from wg_py.keys import KEY_HEX_LEN, is_zero_key
from wg_py.model import Endpoint, WgAllowedIP, WgDevice, WgPeer

U16_MAX = 0xFFFF
U32_MAX = 0xFFFFFFFF
S64_MAX = 0x7FFFFFFFFFFFFFFF
U64_MAX = 0xFFFFFFFFFFFFFFFF
S32_MAX = 0x7FFFFFFF

_HEX = frozenset("0123456789abcdefABCDEF")
_DIGITS = frozenset("0123456789")


# --------------------------------------------------------------------------- text forms

def ntop(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if address.version == 4:
        return str(address)
    packed = address.packed
    words = [int.from_bytes(packed[i:i + 2], "big") for i in range(0, 16, 2)]
    # glibc: the longest run (first on ties) of two or more zero words becomes "::";
    # a run covering exactly words 0-5, or 0-4 followed by ffff, shows the tail as IPv4.
    best_base, best_len, cur_base = -1, 0, -1
    for i, word in enumerate(words + [1]):
        if word == 0 and i < 8:
            if cur_base < 0:
                cur_base = i
        elif cur_base >= 0:
            if i - cur_base > best_len:
                best_base, best_len = cur_base, i - cur_base
            cur_base = -1
    if best_len < 2:
        best_base, best_len = -1, 0
    parts: list[str] = []
    i = 0
    while i < 8:
        if i == best_base:
            parts.append("")
            i += best_len
            if i == 8:
                parts.append("")
            continue
        if i == 6 and best_base == 0 and (best_len == 6 or (best_len == 5 and words[5] == 0xFFFF)):
            parts.append(str(ipaddress.IPv4Address(packed[12:])))
            break
        parts.append(f"{words[i]:x}")
        i += 1
    text = ":".join(parts)
    if text == ":":
        text = "::"
    elif text.startswith(":") and not text.startswith("::"):
        text = ":" + text
    scope = address.scope_id
    return f"{text}%{scope}" if scope else text


def format_endpoint(endpoint: Endpoint) -> str:
    """`ip:port` or `[ip6]:port`, the host as inet_ntop/getnameinfo write it."""
    host = ntop(endpoint.host)
    if endpoint.host.version == 6 and ":" in host:
        return f"[{host}]:{endpoint.port}"
    return f"{host}:{endpoint.port}"


def format_prefix(aip: WgAllowedIP) -> str:
    return f"{ntop(aip.network.network_address)}/{aip.network.prefixlen}"


# --------------------------------------------------------------------------- set (client side)

def format_set(change: WgDevice) -> str:
    """The `set=1` request for a change, terminated by the blank line."""
    out = ["set=1"]
    if change.private_key is not None:
        out.append(f"private_key={change.private_key.hex()}")
    if change.listen_port is not None:
        out.append(f"listen_port={change.listen_port}")
    if change.fwmark is not None:
        out.append(f"fwmark={change.fwmark}")
    if change.replace_peers:
        out.append("replace_peers=true")
    for peer in change.peers:
        _format_set_peer(peer, out)
    out.append("")
    out.append("")
    return "\n".join(out)


def _format_set_peer(peer: WgPeer, out: list[str]) -> None:
    out.append(f"public_key={peer.public_key.hex()}")
    if peer.remove:
        # Nothing else is meaningful for a peer that is going away.
        out.append("remove=true")
        return
    if peer.update_only:
        out.append("update_only=true")
    if peer.preshared_key is not None:
        out.append(f"preshared_key={peer.preshared_key.hex()}")
    if peer.endpoint is not None:
        out.append(f"endpoint={format_endpoint(peer.endpoint)}")
    if peer.persistent_keepalive_interval is not None:
        out.append(f"persistent_keepalive_interval={peer.persistent_keepalive_interval}")
    if peer.replace_allowed_ips:
        out.append("replace_allowed_ips=true")
    for aip in peer.allowed_ips:
        out.append(f"allowed_ip={'-' if aip.remove else ''}{format_prefix(aip)}")


def parse_set_reply(text: str) -> int:
    """The errno of a `set` reply (`errno=N` then a blank line), sign as the device wrote it.

    Mirrors `fscanf("errno=%d\\n\\n")`: anything else is a protocol error.
    """
    line, sep, _rest = text.partition("\n")
    if not sep or not line.startswith("errno="):
        raise UapiError(_errno.EPROTO, "set reply without errno")
    value = line[len("errno="):]
    digits = value[1:] if value[:1] in ("-", "+") else value
    if not digits or not set(digits) <= _DIGITS:
        raise UapiError(_errno.EPROTO, "set reply errno is not a number")
    return int(value)


# --------------------------------------------------------------------------- get (client side)

class _Malformed(Exception):
    """A reply line the C client would stop at (it then reports EPROTO)."""


def _num(value: str, maximum: int) -> int:
    # strtoull after an isdigit() check: digits only, base 10, and a too-large value is
    # refused except where the maximum is ULLONG_MAX itself (strtoull saturates there).
    if not value or not set(value) <= _DIGITS:
        raise _Malformed(value)
    number = int(value)
    if maximum == U64_MAX and number > U64_MAX:
        number = U64_MAX
    if number > maximum:
        raise _Malformed(value)
    return number


def _hex_key(value: str) -> bytes:
    if len(value) != KEY_HEX_LEN or not set(value) <= _HEX:
        raise _Malformed("key")
    return bytes.fromhex(value)


def _endpoint(value: str) -> Endpoint:
    if value.startswith("["):
        close = value.find("]")
        if close < 0 or value[close + 1:close + 2] != ":" or not value[close + 2:]:
            raise _Malformed(value)
        host, port = value[1:close], value[close + 2:]
    else:
        host, sep, port = value.rpartition(":")
        if not sep or not port:
            raise _Malformed(value)
    try:
        return Endpoint(ipaddress.ip_address(host), _port(port))
    except (ValueError, _Malformed):
        return _resolve_endpoint(host, port)


def _port(text: str) -> int:
    number = _num(text, U16_MAX)
    return number


def _resolve_endpoint(host: str, port: str) -> Endpoint:
    # The C client hands whatever it got to getaddrinfo(); a device only ever reports numeric
    # addresses, so this path is for odd engines. Its failure code is the C tool's (a positive
    # ENETUNREACH, which ends up printed as "Unknown error -101").
    import socket

    try:
        info = socket.getaddrinfo(host, port, 0, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    except (OSError, UnicodeError):
        raise UapiError(-_errno.ENETUNREACH, "endpoint does not resolve") from None
    family, _t, _p, _c, sockaddr = info[0]
    if family not in (socket.AF_INET, socket.AF_INET6):
        raise _Malformed(host)
    return Endpoint(ipaddress.ip_address(sockaddr[0]), sockaddr[1])


def _allowed_ip(value: str) -> WgAllowedIP:
    ip_text, sep, mask = value.partition("/")
    if not sep or not mask[:1].isdigit() or not set(mask) <= _DIGITS:
        raise _Malformed(value)
    cidr = int(mask)
    try:
        if ":" in ip_text:
            address: ipaddress._BaseAddress = ipaddress.IPv6Address(ip_text)
            if cidr > 128 or "%" in ip_text:
                raise _Malformed(value)
            return WgAllowedIP(ipaddress.IPv6Network((address, cidr), strict=False))
        address = ipaddress.IPv4Address(ip_text)
        if cidr > 32:
            raise _Malformed(value)
        return WgAllowedIP(ipaddress.IPv4Network((address, cidr), strict=False))
    except ValueError:
        raise _Malformed(value) from None


def parse_get(text: str, name: str = "") -> WgDevice:
    """A `get=1` reply → snapshot. Raises UapiError(errno) as the C client would fail."""
    device = WgDevice(name=name, listen_port=0, fwmark=0)
    peer: WgPeer | None = None
    status = -_errno.EPROTO
    lines = text.split("\n")
    # The last element is what follows the final "\n": an unterminated line is malformed.
    try:
        for line in lines[:-1]:
            if not line:
                if status:
                    raise UapiError(-status)
                return device
            key, sep, value = line.partition("=")
            if not sep:
                raise _Malformed(line)
            peer, status = _apply_line(device, peer, key, value, status)
    except _Malformed:
        pass
    raise UapiError(_errno.EPROTO, "malformed get reply")


def _apply_line(device: WgDevice, peer: WgPeer | None, key: str, value: str,
                status: int) -> tuple[WgPeer | None, int]:
    if peer is None and key in _DEVICE_KEYS:
        _DEVICE_KEYS[key](device, value)
    elif key == "public_key":
        peer = WgPeer(public_key=b"", persistent_keepalive_interval=0)
        device.peers.append(peer)
        peer.public_key = _hex_key(value)
    elif peer is not None and key in _PEER_KEYS:
        _PEER_KEYS[key](peer, value)
    elif key == "errno":
        status = -_num(value, S32_MAX)
    return peer, status


def _set_private_key(device: WgDevice, value: str) -> None:
    from wg_py.x25519 import public_key

    device.private_key = _hex_key(value)
    device.public_key = public_key(device.private_key)


def _set_preshared_key(peer: WgPeer, value: str) -> None:
    key = _hex_key(value)
    peer.preshared_key = None if is_zero_key(key) else key


def _set_endpoint(peer: WgPeer, value: str) -> None:
    if not value:
        raise _Malformed(value)
    peer.endpoint = _endpoint(value)


_DEVICE_KEYS = {
    "private_key": _set_private_key,
    "listen_port": lambda d, v: setattr(d, "listen_port", _num(v, U16_MAX)),
    "fwmark": lambda d, v: setattr(d, "fwmark", _num(v, U32_MAX)),
}

_PEER_KEYS = {
    "preshared_key": _set_preshared_key,
    "endpoint": _set_endpoint,
    "persistent_keepalive_interval":
        lambda p, v: setattr(p, "persistent_keepalive_interval", _num(v, U16_MAX)),
    "allowed_ip": lambda p, v: p.allowed_ips.append(_allowed_ip(v)),
    "last_handshake_time_sec": lambda p, v: setattr(p, "last_handshake_time_sec", _num(v, S64_MAX)),
    "last_handshake_time_nsec": lambda p, v: setattr(p, "last_handshake_time_nsec", _num(v, S64_MAX)),
    "rx_bytes": lambda p, v: setattr(p, "rx_bytes", _num(v, U64_MAX)),
    "tx_bytes": lambda p, v: setattr(p, "tx_bytes", _num(v, U64_MAX)),
}


# --------------------------------------------------------------------------- get (server side)

def format_get(snapshot: WgDevice, errno: int = 0) -> str:
    """A `get=1` reply in wireguard-go's order, ending with `errno=N` and the blank line."""
    out: list[str] = []
    if not is_zero_key(snapshot.private_key):
        out.append(f"private_key={snapshot.private_key.hex()}")
    if snapshot.listen_port:
        out.append(f"listen_port={snapshot.listen_port}")
    if snapshot.fwmark:
        out.append(f"fwmark={snapshot.fwmark}")
    zero_hex = "0" * KEY_HEX_LEN
    for peer in snapshot.peers:
        out.append(f"public_key={peer.public_key.hex()}")
        psk = peer.preshared_key
        out.append(f"preshared_key={zero_hex if psk is None else psk.hex()}")
        out.append(f"protocol_version={peer.protocol_version}")
        if peer.endpoint is not None:
            out.append(f"endpoint={format_endpoint(peer.endpoint)}")
        out.append(f"last_handshake_time_sec={peer.last_handshake_time_sec}")
        out.append(f"last_handshake_time_nsec={peer.last_handshake_time_nsec}")
        out.append(f"tx_bytes={peer.tx_bytes}")
        out.append(f"rx_bytes={peer.rx_bytes}")
        out.append(f"persistent_keepalive_interval={peer.persistent_keepalive_interval or 0}")
        out.extend(f"allowed_ip={format_prefix(aip)}" for aip in peer.allowed_ips)
    out.append(f"errno={errno}")
    out.append("")
    out.append("")
    return "\n".join(out)
