"""Kernel WireGuard over netlink: the wire codec and a small blocking socket.

Two conversations, as wireguard-tools' ipc-linux.h has them:
- rtnetlink RTM_GETLINK dump → names of links whose IFLA_INFO_KIND is "wireguard";
- generic netlink family "wireguard": WG_CMD_GET_DEVICE (a dump, peers split over several
  messages and coalesced here) and WG_CMD_SET_DEVICE (split into messages of at most
  MESSAGE_BUDGET bytes, a peer's allowed IPs continued in the next message if need be).

The encoder and decoder are pure functions over bytes, checked in tests/cli/test_netlink.py
against pyroute2's own message classes (`pyroute2.netlink.generic.wireguard.wgmsg`,
`pyroute2.netlink.rtnl.ifinfmsg`): this machine's kernel has no WireGuard module, so that
is how the kernel path is tested. The sockets are plain `socket.AF_NETLINK` ones: pyroute2
costs ~150 ms to import and its 0.9 sockets run an asyncio loop, which `wg show` cannot
afford on every call.
"""

from __future__ import annotations

import errno as _errno
import ipaddress
import os
import socket
import struct

from wg_py.model import Endpoint, WgAllowedIP, WgDevice, WgPeer

# linux/netlink.h, linux/genetlink.h, linux/rtnetlink.h, linux/if_link.h
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x2, 0x4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLA_F_NESTED = 0x8000
NETLINK_ROUTE, NETLINK_GENERIC = 0, 16
NLA_TYPE_MASK = 0x3FFF
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
RTM_GETLINK, RTM_NEWLINK = 18, 16
IFLA_IFNAME, IFLA_LINKINFO, IFLA_INFO_KIND = 3, 18, 1

# linux/wireguard.h
WG_GENL_NAME, WG_GENL_VERSION = "wireguard", 1
WG_CMD_GET_DEVICE, WG_CMD_SET_DEVICE = 0, 1
WGDEVICE_F_REPLACE_PEERS = 1
(WGDEVICE_A_IFINDEX, WGDEVICE_A_IFNAME, WGDEVICE_A_PRIVATE_KEY, WGDEVICE_A_PUBLIC_KEY,
 WGDEVICE_A_FLAGS, WGDEVICE_A_LISTEN_PORT, WGDEVICE_A_FWMARK, WGDEVICE_A_PEERS) = range(1, 9)
WGPEER_F_REMOVE_ME, WGPEER_F_REPLACE_ALLOWEDIPS, WGPEER_F_UPDATE_ONLY = 1, 2, 4
(WGPEER_A_PUBLIC_KEY, WGPEER_A_PRESHARED_KEY, WGPEER_A_FLAGS, WGPEER_A_ENDPOINT,
 WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, WGPEER_A_LAST_HANDSHAKE_TIME, WGPEER_A_RX_BYTES,
 WGPEER_A_TX_BYTES, WGPEER_A_ALLOWEDIPS, WGPEER_A_PROTOCOL_VERSION) = range(1, 11)
WGALLOWEDIP_A_FAMILY, WGALLOWEDIP_A_IPADDR, WGALLOWEDIP_A_CIDR_MASK, WGALLOWEDIP_A_FLAGS = 1, 2, 3, 4
WGALLOWEDIP_F_REMOVE_ME = 1

# wg sizes its messages by libmnl's ideal buffer (a page, at most 8 KiB).
MESSAGE_BUDGET = min(os.sysconf("SC_PAGE_SIZE"), 8192)

_NLMSGHDR = struct.Struct("=IHHII")
_GENLHDR = struct.Struct("=BBH")
_NLATTR = struct.Struct("=HH")
_IFINFOMSG = struct.Struct("=BxHiII")


def _align(n: int) -> int:
    return (n + 3) & ~3


# --------------------------------------------------------------------------- attributes

def attr(kind: int, payload: bytes) -> bytes:
    raw = _NLATTR.pack(_NLATTR.size + len(payload), kind) + payload
    return raw + b"\0" * (_align(len(raw)) - len(raw))


def nest(kind: int, children: bytes) -> bytes:
    return attr(kind | NLA_F_NESTED, children)


