"""The engine's rtnetlink: link notifications parsed as the kernel sends them, route and
address changes reported as one event, and route lookups answered by the real kernel."""

from __future__ import annotations

import struct

import os
import socket
import sys

import pytest

from wg_py.engine.netlink import (
    IFF_RUNNING, IFF_UP, NLMSG_ERROR, RTM_DELLINK, RTM_NEWLINK, RTM_NEWROUTE, RouteLookup, parse_messages,
    parse_route_reply,
)


def message(msg_type: int, index: int, flags: int, mtu: int | None) -> bytes:
    attrs = b""
    attrs += struct.pack("=HH", 8, 3) + b"wg0\0"                    # IFLA_IFNAME first
    if mtu is not None:
        attrs += struct.pack("=HHI", 8, 4, mtu)                     # IFLA_MTU
    body = struct.pack("=BxHiII", 0, 65534, index, flags, 0) + attrs
    return struct.pack("=IHHII", 16 + len(body), msg_type, 0, 0, 0) + body


def test_new_and_del_link_events_carry_index_flags_and_mtu():
    data = message(RTM_NEWLINK, 7, IFF_UP | IFF_RUNNING, 9000) + message(RTM_DELLINK, 7, 0, None) \
        + message(20, 7, 0, None) + message(24, 0, 0, None)           # RTM_NEWADDR, RTM_NEWROUTE
    events = parse_messages(data)
    assert [(e.kind, e.index, e.up, e.mtu) for e in events] == [
        ("new", 7, True, 9000), ("del", 7, False, None), ("routes", 0, False, None)]   # changes: one event
    assert events[0].flags & IFF_RUNNING


def test_truncated_messages_are_ignored():
    data = message(RTM_NEWLINK, 3, IFF_UP, 1420)
    assert parse_messages(data[:20]) == []
    assert len(parse_messages(data + data[:10])) == 1


def route_reply(msg_type: int, seq: int, attrs: bytes) -> bytes:
    body = struct.pack("=BBBBBBBBI", 2, 32, 0, 0, 254, 0, 0, 1, 0) + attrs
    return struct.pack("=IHHII", 16 + len(body), msg_type, 0, seq, 0) + body


def test_route_reply_gives_the_output_interface_of_the_answer_to_our_request():
    oif = struct.pack("=HHI", 8, 4, 7)                                          # RTA_OIF 7
    dst = struct.pack("=HH", 8, 1) + socket.inet_aton("192.0.2.1")
    assert parse_route_reply(route_reply(RTM_NEWROUTE, 5, dst + oif), 5) == 7
    assert parse_route_reply(route_reply(RTM_NEWROUTE, 4, dst + oif), 5) is None   # not ours
    assert parse_route_reply(route_reply(RTM_NEWROUTE, 5, dst), 5) == 0             # no interface
    error = struct.pack("=IHHII", 20, NLMSG_ERROR, 0, 5, 0) + struct.pack("=i", -101)
    assert parse_route_reply(error, 5) == 0                                          # ENETUNREACH
    assert parse_route_reply(route_reply(RTM_NEWROUTE, 5, dst + oif)[:30], 5) is None


def test_route_lookup_asks_the_kernel():
    lookup = RouteLookup()
    try:
        assert lookup.oif("127.0.0.1") == socket.if_nametoindex("lo")
        assert lookup.oif("::1", fwmark=0x51) == socket.if_nametoindex("lo")
    finally:
        lookup.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs a network namespace")
def test_route_lookup_without_a_route_is_zero():
    from tests.support.netns import namespace

    code = "from wg_py.engine.netlink import RouteLookup; r = RouteLookup(); print(r.oif('198.51.100.7'), r.oif('2001:db8::7'))"
    with namespace() as ns:
        out = ns.run(sys.executable, "-c", code, cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    assert out.stdout.split() == ["0", "0"]
