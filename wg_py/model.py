"""The shared vocabulary: a WireGuard device and its peers, as `wg`, the UAPI and the engine see them.

One model serves two purposes, like wireguard-tools' `struct wgdevice`:
- a *snapshot* (what `get` returns, what `show` prints): every field filled in;
- a *change* (what `set`/`setconf` send): `None` means "leave as it is", and the
  flags (`replace_peers`, `remove`, `update_only`, `replace_allowed_ips`) say how the
  change is applied.
Attribute names mirror the UAPI keys.

Why plain classes and not dataclasses: every `wg` run imports this module, and importing
`dataclasses` (with `inspect` behind it) costs ~10 ms here, most of a fast `wg show`'s
budget. So the classes are written out: `__slots__`, an explicit `__init__` with the same
parameters (and order) a dataclass would have, field-wise `__eq__`, and a dataclass-style
`__repr__`. `Endpoint` and `WgAllowedIP` are immutable and hashable, as frozen
dataclasses would be. When adding a field, add it to `__slots__`, `__init__` and `_FIELDS`.
"""

from __future__ import annotations

import ipaddress

# `X | Y` rather than typing.Union: `typing` costs another ~4 ms to import.
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_set = object.__setattr__
_new = object.__new__


class _Fields:
    """Equality and repr over the names in `_FIELDS`, only between objects of one class."""

    __slots__ = ()
    _FIELDS: tuple[str, ...] = ()

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self._FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._FIELDS)
        return f"{self.__class__.__qualname__}({inner})"


class _Frozen(_Fields):
    """Immutable after __init__ (which assigns through object.__setattr__), hence hashable."""

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __hash__(self) -> int:
        return hash(self._values())

    def __copy__(self):
        return self

    def __deepcopy__(self, memo: dict):
        return self

    def __reduce__(self):
        return (self.__class__, self._values())


class Endpoint(_Frozen):
    """A numeric UDP endpoint. IPv6 link-local addresses keep their scope (`fe80::1%eth0`)."""

    __slots__ = ("host", "port")
    _FIELDS = ("host", "port")
    host: IPAddress
    port: int

    def __init__(self, host: IPAddress, port: int) -> None:
        _set(self, "host", host)
        _set(self, "port", port)

    def __str__(self) -> str:
        # The one writer of the text form (inet_ntop's, as wireguard-go prints it).
        from wg_py.uapi.text import format_endpoint

        return format_endpoint(self)

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


class WgAllowedIP(_Frozen):
    """One allowed-IPs prefix. `remove` is the newer `-prefix` syntax (incremental removal).

    Parsers that read thousands of prefixes build them with `from_int` (version, masked
    address as an int, prefix length), which costs a fraction of an ipaddress network;
    `network` is then made on first use. `parts` gives the integer form either way.
    """

    __slots__ = ("_network", "_parts", "remove")
    _FIELDS = ("network", "remove")

    def __init__(self, network: IPNetwork, remove: bool = False) -> None:
        _set(self, "_network", network)
        _set(self, "_parts", None)
        _set(self, "remove", remove)

    @classmethod
    def from_int(cls, version: int, address: int, prefixlen: int, remove: bool = False) -> "WgAllowedIP":
        """`address` must have no bits set beyond `prefixlen` (a network address)."""
        self = _new(cls)
        _set(self, "_network", None)
        _set(self, "_parts", (version, address, prefixlen))
        _set(self, "remove", remove)
        return self

    @property
    def network(self) -> IPNetwork:
        network = self._network
        if network is None:
            version, address, prefixlen = self._parts
            kind = ipaddress.IPv4Network if version == 4 else ipaddress.IPv6Network
            network = kind((address, prefixlen))
            _set(self, "_network", network)
        return network

    @property
    def parts(self) -> tuple[int, int, int]:
        """(IP version, network address as an int, prefix length)."""
        parts = self._parts
        if parts is None:
            network = self._network
            parts = (network.version, int(network.network_address), network.prefixlen)
            _set(self, "_parts", parts)
        return parts

    def __str__(self) -> str:
        from wg_py.uapi.text import format_prefix

        return format_prefix(self)


class WgPeer(_Fields):
    __slots__ = ("public_key", "preshared_key", "endpoint", "persistent_keepalive_interval",
                 "allowed_ips", "last_handshake_time_sec", "last_handshake_time_nsec", "rx_bytes",
                 "tx_bytes", "protocol_version", "remove", "update_only", "replace_allowed_ips")
    _FIELDS = __slots__
    __hash__ = None  # type: ignore[assignment]  # mutable, like a non-frozen dataclass

    def __init__(
        self,
        public_key: bytes,
        preshared_key: bytes | None = None,         # None: unchanged / unset; zero key: none
        endpoint: Endpoint | None = None,
        persistent_keepalive_interval: int | None = None,  # seconds; 0 = off
        allowed_ips: list[WgAllowedIP] | None = None,
        # Snapshot-only fields.
        last_handshake_time_sec: int = 0,
        last_handshake_time_nsec: int = 0,
        rx_bytes: int = 0,
        tx_bytes: int = 0,
        protocol_version: int = 1,
        # Change-only flags.
        remove: bool = False,
        update_only: bool = False,
        replace_allowed_ips: bool = False,
    ) -> None:
        self.public_key = public_key
        self.preshared_key = preshared_key
        self.endpoint = endpoint
        self.persistent_keepalive_interval = persistent_keepalive_interval
        self.allowed_ips = [] if allowed_ips is None else allowed_ips
        self.last_handshake_time_sec = last_handshake_time_sec
        self.last_handshake_time_nsec = last_handshake_time_nsec
        self.rx_bytes = rx_bytes
        self.tx_bytes = tx_bytes
        self.protocol_version = protocol_version
        self.remove = remove
        self.update_only = update_only
        self.replace_allowed_ips = replace_allowed_ips


class WgDevice(_Fields):
    __slots__ = ("name", "private_key", "public_key", "listen_port", "fwmark", "peers", "replace_peers")
    _FIELDS = __slots__
    __hash__ = None  # type: ignore[assignment]

    def __init__(
        self,
        name: str = "",
        private_key: bytes | None = None,    # None: unchanged / unset; zero key: remove
        public_key: bytes | None = None,     # derived from private_key; never sent
        listen_port: int | None = None,      # 0 = choose a random port
        fwmark: int | None = None,           # 0 = off
        peers: list[WgPeer] | None = None,
        replace_peers: bool = False,
    ) -> None:
        self.name = name
        self.private_key = private_key
        self.public_key = public_key
        self.listen_port = listen_port
        self.fwmark = fwmark
        self.peers = [] if peers is None else peers
        self.replace_peers = replace_peers


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