def parse_attrs(data: bytes | memoryview) -> list[tuple[int, memoryview]]:
    """(type without flags, payload) for each attribute in `data`."""
    view = memoryview(data)
    out = []
    offset = 0
    while offset + _NLATTR.size <= len(view):
        length, kind = _NLATTR.unpack_from(view, offset)
        if length < _NLATTR.size or offset + length > len(view):
            break
        out.append((kind & NLA_TYPE_MASK, view[offset + _NLATTR.size: offset + length]))
        offset += _align(length)
    return out


def message(msg_type: int, flags: int, seq: int, body: bytes) -> bytes:
    return _NLMSGHDR.pack(_NLMSGHDR.size + len(body), msg_type, flags, seq, 0) + body


def split_messages(data: bytes) -> list[tuple[int, int, memoryview]]:
    """(type, flags, body) for each netlink message in a datagram."""
    view = memoryview(data)
    out = []
    offset = 0
    while offset + _NLMSGHDR.size <= len(view):
        length, msg_type, flags, _seq, _pid = _NLMSGHDR.unpack_from(view, offset)
        if length < _NLMSGHDR.size or offset + length > len(view):
            break
        out.append((msg_type, flags, view[offset + _NLMSGHDR.size: offset + length]))
        offset += _align(length)
    return out


# --------------------------------------------------------------------------- sockaddr

def pack_sockaddr(endpoint: Endpoint) -> bytes:
    """struct sockaddr_in / sockaddr_in6 as the kernel takes them (port and flowinfo big-endian)."""
    if endpoint.host.version == 4:
        return struct.pack("=H", socket.AF_INET) + struct.pack("!H", endpoint.port) \
            + endpoint.host.packed + b"\0" * 8
    scope = endpoint.host.scope_id
    scope_id = 0
    if scope:
        scope_id = int(scope) if scope.isdigit() else socket.if_nametoindex(scope)
    return struct.pack("=H", socket.AF_INET6) + struct.pack("!HI", endpoint.port, 0) \
        + endpoint.host.packed + struct.pack("=I", scope_id)


def unpack_sockaddr(raw: bytes | memoryview) -> Endpoint | None:
    raw = bytes(raw)
    if len(raw) < 2:
        return None
    family = struct.unpack_from("=H", raw)[0]
    if family == socket.AF_INET and len(raw) == 16:
        port = struct.unpack_from("!H", raw, 2)[0]
        return Endpoint(ipaddress.IPv4Address(raw[4:8]), port)
    if family == socket.AF_INET6 and len(raw) == 28:
        port = struct.unpack_from("!H", raw, 2)[0]
        host = ipaddress.IPv6Address(raw[8:24])
        scope_id = struct.unpack_from("=I", raw, 24)[0]
        if scope_id:
            try:
                scope = socket.if_indextoname(scope_id)
            except OSError:
                scope = str(scope_id)
            host = ipaddress.IPv6Address(f"{host}%{scope}")
        return Endpoint(host, port)
    return None


# --------------------------------------------------------------------------- SET_DEVICE

def _u16(kind: int, value: int) -> bytes:
    return attr(kind, struct.pack("=H", value))


def _u32(kind: int, value: int) -> bytes:
    return attr(kind, struct.pack("=I", value))


def _allowed_ip_attr(aip: WgAllowedIP) -> bytes:
    family = socket.AF_INET if aip.network.version == 4 else socket.AF_INET6
    body = _u16(WGALLOWEDIP_A_FAMILY, family) \
        + attr(WGALLOWEDIP_A_IPADDR, aip.network.network_address.packed) \
        + attr(WGALLOWEDIP_A_CIDR_MASK, bytes([aip.network.prefixlen]))
    if aip.remove:
        body += _u32(WGALLOWEDIP_A_FLAGS, WGALLOWEDIP_F_REMOVE_ME)
    return nest(0, body)


