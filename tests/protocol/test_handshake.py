"""Noise_IKpsk2 (wg_py/protocol/handshake.py): pinned bytes, both roles, and every refusal."""

from __future__ import annotations

import copy

import pytest

from wg_py.protocol import handshake as hs
from wg_py.protocol import tai64n
from wg_py.protocol.constants import INITIATION_SIZE, RESPONSE_SIZE
from wg_py.protocol.handshake import Handshake, State, StaticIdentity
from wg_py.protocol.messages import pack_initiation, pack_response, unpack_initiation
from tests.protocol.helpers import ADDR_A, KEY_A, KEY_B, PSK, Pair, public
from tests.support.fakes import seeded_rng

# Recorded with KEY_A/KEY_B, PSK, seeded Rngs 1 and 2, FakeClock wall 1_700_000_000.0.
# Their correctness is established by tests/protocol/test_interop_wireguard_go.py.
PINNED_INITIATION = bytes.fromhex(
    "010000007bd5d47e3e4a7de06848c5329f12b01584b866e0fedfb0428fc24334323d58c5e2b68170354e3a18"
    "b264a30fc001045c76e9486ec773fa283b0f4dff65e1af9a2ba92da63cd3868921cbe63a469b1700e231243a"
    "e648d0f964dce6d932433c9bb8c9df88fc0bea465e7951ea47f30f63df887972158f31bd4264079e0fbecb00"
    "00000000000000000000000000000000")
PINNED_RESPONSE = bytes.fromhex(
    "0200000073a9bef47bd5d47e22115b3e82656f0d6bed18401c88654b4fe7c482a36ac5a2f30f819904d66367"
    "677e6d8a6b3c18a58b249570ee98d1b010fffdbdb245eaa1b70c65ddc898391000000000000000000000000000"
    "000000")


def test_initiation_and_response_bytes_are_pinned():
    pair = Pair(psk=PSK)
    pair.alice.send_packets([pair.a_to_b()])
    [(initiation, _)] = pair.alice.take_datagrams()
    pair.bob.receive_datagrams([(initiation, ADDR_A)])
    [(response, _)] = pair.bob.take_datagrams()
    assert len(initiation) == INITIATION_SIZE and len(response) == RESPONSE_SIZE
    assert initiation == PINNED_INITIATION
    assert response == PINNED_RESPONSE


class Counter:
    def __init__(self, start: int) -> None:
        self.value = start

    def __call__(self) -> int:
        self.value += 1
        return self.value


def make(psk_i=bytes(32), psk_r=bytes(32)):
    ident_i = StaticIdentity.from_private_bytes(KEY_A)
    ident_r = StaticIdentity.from_private_bytes(KEY_B)
    hs_i = Handshake(ident_r.public, psk_i, ident_i.static_static(ident_r.public))
    hs_r = Handshake(ident_i.public, psk_r, ident_r.static_static(ident_i.public))
    return ident_i, ident_r, hs_i, hs_r


def run_initiation(ident_i, ident_r, hs_i, hs_r, wall=1e9, now=100.0, rng=None):
    msg = hs.create_initiation(hs_i, ident_i, rng or seeded_rng(5), wall, Counter(10))
    c_h = hs.decrypt_initiator_static(msg, ident_r)
    assert c_h is not None and c_h[0] == ident_i.public
    return msg, hs.consume_initiation(hs_r, msg, c_h[1], c_h[2], now)


@pytest.mark.parametrize("psk", [bytes(32), PSK])
def test_full_handshake_derives_matching_keys(psk):
    ident_i, ident_r, hs_i, hs_r = make(psk, psk)
    msg, refused = run_initiation(ident_i, ident_r, hs_i, hs_r)
    assert refused is None and hs_r.state is State.INITIATION_CONSUMED and hs_r.remote_index == msg.sender
    response = hs.create_response(hs_r, seeded_rng(6), Counter(20))
    assert response.receiver == msg.sender and hs_r.state is State.RESPONSE_CREATED
    assert hs.consume_response(hs_i, response, ident_i)
    send_i, recv_i, initiator_i = hs.begin_session(hs_i)
    send_r, recv_r, initiator_r = hs.begin_session(hs_r)
    assert (initiator_i, initiator_r) == (True, False)
    assert send_i == recv_r and recv_i == send_r and send_i != recv_i
    assert hs_i.state is State.ZEROED and hs_i.chain_key == b"" and hs_i.local_ephemeral is None


