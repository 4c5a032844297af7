"""Name and service resolution as the C tool does it: getaddrinfo, with its retry loop for
transient failures (WG_ENDPOINT_RESOLUTION_RETRIES), and service-name ports.

The I/O half of wg_py/config/values.py (which parses the text, and calls these through
wg_py.hostio.SystemLookup).
"""

from __future__ import annotations

import ipaddress
import os
import time
from collections.abc import Callable

from wg_py.config.values import (
    INT_MAX, Warn, numeric_endpoint, split_endpoint, strtoul, to_bytes,
)
from wg_py.errors import ConfigValueError
from wg_py.fastpath import csocket as socket
from wg_py.model import Endpoint

DEFAULT_RESOLUTION_RETRIES = 15
# getaddrinfo results that retrying cannot fix (glibc's NameResolver wiki; config.c).
_PERMANENT_GAI = {socket.EAI_NONAME, socket.EAI_FAIL, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


def resolution_retries(env: dict[str, str] | None = None) -> int:
    """WG_ENDPOINT_RESOLUTION_RETRIES as the C tool reads it (strtoul): -1 means forever."""
    text = (os.environ if env is None else env).get("WG_ENDPOINT_RESOLUTION_RETRIES")
    if text is None:
        return DEFAULT_RESOLUTION_RETRIES
    if text == "infinity":
        return -1
    number, rest = strtoul(text)
    if rest or number > INT_MAX:
        raise ConfigValueError("retries-env", text)
    return number


def resolve_port(value: str) -> int:
    """ListenPort / `listen-port`: a number or an /etc/services name, via getaddrinfo.

    Like the C tool this hands the text to getaddrinfo as a UDP service, so a name such
    as `domain` works and a number above 65535 wraps (glibc stores it in 16 bits).
    """
    if value == "":
        raise ConfigValueError("empty-port")
    hints = (socket.AF_UNSPEC, socket.SOCK_DGRAM, socket.IPPROTO_UDP, socket.AI_PASSIVE)
    try:
        results = socket.getaddrinfo(None, to_bytes(value), *hints)
    except socket.gaierror as e:
        raise ConfigValueError("port-resolve", value, e.strerror or "") from None
    except (OSError, ValueError, UnicodeError) as e:
        detail = os.strerror(e.errno) if isinstance(e, OSError) and e.errno else "Invalid argument"
        raise ConfigValueError("port-resolve", value, detail) from None
    family, _type, _proto, _name, sockaddr = results[0]
    if family not in (socket.AF_INET, socket.AF_INET6):
        raise ConfigValueError("endpoint-family", value)
    return sockaddr[1]


def endpoint_from_sockaddr(family: int, sockaddr: tuple) -> Endpoint:
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


def resolve_endpoint(text: str, *, warn: Warn | None = None, retries: int | None = None,
                     getaddrinfo: Callable = socket.getaddrinfo,
                     sleep: Callable[[float], None] = time.sleep) -> Endpoint:
    """`host:port` or `[host]:port` → a numeric Endpoint, resolving names once.

    Transient resolver failures are retried (each announced through `warn`, with the
    C tool's growing delay: 1 s, ×1.2 per try, at most 20 s) up to `retries` times
    (default: from WG_ENDPOINT_RESOLUTION_RETRIES; -1 = forever); permanent ones fail at once.
    """
    if warn is None:
        from wg_py.hostio import stderr_warn as warn
    if retries is None:
        retries = resolution_retries()  # read first, as the C tool does, even for bad text
    host, port = split_endpoint(text)
    numeric = numeric_endpoint(host, port)
    if numeric is not None:
        return numeric
    timeout_us = 1_000_000
    while True:
        try:
            results = getaddrinfo(to_bytes(host), to_bytes(port), socket.AF_UNSPEC,
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
    return endpoint_from_sockaddr(family, sockaddr)