def _peer_head(peer: WgPeer, first_chunk: bool) -> bytes:
    """A peer's attributes other than allowed IPs; a continuation only names the peer."""
    body = attr(WGPEER_A_PUBLIC_KEY, peer.public_key)
    flags = WGPEER_F_REMOVE_ME if peer.remove else 0
    if first_chunk:
        if peer.replace_allowed_ips:
            flags |= WGPEER_F_REPLACE_ALLOWEDIPS
        if peer.update_only:
            flags |= WGPEER_F_UPDATE_ONLY
        if peer.preshared_key is not None:
            body += attr(WGPEER_A_PRESHARED_KEY, peer.preshared_key)
        if peer.endpoint is not None:
            body += attr(WGPEER_A_ENDPOINT, pack_sockaddr(peer.endpoint))
        if peer.persistent_keepalive_interval is not None:
            body += _u16(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, peer.persistent_keepalive_interval)
    if flags:
        body += _u32(WGPEER_A_FLAGS, flags)
    return body


def _device_head(change: WgDevice) -> bytes:
    body = b""
    if change.private_key is not None:
        body += attr(WGDEVICE_A_PRIVATE_KEY, change.private_key)
    if change.listen_port is not None:
        body += _u16(WGDEVICE_A_LISTEN_PORT, change.listen_port)
    if change.fwmark is not None:
        body += _u32(WGDEVICE_A_FWMARK, change.fwmark)
    if change.replace_peers:
        body += _u32(WGDEVICE_A_FLAGS, WGDEVICE_F_REPLACE_PEERS)
    return body


class _Builder:
    """Fills SET_DEVICE messages up to the budget, starting a new one when full."""

    def __init__(self, name: str, family_id: int, budget: int) -> None:
        self.name, self.family_id, self.budget = name, family_id, budget
        self.bodies: list[bytes] = []
        self.peers: list[bytes] = []
        self.used = 0

    def start(self, head: bytes = b"") -> None:
        self.flush()
        self.fixed = _GENLHDR.pack(WG_CMD_SET_DEVICE, WG_GENL_VERSION, 0) \
            + attr(WGDEVICE_A_IFNAME, self.name.encode() + b"\0") + head
        self.peers, self.used = [], _NLMSGHDR.size + len(self.fixed) + _NLATTR.size

    def fits(self, size: int) -> bool:
        return self.used + size <= self.budget

    def add_peer(self, blob: bytes) -> None:
        self.peers.append(blob)
        self.used += len(blob)

    def flush(self) -> None:
        if hasattr(self, "fixed"):
            body = self.fixed + (nest(WGDEVICE_A_PEERS, b"".join(self.peers)) if self.peers else b"")
            self.bodies.append(body)
            del self.fixed


def encode_set_device(change: WgDevice, name: str, family_id: int,
                      budget: int = MESSAGE_BUDGET) -> list[bytes]:
    """WG_CMD_SET_DEVICE request(s) for `change` (netlink headers included, seq 0)."""
    builder = _Builder(name, family_id, budget)
    builder.start(_device_head(change))
    for peer in change.peers:
        _encode_peer(builder, peer)
    builder.flush()
    return [message(family_id, NLM_F_REQUEST | NLM_F_ACK, 0, body) for body in builder.bodies]


def _encode_peer(builder: _Builder, peer: WgPeer) -> None:
    first = True
    pending = [] if peer.remove else [_allowed_ip_attr(a) for a in peer.allowed_ips]
    while True:
        head = _peer_head(peer, first)
        if not builder.fits(_NLATTR.size + len(head) + _NLATTR.size * 2):
            builder.start()
        taken: list[bytes] = []
        size = _NLATTR.size + len(head) + (_NLATTR.size if pending else 0)
        while pending and (builder.fits(size + len(pending[0])) or not taken and not builder.peers):
            # (An allowed IP always goes into an otherwise empty message, so this ends.)
            size += len(pending[0])
            taken.append(pending.pop(0))
        body = head + (nest(WGPEER_A_ALLOWEDIPS, b"".join(taken)) if taken else b"")
        builder.add_peer(nest(0, body))
        first = False
        if not pending:
            return
        builder.start()


# --------------------------------------------------------------------------- GET_DEVICE

