"""Test doubles for the sans-IO protocol core: a hand-driven clock, a seeded Rng, and
`shuttle`/`settle`, which carry datagrams between in-memory devices with no sockets.

Each in-memory device gets a fake address; `shuttle(a, b)` moves everything `a` wants to
send to `b` (and vice versa), `settle` repeats until nothing moves. A `drop`/`mangle`
hook lets a test lose, reorder, duplicate or corrupt datagrams on the way.
"""

from __future__ import annotations

import random
from typing import Callable


class FakeClock:
    """Monotonic and wall time that only move when the test says so."""

    def __init__(self, start: float = 1000.0, wall_start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.wall_offset = wall_start - start

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now + self.wall_offset

    def advance(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds


def seeded_rng(seed: int = 1234) -> random.Random:
    """random.Random already has randbytes(n): a reproducible Rng."""
    return random.Random(seed)


class Wire:
    """Devices by address; datagrams addressed to an address reach that device."""

    def __init__(self) -> None:
        self.devices: dict[tuple, object] = {}
        self.addr_of: dict[int, tuple] = {}
        self.log: list[tuple[tuple, tuple, bytes]] = []  # (src, dst, payload) of everything sent

    def attach(self, device, addr: tuple) -> None:
        self.devices[addr] = device
        self.addr_of[id(device)] = addr

    def step(self, mangle: Callable[[list[tuple[tuple, tuple, bytes]]], list] | None = None) -> int:
        """Deliver every pending datagram once; returns how many moved."""
        in_flight = []
        for addr, device in list(self.devices.items()):
            for data, dst in device.take_datagrams():
                in_flight.append((addr, dst, data))
        self.log.extend(in_flight)
        if mangle is not None:
            in_flight = mangle(in_flight)
        by_dst: dict[tuple, list] = {}
        for src, dst, data in in_flight:
            by_dst.setdefault(dst, []).append((data, src))
        for dst, batch in by_dst.items():
            device = self.devices.get(dst)
            if device is not None:
                device.receive_datagrams(batch)
        return len(in_flight)

    def settle(self, mangle=None, limit: int = 100) -> None:
        for _ in range(limit):
            if not self.step(mangle):
                return
        raise AssertionError("devices did not settle")


def shuttle(wire: Wire, mangle=None) -> int:
    return wire.step(mangle)


def settle(wire: Wire, mangle=None) -> None:
    wire.settle(mangle)
