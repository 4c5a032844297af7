"""The engine's rtnetlink: link events for our TUN (up/down, MTU changes, deletion), that
routes or addresses changed, and which interface a route to an address leaves by.

A raw NETLINK_ROUTE socket subscribed to link, route and address notifications; the loop
reads it when readable and gets back small event tuples. Parsing is by hand (a few struct
unpacks): pyroute2 takes ~150 ms to import and the daemon needs three attributes of one
message. `RouteLookup` asks the kernel for one route (RTM_GETROUTE) on its own socket: the
loop checks each peer's sticky source against it when routes change (udp.py).

An RTM_DELLINK for our index also arrives when the link is moved to another network
namespace (`ip link set IF netns NS`); the loop tells the two apart by asking the TUN fd
whether it is still attached (see tun.tun_name).
"""

from __future__ import annotations

import socket
import struct

RTMGRP_LINK = 0x1
RTMGRP_IPV4_IFADDR = 0x10
RTMGRP_IPV4_ROUTE = 0x40
RTMGRP_IPV6_IFADDR = 0x100
RTMGRP_IPV6_ROUTE = 0x400
NLMSG_ERROR = 2
NLM_F_REQUEST = 1
RTM_NEWLINK = 16
RTM_DELLINK = 17
RTM_NEWADDR = 20
RTM_DELADDR = 21
RTM_NEWROUTE = 24
RTM_DELROUTE = 25
RTM_GETROUTE = 26
ROUTING_CHANGES = (RTM_NEWADDR, RTM_DELADDR, RTM_NEWROUTE, RTM_DELROUTE)
IFLA_MTU = 4
RTA_DST = 1
RTA_OIF = 4
RTA_MARK = 16
IFF_UP = 0x1
IFF_RUNNING = 0x40

_NLMSG = struct.Struct("=IHHII")        # len, type, flags, seq, pid
_IFINFO = struct.Struct("=BxHiII")      # family, pad, type, index, flags, change
_RTA = struct.Struct("=HH")             # len, type
_RTMSG = struct.Struct("=BBBBBBBBI")    # family, dst_len, src_len, tos, table, protocol, scope, type, flags
_U32 = struct.Struct("=I")


class LinkEvent:
    __slots__ = ("kind", "index", "flags", "mtu")

    def __init__(self, kind: str, index: int, flags: int, mtu: int | None) -> None:
        self.kind, self.index, self.flags, self.mtu = kind, index, flags, mtu

    @property
    def up(self) -> bool:
        return bool(self.flags & IFF_UP)


class LinkMonitor:
    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC,
                                  socket.NETLINK_ROUTE)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.bind((0, RTMGRP_LINK | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE
                        | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR))

    def fileno(self) -> int:
        return self.sock.fileno()

    def close(self) -> None:
        self.sock.close()

    def read_events(self) -> list[LinkEvent]:
        events: list[LinkEvent] = []
        while True:
            try:
                data = self.sock.recv(65536)
            except BlockingIOError:
                return events
            except OSError:
                # ENOBUFS: we missed notifications; the caller re-reads the link state.
                events.append(LinkEvent("overrun", 0, 0, None))
                return events
            events.extend(parse_messages(data))


def parse_messages(data: bytes) -> list[LinkEvent]:
    """Link events in order; any number of route or address changes in `data` are one
    ("routes", 0, 0, None) event at the end: the loop only needs to know that they happened."""
    events = []
    routes = False
    offset = 0
    while offset + _NLMSG.size <= len(data):
        length, msg_type, _flags, _seq, _pid = _NLMSG.unpack_from(data, offset)
        if length < _NLMSG.size or offset + length > len(data):
            break
        if msg_type in (RTM_NEWLINK, RTM_DELLINK) and length >= _NLMSG.size + _IFINFO.size:
            _fam, _type, index, flags, _change = _IFINFO.unpack_from(data, offset + _NLMSG.size)
            mtu = _find_mtu(data, offset + _NLMSG.size + _IFINFO.size, offset + length)
            kind = "new" if msg_type == RTM_NEWLINK else "del"
            events.append(LinkEvent(kind, index, flags, mtu))
        elif msg_type in ROUTING_CHANGES:
            routes = True
        offset += (length + 3) & ~3
    if routes:
        events.append(LinkEvent("routes", 0, 0, None))
    return events


def _find_mtu(data: bytes, start: int, end: int) -> int | None:
    while start + _RTA.size <= end:
        rta_len, rta_type = _RTA.unpack_from(data, start)
        if rta_len < _RTA.size:
            return None
        if rta_type == IFLA_MTU and rta_len >= 8:
            return struct.unpack_from("=I", data, start + 4)[0]
        start += (rta_len + 3) & ~3
    return None


class RouteLookup:
    """The interface the kernel's route to a host leaves by (RTM_GETROUTE, one request and
    its reply on a socket of its own), with the fwmark our UDP sockets carry."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, socket.NETLINK_ROUTE)
        self.sock.settimeout(1.0)
        self.sock.bind((0, 0))
        self.seq = 0

    def close(self) -> None:
        self.sock.close()

    def oif(self, host: str, fwmark: int = 0) -> int:
        """The route's output interface index, 0 when there is no route; OSError when the
        kernel cannot be asked (the caller then keeps what it has)."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        raw = socket.inet_pton(family, host)
        self.seq = seq = (self.seq + 1) & 0x7FFFFFFF
        attrs = _RTA.pack(4 + len(raw), RTA_DST) + raw
        if fwmark:
            attrs += _RTA.pack(8, RTA_MARK) + _U32.pack(fwmark)
        body = _RTMSG.pack(family, len(raw) * 8, 0, 0, 0, 0, 0, 0, 0) + attrs
        self.sock.send(_NLMSG.pack(_NLMSG.size + len(body), RTM_GETROUTE, NLM_F_REQUEST, seq, 0) + body)
        while True:
            answer = parse_route_reply(self.sock.recv(65536), seq)
            if answer is not None:
                return answer


def parse_route_reply(data: bytes, seq: int) -> int | None:
    """RTA_OIF of the RTM_NEWROUTE answering `seq` (0 if it has none or the kernel answered
    with an error: no route); None when `data` holds no answer to `seq`."""
    offset = 0
    while offset + _NLMSG.size <= len(data):
        length, msg_type, _flags, msg_seq, _pid = _NLMSG.unpack_from(data, offset)
        if length < _NLMSG.size or offset + length > len(data):
            return None
        if msg_seq == seq:
            if msg_type == NLMSG_ERROR:
                return 0
            if msg_type == RTM_NEWROUTE:
                start, end = offset + _NLMSG.size + _RTMSG.size, offset + length
                while start + _RTA.size <= end:
                    rta_len, rta_type = _RTA.unpack_from(data, start)
                    if rta_len < _RTA.size:
                        break
                    if rta_type == RTA_OIF and rta_len >= 8:
                        return _U32.unpack_from(data, start + 4)[0]
                    start += (rta_len + 3) & ~3
                return 0
        offset += (length + 3) & ~3
    return None
