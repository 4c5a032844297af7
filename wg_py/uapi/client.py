"""The client half of the UAPI: what `wg` sends, and how it reads what comes back.

- `format_set(change)` is what the `wg` client sends for `set=1`, in exactly the order
  wireguard-tools writes it (device keys, `replace_peers`, then one block per peer);
  `format_set_chunks` is the same text in pieces, to send while formatting;
- `parse_set_reply(reply)` reads the `errno=N` that answers it;
- `parse_get(reply)` reads a `get=1` reply with the C client's strictness: the reply must end
  with a blank line after an `errno=` line, numbers are digits only, unknown keys are skipped,
  an all-zero preshared key means "none", and the public key is derived from the private key.

Pure: no sockets, no clock. Errors are `UapiError(errno)`: EPROTO for a malformed reply, or the
errno the device reported. The server half (wireguard-go's rules) is `wg_py.uapi.server`.
"""

from __future__ import annotations

import errno as _errno
import ipaddress
from collections.abc import Iterator

from wg_py.errors import UapiError
from wg_py.fastpath import csocket as _socket
from wg_py.fastpath import x25519_public_key
from wg_py.keys import is_zero_key
from wg_py.model import Endpoint, WgAllowedIP, WgDevice, WgPeer
from wg_py.uapi.text import KEY_HEX_LEN, S32_MAX, S64_MAX, U16_MAX, U32_MAX, U64_MAX, format_endpoint, format_prefix

_DIGITS = frozenset("0123456789")


# --------------------------------------------------------------------------- set (client side)

def format_set(change: WgDevice) -> str:
    """The `set=1` request for a change, terminated by the blank line."""
    return "".join(format_set_chunks(change))


def format_set_chunks(change: WgDevice, lines_per_chunk: int = 4096) -> Iterator[str]:
    """`format_set(change)` in pieces of about `lines_per_chunk` whole lines.

    For sending while formatting: a device applies a set request line by line as it reads,
    so with thousands of peers its work overlaps ours.
    """
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
        if len(out) >= lines_per_chunk:
            out.append("")
            yield "\n".join(out)
            out = []
    out.append("")
    out.append("")
    yield "\n".join(out)


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
    # strtoull after an isdigit() check: ASCII digits only, base 10, and a too-large value
    # is refused except where the maximum is ULLONG_MAX itself (strtoull saturates there).
    if not (value.isascii() and value.isdigit()):
        raise _Malformed(value)
    number = int(value)
    if number > maximum:
        if maximum != U64_MAX:
            raise _Malformed(value)
        number = U64_MAX
    return number


def _hex_key(value: str) -> bytes:
    try:
        raw = bytes.fromhex(value) if len(value) == KEY_HEX_LEN else b""
    except ValueError:
        raw = b""
    # fromhex() skips spaces between bytes; those make the key come out short.
    if len(raw) != 32:
        raise _Malformed("key")
    return raw


def _ip_int(family: int, text: str) -> int:
    # inet_pton is the C client's parser (strict dotted quad, no zone); ints make the
    # ipaddress objects several times cheaper to build than parsing text twice.
    try:
        return int.from_bytes(_socket.inet_pton(family, text), "big")
    except (OSError, ValueError, UnicodeError):
        raise _Malformed(text) from None


def _endpoint(value: str, build: bool = True) -> Endpoint | None:
    """An `endpoint` value; with `build` False a numeric IPv4 one is only checked (None)."""
    if not value:
        raise _Malformed(value)
    if value[0] == "[":
        close = value.find("]")
        if close < 0 or value[close + 1:close + 2] != ":" or not value[close + 2:]:
            raise _Malformed(value)
        host, port = value[1:close], value[close + 2:]
    else:
        host, sep, port = value.rpartition(":")
        if not sep or not port:
            raise _Malformed(value)
    try:
        if ":" not in host:
            address, port_number = _ip_int(_socket.AF_INET, host), _num(port, U16_MAX)
            return Endpoint(ipaddress.IPv4Address(address), port_number) if build else None
        return Endpoint(ipaddress.IPv6Address(host), _num(port, U16_MAX))
    except (ValueError, _Malformed):
        return _resolve_endpoint(host, port)


def _resolve_endpoint(host: str, port: str) -> Endpoint:
    # The C client hands whatever it got to getaddrinfo(); a device only ever reports numeric
    # addresses, so this path is for odd engines. Its failure code is the C tool's (a positive
    # ENETUNREACH, which ends up printed as "Unknown error -101").
    try:
        info = _socket.getaddrinfo(host, port, 0, _socket.SOCK_DGRAM, _socket.IPPROTO_UDP)
    except (OSError, UnicodeError):
        raise UapiError(-_errno.ENETUNREACH, "endpoint does not resolve") from None
    family, _t, _p, _c, sockaddr = info[0]
    if family not in (_socket.AF_INET, _socket.AF_INET6):
        raise _Malformed(host)
    return Endpoint(ipaddress.ip_address(sockaddr[0]), sockaddr[1])


