"""Text forms shared by `wg show` and `wg showconf`: addresses, keys, endpoints.

Addresses are printed as glibc's inet_ntop prints them (Python's `str()` differs for IPv6
with an embedded IPv4 tail, e.g. `::ffff:192.0.2.1`), because scripts compare them.
"""

from __future__ import annotations

import ipaddress

from wg_py.keys import key_to_base64
from wg_py.model import Endpoint, WgAllowedIP


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


def prefix(aip: WgAllowedIP) -> str:
    return f"{ntop(aip.network.network_address)}/{aip.network.prefixlen}"


def endpoint(ep: Endpoint) -> str:
    host = ntop(ep.host)
    if ep.host.version == 6 and ":" in host:
        return f"[{host}]:{ep.port}"
    return f"{host}:{ep.port}"


def key(raw: bytes) -> str:
    return key_to_base64(raw)


def maybe_key(raw: bytes | None) -> str:
    return "(none)" if raw is None else key_to_base64(raw)
