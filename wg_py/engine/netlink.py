"""Link events for our TUN: up/down, MTU changes, deletion (rtnetlink, RTMGRP_LINK).

A raw NETLINK_ROUTE socket subscribed to link notifications; the loop reads it when
readable and gets back small event tuples. Parsing is by hand (a few struct unpacks):
pyroute2 takes ~150 ms to import and the daemon needs three attributes of one message.

An RTM_DELLINK for our index also arrives when the link is moved to another network
namespace (`ip link set IF netns NS`); the loop tells the two apart by asking the TUN fd
whether it is still attached (see tun.tun_name).
"""

from __future__ import annotations

import socket
import struct

RTMGRP_LINK = 0x1
RTM_NEWLINK = 16
RTM_DELLINK = 17
IFLA_MTU = 4
IFF_UP = 0x1
IFF_RUNNING = 0x40

_NLMSG = struct.Struct("=IHHII")        # len, type, flags, seq, pid
_IFINFO = struct.Struct("=BxHiII")      # family, pad, type, index, flags, change
_RTA = struct.Struct("=HH")             # len, type


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
        self.sock.bind((0, RTMGRP_LINK))

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
    events = []
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
        offset += (length + 3) & ~3
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
