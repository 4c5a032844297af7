"""Text forms shared by `wg show` and `wg showconf`: addresses, keys, endpoints.

Addresses are printed as glibc's inet_ntop prints them (see `wg_py.uapi.ntop`).
"""

from __future__ import annotations

from wg_py.keys import key_to_base64
from wg_py.model import Endpoint, WgAllowedIP
from wg_py.uapi import format_endpoint, format_prefix


def prefix(aip: WgAllowedIP) -> str:
    return format_prefix(aip)


def endpoint(ep: Endpoint) -> str:
    return format_endpoint(ep)


def key(raw: bytes) -> str:
    return key_to_base64(raw)


def maybe_key(raw: bytes | None) -> str:
    return "(none)" if raw is None else key_to_base64(raw)
