"""On the wire: our sans-IO Device over a real UDP socket against a real wireguard-go.

Namespace A holds only our UDP socket (made there with setns); namespace B runs
wireguard-go, configured with /usr/bin/wg. They are joined by a veth pair. ICMP echo
packets are built by hand on our side; wireguard-go's TUN and B's kernel answer them.
Everything is bounded in time and torn down by tests/support/netns.py.
"""

from __future__ import annotations

import base64
import ctypes
import os
import socket
import subprocess
import tempfile
import time

import pytest

from wg_py.protocol import configuration
from wg_py.model import Endpoint, WgAllowedIP, WgDevice, WgPeer
from wg_py.protocol.device import Device
from tests.protocol.helpers import icmp_echo, parse_icmp, public
from tests.support.netns import start_wireguard_go, unique_ifname, veth_pair

pytestmark = [pytest.mark.netns, pytest.mark.oracle]

CLONE_NEWNET = 0x40000000
OUR_TUNNEL_IP, GO_TUNNEL_IP = "10.77.0.1", "10.77.0.2"
GO_PORT = 51820


class RealClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()


class UrandomRng:
    def randbytes(self, n: int) -> bytes:
        return os.urandom(n)


def socket_in_netns(netns: str, family: int, host: str) -> socket.socket:
    """A UDP socket bound inside `netns` (setns on this thread, then back)."""
    libc = ctypes.CDLL(None, use_errno=True)
    with open("/proc/self/ns/net") as home, open(f"/var/run/netns/{netns}") as target:
        if libc.setns(target.fileno(), CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        try:
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.bind((host, 0))
        finally:
            if libc.setns(home.fileno(), CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")
    return sock


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def configure_wireguard_go(ns, ifname: str, go_private: bytes, our_public: bytes, our_endpoint: str | None) -> None:
    with tempfile.NamedTemporaryFile("w", delete=False) as f:
        f.write(b64(go_private))
        keyfile = f.name
    try:
        args = ["/usr/bin/wg", "set", ifname, "private-key", keyfile, "listen-port", str(GO_PORT),
                "peer", b64(our_public), "allowed-ips", f"{OUR_TUNNEL_IP}/32"]
        if our_endpoint:
            args += ["endpoint", our_endpoint]
        ns.run(*args)
    finally:
        os.unlink(keyfile)
    ns.run("ip", "addr", "add", f"{GO_TUNNEL_IP}/24", "dev", ifname)
    ns.run("ip", "link", "set", ifname, "up")


def pump(device: Device, sock: socket.socket, on_packet, done, timeout: float) -> None:
    """Drive the device with the socket until done() or timeout."""
    end = time.monotonic() + timeout
    sock.settimeout(0.05)
    while time.monotonic() < end and not done():
        for data, addr in device.take_datagrams():
            sock.sendto(data, addr)
        for packet in device.take_packets():
            on_packet(packet)
        try:
            data, addr = sock.recvfrom(65535)
        except socket.timeout:
            pass
        else:
            device.receive_datagrams([(data, addr)])
        deadline = device.next_deadline()
        if deadline is not None and deadline <= time.monotonic():
            device.tick()


def wg_dump(ns, ifname: str) -> list[list[str]]:
    return [line.split("\t") for line in ns.run("/usr/bin/wg", "show", ifname, "dump").stdout.splitlines()]


@pytest.fixture
def setup():
    with veth_pair() as (ours, theirs):
        ifname = unique_ifname("wgpi")
        start_wireguard_go(theirs, ifname)
        try:
            yield ours, theirs, ifname
        finally:
            theirs.run("ip", "link", "del", ifname, check=False)


def make_device(our_private: bytes, go_private: bytes, endpoint: str | None) -> Device:
    device = Device(RealClock(), UrandomRng())
    configuration.apply(device, WgDevice(private_key=our_private, peers=[WgPeer(
        public(go_private), endpoint=Endpoint.parse(endpoint) if endpoint else None,
        allowed_ips=[WgAllowedIP(__import__("ipaddress").ip_network(f"{GO_TUNNEL_IP}/32"))])]))
    device.set_up(True)
    return device


def test_we_initiate_and_wireguard_go_answers_pings(setup):
    ours, theirs, ifname = setup
    our_private, go_private = os.urandom(32), os.urandom(32)
    sock = socket_in_netns(ours.name, socket.AF_INET, "192.0.2.1")
    try:
        port = sock.getsockname()[1]
        configure_wireguard_go(theirs, ifname, go_private, public(our_private), f"192.0.2.1:{port}")
        device = make_device(our_private, go_private, f"192.0.2.2:{GO_PORT}")
        replies = []

        def on_packet(packet: bytes) -> None:
            info = parse_icmp(packet)
            if info and info[2] == 0:
                replies.append(info)

        for seq in range(1, 4):
            device.send_packets([icmp_echo(OUR_TUNNEL_IP, GO_TUNNEL_IP, 0x4242, seq)])
            pump(device, sock, on_packet, lambda: len(replies) >= seq, timeout=8)
        assert [(r[0], r[1], r[3], r[4]) for r in replies] == [
            (GO_TUNNEL_IP, OUR_TUNNEL_IP, 0x4242, s) for s in (1, 2, 3)]
        # A burst: 64 echo requests in one batch, answered through wireguard-go's TUN.
        replies.clear()
        device.send_packets([icmp_echo(OUR_TUNNEL_IP, GO_TUNNEL_IP, 0x4343, s, data=bytes(1000)) for s in range(64)])
        pump(device, sock, on_packet, lambda: len(replies) >= 64, timeout=5)
        assert sorted(r[4] for r in replies) == list(range(64))
        pump(device, sock, on_packet, lambda: False, timeout=0.3)  # let anything in flight land
        peer = configuration.snapshot(device).peers[0]
        assert peer.last_handshake_time_sec > 0
        go_peer = wg_dump(theirs, ifname)[1]
        assert go_peer[0] == b64(public(our_private))
        assert abs(int(go_peer[4]) - peer.last_handshake_time_sec) <= 2  # both saw the handshake
        # Byte counters are counted the same way on both sides (handshake messages included).
        assert (int(go_peer[5]), int(go_peer[6])) == (peer.tx_bytes, peer.rx_bytes)
    finally:
        sock.close()


def answer_echo_requests(device: Device, seen: list | None = None):
    """An on_packet callback: every echo request from wireguard-go gets our echo reply."""

    def on_packet(packet: bytes) -> None:
        info = parse_icmp(packet)
        if info and info[2] == 8:
            if seen is not None:
                seen.append(info)
            device.send_packets([icmp_echo(OUR_TUNNEL_IP, info[0], info[3], info[4], reply=True,
                                           data=packet[28:])])

    return on_packet


def their_ping(theirs, device: Device, sock: socket.socket, on_packet, args: list[str], timeout: float):
    """Run ping in wireguard-go's namespace while pumping our device; returns (status, out, err)."""
    ping = theirs.popen("ping", *args, OUR_TUNNEL_IP)
    try:
        pump(device, sock, on_packet, lambda: ping.poll() is not None, timeout=timeout)
    finally:
        if ping.poll() is None:
            ping.kill()
        out, err = ping.communicate(timeout=5)
    return ping.returncode, out, err


def test_wireguard_go_initiates_over_ipv6_and_we_answer_its_pings(setup):
    ours, theirs, ifname = setup
    our_private, go_private = os.urandom(32), os.urandom(32)
    sock = socket_in_netns(ours.name, socket.AF_INET6, "2001:db8::1")
    try:
        port = sock.getsockname()[1]
        configure_wireguard_go(theirs, ifname, go_private, public(our_private), f"[2001:db8::1]:{port}")
        device = make_device(our_private, go_private, None)  # we learn the endpoint by roaming
        requests = []
        on_packet = answer_echo_requests(device, requests)
        status, out, err = their_ping(theirs, device, sock, on_packet, ["-c", "3", "-i", "0.2", "-W", "5"], 12)
        assert status == 0, (out, err)
        assert len(requests) >= 3
        assert configuration.snapshot(device).peers[0].endpoint == Endpoint.parse(f"[2001:db8::2]:{GO_PORT}")
        assert int(wg_dump(theirs, ifname)[1][4]) > 0
    finally:
        sock.close()


def test_under_load_our_cookie_reply_makes_wireguard_go_retry_with_mac2(setup):
    ours, theirs, ifname = setup
    our_private, go_private = os.urandom(32), os.urandom(32)
    sock = socket_in_netns(ours.name, socket.AF_INET, "192.0.2.1")
    try:
        port = sock.getsockname()[1]
        configure_wireguard_go(theirs, ifname, go_private, public(our_private), f"192.0.2.1:{port}")
        device = make_device(our_private, go_private, None)
        device.under_load_threshold = 1   # every handshake message puts us under load
        on_packet = answer_echo_requests(device)
        status, out, err = their_ping(theirs, device, sock, on_packet, ["-c", "1", "-w", "12"], 14)
        assert status == 0, (out, err, device.stats)
        # The first initiation (no mac2) got a cookie reply; wireguard-go decrypted it
        # (XChaCha20-Poly1305) and its retry carried a valid mac2 for our address.
        assert device.stats["cookie_reply_sent"] == 1, device.stats
        assert "bad_mac1" not in device.stats
    finally:
        sock.close()
