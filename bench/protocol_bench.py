"""Micro-benchmark of the protocol core's transport path (not a test).

Two in-memory devices with a session; measures packets/s and µs/packet for
`send_packets` and `receive_datagrams` of 1420-byte IPv4 packets in batches of 64.

    python3 bench/protocol_bench.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from wg_py.protocol import configuration
from wg_py.model import Endpoint, WgAllowedIP, WgDevice, WgPeer  # noqa: E402
from wg_py.protocol.device import Device  # noqa: E402
from wg_py.protocol.handshake import StaticIdentity  # noqa: E402


class Clock:
    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()


class Rng:
    def randbytes(self, n: int) -> bytes:
        return os.urandom(n)


def ipv4_packet(src: str, dst: str, size: int) -> bytes:
    payload = os.urandom(size - 20)
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, size, 0, 0, 64, 17, 0,
                       ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed) + payload


def make_pair() -> tuple[Device, Device]:
    ka, kb = os.urandom(32), os.urandom(32)
    pa = StaticIdentity.from_private_bytes(ka).public
    pb = StaticIdentity.from_private_bytes(kb).public
    a, b = Device(Clock(), Rng()), Device(Clock(), Rng())
    configuration.apply(a, WgDevice(private_key=ka, peers=[WgPeer(pb, endpoint=Endpoint.parse("192.0.2.2:1"),
                                                   allowed_ips=[WgAllowedIP(ipaddress.ip_network("10.0.0.2/32"))])]))
    configuration.apply(b, WgDevice(private_key=kb, peers=[WgPeer(pa, endpoint=Endpoint.parse("192.0.2.1:1"),
                                                   allowed_ips=[WgAllowedIP(ipaddress.ip_network("10.0.0.1/32"))])]))
    a.set_up(True)
    b.set_up(True)
    a.send_packets([ipv4_packet("10.0.0.1", "10.0.0.2", 100)])
    for _ in range(4):
        b.receive_datagrams([(d, ("192.0.2.1", 1)) for d, _ in a.take_datagrams()])
        a.receive_datagrams([(d, ("192.0.2.2", 1)) for d, _ in b.take_datagrams()])
    b.take_packets()
    return a, b


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--size", type=int, default=1420)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--bytes", action="store_true",
                        help="hand packets and datagrams in as bytes (default: memoryviews into one bytearray, as the engine reads them)")
    args = parser.parse_args()
    a, b = make_pair()
    batch = [ipv4_packet("10.0.0.1", "10.0.0.2", args.size) for _ in range(args.batch)]
    if not args.bytes:
        slab = bytearray(b"".join(batch))
        view = memoryview(slab)
        batch = [view[i * args.size:(i + 1) * args.size] for i in range(args.batch)]

    sent = 0
    start = time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        a.send_packets(batch)
        datagrams = a.take_datagrams()
        sent += len(datagrams)
        if len(datagrams) != args.batch:
            raise SystemExit(f"send produced {len(datagrams)} datagrams: {a.stats}")
    send_time = time.perf_counter() - start

    # Receiving needs fresh counters (the replay window refuses repeats): encrypt the
    # batches up front, outside the timing. 2000 batches of 64 x 1.4 kB ~ 190 MB of data,
    # so the receive figure includes cache misses a real recvmmsg buffer would not have.
    batches = []
    for _ in range(2000):
        a.send_packets(batch)
        datagrams = [d for d, _ in a.take_datagrams()]
        if not args.bytes:   # views into one buffer, as the engine's receive buffers give them
            view = memoryview(bytearray(b"".join(datagrams)))
            sizes = [len(d) for d in datagrams]
            datagrams = [view[sum(sizes[:i]):sum(sizes[:i + 1])] for i in range(len(sizes))]
        batches.append([(d, ("192.0.2.1", 1)) for d in datagrams])
    received = 0
    start = time.perf_counter()
    for rx in batches:
        b.receive_datagrams(rx)
        received += len(b.take_packets())
        if time.perf_counter() - start > args.seconds:
            break
    recv_time = time.perf_counter() - start
    if b.stats:
        raise SystemExit(f"receiver dropped packets: {dict(b.stats)}")
    print(f"packet size {args.size} B, batch {args.batch}, inputs as {'bytes' if args.bytes else 'memoryviews'}")
    print(f"send_packets:      {sent / send_time:10.0f} packets/s  {send_time / sent * 1e6:6.2f} µs/packet"
          f"  ({sent * args.size * 8 / send_time / 1e9:.2f} Gbit/s of plaintext)")
    print(f"receive_datagrams: {received / recv_time:10.0f} packets/s  {recv_time / received * 1e6:6.2f} µs/packet"
          f"  ({received * args.size * 8 / recv_time / 1e9:.2f} Gbit/s of plaintext)")


if __name__ == "__main__":
    main()
