"""Kernel WireGuard through pyroute2 (wg_py/ipc/netlink.py) and the gate in wg_py/ipc.

This machine's kernel has no WireGuard module, so the kernel path cannot run end to end
here. What is tested instead:
- the model ↔ message conversion: SET messages we build are encoded by pyroute2 and decoded
  again, GET replies are built with pyroute2's own `wgmsg` (as the kernel lays them out),
  encoded and decoded into the model; link dumps are built with pyroute2's `ifinfmsg`;
- the conversation (message order, flags, budget, joining a split GET, errno mapping) against
  `FakeGenl`, a stand-in for pyroute2's GenericNetlinkSocket that encodes every request to
  bytes, decodes it as the kernel would and answers with encoded pyroute2 messages. It exists
  only because the kernel side cannot run here;
- live, on this kernel: pyroute2's family lookup fails as the real tool's does, and the
  rtnetlink link dump through pyroute2 lists no WireGuard link;
- the gate: with KERNEL_MODULE_DIR absent, `wg` never imports pyroute2 and answers as
  /usr/bin/wg; pointed at an existing (temporary) directory, the netlink path is taken.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import struct
import subprocess
import sys
from base64 import b64decode, b64encode

import pytest
from pyroute2.netlink.exceptions import NetlinkError
from pyroute2.netlink.generic.wireguard import wgmsg
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from tests.support.netns import namespace
from wg_py import ipc
from wg_py.errors import InterfaceAccessError, InterfaceModifyError
from wg_py.ipc import netlink as nl
from wg_py.model import Endpoint, WgAllowedIP, WgDevice, WgPeer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAMILY = 0x1F
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK = 0x1, 0x2, 0x4


def key(i: int) -> bytes:
    return bytes([i]) * 32


def net(text: str, remove: bool = False) -> WgAllowedIP:
    return WgAllowedIP(ipaddress.ip_network(text), remove)


def ep(host: str, port: int) -> Endpoint:
    return Endpoint(ipaddress.ip_address(host), port)


def wire(msg, msg_type: int = FAMILY, flags: int = NLM_F_REQUEST | NLM_F_ACK) -> bytes:
    """Encode a message as pyroute2 sends it."""
    msg["header"]["type"] = msg_type
    msg["header"]["flags"] = flags
    msg.encode()
    return bytes(msg.data)


def received(data: bytes, cls=nl.WgMsg):
    """Decode bytes as pyroute2 does on receipt."""
    msg = cls(data)
    msg.decode()
    return msg


def change_from_set_messages(messages: list) -> WgDevice:
    """Reassemble decoded SET messages into the change they carry (the kernel's view)."""
    change = WgDevice()
    for index, msg in enumerate(messages):
        assert msg.get_attr("WGDEVICE_A_IFNAME") == "wg0"
        if index == 0:
            if msg.get_attr("WGDEVICE_A_PRIVATE_KEY") is not None:
                change.private_key = b64decode(msg.get_attr("WGDEVICE_A_PRIVATE_KEY"))
            change.listen_port = msg.get_attr("WGDEVICE_A_LISTEN_PORT")
            change.fwmark = msg.get_attr("WGDEVICE_A_FWMARK")
            change.replace_peers = msg.get_attr("WGDEVICE_A_FLAGS") == nl.WGDEVICE_F_REPLACE_PEERS
        else:
            # Device attributes go only in the first message.
            assert [name for name, _v in msg["attrs"]] in (["WGDEVICE_A_IFNAME"],
                                                          ["WGDEVICE_A_IFNAME", "WGDEVICE_A_PEERS"])
        for nla in msg.get_attr("WGDEVICE_A_PEERS") or ():
            public_key = b64decode(nla.get_attr("WGPEER_A_PUBLIC_KEY"))
            flags = nla.get_attr("WGPEER_A_FLAGS") or 0
            aips = [WgAllowedIP(ipaddress.ip_network(a["addr"]),
                                (a.get_attr("WGALLOWEDIP_A_FLAGS") or 0) == nl.WGALLOWEDIP_F_REMOVE_ME)
                    for a in nla.get_attr("WGPEER_A_ALLOWEDIPS") or ()]
            if change.peers and change.peers[-1].public_key == public_key:
                # A continuation: only the key (and REMOVE_ME, never split) besides allowed IPs.
                assert flags & ~nl.WGPEER_F_REMOVE_ME == 0
                assert {name for name, _v in nla["attrs"]} <= {"WGPEER_A_PUBLIC_KEY", "WGPEER_A_ALLOWEDIPS"}
                change.peers[-1].allowed_ips += aips
                continue
            endpoint = nla.get_attr("WGPEER_A_ENDPOINT")
            if endpoint is not None:
                scope = f"%{endpoint['scope_id']}" if endpoint.get("scope_id") else ""
                endpoint = ep(endpoint["addr"] + scope, endpoint["port"])
            psk = nla.get_attr("WGPEER_A_PRESHARED_KEY")
            change.peers.append(WgPeer(
                public_key, preshared_key=None if psk is None else b64decode(psk), endpoint=endpoint,
                persistent_keepalive_interval=nla.get_attr("WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL"),
                allowed_ips=aips, remove=bool(flags & nl.WGPEER_F_REMOVE_ME),
                update_only=bool(flags & nl.WGPEER_F_UPDATE_ONLY),
                replace_allowed_ips=bool(flags & nl.WGPEER_F_REPLACE_ALLOWEDIPS)))
    return change


def sent(change: WgDevice, budget: int = nl.MESSAGE_BUDGET) -> list:
    messages = [wire(m) for m in nl.set_device_messages(change, "wg0", budget)]
    assert all(len(data) <= budget for data in messages)
    return [received(data) for data in messages]


# --------------------------------------------------------------------------- SET_DEVICE

def test_set_device_round_trips_through_pyroute2():
    change = WgDevice(private_key=key(1), listen_port=51820, fwmark=0xCA6C, replace_peers=True, peers=[
        WgPeer(key(2), preshared_key=key(3), endpoint=ep("192.0.2.1", 51820), persistent_keepalive_interval=25,
               replace_allowed_ips=True, allowed_ips=[net("10.0.0.0/8"), net("fd00::/64")]),
        WgPeer(key(4), endpoint=ep("2001:db8::1", 443), update_only=True,
               allowed_ips=[net("10.9.0.0/16", remove=True)]),
        WgPeer(key(5), remove=True),
    ])
    (msg,) = sent(change)
    assert msg["cmd"] == nl.WG_CMD_SET_DEVICE and msg["version"] == 1
    assert msg["header"]["type"] == FAMILY and msg["header"]["flags"] == NLM_F_REQUEST | NLM_F_ACK
    p1, p2, p3 = msg.get_attr("WGDEVICE_A_PEERS")
    assert p1.get_attr("WGPEER_A_FLAGS") == nl.WGPEER_F_REPLACE_ALLOWEDIPS
    assert p2.get_attr("WGPEER_A_FLAGS") == nl.WGPEER_F_UPDATE_ONLY
    assert p3.get_attr("WGPEER_A_FLAGS") == nl.WGPEER_F_REMOVE_ME
    assert change_from_set_messages([msg]) == change


def test_set_device_is_readable_by_stock_pyroute2_wgmsg():
    change = WgDevice(private_key=key(1), peers=[WgPeer(key(2), endpoint=ep("2001:db8::1", 443),
                                                        allowed_ips=[net("10.0.0.0/8")])])
    (data,) = [wire(m) for m in nl.set_device_messages(change, "wg0")]
    msg = received(data, wgmsg)
    assert msg.get_attr("WGDEVICE_A_PRIVATE_KEY") == b64encode(key(1))
    (peer,) = msg.get_attr("WGDEVICE_A_PEERS")
    assert peer.get_attr("WGPEER_A_ENDPOINT")["addr"] == "2001:db8::1"
    assert [a["addr"] for a in peer.get_attr("WGPEER_A_ALLOWEDIPS")] == ["10.0.0.0/8"]


def test_endpoint_is_a_kernel_sockaddr_in6():
    if_name = socket.if_indextoname(1)
    change = WgDevice(peers=[WgPeer(key(2), endpoint=ep(f"fe80::1%{if_name}", 51820))])
    (data,) = [wire(m) for m in nl.set_device_messages(change, "wg0")]
    # struct sockaddr_in6: family (host order), port and flowinfo (network order), address,
    # scope id (host order).
    expected = struct.pack("=H", socket.AF_INET6) + struct.pack("!HI", 51820, 0) \
        + socket.inet_pton(socket.AF_INET6, "fe80::1") + struct.pack("=I", 1)
    assert expected in data
    (peer,) = received(data).get_attr("WGDEVICE_A_PEERS")
    assert nl._endpoint_from_nla(peer.get_attr("WGPEER_A_ENDPOINT")) == ep(f"fe80::1%{if_name}", 51820)


def test_big_change_is_split_within_budget_and_reassembles():
    peers = [WgPeer(key(i), replace_allowed_ips=True, persistent_keepalive_interval=i, preshared_key=key(i + 1),
                    endpoint=ep(f"192.0.2.{i}", 1000 + i),
                    allowed_ips=[net(f"10.{i}.{j}.0/24") for j in range(i * 3)] + [net(f"fd00:{i}::/64")])
             for i in range(1, 60)]
    peers.insert(7, WgPeer(key(200), remove=True))
    change = WgDevice(private_key=key(201), listen_port=7, replace_peers=True, peers=peers)
    messages = sent(change, budget=4096)
    assert len(messages) > 10
    # The size arithmetic is exact: some message is filled to within one allowed IP.
    assert max(len(wire(m)) for m in nl.set_device_messages(change, "wg0", 4096)) > 4096 - 40
    assert change_from_set_messages(messages) == change


def test_a_peer_with_more_allowed_ips_than_a_message_holds():
    peer = WgPeer(key(3), replace_allowed_ips=True, allowed_ips=[net(f"fd00:{i:x}::/48") for i in range(500)])
    change = WgDevice(peers=[WgPeer(key(2)), peer, WgPeer(key(4))])
    messages = sent(change)
    assert len(messages) > 3
    assert change_from_set_messages(messages) == change


# --------------------------------------------------------------------------- GET_DEVICE

def kernel_reply(device: WgDevice, peers_per_message: int = 2, aips_per_piece: int = 3) -> list[bytes]:
    """A GET_DEVICE dump for `device` as the kernel lays it out, built with pyroute2's wgmsg:
    device attributes in every message, peers spread over messages, a peer's allowed IPs
    continued in the next message under its key alone."""
    pieces = []
    for peer in device.peers:
        aips = [peer.allowed_ips[i:i + aips_per_piece] for i in range(0, len(peer.allowed_ips), aips_per_piece)] or [[]]
        for index, chunk in enumerate(aips):
            attrs = [["WGPEER_A_PUBLIC_KEY", b64encode(peer.public_key)]]
            if index == 0:
                attrs += [["WGPEER_A_PRESHARED_KEY", b64encode(peer.preshared_key or bytes(32))],
                          ["WGPEER_A_LAST_HANDSHAKE_TIME", {"tv_sec": peer.last_handshake_time_sec,
                                                            "tv_nsec": peer.last_handshake_time_nsec}],
                          ["WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL", peer.persistent_keepalive_interval],
                          ["WGPEER_A_TX_BYTES", peer.tx_bytes], ["WGPEER_A_RX_BYTES", peer.rx_bytes],
                          ["WGPEER_A_PROTOCOL_VERSION", peer.protocol_version]]
                if peer.endpoint is not None:
                    attrs.append(["WGPEER_A_ENDPOINT", nl._endpoint_value(peer.endpoint)])
            if chunk:
                attrs.append(["WGPEER_A_ALLOWEDIPS", [
                    {"attrs": [["WGALLOWEDIP_A_FAMILY", socket.AF_INET if a.network.version == 4 else socket.AF_INET6],
                               ["WGALLOWEDIP_A_IPADDR", a.network.network_address.packed],
                               ["WGALLOWEDIP_A_CIDR_MASK", a.network.prefixlen]]} for a in chunk]])
            pieces.append({"attrs": attrs})
    out = []
    for start in range(0, max(len(pieces), 1), peers_per_message):
        msg = nl.WgMsg()
        msg["cmd"] = nl.WG_CMD_GET_DEVICE
        msg["version"] = 1
        msg["attrs"] = [["WGDEVICE_A_IFINDEX", 7], ["WGDEVICE_A_IFNAME", device.name],
                        ["WGDEVICE_A_PRIVATE_KEY", b64encode(device.private_key)],
                        ["WGDEVICE_A_PUBLIC_KEY", b64encode(device.public_key)],
                        ["WGDEVICE_A_LISTEN_PORT", device.listen_port], ["WGDEVICE_A_FWMARK", device.fwmark]]
        if pieces:
            msg["attrs"].append(["WGDEVICE_A_PEERS", pieces[start:start + peers_per_message]])
        out.append(wire(msg, flags=NLM_F_MULTI))
    return out


def snapshot() -> WgDevice:
    return WgDevice(name="wg7", private_key=key(1), public_key=key(9), listen_port=51820, fwmark=0x42, peers=[
        WgPeer(key(2), preshared_key=key(3), endpoint=ep("192.0.2.1", 51820), persistent_keepalive_interval=25,
               last_handshake_time_sec=1700000000, last_handshake_time_nsec=123, rx_bytes=1 << 40,
               tx_bytes=12345, allowed_ips=[net("10.0.0.0/8"), net("fd00::/64")]),
        WgPeer(key(4), endpoint=ep(f"fe80::1%{socket.if_indextoname(1)}", 443), persistent_keepalive_interval=0,
               allowed_ips=[net(f"10.{i}.0.0/16") for i in range(10)]),
        WgPeer(key(5), persistent_keepalive_interval=0),
    ])


def test_get_reply_from_pyroute2_decodes_to_the_snapshot():
    device = snapshot()
    replies = [received(data) for data in kernel_reply(device)]
    assert len(replies) > 2  # the second peer is split over several messages
    assert nl.device_from_messages(replies, "wg7") == device


def test_get_reply_with_stock_wgmsg_layout_and_zero_psk():
    msg = wgmsg()
    msg["cmd"] = nl.WG_CMD_GET_DEVICE
    msg["version"] = 1
    msg["attrs"] = [["WGDEVICE_A_IFNAME", "wg7"], ["WGDEVICE_A_LISTEN_PORT", 0], ["WGDEVICE_A_PEERS", [{"attrs": [
        ["WGPEER_A_PUBLIC_KEY", b64encode(key(4))], ["WGPEER_A_PRESHARED_KEY", b64encode(bytes(32))],
        ["WGPEER_A_ENDPOINT", {"addr": "2001:db8::1", "port": 443}]]}]]]
    device = nl.device_from_messages([received(wire(msg, flags=NLM_F_MULTI))], "wg7")
    (peer,) = device.peers
    assert (device.private_key, device.public_key, device.listen_port, device.fwmark) == (None, None, 0, 0)
    assert (peer.public_key, peer.preshared_key, peer.endpoint) == (key(4), None, ep("2001:db8::1", 443))


def test_a_peer_without_key_or_a_bad_allowed_ip_is_malformed():
    """The kernel never sends these; they are a protocol error (MALFORMED, which the callers
    turn into a one-line error), not an errno the kernel did not give."""
    msg = nl.WgMsg()
    msg["cmd"], msg["version"] = nl.WG_CMD_GET_DEVICE, 1
    msg["attrs"] = [["WGDEVICE_A_IFNAME", "wg7"], ["WGDEVICE_A_PEERS", [{"attrs": [["WGPEER_A_RX_BYTES", 1]]}]]]
    with pytest.raises(nl.MALFORMED):
        nl.device_from_messages([received(wire(msg, flags=NLM_F_MULTI))])
    msg = nl.WgMsg()
    msg["cmd"], msg["version"] = nl.WG_CMD_GET_DEVICE, 1
    msg["attrs"] = [["WGDEVICE_A_IFNAME", "wg7"], ["WGDEVICE_A_PEERS", [{"attrs": [
        ["WGPEER_A_PUBLIC_KEY", b64encode(key(4))], ["WGPEER_A_ALLOWEDIPS", [{"attrs": [
            ["WGALLOWEDIP_A_FAMILY", socket.AF_INET], ["WGALLOWEDIP_A_IPADDR", bytes(4)],
            ["WGALLOWEDIP_A_CIDR_MASK", 33]]}]]]}]]]
    with pytest.raises(nl.MALFORMED):
        nl.device_from_messages([received(wire(msg, flags=NLM_F_MULTI))])


# --------------------------------------------------------------------------- rtnetlink listing

def link_message(name: str, kind: str | None) -> bytes:
    msg = ifinfmsg()
    msg["family"] = socket.AF_UNSPEC
    msg["attrs"] = [["IFLA_IFNAME", name]]
    if kind:
        msg["attrs"].append(["IFLA_LINKINFO", {"attrs": [["IFLA_INFO_KIND", kind]]}])
    return wire(msg, msg_type=16, flags=NLM_F_MULTI)  # RTM_NEWLINK


def test_wireguard_links_from_pyroute2_link_messages():
    links = [received(link_message(name, kind), ifinfmsg)
             for name, kind in (("wg0", "wireguard"), ("veth0", "veth"), ("lo", None), ("wg1", "wireguard"))]
    assert nl.wireguard_link_names(links) == ["wg0", "wg1"]


# --------------------------------------------------------------------------- the conversation

class FakeGenl:
    """Stands in for pyroute2's GenericNetlinkSocket where the kernel cannot run (no module
    here): requests are encoded to bytes and decoded as the kernel would read them; answers
    are encoded pyroute2 messages, decoded as pyroute2 would on receipt."""

    instances: list["FakeGenl"] = []

    def __init__(self, device: WgDevice | None = None, bind_error: int = 0, request_error: int = 0) -> None:
        self.device, self.bind_error, self.request_error = device, bind_error, request_error
        self.asyncore = type("Core", (), {"module_err_level": "error"})()
        self.requests: list[tuple[bytes, object]] = []
        self.closed = False
        FakeGenl.instances.append(self)

    def bind(self, name: str, msg_class) -> None:
        assert (name, msg_class) == ("wireguard", nl.WgMsg)
        assert self.asyncore.module_err_level == "debug"  # pyroute2 must not log on our stderr
        if self.bind_error:
            raise NetlinkError(self.bind_error)
        self.prid = FAMILY

    def nlm_request(self, msg, msg_type: int, msg_flags: int):
        data = wire(msg, msg_type, msg_flags)
        request = received(data)
        self.requests.append((data, request))
        if self.request_error:
            raise NetlinkError(self.request_error)
        if request["cmd"] == nl.WG_CMD_GET_DEVICE:
            assert msg_flags & 0x300 == 0x300  # a dump
            assert request.get_attr("WGDEVICE_A_IFNAME") == self.device.name
            return tuple(received(reply) for reply in kernel_reply(self.device))
        assert msg_flags == NLM_F_REQUEST | NLM_F_ACK
        return ()

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def fake(monkeypatch):
    def install(**kwargs):
        FakeGenl.instances = []
        monkeypatch.setattr(nl, "GenericNetlinkSocket", lambda: FakeGenl(**kwargs))
        return FakeGenl.instances
    return install


def test_get_joins_the_split_dump(fake):
    instances = fake(device=snapshot())
    assert nl.kernel_get_device("wg7") == snapshot()
    assert instances[0].closed


def test_set_sends_each_piece_in_order(fake):
    instances = fake()
    change = WgDevice(private_key=key(1), replace_peers=True, peers=[
        WgPeer(key(i), replace_allowed_ips=True, allowed_ips=[net(f"10.{i}.{j}.0/24") for j in range(40)])
        for i in range(2, 30)])
    nl.kernel_set_device(change, "wg0")
    requests = instances[0].requests
    assert len(requests) > 3 and all(len(data) <= nl.MESSAGE_BUDGET for data, _m in requests)
    assert change_from_set_messages([m for _d, m in requests]) == change
    assert instances[0].closed


@pytest.mark.parametrize("code, expected", [(errno.ENOENT, errno.EPROTONOSUPPORT), (errno.EPERM, errno.EPERM)])
def test_family_lookup_errors(fake, code, expected):
    instances = fake(bind_error=code)
    with pytest.raises(OSError) as info:
        nl.kernel_get_device("wg0")
    assert info.value.errno == expected and instances[0].closed


@pytest.mark.parametrize("code", [errno.ENODEV, errno.EPERM, errno.EINVAL])
def test_kernel_errors_keep_their_errno_through_ipc(fake, monkeypatch, tmp_path, code):
    monkeypatch.setattr(ipc, "KERNEL_MODULE_DIR", str(tmp_path))
    fake(device=snapshot(), request_error=code)
    with pytest.raises(InterfaceAccessError) as access:
        ipc.get_device("wgk0")
    assert access.value.errno == code
    with pytest.raises(InterfaceModifyError) as modify:
        ipc.set_device(WgDevice(listen_port=1), "wgk0")
    assert modify.value.errno == code


# --------------------------------------------------------------------------- live, this kernel

NO_MODULE = pytest.mark.skipif(os.path.exists("/sys/module/wireguard"), reason="the kernel has WireGuard")


@NO_MODULE
def test_live_family_lookup_through_pyroute2_fails_as_wg_does():
    for call in (lambda: nl.kernel_get_device("wg0"), lambda: nl.kernel_set_device(WgDevice(), "wg0")):
        with pytest.raises(OSError) as info:
            call()
        assert info.value.errno == errno.EPROTONOSUPPORT


@pytest.mark.netns
def test_live_link_dump_through_pyroute2():
    with namespace("wgcnl") as ns:
        ns.run("ip", "link", "add", "vx0", "type", "veth", "peer", "name", "vx1")
        result = ns.run(sys.executable, "-c", "from wg_py.ipc import netlink; print(netlink.kernel_list_interfaces())",
                        env=dict(os.environ, PYTHONPATH=REPO))
        assert result.stdout.strip() == "[]"


# --------------------------------------------------------------------------- the gate

GATED_WG = ("import sys; import wg_py.ipc as ipc; ipc.KERNEL_MODULE_DIR = sys.argv[1]; "
            "from wg_py.cli.main import main; sys.exit(main(['wg', *sys.argv[2:]]))")


def run_gated(module_dir: str, *args: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", GATED_WG, module_dir, *args],
                          capture_output=True, text=True, cwd=REPO, env=dict(os.environ, PYTHONPATH=REPO), timeout=60)
    lines = proc.stderr.splitlines()
    modules = [line.rsplit("|", 1)[1].strip() for line in lines if line.startswith("import time:") and "|" in line]
    proc.stderr = "".join(line + "\n" for line in lines if not line.startswith("import time:"))
    return proc, modules


@pytest.mark.oracle
@NO_MODULE
@pytest.mark.parametrize("args", [["show", "wgnosuch0"], ["showconf", "wgnosuch0"],
                                  ["set", "wgnosuch0", "listen-port", "1"], ["show", "interfaces"]])
def test_gate_closed_no_pyroute2_and_wgs_answer(tmp_path, args):
    proc, modules = run_gated(str(tmp_path / "absent"), *args)
    real = subprocess.run(["/usr/bin/wg", *args], capture_output=True, text=True, timeout=30)
    assert not [m for m in modules if m == "pyroute2" or m.startswith("pyroute2.")]
    assert "wg_py.ipc.netlink" not in modules
    assert (proc.returncode, proc.stderr) == (real.returncode, real.stderr)
    if args[-1] == "interfaces":
        # Userspace interfaces of other tests may come and go; the kernel adds none.
        assert set(proc.stdout.split()) <= set(os.listdir("/var/run/wireguard")) | set(real.stdout.split()) | {""}


@NO_MODULE
def test_gate_open_goes_through_pyroute2(tmp_path):
    proc, modules = run_gated(str(tmp_path), "show", "wgnosuch0")
    assert "wg_py.ipc.netlink" in modules and "pyroute2" in modules
    # The family lookup then fails on this kernel, in wg's words.
    assert (proc.returncode, proc.stderr) == (1, "Unable to access interface: Protocol not supported\n")