def encode_get_device(name: str, family_id: int, seq: int = 0) -> bytes:
    body = _GENLHDR.pack(WG_CMD_GET_DEVICE, WG_GENL_VERSION, 0) \
        + attr(WGDEVICE_A_IFNAME, name.encode() + b"\0")
    return message(family_id, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, seq, body)


def decode_device_messages(bodies: list[bytes | memoryview], name: str = "") -> WgDevice:
    """The genl bodies (after nlmsghdr) of a GET_DEVICE dump → one snapshot."""
    device = WgDevice(name=name, listen_port=0, fwmark=0)
    for body in bodies:
        _decode_device(device, memoryview(body)[_GENLHDR.size:])
    device.peers = _coalesce(device.peers)
    return device


def _decode_device(device: WgDevice, data: memoryview) -> None:
    for kind, payload in parse_attrs(data):
        if kind == WGDEVICE_A_IFNAME:
            device.name = bytes(payload).split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
        elif kind == WGDEVICE_A_PRIVATE_KEY and len(payload) == 32:
            device.private_key = bytes(payload)
        elif kind == WGDEVICE_A_PUBLIC_KEY and len(payload) == 32:
            device.public_key = bytes(payload)
        elif kind == WGDEVICE_A_LISTEN_PORT and len(payload) >= 2:
            device.listen_port = struct.unpack_from("=H", payload)[0]
        elif kind == WGDEVICE_A_FWMARK and len(payload) >= 4:
            device.fwmark = struct.unpack_from("=I", payload)[0]
        elif kind == WGDEVICE_A_PEERS:
            for _i, peer_data in parse_attrs(payload):
                device.peers.append(_decode_peer(peer_data))


def _decode_peer(data: memoryview) -> WgPeer:
    peer = WgPeer(public_key=b"", persistent_keepalive_interval=0)
    for kind, payload in parse_attrs(data):
        if kind == WGPEER_A_PUBLIC_KEY and len(payload) == 32:
            peer.public_key = bytes(payload)
        elif kind == WGPEER_A_PRESHARED_KEY and len(payload) == 32:
            psk = bytes(payload)
            peer.preshared_key = None if psk == bytes(32) else psk
        elif kind == WGPEER_A_ENDPOINT:
            peer.endpoint = unpack_sockaddr(payload)
        elif kind == WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL and len(payload) >= 2:
            peer.persistent_keepalive_interval = struct.unpack_from("=H", payload)[0]
        elif kind == WGPEER_A_LAST_HANDSHAKE_TIME and len(payload) == 16:
            peer.last_handshake_time_sec, peer.last_handshake_time_nsec = struct.unpack("=qq", payload)
        elif kind == WGPEER_A_RX_BYTES and len(payload) >= 8:
            peer.rx_bytes = struct.unpack_from("=Q", payload)[0]
        elif kind == WGPEER_A_TX_BYTES and len(payload) >= 8:
            peer.tx_bytes = struct.unpack_from("=Q", payload)[0]
        elif kind == WGPEER_A_PROTOCOL_VERSION and len(payload) >= 4:
            peer.protocol_version = struct.unpack_from("=I", payload)[0]
        elif kind == WGPEER_A_ALLOWEDIPS:
            peer.allowed_ips.extend(_decode_allowed_ip(p) for _i, p in parse_attrs(payload))
    if len(peer.public_key) != 32:
        raise OSError(_errno.EINVAL, "peer without public key")
    return peer


def _decode_allowed_ip(data: memoryview) -> WgAllowedIP:
    family = cidr = None
    raw = b""
    for kind, payload in parse_attrs(data):
        if kind == WGALLOWEDIP_A_FAMILY and len(payload) >= 2:
            family = struct.unpack_from("=H", payload)[0]
        elif kind == WGALLOWEDIP_A_IPADDR:
            raw = bytes(payload)
        elif kind == WGALLOWEDIP_A_CIDR_MASK and len(payload) >= 1:
            cidr = payload[0]
    if family == socket.AF_INET and len(raw) == 4 and cidr is not None and cidr <= 32:
        return WgAllowedIP(ipaddress.IPv4Network((raw, cidr), strict=False))
    if family == socket.AF_INET6 and len(raw) == 16 and cidr is not None and cidr <= 128:
        return WgAllowedIP(ipaddress.IPv6Network((raw, cidr), strict=False))
    raise OSError(_errno.EINVAL, "bad allowed IP")


