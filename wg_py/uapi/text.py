"""The UAPI's value forms that both sides write: addresses, endpoints, prefixes, keys.

One writer per form, used by the client (`set` requests), the server (`get` replies) and
`wg show`/`showconf`, so they can never drift apart. Addresses are written as glibc's
inet_ntop writes them, which is also how wireguard-go's netip prints them: an IPv4-mapped
IPv6 address is `::ffff:192.0.2.1` (Python's `str()` would give `::ffff:c000:201`).
"""

from __future__ import annotations

import ipaddress

from wg_py.fastpath import csocket as _socket
from wg_py.model import Endpoint, WgAllowedIP

U16_MAX = 0xFFFF
U32_MAX = 0xFFFFFFFF
S32_MAX = 0x7FFFFFFF
S64_MAX = 0x7FFFFFFFFFFFFFFF
U64_MAX = 0xFFFFFFFFFFFFFFFF
KEY_HEX_LEN = 64
ZERO_KEY_HEX = "0" * KEY_HEX_LEN


def ntop(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """The address as inet_ntop writes it, plus the IPv6 zone if there is one."""
    if address.version == 4:
        return _socket.inet_ntop(_socket.AF_INET, address.packed)
    text = _socket.inet_ntop(_socket.AF_INET6, address.packed)
    scope = address.scope_id
    return f"{text}%{scope}" if scope else text


def format_endpoint(endpoint: Endpoint) -> str:
    """`ip:port` or `[ip6]:port`, the host as inet_ntop/getnameinfo write it."""
    host = ntop(endpoint.host)
    if endpoint.host.version == 6 and ":" in host:
        return f"[{host}]:{endpoint.port}"
    return f"{host}:{endpoint.port}"


def format_prefix(aip: WgAllowedIP) -> str:
    """`address/length`, the address as inet_ntop writes it."""
    version, address, prefixlen = aip.parts
    if version == 4:
        return f"{_socket.inet_ntop(_socket.AF_INET, address.to_bytes(4, 'big'))}/{prefixlen}"
    return f"{_socket.inet_ntop(_socket.AF_INET6, address.to_bytes(16, 'big'))}/{prefixlen}"


def format_key(raw: bytes | None) -> str:
    """A key as the UAPI writes it: 64 lowercase hex digits; no key is all zeros."""
    return ZERO_KEY_HEX if raw is None else raw.hex()
