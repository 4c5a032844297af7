"""Per-source token bucket (wg_py/protocol/ratelimiter.py): 20/s, burst 5, IPv6 per /64."""

from __future__ import annotations

from wg_py.protocol.ratelimiter import RateLimiter


def test_burst_of_five_then_twenty_per_second():
    r = RateLimiter()
    src = ("192.0.2.1", 1)
    assert [r.allow(src, 0.0) for _ in range(7)] == [True] * 5 + [False] * 2
    assert r.allow(src, 0.05)                    # one packet's worth of tokens after 50 ms
    assert not r.allow(src, 0.05)
    allowed = sum(r.allow(src, 1.0 + i / 100) for i in range(100))  # 1 s at 100/s offered
    assert 24 <= allowed <= 26                   # a refilled burst of 5, then 20 per second


def test_sources_are_independent_and_ipv6_counts_per_64():
    r = RateLimiter()
    for _ in range(5):
        assert r.allow(("192.0.2.1", 1), 0.0)
    assert r.allow(("192.0.2.2", 1), 0.0)
    for i in range(5):
        assert r.allow((f"2001:db8::{i + 1}", 1, 0, 0), 0.0)
    assert not r.allow(("2001:db8::99", 1, 0, 0), 0.0)
    assert r.allow(("2001:db8:0:1::1", 1, 0, 0), 0.0)


def test_idle_entries_are_collected():
    r = RateLimiter()
    r.allow(("192.0.2.1", 1), 0.0)
    r.allow(("192.0.2.2", 1), 5.0)
    assert len(r._entries) == 1