def test_preshared_key_mismatch_fails_the_response():
    ident_i, ident_r, hs_i, hs_r = make(PSK, bytes(32))
    run_initiation(ident_i, ident_r, hs_i, hs_r)
    response = hs.create_response(hs_r, seeded_rng(6), Counter(20))
    before = copy.copy(hs_i)
    assert not hs.consume_response(hs_i, response, ident_i)
    assert hs_i == before


def test_replayed_initiation_is_refused_without_state_change():
    ident_i, ident_r, hs_i, hs_r = make()
    msg, refused = run_initiation(ident_i, ident_r, hs_i, hs_r, now=100.0)
    assert refused is None
    before = copy.copy(hs_r)
    c_h = hs.decrypt_initiator_static(msg, ident_r)
    assert hs.consume_initiation(hs_r, msg, c_h[1], c_h[2], 200.0) == "handshake_replay"
    assert hs_r == before


def test_timestamps_within_the_whitening_granule_count_as_replays():
    # 2^24 ns whitening: two initiations 9 ms apart (same granule) carry the same TAI64N stamp.
    assert tai64n.stamp(1e9 + 0.101) == tai64n.stamp(1e9 + 0.110)
    ident_i, ident_r, hs_i, hs_r = make()
    run_initiation(ident_i, ident_r, hs_i, hs_r, wall=1e9 + 0.101, now=100.0)
    _, refused = run_initiation(ident_i, ident_r, hs_i, hs_r, wall=1e9 + 0.110, now=101.0)
    assert refused == "handshake_replay"


def test_initiation_flood_is_refused():
    ident_i, ident_r, hs_i, hs_r = make()
    run_initiation(ident_i, ident_r, hs_i, hs_r, wall=1e9, now=100.0)
    _, refused = run_initiation(ident_i, ident_r, hs_i, hs_r, wall=1e9 + 1, now=100.015)
    assert refused == "handshake_flood"
    _, refused = run_initiation(ident_i, ident_r, hs_i, hs_r, wall=1e9 + 2, now=100.025)
    assert refused is None


def test_unknown_responder_key_cannot_decrypt_the_static():
    ident_i, _, hs_i, _ = make()
    msg = hs.create_initiation(hs_i, ident_i, seeded_rng(5), 1e9, Counter(1))
    stranger = StaticIdentity.from_private_bytes(bytes([7] * 32))
    assert hs.decrypt_initiator_static(msg, stranger) is None


def test_flipped_bits_in_an_initiation_are_refused():
    ident_i, ident_r, hs_i, hs_r = make()
    msg = hs.create_initiation(hs_i, ident_i, seeded_rng(5), 1e9, Counter(1))
    raw = pack_initiation(msg)
    for position in range(8, INITIATION_SIZE - 32):  # ephemeral, static, timestamp
        flipped = bytearray(raw)
        flipped[position] ^= 0x10
        m = unpack_initiation(bytes(flipped))
        found = hs.decrypt_initiator_static(m, ident_r)
        if found is not None:
            before = copy.copy(hs_r)
            assert hs.consume_initiation(hs_r, m, found[1], found[2], 100.0) is not None
            assert hs_r == before


def test_low_order_peer_key_never_handshakes():
    ident = StaticIdentity.from_private_bytes(KEY_A)
    assert ident.static_static(bytes(32)) is None
    handshake = Handshake(bytes(32), precomputed_static_static=None)
    assert hs.create_initiation(handshake, ident, seeded_rng(1), 1e9, Counter(1)) is None


def test_response_is_only_accepted_for_a_created_initiation():
    ident_i, ident_r, hs_i, hs_r = make()
    run_initiation(ident_i, ident_r, hs_i, hs_r)
    response = hs.create_response(hs_r, seeded_rng(6), Counter(20))
    assert hs.consume_response(hs_i, response, ident_i)
    assert not hs.consume_response(hs_i, response, ident_i)  # already consumed
    assert hs.create_response(hs_r, seeded_rng(7), Counter(30)) is None  # already answered


def test_no_private_key_means_no_handshake():
    none = StaticIdentity.from_private_bytes(bytes(32))
    assert none.private is None and none.public is None
    handshake = Handshake(public(KEY_B), precomputed_static_static=None)
    assert hs.create_initiation(handshake, none, seeded_rng(1), 1e9, Counter(1)) is None


def test_messages_round_trip():
    ident_i, ident_r, hs_i, hs_r = make()
    msg, _ = run_initiation(ident_i, ident_r, hs_i, hs_r)
    assert unpack_initiation(pack_initiation(msg)) == msg
    response = hs.create_response(hs_r, seeded_rng(6), Counter(20))
    from wg_py.protocol.messages import unpack_response
    assert unpack_response(pack_response(response)) == response
