"""Builders shared by the protocol tests: keys, IP/ICMP packets, configured device pairs."""

from __future__ import annotations

import ipaddress
import struct

from wg_py.protocol import configuration
from wg_py.model import Endpoint, WgAllowedIP, WgDevice, WgPeer
from wg_py.protocol.device import Device
from wg_py.protocol.handshake import StaticIdentity
from tests.support.fakes import FakeClock, Wire, seeded_rng

# Fixed test keys (clamped scalars). Public keys derived with the same X25519 as `wg pubkey`.
KEY_A = bytes.fromhex("10" * 31 + "50")
KEY_B = bytes.fromhex("20" * 31 + "60")
KEY_C = bytes.fromhex("30" * 31 + "70")
PSK = bytes(range(32))
ADDR_A = ("192.0.2.1", 51820)
ADDR_B = ("192.0.2.2", 51821)
ADDR_C = ("192.0.2.3", 51822)


def public(private: bytes) -> bytes:
    return StaticIdentity.from_private_bytes(private).public


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4(src: str, dst: str, payload: bytes = b"x" * 32, proto: int = 17) -> bytes:
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, proto, 0,
                         ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed)
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def ipv6(src: str, dst: str, payload: bytes = b"y" * 32, next_header: int = 17) -> bytes:
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), next_header, 64,
                       ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(dst).packed) + payload


def icmp_echo(src: str, dst: str, ident: int, seq: int, reply: bool = False, data: bytes = b"wg-py ping") -> bytes:
    body = struct.pack("!BBHHH", 0 if reply else 8, 0, 0, ident, seq) + data
    body = body[:2] + struct.pack("!H", checksum(body)) + body[4:]
    return ipv4(src, dst, body, proto=1)


def parse_icmp(packet: bytes) -> tuple[str, str, int, int, int] | None:
    """(src, dst, type, ident, seq) of an IPv4 ICMP echo packet, else None."""
    if len(packet) < 28 or packet[0] >> 4 != 4 or packet[9] != 1:
        return None
    ihl = (packet[0] & 15) * 4
    icmp_type, _, _, ident, seq = struct.unpack_from("!BBHHH", packet, ihl)
    return (str(ipaddress.IPv4Address(packet[12:16])), str(ipaddress.IPv4Address(packet[16:20])),
            icmp_type, ident, seq)


def peer_change(private_of_peer: bytes, allowed: list[str], endpoint: tuple | None = None, **kw) -> WgPeer:
    return WgPeer(public(private_of_peer),
                  endpoint=Endpoint.parse(f"{endpoint[0]}:{endpoint[1]}") if endpoint else None,
                  allowed_ips=[WgAllowedIP(ipaddress.ip_network(a)) for a in allowed], **kw)


class Pair:
    """Alice (10.0.0.1, fd00::1) and Bob (10.0.0.2, fd00::2) on one FakeClock and Wire."""

    def __init__(self, psk: bytes | None = None, bob_knows_alice_endpoint: bool = False,
                 keepalive: int | None = None) -> None:
        self.clock = FakeClock()
        self.alice = Device(self.clock, seeded_rng(1))
        self.bob = Device(self.clock, seeded_rng(2))
        configuration.apply(self.alice, WgDevice(private_key=KEY_A, listen_port=ADDR_A[1], peers=[
            peer_change(KEY_B, ["10.0.0.2/32", "fd00::2/128"], ADDR_B, preshared_key=psk,
                        persistent_keepalive_interval=keepalive)]))
        configuration.apply(self.bob, WgDevice(private_key=KEY_B, listen_port=ADDR_B[1], peers=[
            peer_change(KEY_A, ["10.0.0.1/32", "fd00::1/128"], ADDR_A if bob_knows_alice_endpoint else None,
                        preshared_key=psk)]))
        self.wire = Wire()
        self.wire.attach(self.alice, ADDR_A)
        self.wire.attach(self.bob, ADDR_B)
        self.alice.set_up(True)
        self.bob.set_up(True)

    def settle(self, mangle=None) -> None:
        self.wire.settle(mangle)

    def tick(self) -> None:
        self.alice.tick()
        self.bob.tick()

    def advance(self, seconds: float, step: float = 0.5) -> None:
        """Move time forward in steps, running timers and delivering what they send."""
        end = self.clock.now + seconds
        while self.clock.now < end:
            deadlines = [d for d in (self.alice.next_deadline(), self.bob.next_deadline()) if d is not None]
            nxt = min([end] + [d for d in deadlines if d > self.clock.now] + [self.clock.now + step])
            self.clock.advance(max(nxt - self.clock.now, 0))
            self.tick()
            self.settle()

    def a_to_b(self, payload: bytes = b"hello bob") -> bytes:
        return ipv4("10.0.0.1", "10.0.0.2", payload)

    def b_to_a(self, payload: bytes = b"hello alice") -> bytes:
        return ipv4("10.0.0.2", "10.0.0.1", payload)

    def peer_of(self, device: Device):
        return next(iter(device.peers.values()))
