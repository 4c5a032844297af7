"""Receive-side coalescing: which segments merge, and the headers of a super-packet."""

from __future__ import annotations

import ipaddress
import struct

from wg_py.engine.gro import VNET_NONE, coalesce

PI = b"PI__"


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def tcp4(seq: int, payload: bytes, flags: int = 0x10, src="10.0.0.1", dst="10.0.0.2", sport=5000, dport=80,
         ack=7, options: bytes = b"") -> bytes:
    doff = 20 + len(options)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (doff // 4) << 4, flags, 512, 0, 0) + options
    total = 20 + doff + len(payload)
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 1, 0x4000, 64, 6, 0,
                               ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed))
    ip[10:12] = checksum(bytes(ip)).to_bytes(2, "big")
    pseudo = ip[12:20] + struct.pack("!BBH", 0, 6, doff + len(payload))
    tcp = bytearray(tcp)
    tcp[16:18] = checksum(bytes(pseudo) + bytes(tcp) + payload).to_bytes(2, "big")
    return bytes(ip) + bytes(tcp) + payload


def tcp6(seq: int, payload: bytes, flags: int = 0x10) -> bytes:
    tcp = struct.pack("!HHIIBBHHH", 5000, 80, seq, 7, 5 << 4, flags, 512, 0, 0)
    src, dst = ipaddress.IPv6Address("fd00::1").packed, ipaddress.IPv6Address("fd00::2").packed
    return struct.pack("!IHBB16s16s", 6 << 28, 20 + len(payload), 6, 64, src, dst) + tcp + payload


def flat(iov: list) -> bytes:
    return b"".join(bytes(part) for part in iov[2:])


def complete(super_packet: bytes, csum_start: int, csum_offset: int) -> bytes:
    """What the kernel does for VIRTIO_NET_HDR_F_NEEDS_CSUM."""
    data = bytearray(super_packet)
    data[csum_start + csum_offset:csum_start + csum_offset + 2] = (
        (~checksum(bytes(data[csum_start:])) & 0xFFFF) ^ 0xFFFF).to_bytes(2, "big")
    return bytes(data)


def test_a_run_of_segments_becomes_one_super_packet_with_valid_headers():
    seg = 1000
    packets = [tcp4(1000 + i * seg, bytes([i]) * seg) for i in range(5)] + [tcp4(6000, b"z" * 300, flags=0x18)]
    (iov,) = coalesce(packets, lambda p: PI)
    assert iov[0] == PI
    flags, gso_type, hdr_len, gso_size, csum_start, csum_offset = struct.unpack("<BBHHHH", iov[1])
    assert (flags, gso_type, hdr_len, gso_size, csum_start, csum_offset) == (1, 1, 40, seg, 20, 16)
    whole = flat(iov)
    assert len(whole) == 40 + 5 * seg + 300
    assert int.from_bytes(whole[2:4], "big") == len(whole)
    assert checksum(whole[:20]) == 0                       # IPv4 header checksum valid
    assert whole[33] == 0x18                               # PSH of the last segment carried over
    assert whole[40:] == b"".join(p[40:] for p in packets)
    # With the checksum completed as the kernel would, the TCP checksum verifies.
    done = complete(whole, csum_start, csum_offset)
    pseudo = done[12:20] + struct.pack("!BBH", 0, 6, len(done) - 20)
    assert checksum(pseudo + done[20:]) == 0


def test_what_does_not_merge_is_written_alone_and_in_flow_order():
    a0, a1 = tcp4(0, b"a" * 100), tcp4(100, b"a" * 100)
    gap = tcp4(300, b"a" * 100)                            # not contiguous: new run
    fin = tcp4(400, b"", flags=0x11)                       # FIN: alone, after its flow's run
    other = tcp4(0, b"b" * 100, sport=6000)                 # another flow: its own run
    udp = bytearray(tcp4(0, b"c" * 10))
    udp[9] = 17
    out = coalesce([a0, other, a1, bytes(udp), gap, fin], lambda p: PI)
    kinds = [(iov[1] == VNET_NONE, flat(iov)[20:22]) for iov in out]
    assert [flat(iov) for iov in out if iov[1] == VNET_NONE and flat(iov)[9] == 17] == [bytes(udp)]
    merged = [iov for iov in out if iov[1] != VNET_NONE]
    assert len(merged) == 1 and flat(merged[0])[40:] == b"a" * 200
    order = [flat(iov) for iov in out]
    assert order.index(gap) < order.index(fin)
    assert len(kinds) == 5


def test_different_options_or_ack_do_not_merge_and_ipv6_runs_do():
    ts1 = b"\x01\x01\x08\x0a" + (1).to_bytes(4, "big") + (2).to_bytes(4, "big")
    ts2 = b"\x01\x01\x08\x0a" + (9).to_bytes(4, "big") + (2).to_bytes(4, "big")
    out = coalesce([tcp4(0, b"x" * 50, options=ts1), tcp4(50, b"x" * 50, options=ts2)], lambda p: PI)
    assert len(out) == 2
    out = coalesce([tcp4(0, b"x" * 50, ack=1), tcp4(50, b"x" * 50, ack=2)], lambda p: PI)
    assert len(out) == 2
    (iov,) = coalesce([tcp6(0, b"y" * 200), tcp6(200, b"y" * 200), tcp6(400, b"y" * 10)], lambda p: PI)
    flags, gso_type, hdr_len, gso_size, csum_start, csum_offset = struct.unpack("<BBHHHH", iov[1])
    assert (flags, gso_type, hdr_len, gso_size, csum_start, csum_offset) == (1, 4, 60, 200, 40, 16)
    whole = flat(iov)
    assert int.from_bytes(whole[4:6], "big") == len(whole) - 40
    done = complete(whole, 40, 16)
    pseudo = done[8:40] + struct.pack("!IxxxB", len(done) - 40, 6)
    assert checksum(pseudo + done[40:]) == 0