_V4_ALL, _V6_ALL = (1 << 32) - 1, (1 << 128) - 1


def _allowed_ip(value: str) -> WgAllowedIP:
    ip_text, sep, mask = value.partition("/")
    if not sep or not (mask.isascii() and mask.isdigit()):
        raise _Malformed(value)
    cidr = int(mask)
    # The device's prefix is kept masked to its length (ipaddress's strict=False).
    if ":" in ip_text:
        if cidr > 128:
            raise _Malformed(value)
        return _from_int(6, _ip_int(_socket.AF_INET6, ip_text) & (_V6_ALL ^ (_V6_ALL >> cidr)), cidr)
    if cidr > 32:
        raise _Malformed(value)
    return _from_int(4, _ip_int(_socket.AF_INET, ip_text) & (_V4_ALL ^ (_V4_ALL >> cidr)), cidr)


_from_int = WgAllowedIP.from_int


def _check_allowed_ips(values: list[str]) -> None:
    """Check each value as _allowed_ip would (_Malformed at the first bad one), building
    nothing: a loop of its own is about twice as fast as a call per line."""
    pton, af_inet, af_inet6 = _socket.inet_pton, _socket.AF_INET, _socket.AF_INET6
    for value in values:
        ip_text, sep, mask = value.partition("/")
        if not sep or not (mask.isascii() and mask.isdigit()):
            raise _Malformed(value)
        v6 = ":" in ip_text
        if int(mask) > (128 if v6 else 32):
            raise _Malformed(value)
        try:
            pton(af_inet6 if v6 else af_inet, ip_text)
        except (OSError, ValueError, UnicodeError):
            raise _Malformed(value) from None


def parse_get(text: str, name: str = "", *, keys_only: bool = False) -> WgDevice:
    """A `get=1` reply → snapshot. Raises UapiError(errno) as the C client would fail.

    The rules are the C client's: lines up to the first blank line; a line without `=`,
    an unterminated line or EOF before the blank line is EPROTO; the result is the last
    `errno=` value (EPROTO if there was none); device keys count only before the first
    `public_key`; unknown keys are skipped.
    With `keys_only` (what syncconf needs of the running configuration), every line is
    checked just as strictly, but peers keep no allowed IPs and no IPv4 endpoint: building
    those objects is a good part of reading 10,000 peers.
    """
    # One flat loop, the peer keys tested most frequent first: this runs per line of a reply
    # that has ~10 lines per peer, and a call per line was most of `wg show`'s parsing time.
    device = WgDevice(name=name, listen_port=0, fwmark=0)
    peers = device.peers
    peer: WgPeer | None = None
    status = -_errno.EPROTO
    # keys_only: allowed IPs are checked all at once at the end, in a tighter loop.
    unchecked: list[str] = []
    # The last element is what follows the final "\n": an unterminated line, never read.
    try:
        for line in text.split("\n")[:-1]:
            key, sep, value = line.partition("=")
            if not sep:
                if line:
                    raise _Malformed(line)
                # Any malformed line before this one fails the reply, whatever the errno says.
                _check_allowed_ips(unchecked)
                if status:
                    raise UapiError(-status)
                return device
            if key == "allowed_ip":
                if peer is not None:
                    if keys_only:
                        unchecked.append(value)
                    else:
                        peer.allowed_ips.append(_allowed_ip(value))
            elif key == "endpoint" and keys_only and peer is not None:
                _endpoint(value, build=False)
            elif key == "public_key":
                peer = WgPeer(_hex_key(value), None, None, 0)
                peers.append(peer)
            elif key == "errno":
                status = -_num(value, S32_MAX)
            elif peer is not None:
                _peer_line(peer, key, value)
            else:
                _device_line(device, key, value)
    except _Malformed:
        pass
    raise UapiError(_errno.EPROTO, "malformed get reply")


def _peer_line(peer: WgPeer, key: str, value: str) -> None:
    if key == "preshared_key":
        psk = _hex_key(value)
        peer.preshared_key = None if is_zero_key(psk) else psk
    elif key == "endpoint":
        peer.endpoint = _endpoint(value)
    elif key == "last_handshake_time_sec":
        peer.last_handshake_time_sec = _num(value, S64_MAX)
    elif key == "last_handshake_time_nsec":
        peer.last_handshake_time_nsec = _num(value, S64_MAX)
    elif key == "rx_bytes":
        peer.rx_bytes = _num(value, U64_MAX)
    elif key == "tx_bytes":
        peer.tx_bytes = _num(value, U64_MAX)
    elif key == "persistent_keepalive_interval":
        peer.persistent_keepalive_interval = _num(value, U16_MAX)


def _device_line(device: WgDevice, key: str, value: str) -> None:
    if key == "private_key":
        device.private_key = _hex_key(value)
        device.public_key = x25519_public_key(device.private_key)
    elif key == "listen_port":
        device.listen_port = _num(value, U16_MAX)
    elif key == "fwmark":
        device.fwmark = _num(value, U32_MAX)
