"""TSO reads (opt-in, WG_PY_TSO=1): segmentation and checksum completion match what the kernel would send."""

from __future__ import annotations

import os
import random
import struct

from tests.engine.test_gro import checksum, tcp4, tcp6
from wg_py.engine import tso


def valid(packet: bytes, v6: bool) -> bool:
    if v6:
        pseudo = packet[8:40] + struct.pack("!IxxxB", len(packet) - 40, 6)
        return checksum(pseudo + packet[40:]) == 0
    pseudo = packet[12:20] + struct.pack("!BBH", 0, 6, len(packet) - 20)
    return checksum(packet[:20]) == 0 and checksum(pseudo + packet[20:]) == 0


def test_super_packets_are_cut_into_valid_segments():
    rng = random.Random(5)
    for _ in range(100):
        payload = os.urandom(rng.randint(1, 9000))
        mss = rng.randint(1, 1500)
        flags = rng.choice([0x10, 0x18, 0x19, 0x90])
        for v6 in (False, True):
            seq = rng.getrandbits(32)
            big = bytearray(tcp6(seq, payload, flags) if v6 else tcp4(seq, payload, flags, options=os.urandom(12)))
            vnet = struct.pack("<BBHHHH", 1, 4 if v6 else 1, 0, mss, 40 if v6 else 20, 16)
            segments = tso.expand(memoryview(big), vnet)
            header = 60 if v6 else 52
            assert all(valid(s, v6) for s in segments)
            assert b"".join(s[header:] for s in segments) == payload
            assert all(len(s) - header == mss for s in segments[:-1])
            tcp_off = 40 if v6 else 20
            seqs = [int.from_bytes(s[tcp_off + 4:tcp_off + 8], "big") for s in segments]
            assert seqs == [(seq + i * mss) & 0xFFFFFFFF for i in range(len(segments))]
            tcp_flags = [s[(40 if v6 else 20) + 13] for s in segments]
            last = flags if len(segments) == 1 else flags & ~0x80     # CWR only on the first
            assert tcp_flags[-1] == last and all(f & 0x09 == 0 for f in tcp_flags[:-1])
            assert all(f & 0x80 == 0 for f in tcp_flags[1:])
            if not v6:
                ids = [int.from_bytes(s[4:6], "big") for s in segments]
                assert ids == [(1 + i) & 0xFFFF for i in range(len(segments))]


def test_a_single_packet_gets_its_checksum_completed():
    packet = bytearray(tcp4(9, b"hello world"))
    good = bytes(packet)
    # As the kernel leaves it: the pseudo-header sum in the checksum field.
    pseudo = sum(struct.unpack("!4H", packet[12:20])) + 6 + len(packet) - 20
    while pseudo >> 16:
        pseudo = (pseudo & 0xFFFF) + (pseudo >> 16)
    packet[36:38] = pseudo.to_bytes(2, "big")
    (out,) = tso.expand(memoryview(packet), struct.pack("<BBHHHH", 1, 0, 0, 0, 20, 16))
    assert bytes(out) == good
