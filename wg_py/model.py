"""The shared vocabulary: a WireGuard device and its peers, as `wg`, the UAPI and the engine see them.

One model serves two purposes, like wireguard-tools' `struct wgdevice`:
- a *snapshot* (what `get` returns, what `show` prints): every field filled in;
- a *change* (what `set`/`setconf` send): `None` means "leave as it is", and the
  flags (`replace_peers`, `remove`, `update_only`, `replace_allowed_ips`) say how the
  change is applied.
Attribute names mirror the UAPI keys.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Union

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


@dataclass(frozen=True)
class Endpoint:
    """A numeric UDP endpoint. IPv6 link-local addresses keep their scope (`fe80::1%eth0`)."""

    host: IPAddress
    port: int

    def __str__(self) -> str:
        if self.host.version == 6:
            return f"[{self.host}]:{self.port}"
        return f"{self.host}:{self.port}"

    @classmethod
    def parse(cls, text: str) -> "Endpoint":
        """Parse the numeric `ip:port` / `[ip6]:port` form (the UAPI's); ValueError otherwise."""
        if text.startswith("["):
            close = text.find("]")
            if close < 0 or text[close + 1 : close + 2] != ":":
                raise ValueError(text)
            host: IPAddress = ipaddress.IPv6Address(text[1:close])
            port_text = text[close + 2 :]
        else:
            host_text, sep, port_text = text.rpartition(":")
            if not sep:
                raise ValueError(text)
            host = ipaddress.IPv4Address(host_text)
        if not port_text.isdigit() or int(port_text) > 65535:
            raise ValueError(text)
        return cls(host, int(port_text))


@dataclass(frozen=True)
class WgAllowedIP:
    """One allowed-IPs prefix. `remove` is the newer `-prefix` syntax (incremental removal)."""

    network: IPNetwork
    remove: bool = False

    def __str__(self) -> str:
        return f"{self.network.network_address}/{self.network.prefixlen}"


@dataclass
class WgPeer:
    public_key: bytes
    preshared_key: bytes | None = None          # None: unchanged / unset; zero key: none
    endpoint: Endpoint | None = None
    persistent_keepalive_interval: int | None = None   # seconds; 0 = off
    allowed_ips: list[WgAllowedIP] = field(default_factory=list)
    # Snapshot-only fields.
    last_handshake_time_sec: int = 0
    last_handshake_time_nsec: int = 0
    rx_bytes: int = 0
    tx_bytes: int = 0
    protocol_version: int = 1
    # Change-only flags.
    remove: bool = False
    update_only: bool = False
    replace_allowed_ips: bool = False


@dataclass
class WgDevice:
    name: str = ""
    private_key: bytes | None = None            # None: unchanged / unset; zero key: remove
    public_key: bytes | None = None             # derived from private_key; never sent
    listen_port: int | None = None              # 0 = choose a random port
    fwmark: int | None = None                   # 0 = off
    peers: list[WgPeer] = field(default_factory=list)
    replace_peers: bool = False


def endpoint_from_sockaddr(addr: tuple) -> Endpoint:
    """Python's socket address tuple (2-tuple v4, 4-tuple v6) → Endpoint."""
    if len(addr) == 2:
        return Endpoint(ipaddress.IPv4Address(addr[0]), addr[1])
    host = addr[0]
    return Endpoint(ipaddress.IPv6Address(host), addr[1])


def endpoint_to_sockaddr(endpoint: Endpoint) -> tuple:
    """Endpoint → the tuple `socket.sendto` takes (v6 keeps its scope as scope_id text)."""
    if endpoint.host.version == 4:
        return (str(endpoint.host), endpoint.port)
    return (str(endpoint.host), endpoint.port, 0, 0)
