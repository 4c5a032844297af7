"""TAI64N timestamps for handshake initiations (whitepaper §5.4.2), as wireguard-go writes them.

A stamp is 8 bytes big-endian (2^62 + 10 + unix seconds) and 4 bytes big-endian
nanoseconds. The nanoseconds are rounded down to a multiple of 2^24 ns ("whitening",
like wireguard-go and the kernel) so a stamp does not leak a precise clock. Stamps
compare as byte strings: later time, greater bytes.
"""

from __future__ import annotations

import math
import struct

TIMESTAMP_SIZE = 12
_BASE = (1 << 62) + 10
_WHITENER_MASK = (1 << 24) - 1
_STAMP = struct.Struct(">QI")
ZERO_TIMESTAMP = bytes(TIMESTAMP_SIZE)


def stamp(wall_seconds: float) -> bytes:
    """The TAI64N stamp of a unix time given in (fractional) seconds."""
    secs = math.floor(wall_seconds)
    nanos = min(int((wall_seconds - secs) * 1e9), 999_999_999)
    return _STAMP.pack(_BASE + secs, nanos & ~_WHITENER_MASK)


def is_after(a: bytes, b: bytes) -> bool:
    """True if stamp `a` is strictly later than stamp `b`."""
    return a > b
