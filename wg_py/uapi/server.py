"""The server half of the UAPI, as wireguard-go 0.0.20220316 speaks it (`device/uapi.go`).

- `SetParser` turns the lines of a `set=1` request into one `WgDevice` change, failing at
  the first bad line with wireguard-go's errno: a line without `=` is EPROTO; device keys
  (`private_key`, `listen_port`, `fwmark`, `replace_peers`) only before the first
  `public_key`, peer keys only after it, anything else EINVAL; values parse strictly
  (decimal digits, 64 hex digits, numeric endpoints, `ip/cidr`) or EINVAL.
- `format_get(snapshot)` writes the whole `get=1` reply in wireguard-go's order, values in
  the forms of `wg_py.uapi.text`, ending with `errno=0` and the blank line.

Pure: the engine's connection handling (`wg_py/engine/uapi_server.py`) feeds it lines and
sends what it returns. The client half (the C tool's rules) is `wg_py.uapi.client`.
"""

from __future__ import annotations

import errno
import ipaddress

from wg_py.model import Endpoint, WgAllowedIP, WgDevice, WgPeer
from wg_py.uapi.text import format_endpoint, format_key, format_prefix

MAX_LINE = 65536                 # Go bufio.MaxScanTokenSize: longer → "failed to read input" (EIO)
MAX_REQUEST = 32 << 20           # bytes in one set request
MAX_PEERS_PER_SET = 1 << 16      # wireguard-go MaxPeers

# wireguard-go ipc error codes, as positive errno values; the wire carries them negated.
IPC_ERROR_IO = errno.EIO
IPC_ERROR_PROTOCOL = errno.EPROTO
IPC_ERROR_INVALID = errno.EINVAL
IPC_ERROR_PORT_IN_USE = errno.EADDRINUSE
IPC_ERROR_UNKNOWN = 55           # "other UAPI error"; Go has no errno name for it here

_HEX = frozenset("0123456789abcdefABCDEF")