def _coalesce(peers: list[WgPeer]) -> list[WgPeer]:
    """A peer split across dump messages arrives as consecutive entries with one key."""
    out: list[WgPeer] = []
    for peer in peers:
        if out and out[-1].public_key == peer.public_key:
            out[-1].allowed_ips.extend(peer.allowed_ips)
        else:
            out.append(peer)
    return out


# --------------------------------------------------------------------------- rtnetlink listing

def encode_getlink_dump(seq: int = 0) -> bytes:
    body = _IFINFOMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0)
    return message(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, seq, body)


def wireguard_link_name(body: bytes | memoryview) -> str | None:
    """The IFLA_IFNAME of an RTM_NEWLINK body whose link kind is "wireguard", else None."""
    name, kind = None, None
    for attr_type, payload in parse_attrs(memoryview(body)[_IFINFOMSG.size:]):
        if attr_type == IFLA_IFNAME:
            name = bytes(payload).split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
        elif attr_type == IFLA_LINKINFO:
            for info_type, info in parse_attrs(payload):
                if info_type == IFLA_INFO_KIND:
                    kind = bytes(info).split(b"\0", 1)[0]
    return name if name and kind == WG_GENL_NAME.encode() else None


# --------------------------------------------------------------------------- sockets

def _exchange(protocol: int, requests: list[bytes]) -> list[list[tuple[int, memoryview]]]:
    """Send each request and collect its replies until DONE or the ACK; OSError on NLMSG_ERROR."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, protocol) as sock:
        sock.bind((0, 0))
        results = []
        for seq, request in enumerate(requests, start=1):
            request = request[:8] + struct.pack("=I", seq) + request[12:]
            sock.sendall(request)
            results.append(_collect(sock))
        return results


def _collect(sock: socket.socket) -> list[tuple[int, memoryview]]:
    replies: list[tuple[int, memoryview]] = []
    while True:
        data = sock.recv(1 << 16)
        for msg_type, _flags, body in split_messages(data):
            if msg_type == NLMSG_DONE:
                return replies
            if msg_type == NLMSG_ERROR:
                code = struct.unpack_from("=i", body)[0]
                if code:
                    raise OSError(-code, os.strerror(-code))
                return replies
            replies.append((msg_type, body))


def family_id(name: str = WG_GENL_NAME) -> int:
    """The generic netlink id of `name`; EPROTONOSUPPORT if the kernel does not know it."""
    body = _GENLHDR.pack(CTRL_CMD_GETFAMILY, 1, 0) + attr(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0")
    try:
        (replies,) = _exchange(NETLINK_GENERIC, [message(GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, 0, body)])
    except OSError as e:
        if e.errno == _errno.ENOENT:
            # What libmnl's mnlg_socket_open leaves for wg to print when the module is absent.
            raise OSError(_errno.EPROTONOSUPPORT, os.strerror(_errno.EPROTONOSUPPORT)) from None
        raise
    for _type, reply in replies:
        for kind, payload in parse_attrs(reply[_GENLHDR.size:]):
            if kind == CTRL_ATTR_FAMILY_ID:
                return struct.unpack_from("=H", payload)[0]
    raise OSError(_errno.EPROTONOSUPPORT, os.strerror(_errno.EPROTONOSUPPORT))


def kernel_list_interfaces() -> list[str]:
    (replies,) = _exchange(NETLINK_ROUTE, [encode_getlink_dump()])
    names = []
    for msg_type, body in replies:
        if msg_type == RTM_NEWLINK:
            name = wireguard_link_name(body)
            if name:
                names.append(name)
    return names


def kernel_get_device(name: str) -> WgDevice:
    fid = family_id()
    (replies,) = _exchange(NETLINK_GENERIC, [encode_get_device(name, fid)])
    return decode_device_messages([body for _t, body in replies], name)


def kernel_set_device(change: WgDevice, name: str) -> None:
    fid = family_id()
    _exchange(NETLINK_GENERIC, encode_set_device(change, name, fid))
