"""Per-source token bucket for handshake messages under load (wireguard-go ratelimiter).

20 handshake messages per second per source IP (IPv6: per /64), burst of 5. Only
consulted while the device is under load. Entries idle for more than a second are
collected lazily. Times are monotonic seconds handed in.
"""

from __future__ import annotations

import ipaddress

PACKETS_PER_SECOND = 20
PACKETS_BURSTABLE = 5
GARBAGE_COLLECT_TIME = 1.0
_PACKET_COST = 1.0 / PACKETS_PER_SECOND
_MAX_TOKENS = _PACKET_COST * PACKETS_BURSTABLE


class RateLimiter:
    def __init__(self) -> None:
        self._entries: dict[bytes, list[float]] = {}  # key -> [tokens, last_time]
        self._last_gc = float("-inf")

    @staticmethod
    def _key(addr: tuple) -> bytes:
        packed = ipaddress.ip_address(addr[0].split("%", 1)[0]).packed
        return packed if len(packed) == 4 else packed[:8]

    def allow(self, addr: tuple, now: float) -> bool:
        if now - self._last_gc > GARBAGE_COLLECT_TIME:
            self._entries = {k: e for k, e in self._entries.items() if now - e[1] <= GARBAGE_COLLECT_TIME}
            self._last_gc = now
        key = self._key(addr)
        entry = self._entries.get(key)
        if entry is None:
            self._entries[key] = [_MAX_TOKENS - _PACKET_COST, now]
            return True
        tokens = min(entry[0] + (now - entry[1]), _MAX_TOKENS)
        entry[1] = now
        # A small epsilon keeps float rounding from refusing a packet exactly on schedule.
        if tokens + 1e-9 >= _PACKET_COST:
            entry[0] = tokens - _PACKET_COST
            return True
        entry[0] = tokens
        return False
