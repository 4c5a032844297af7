"""mac1/mac2 and cookie replies (wg_py/protocol/cookie.py)."""

from __future__ import annotations

from wg_py.protocol.constants import COOKIE_REFRESH_TIME, INITIATION_SIZE, LABEL_MAC1
from wg_py.protocol.cookie import CookieChecker, CookieGenerator, source_bytes
from wg_py.protocol.crypto import hash_, mac
from wg_py.protocol.messages import unpack_cookie_reply, pack_cookie_reply
from tests.protocol.helpers import KEY_B, public
from tests.support.fakes import seeded_rng

BOB = public(KEY_B)
SRC = source_bytes(("192.0.2.1", 51820))
BODY = bytes(range(INITIATION_SIZE - 32)) + bytes(32)


def pair():
    checker = CookieChecker()
    checker.init(BOB)
    return checker, CookieGenerator(BOB)


def test_mac1_is_keyed_blake2s_of_the_message_with_hash_of_label_and_key():
    _, gen = pair()
    msg = gen.add_macs(BODY, now=0.0)
    assert msg[-32:-16] == mac(hash_(LABEL_MAC1, BOB), BODY[:-32])
    assert msg[-16:] == bytes(16)               # no cookie yet: mac2 is zeros


def test_mac1_check():
    checker, gen = pair()
    msg = gen.add_macs(BODY, now=0.0)
    assert checker.check_mac1(msg)
    for position in (0, 50, INITIATION_SIZE - 32, INITIATION_SIZE - 17):
        bad = bytearray(msg)
        bad[position] ^= 1
        assert not checker.check_mac1(bytes(bad))
    other = CookieChecker()
    other.init(public(bytes([9] * 32)))
    assert not other.check_mac1(msg)
    nokey = CookieChecker()
    nokey.init(None)
    assert not nokey.check_mac1(msg)


def test_cookie_round_makes_mac2_valid_for_the_same_source_only():
    checker, gen = pair()
    rng = seeded_rng(1)
    msg = gen.add_macs(BODY, now=10.0)
    assert not checker.check_mac2(msg, SRC, now=10.0)
    reply = checker.create_reply(msg, receiver=77, src=SRC, now=10.0, rng=rng)
    wire = pack_cookie_reply(reply)
    assert len(wire) == 64 and wire[:8] == b"\x03\x00\x00\x00" + (77).to_bytes(4, "little")
    assert gen.consume_reply(unpack_cookie_reply(wire), now=11.0)
    msg2 = gen.add_macs(BODY, now=12.0)
    assert msg2[-16:] != bytes(16)
    assert checker.check_mac2(msg2, SRC, now=12.0)
    assert not checker.check_mac2(msg2, source_bytes(("192.0.2.1", 51821)), now=12.0)
    assert not checker.check_mac2(msg2, source_bytes(("2001:db8::1", 51820, 0, 0)), now=12.0)


def test_cookie_reply_must_answer_our_last_mac1():
    checker, gen = pair()
    rng = seeded_rng(1)
    first = gen.add_macs(BODY, now=0.0)
    reply = checker.create_reply(first, 1, SRC, 0.0, rng)
    gen.add_macs(BODY[:5] + b"\xff" + BODY[6:], now=0.5)   # a newer message: different mac1
    assert not gen.consume_reply(reply, now=1.0)
    assert gen.cookie_set == float("-inf")
    assert not CookieGenerator(BOB).consume_reply(reply, now=1.0)  # never sent anything


def test_cookies_expire_and_the_secret_rotates_every_two_minutes():
    checker, gen = pair()
    rng = seeded_rng(1)
    msg = gen.add_macs(BODY, now=0.0)
    gen.consume_reply(checker.create_reply(msg, 1, SRC, 0.0, rng), now=0.0)
    secret = checker.secret
    msg = gen.add_macs(BODY, now=COOKIE_REFRESH_TIME)
    assert checker.check_mac2(msg, SRC, now=COOKIE_REFRESH_TIME)
    assert not checker.check_mac2(msg, SRC, now=COOKIE_REFRESH_TIME + 0.1)   # secret too old
    assert gen.add_macs(BODY, now=COOKIE_REFRESH_TIME + 0.1)[-16:] == bytes(16)  # cookie too old
    checker.create_reply(msg, 1, SRC, COOKIE_REFRESH_TIME + 0.1, rng)
    assert checker.secret != secret                                           # rotated on demand
