"""Link notifications: parsing RTM_NEWLINK / RTM_DELLINK messages as the kernel sends them."""

from __future__ import annotations

import struct

from wg_py.engine.netlink import IFF_RUNNING, IFF_UP, RTM_DELLINK, RTM_NEWLINK, parse_messages


def message(msg_type: int, index: int, flags: int, mtu: int | None) -> bytes:
    attrs = b""
    attrs += struct.pack("=HH", 8, 3) + b"wg0\0"                    # IFLA_IFNAME first
    if mtu is not None:
        attrs += struct.pack("=HHI", 8, 4, mtu)                     # IFLA_MTU
    body = struct.pack("=BxHiII", 0, 65534, index, flags, 0) + attrs
    return struct.pack("=IHHII", 16 + len(body), msg_type, 0, 0, 0) + body


def test_new_and_del_link_events_carry_index_flags_and_mtu():
    data = message(RTM_NEWLINK, 7, IFF_UP | IFF_RUNNING, 9000) + message(RTM_DELLINK, 7, 0, None) \
        + message(20, 7, 0, None)                                   # RTM_NEWADDR: ignored
    events = parse_messages(data)
    assert [(e.kind, e.index, e.up, e.mtu) for e in events] == [("new", 7, True, 9000), ("del", 7, False, None)]
    assert events[0].flags & IFF_RUNNING


def test_truncated_messages_are_ignored():
    data = message(RTM_NEWLINK, 3, IFF_UP, 1420)
    assert parse_messages(data[:20]) == []
    assert len(parse_messages(data + data[:10])) == 1
