"""Kernel WireGuard over netlink, tested against pyroute2's own message classes.

This machine's kernel has no WireGuard module, so the kernel path cannot run end to end
here. Instead: what we encode is decoded by pyroute2's `wgmsg` (the wireguard genl message
class) and what pyroute2 encodes is decoded by us, for SET and GET messages, including the
split of big changes over several messages; rtnetlink link messages are built with
pyroute2's `ifinfmsg`. Live, on this kernel, the family lookup fails as the real tool's does.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import struct
from base64 import b64encode

import pytest
from pyroute2.netlink.generic.wireguard import wgmsg
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from tests.support.netns import namespace
from wg_py.ipc import netlink as nl
from wg_py.model import Endpoint, WgAllowedIP, WgDevice, WgPeer

FAMILY = 0x1F


def key(i: int) -> bytes:
    return bytes([i]) * 32


def net(text: str) -> WgAllowedIP:
    return WgAllowedIP(ipaddress.ip_network(text))


def ep(host: str, port: int) -> Endpoint:
    return Endpoint(ipaddress.ip_address(host), port)


def decode_with_pyroute2(data: bytes) -> wgmsg:
    msg = wgmsg(data)
    msg.decode()
    return msg


def test_set_device_decodes_in_pyroute2():
    change = WgDevice(private_key=key(1), listen_port=51820, fwmark=0xCA6C, replace_peers=True, peers=[
        WgPeer(key(2), preshared_key=key(3), endpoint=ep("192.0.2.1", 51820), persistent_keepalive_interval=25,
               replace_allowed_ips=True, allowed_ips=[net("10.0.0.0/8"), net("fd00::/64")]),
        WgPeer(key(4), endpoint=ep("2001:db8::1", 443), update_only=True),
        WgPeer(key(5), remove=True, allowed_ips=[net("10.9.0.0/16")]),
    ])
    (data,) = nl.encode_set_device(change, "wg0", FAMILY)
    msg = decode_with_pyroute2(data)
    assert msg["cmd"] == nl.WG_CMD_SET_DEVICE and msg["version"] == 1
    assert msg["header"]["type"] == FAMILY and msg["header"]["flags"] == nl.NLM_F_REQUEST | nl.NLM_F_ACK
    assert msg.get_attr("WGDEVICE_A_IFNAME") == "wg0"
    assert msg.get_attr("WGDEVICE_A_PRIVATE_KEY") == b64encode(key(1))
    assert msg.get_attr("WGDEVICE_A_LISTEN_PORT") == 51820
    assert msg.get_attr("WGDEVICE_A_FWMARK") == 0xCA6C
    assert msg.get_attr("WGDEVICE_A_FLAGS") == nl.WGDEVICE_F_REPLACE_PEERS
    p1, p2, p3 = msg.get_attr("WGDEVICE_A_PEERS")
    assert p1.get_attr("WGPEER_A_PUBLIC_KEY") == b64encode(key(2))
    assert p1.get_attr("WGPEER_A_PRESHARED_KEY") == b64encode(key(3))
    endpoint = p1.get_attr("WGPEER_A_ENDPOINT")
    assert (endpoint["family"], endpoint["addr"], endpoint["port"]) == (socket.AF_INET, "192.0.2.1", 51820)
    assert p1.get_attr("WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL") == 25
    assert p1.get_attr("WGPEER_A_FLAGS") == nl.WGPEER_F_REPLACE_ALLOWEDIPS
    assert [a["addr"] for a in p1.get_attr("WGPEER_A_ALLOWEDIPS")] == ["10.0.0.0/8", "fd00::/64"]
    endpoint = p2.get_attr("WGPEER_A_ENDPOINT")
    assert (endpoint["family"], endpoint["addr"], endpoint["port"]) == (socket.AF_INET6, "2001:db8::1", 443)
    assert p2.get_attr("WGPEER_A_FLAGS") == nl.WGPEER_F_UPDATE_ONLY
    assert p2.get_attr("WGPEER_A_PRESHARED_KEY") is None
    assert p3.get_attr("WGPEER_A_FLAGS") == nl.WGPEER_F_REMOVE_ME
    assert p3.get_attr("WGPEER_A_ALLOWEDIPS") is None


def test_big_change_is_split_within_budget_and_reassembles():
    peers = [WgPeer(key(i), replace_allowed_ips=True, persistent_keepalive_interval=i,
                    allowed_ips=[net(f"10.{i}.{j}.0/24") for j in range(i * 3)]) for i in range(1, 60)]
    change = WgDevice(private_key=key(200), peers=peers)
    messages = nl.encode_set_device(change, "wg0", FAMILY, budget=4096)
    assert len(messages) > 10 and all(len(m) <= 4096 for m in messages)
    seen: dict[bytes, list[str]] = {}
    flags: dict[bytes, list[int]] = {}
    for index, data in enumerate(messages):
        msg = decode_with_pyroute2(data)
        assert msg.get_attr("WGDEVICE_A_IFNAME") == "wg0"
        assert (msg.get_attr("WGDEVICE_A_PRIVATE_KEY") is not None) == (index == 0)
        for peer in msg.get_attr("WGDEVICE_A_PEERS") or []:
            pub = peer.get_attr("WGPEER_A_PUBLIC_KEY")
            seen.setdefault(pub, []).extend(a["addr"] for a in peer.get_attr("WGPEER_A_ALLOWEDIPS") or [])
            flags.setdefault(pub, []).append(peer.get_attr("WGPEER_A_FLAGS") or 0)
    for peer in peers:
        pub = b64encode(peer.public_key)
        assert seen[pub] == [str(a) for a in peer.allowed_ips]
        # Only the first piece of a split peer replaces its allowed IPs.
        assert flags[pub][0] == nl.WGPEER_F_REPLACE_ALLOWEDIPS and not any(flags[pub][1:])


def get_reply_from_pyroute2(peers_attrs: list, **device) -> bytes:
    msg = wgmsg()
    msg["cmd"] = nl.WG_CMD_GET_DEVICE
    msg["version"] = 1
    msg["header"]["type"] = FAMILY
    msg["header"]["flags"] = nl.NLM_F_MULTI
    msg["attrs"] = [["WGDEVICE_A_IFINDEX", 7], ["WGDEVICE_A_IFNAME", "wg7"],
                    ["WGDEVICE_A_PRIVATE_KEY", b64encode(key(1))], ["WGDEVICE_A_PUBLIC_KEY", b64encode(key(9))],
                    ["WGDEVICE_A_LISTEN_PORT", device.get("port", 51820)], ["WGDEVICE_A_FWMARK", 0x42]]
    if peers_attrs:
        msg["attrs"].append(["WGDEVICE_A_PEERS", [{"attrs": attrs} for attrs in peers_attrs]])
    msg.encode()
    return bytes(msg.data)


def allowed(family: int, text: str, cidr: int) -> dict:
    return {"attrs": [["WGALLOWEDIP_A_FAMILY", family],
                      ["WGALLOWEDIP_A_IPADDR", socket.inet_pton(family, text)],
                      ["WGALLOWEDIP_A_CIDR_MASK", cidr]]}


def test_get_device_reply_from_pyroute2_decodes():
    peer1 = [["WGPEER_A_PUBLIC_KEY", b64encode(key(2))], ["WGPEER_A_PRESHARED_KEY", b64encode(key(3))],
             ["WGPEER_A_ENDPOINT", {"addr": "192.0.2.1", "port": 51820}],
             ["WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL", 25],
             ["WGPEER_A_LAST_HANDSHAKE_TIME", {"tv_sec": 1700000000, "tv_nsec": 123}],
             ["WGPEER_A_RX_BYTES", 1 << 40], ["WGPEER_A_TX_BYTES", 12345], ["WGPEER_A_PROTOCOL_VERSION", 1],
             ["WGPEER_A_ALLOWEDIPS", [allowed(socket.AF_INET, "10.0.0.0", 8), allowed(socket.AF_INET6, "fd00::", 64)]]]
    peer2 = [["WGPEER_A_PUBLIC_KEY", b64encode(key(4))], ["WGPEER_A_PRESHARED_KEY", b64encode(bytes(32))],
             ["WGPEER_A_ENDPOINT", {"addr": "2001:db8::1", "port": 443}]]
    # A peer continued in a second dump message (more allowed IPs), as the kernel splits them.
    peer2_more = [["WGPEER_A_PUBLIC_KEY", b64encode(key(4))],
                  ["WGPEER_A_ALLOWEDIPS", [allowed(socket.AF_INET, "192.168.0.0", 16)]]]
    first = get_reply_from_pyroute2([peer1, peer2])
    second = get_reply_from_pyroute2([peer2_more])
    bodies = [body for _t, _f, body in nl.split_messages(first + second)]
    device = nl.decode_device_messages(bodies, "wg7")
    assert (device.name, device.private_key, device.public_key) == ("wg7", key(1), key(9))
    assert (device.listen_port, device.fwmark) == (51820, 0x42)
    p1, p2 = device.peers
    assert (p1.public_key, p1.preshared_key, p1.endpoint) == (key(2), key(3), ep("192.0.2.1", 51820))
    assert (p1.persistent_keepalive_interval, p1.last_handshake_time_sec, p1.last_handshake_time_nsec) == (25, 1700000000, 123)
    assert (p1.rx_bytes, p1.tx_bytes) == (1 << 40, 12345)
    assert [str(a) for a in p1.allowed_ips] == ["10.0.0.0/8", "fd00::/64"]
    assert (p2.public_key, p2.preshared_key, p2.endpoint) == (key(4), None, ep("2001:db8::1", 443))
    assert [str(a) for a in p2.allowed_ips] == ["192.168.0.0/16"]


def test_sockaddr_in6_layout_is_the_kernels():
    raw = nl.pack_sockaddr(ep("fe80::1%1", 51820))
    assert len(raw) == 28
    assert struct.unpack("=H", raw[:2])[0] == socket.AF_INET6
    assert raw[2:4] == (51820).to_bytes(2, "big")
    assert struct.unpack("=I", raw[24:])[0] == 1  # scope id in host order, as sockaddr_in6 holds it
    assert nl.unpack_sockaddr(raw) == ep(f"fe80::1%{socket.if_indextoname(1)}", 51820)


def link_message(name: str, kind: str | None) -> bytes:
    msg = ifinfmsg()
    msg["family"] = socket.AF_UNSPEC
    msg["header"]["type"] = nl.RTM_NEWLINK
    msg["attrs"] = [["IFLA_IFNAME", name]]
    if kind:
        msg["attrs"].append(["IFLA_LINKINFO", {"attrs": [["IFLA_INFO_KIND", kind]]}])
    msg.encode()
    return bytes(msg.data)


def test_rtnetlink_link_kind_from_pyroute2_messages():
    data = link_message("wg0", "wireguard") + link_message("veth0", "veth") + link_message("lo", None)
    names = [nl.wireguard_link_name(body) for _t, _f, body in nl.split_messages(data)]
    assert names == ["wg0", None, None]


@pytest.mark.netns
def test_live_listing_and_missing_family():
    with namespace("wgcnl") as ns:
        ns.run("ip", "link", "add", "vx0", "type", "veth", "peer", "name", "vx1")
        result = ns.run("python3", "-c", "from wg_py.ipc import netlink; print(netlink.kernel_list_interfaces())")
        assert result.stdout.strip() == "[]"
    with pytest.raises(OSError) as info:
        nl.family_id()
    assert info.value.errno == errno.EPROTONOSUPPORT