class SetError(Exception):
    """A set request that wireguard-go would refuse; `errno` is positive."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.errno = code


# ---- value parsers (strict, wireguard-go's acceptance) ----------------------------------

def _digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


def parse_uint(value: str, bits: int) -> int:
    """strconv.ParseUint(value, 10, bits): ASCII digits only, in range."""
    if not _digits(value):
        raise SetError(IPC_ERROR_INVALID)
    number = int(value)
    if number >= 1 << bits:
        raise SetError(IPC_ERROR_INVALID)
    return number


def parse_key(value: str) -> bytes:
    """hex.DecodeString of exactly 64 hex digits."""
    if len(value) != 64 or not _HEX.issuperset(value):
        raise SetError(IPC_ERROR_INVALID)
    return bytes.fromhex(value)


def parse_true(value: str) -> bool:
    if value != "true":
        raise SetError(IPC_ERROR_INVALID)
    return True


def parse_endpoint(value: str) -> Endpoint:
    """netip.ParseAddrPort: numeric `a.b.c.d:port` or `[v6(%zone)]:port`."""
    if not value.isascii():
        raise SetError(IPC_ERROR_INVALID)
    try:
        endpoint = Endpoint.parse(value)
    except ValueError:
        raise SetError(IPC_ERROR_INVALID) from None
    if endpoint.host.version == 4 and value.startswith("["):
        raise SetError(IPC_ERROR_INVALID)   # brackets are for IPv6 only
    return endpoint


def parse_prefix(value: str) -> WgAllowedIP:
    """netip.ParsePrefix: `addr/bits`, bits decimal; no zone; the address is masked on insert."""
    addr, slash, bits = value.partition("/")
    if not slash or not _digits(bits) or "%" in addr or not value.isascii():
        raise SetError(IPC_ERROR_INVALID)
    try:
        host = ipaddress.ip_address(addr)
    except ValueError:
        raise SetError(IPC_ERROR_INVALID) from None
    if int(bits) > host.max_prefixlen:
        raise SetError(IPC_ERROR_INVALID)
    network = ipaddress.ip_network((host, int(bits)), strict=False)
    return WgAllowedIP(network)


# ---- set -----------------------------------------------------------------------------

class SetParser:
    """Builds a WgDevice change from set lines, failing on the first bad line like wireguard-go.

    `feed(line)` each line (without its newline) until the blank line; then `error` is None
    and `change` is the request, or `error` is the positive errno to answer with.
    """

    def __init__(self) -> None:
        self.change = WgDevice()
        self.peer: WgPeer | None = None
        self.block: list[WgPeer] = []  # the entries for the current public_key block
        self.ignoring = False          # after `remove=true`: later lines are checked, not kept
        self.error: int | None = None

    def feed(self, line: str) -> None:
        if self.error is not None:
            return
        try:
            self._line(line)
        except SetError as e:
            self.error = e.errno

    def fail(self, code: int) -> None:
        """Refuse the request with `code` (the first failure is the one reported)."""
        if self.error is None:
            self.error = code

    def _line(self, line: str) -> None:
        key, sep, value = line.partition("=")
        if not sep:
            raise SetError(IPC_ERROR_PROTOCOL)
        if key == "public_key":
            if len(self.change.peers) >= MAX_PEERS_PER_SET:
                raise SetError(IPC_ERROR_INVALID)
            self.peer = WgPeer(public_key=parse_key(value))
            self.block = [self.peer]
            self.ignoring = False
            self.change.peers.append(self.peer)
        elif self.peer is None:
            self._device_line(key, value)
        else:
            self._peer_line(self.peer, key, value)

    def _device_line(self, key: str, value: str) -> None:
        change = self.change
        if key == "private_key":
            change.private_key = parse_key(value)
        elif key == "listen_port":
            change.listen_port = parse_uint(value, 16)
        elif key == "fwmark":
            change.fwmark = parse_uint(value, 32)
        elif key == "replace_peers":
            change.replace_peers = parse_true(value)
        else:
            raise SetError(IPC_ERROR_INVALID)

    def _peer_line(self, peer: WgPeer, key: str, value: str) -> None:
        keep = not self.ignoring
        if key == "update_only":
            parse_true(value)
            if keep:
                for entry in self.block:
                    entry.update_only = True
        elif key == "remove":
            parse_true(value)
            peer.remove = True
            self.ignoring = True
        elif key == "preshared_key":
            psk = parse_key(value)
            if keep:
                peer.preshared_key = psk
        elif key == "endpoint":
            endpoint = parse_endpoint(value)
            if keep:
                peer.endpoint = endpoint
        elif key == "persistent_keepalive_interval":
            interval = parse_uint(value, 16)
            if keep:
                peer.persistent_keepalive_interval = interval
        elif key == "replace_allowed_ips":
            parse_true(value)
            if keep and peer.allowed_ips:
                # wireguard-go inserts each allowed_ip at once (taking it from its previous
                # owner) and clears the peer's list here: continue in a second entry for the
                # same key, so the earlier prefixes are still taken from others, then dropped.
                peer = WgPeer(public_key=peer.public_key, update_only=peer.update_only)
                self.peer = peer
                self.block.append(peer)
                self.change.peers.append(peer)
            if keep:
                peer.replace_allowed_ips = True
        elif key == "allowed_ip":
            prefix = parse_prefix(value)
            if keep:
                peer.allowed_ips.append(prefix)
        elif key == "protocol_version":
            if value != "1":
                raise SetError(IPC_ERROR_INVALID)
        else:
            raise SetError(IPC_ERROR_INVALID)


# ---- get -----------------------------------------------------------------------------

def format_get(snapshot: WgDevice, errno: int = 0) -> str:
    """The whole `get=1` reply in wireguard-go's order, ending with `errno=N` and a blank line.

    Device keys that are unset (zero key, port 0, fwmark 0) are left out, as wireguard-go
    leaves them out; every peer has all its keys, a missing preshared key as zeros."""
    out: list[str] = []
    if snapshot.private_key is not None and any(snapshot.private_key):
        out.append(f"private_key={snapshot.private_key.hex()}")
    if snapshot.listen_port:
        out.append(f"listen_port={snapshot.listen_port}")
    if snapshot.fwmark:
        out.append(f"fwmark={snapshot.fwmark}")
    for peer in snapshot.peers:
        out.append(f"public_key={peer.public_key.hex()}")
        out.append(f"preshared_key={format_key(peer.preshared_key)}")
        out.append("protocol_version=1")
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
