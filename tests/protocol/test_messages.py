"""Wire formats (wg_py/protocol/messages.py) and TAI64N (wg_py/protocol/tai64n.py)."""

from __future__ import annotations

from wg_py.protocol import messages as m
from wg_py.protocol import tai64n


def test_exact_sizes_and_little_endian_fields():
    init = m.Initiation(0x01020304, b"e" * 32, b"s" * 48, b"t" * 28, b"1" * 16, b"2" * 16)
    raw = m.pack_initiation(init)
    assert len(raw) == 148 and raw[:8] == bytes([1, 0, 0, 0, 4, 3, 2, 1])
    assert m.unpack_initiation(raw) == init
    resp = m.Response(5, 6, b"e" * 32, b"n" * 16)
    raw = m.pack_response(resp)
    assert len(raw) == 92 and raw[:12] == bytes([2, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0])
    assert m.unpack_response(raw) == resp
    reply = m.CookieReply(7, b"n" * 24, b"c" * 32)
    raw = m.pack_cookie_reply(reply)
    assert len(raw) == 64 and m.unpack_cookie_reply(raw) == reply
    assert m.pack_transport_header(8, 0x0102) == bytes([4, 0, 0, 0, 8, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0])


def test_wrong_size_or_type_is_refused():
    init = m.pack_initiation(m.Initiation(1, b"e" * 32, b"s" * 48, b"t" * 28))
    assert m.unpack_initiation(init[:-1]) is None
    assert m.unpack_initiation(init + b"\0") is None
    assert m.unpack_initiation(b"\x01\x01" + init[2:]) is None  # reserved bytes must be zero
    assert m.unpack_response(init[:92]) is None
    assert m.unpack_cookie_reply(bytes(64)) is None
    assert m.message_type(b"\x04\x00") == 0 and m.message_type(b"\x04\x00\x00\x00") == 4


def test_tai64n_layout_whitening_and_order():
    stamp = tai64n.stamp(1_700_000_000.123456789)
    assert len(stamp) == 12
    assert int.from_bytes(stamp[:8], "big") == (1 << 62) + 10 + 1_700_000_000
    nanos = int.from_bytes(stamp[8:], "big")
    assert nanos % (1 << 24) == 0 and 123456789 - (1 << 24) < nanos <= 123456789
    assert tai64n.is_after(tai64n.stamp(1_700_000_001.0), stamp)
    assert not tai64n.is_after(stamp, stamp)
    assert tai64n.is_after(stamp, tai64n.ZERO_TIMESTAMP)
    assert tai64n.stamp(5.9999999999) <= tai64n.stamp(6.0)
