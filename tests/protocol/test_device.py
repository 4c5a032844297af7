"""Two in-memory devices (wg_py/protocol/device.py): handshakes, transport data, robustness."""

from __future__ import annotations

import copy

import pytest

from wg_py.protocol import configuration
from wg_py.protocol.constants import (
    KEEPALIVE_SIZE, QUEUE_STAGED_SIZE, REKEY_AFTER_TIME, TRANSPORT_HEADER_SIZE,
)
from wg_py.model import WgDevice
from wg_py.protocol.crypto import mac
from tests.protocol.helpers import (
    ADDR_A, ADDR_B, ADDR_C, KEY_C, PSK, Pair, ipv4, ipv6, peer_change,
)


def kinds(datagrams) -> list[int]:
    return [d[0] for d, _ in datagrams]


def test_alice_initiates_and_data_flows_both_ways():
    p = Pair()
    p.alice.send_packets([p.a_to_b(b"ping")])
    p.settle()
    assert p.bob.take_packets() == [p.a_to_b(b"ping")]
    p.bob.send_packets([p.b_to_a(b"pong")])
    p.settle()
    assert p.alice.take_packets() == [p.b_to_a(b"pong")]
    a, b = configuration.snapshot(p.alice).peers[0], configuration.snapshot(p.bob).peers[0]
    assert a.last_handshake_time_sec == b.last_handshake_time_sec == int(p.clock.wall())
    # Every byte one side sent, the other received (handshake messages count on both).
    assert a.tx_bytes == b.rx_bytes > 0 and b.tx_bytes == a.rx_bytes > 0
    assert not p.alice.stats and not p.bob.stats


def test_bob_initiates_when_he_knows_the_endpoint_and_ipv6_works():
    p = Pair(bob_knows_alice_endpoint=True)
    p.bob.send_packets([ipv6("fd00::2", "fd00::1", b"six")])
    p.settle()
    assert p.alice.take_packets() == [ipv6("fd00::2", "fd00::1", b"six")]
    assert p.peer_of(p.bob).keypairs.current.is_initiator


def test_preshared_key_both_sides_works_and_mismatch_does_not():
    p = Pair(psk=PSK)
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    assert p.bob.take_packets() == [p.a_to_b()]
    p = Pair(psk=PSK)
    p.peer_of(p.bob).handshake.preshared_key = bytes(32)
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    assert p.bob.take_packets() == [] and p.alice.stats["bad_handshake"] == 1


def test_responder_waits_for_key_confirmation_before_sending():
    p = Pair()
    p.alice.send_packets([p.a_to_b()])
    [(initiation, _)] = p.alice.take_datagrams()
    p.bob.receive_datagrams([(initiation, ADDR_A)])
    [(response, _)] = p.bob.take_datagrams()
    bob_peer = p.peer_of(p.bob)
    assert bob_peer.keypairs.next is not None and bob_peer.keypairs.current is None
    p.bob.send_packets([p.b_to_a(b"early")])
    assert p.bob.take_datagrams() == []  # staged: no keypair to send with yet
    assert list(bob_peer.staged) == [p.b_to_a(b"early")]
    p.alice.receive_datagrams([(response, ADDR_B)])
    out = p.alice.take_datagrams()
    assert [len(d) for d, _ in out] == [TRANSPORT_HEADER_SIZE + 48]  # the staged packet, padded
    p.bob.receive_datagrams([(out[0][0], ADDR_A)])
    assert bob_peer.keypairs.current is not None and bob_peer.keypairs.next is None
    [(early, _)] = p.bob.take_datagrams()  # confirmation flushed the staged packet
    p.alice.receive_datagrams([(early, ADDR_B)])
    assert p.alice.take_packets() == [p.b_to_a(b"early")]


def test_initiator_sends_a_keepalive_when_nothing_is_staged():
    p = Pair(bob_knows_alice_endpoint=True)
    p.bob.send_packets([p.b_to_a()])
    p.wire.step()   # initiation -> alice
    p.wire.step()   # response -> bob
    out = p.bob.take_datagrams()
    assert [len(d) for d, _ in out] == [TRANSPORT_HEADER_SIZE + 16 + 32]  # the staged packet
    p.alice.send_packets([])
    p2 = Pair()
    p2.alice.send_packets([p2.a_to_b()])
    p2.alice.take_datagrams()
    p2.alice.peers[next(iter(p2.alice.peers))].staged.clear()
    # A response with nothing staged is answered by a bare keepalive.
    p3 = Pair()
    p3.peer_of(p3.alice).staged.clear()
    p3.alice._send_handshake_initiation(p3.peer_of(p3.alice), p3.clock.now, False)
    p3.wire.step()
    p3.wire.step()
    assert [len(d) for d, _ in p3.alice.take_datagrams()] == [KEEPALIVE_SIZE]


def test_padding_is_to_16_bytes_and_capped_by_the_mtu():
    p = Pair()
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    p.bob.take_packets()
    for size, expected in [(21, 32), (32, 32), (1419, 1420), (1420, 1420)]:
        packet = ipv4("10.0.0.1", "10.0.0.2", b"z" * (size - 20))
        p.alice.send_packets([packet])
        [(datagram, _)] = p.alice.take_datagrams()
        assert len(datagram) == 32 + expected
        p.bob.receive_datagrams([(datagram, ADDR_A)])
        assert p.bob.take_packets() == [packet]  # trimmed back to the IP length


def test_ten_simulated_minutes_with_rekeys():
    p = Pair(bob_knows_alice_endpoint=True)
    delivered = sent = 0
    keypairs_seen = set()
    for second in range(600):
        p.alice.send_packets([p.a_to_b(b"a%d" % second)])
        p.settle()
        p.advance(0.5)
        p.bob.send_packets([p.b_to_a(b"b%d" % second)])
        sent += 2
        p.settle()
        delivered += len(p.bob.take_packets()) + len(p.alice.take_packets())
        current = p.peer_of(p.alice).keypairs.current
        if current is not None:  # both start at once: their first initiations cross (resolved by retry)
            keypairs_seen.add(current.local_index)
        p.advance(0.5)  # stops at every timer deadline in between
        delivered += len(p.bob.take_packets()) + len(p.alice.take_packets())
    assert len(keypairs_seen) >= 600 // REKEY_AFTER_TIME  # a rekey about every 2 minutes
    assert delivered >= sent - 12  # only what is staged at the very start and end may still wait
    assert set(p.alice.stats) | set(p.bob.stats) <= {"unknown_index"}, (p.alice.stats, p.bob.stats)
    for device in (p.alice, p.bob):   # no index leaks: at most three keypairs and one handshake
        assert len(device.indices.keypairs) <= 3 and len(device.indices.handshakes) <= 1
        assert len(device._heap) <= 64 + 16


def test_loss_reordering_and_duplication():
    p = Pair()
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    p.bob.take_packets()
    packets = [p.a_to_b(b"n%03d" % i) for i in range(40)]
    p.alice.send_packets(packets)
    datagrams = [d for d, _ in p.alice.take_datagrams()]
    lost = {3, 17}
    order = [i for i in reversed(range(40)) if i not in lost]   # fully reversed
    batch = [(datagrams[i], ADDR_A) for i in order] + [(datagrams[5], ADDR_A), (datagrams[5], ADDR_A)]
    p.bob.receive_datagrams(batch)
    received = p.bob.take_packets()
    assert received == [packets[i] for i in order]
    assert p.bob.stats["replay"] == 2


def test_packets_older_than_the_window_are_dropped():
    p = Pair()
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    p.bob.take_packets()
    p.alice.send_packets([p.a_to_b(b"old")])
    [(old, _)] = p.alice.take_datagrams()
    p.peer_of(p.alice).keypairs.current.send_nonce += 9000
    p.alice.send_packets([p.a_to_b(b"new")])
    p.settle()
    p.bob.receive_datagrams([(old, ADDR_A)])
    assert p.bob.take_packets() == [p.a_to_b(b"new")]
    assert p.bob.stats["replay"] == 1


def test_an_initiation_replayed_later_is_ignored():
    p = Pair()
    p.alice.send_packets([p.a_to_b()])
    [(initiation, _)] = p.alice.take_datagrams()
    p.bob.receive_datagrams([(initiation, ADDR_A)])
    p.settle()
    bob_peer = p.peer_of(p.bob)
    keypairs = (bob_peer.keypairs.previous, bob_peer.keypairs.current, bob_peer.keypairs.next)
    p.clock.advance(30)
    p.bob.receive_datagrams([(initiation, ADDR_C)])
    assert p.bob.take_datagrams() == []
    assert p.bob.stats["handshake_replay"] == 1
    assert (bob_peer.keypairs.previous, bob_peer.keypairs.current, bob_peer.keypairs.next) == keypairs
    assert bob_peer.endpoint == ADDR_A  # no roaming on a refused initiation


def test_cookie_round_under_load():
    p = Pair()
    p.bob.under_load_threshold = 1  # every handshake message now counts as load
    p.alice.send_packets([p.a_to_b()])
    p.wire.step()                 # initiation (mac2 empty) -> bob
    assert p.bob.under_load
    assert p.bob.stats["cookie_reply_sent"] == 1
    [(reply, _)] = p.bob.take_datagrams()
    assert reply[0] == 3 and len(reply) == 64
    alice_peer = p.peer_of(p.alice)
    before = (alice_peer.endpoint, alice_peer.timers.pending())
    p.alice.receive_datagrams([(reply, ADDR_C)])   # from anywhere: no roaming, no timer change
    assert (alice_peer.endpoint, alice_peer.timers.pending()) == before
    assert alice_peer.cookie_generator.cookie_set == p.clock.now
    # The retransmission carries mac2 with the cookie and is let through.
    p.clock.advance(5.4)
    p.alice.tick()
    p.settle()
    assert p.bob.take_packets() == [p.a_to_b()]
    assert p.bob.stats["cookie_reply_sent"] == 1


def test_under_load_mac2_from_another_address_gets_a_new_cookie_reply():
    p = Pair()
    p.bob.under_load_threshold = 1
    p.alice.send_packets([p.a_to_b()])
    p.wire.step()
    p.alice.receive_datagrams(p_bob_out := [(d, ADDR_B) for d, _ in p.bob.take_datagrams()])
    assert p_bob_out
    p.clock.advance(5.4)
    p.alice.tick()
    [(initiation, _)] = p.alice.take_datagrams()
    p.bob.receive_datagrams([(initiation, ADDR_C)])  # cookie was bound to ADDR_A
    assert p.bob.stats["cookie_reply_sent"] == 2


def test_ratelimiter_applies_only_under_load():
    p = Pair()
    p.bob.under_load_threshold = 1
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    peer = p.peer_of(p.alice)
    # With a valid cookie, a burst of initiations beyond 5 from one address is rate limited.
    from wg_py.protocol.messages import pack_initiation
    from wg_py.protocol import handshake as hs_mod
    for i in range(8):
        p.clock.advance(0.001)
        msg = hs_mod.create_initiation(peer.handshake, p.alice.identity, p.alice.rng, p.clock.wall(),
                                       p.alice.indices.allocator_for(peer))
        p.bob.receive_datagrams([(peer.cookie_generator.add_macs(pack_initiation(msg), p.clock.now), ADDR_A)])
    assert p.bob.stats["ratelimited"] >= 1


def test_flipped_bits_anywhere_are_dropped_without_state_change():
    p = Pair()
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    p.bob.take_packets()
    p.alice.send_packets([p.a_to_b(b"victim")])
    [(datagram, _)] = p.alice.take_datagrams()
    bob_peer = p.peer_of(p.bob)

    def state():
        kp = bob_peer.keypairs.current
        return (copy.deepcopy(configuration.snapshot(p.bob)), kp.replay.last, list(kp.replay.ring), bob_peer.endpoint,
                bob_peer.timers.pending())

    before = state()
    for position in range(len(datagram)):
        for bit in (0, 3, 7):
            flipped = bytearray(datagram)
            flipped[position] ^= 1 << bit
            p.bob.receive_datagrams([(bytes(flipped), ADDR_C)])
    assert p.bob.take_packets() == [] and p.bob.take_datagrams() == []
    assert state() == before
    # Handshake messages: a flip anywhere before mac2 fails mac1 or decryption.
    p2 = Pair()
    p2.alice.send_packets([p2.a_to_b()])
    [(initiation, _)] = p2.alice.take_datagrams()
    for position in range(len(initiation) - 16):
        flipped = bytearray(initiation)
        flipped[position] ^= 0x40
        p2.bob.receive_datagrams([(bytes(flipped), ADDR_A)])
    assert p2.bob.take_datagrams() == [] and p2.peer_of(p2.bob).endpoint is None
    assert sum(p2.bob.stats.values()) == len(initiation) - 16


def test_wrong_keys_are_dropped():
    p = Pair()
    from tests.protocol.helpers import KEY_C, public
    p.peer_of(p.bob).public_key  # bob knows alice; make alice talk to a key bob does not have
    configuration.apply(p.alice, __import__("wg_py.model", fromlist=["WgDevice"]).WgDevice(private_key=KEY_C))
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    assert p.bob.stats["unknown_peer"] == 1 and p.bob.take_packets() == []
    assert public(KEY_C) not in p.bob.peers


def test_roaming_follows_authenticated_packets_only():
    p = Pair()
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    bob_peer = p.peer_of(p.bob)
    assert bob_peer.endpoint == ADDR_A
    p.alice.send_packets([p.a_to_b(b"moved")])
    [(datagram, _)] = p.alice.take_datagrams()
    forged = datagram[:-1] + bytes([datagram[-1] ^ 1])
    p.bob.receive_datagrams([(forged, ADDR_C)])
    assert bob_peer.endpoint == ADDR_A
    p.bob.receive_datagrams([(datagram, ADDR_C)])
    assert bob_peer.endpoint == ADDR_C
    p.bob.send_packets([p.b_to_a()])
    assert [addr for _, addr in p.bob.take_datagrams()] == [ADDR_C]


def test_staged_packets_are_capped_and_flushed_on_handshake_completion():
    p = Pair()
    packets = [p.a_to_b(b"s%03d" % i) for i in range(200)]
    p.alice.send_packets(packets)
    assert len(p.peer_of(p.alice).staged) == QUEUE_STAGED_SIZE
    assert p.alice.stats["staged_overflow"] == 200 - QUEUE_STAGED_SIZE
    p.settle()
    assert p.bob.take_packets() == packets[-QUEUE_STAGED_SIZE:]  # the oldest were dropped


def test_inner_source_must_be_an_allowed_ip_of_the_sending_peer():
    p = Pair()
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    p.bob.take_packets()
    p.alice.send_packets([ipv4("10.9.9.9", "10.0.0.2"), ipv6("fd00::9", "fd00::2")])
    p.settle()
    assert p.bob.take_packets() == [] and p.bob.stats["bad_src_ip"] == 2


def test_packets_without_a_route_or_with_bad_headers_are_dropped():
    p = Pair()
    p.alice.send_packets([ipv4("10.0.0.1", "10.0.0.99"), b"", b"\x45" * 10, b"\x10" * 40])
    assert p.alice.take_datagrams() == []
    assert p.alice.stats["no_route"] == 1 and p.alice.stats["bad_ip_header"] == 3


def test_bad_sizes_and_unknown_types_and_indices():
    p = Pair()
    p.bob.receive_datagrams([(b"", ADDR_A), (b"\x01\x00\x00\x00" * 37 + b"\x00", ADDR_A),
                             (b"\x02\x00\x00\x00" * 23 + b"\x00", ADDR_A), (b"\x02" * 92, ADDR_A),
                             (b"\x05" + bytes(40), ADDR_A), (b"\x04" + bytes(30), ADDR_A),
                             (b"\x04\x00\x00\x00" + bytes(28), ADDR_A), (b"\x04\x01\x00\x00" + bytes(28), ADDR_A)])
    assert p.bob.take_datagrams() == [] and p.bob.take_packets() == []
    assert p.bob.stats["bad_size"] == 4 and p.bob.stats["unknown_type"] == 3
    assert p.bob.stats["unknown_index"] == 1


def test_receiver_indices_are_random_and_unique():
    p = Pair()
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    indices = list(p.alice.indices.keypairs) + list(p.bob.indices.keypairs)
    assert len(set(indices)) == len(indices) == 2
    assert all(i > 0xFFFF for i in indices)  # drawn from 32 random bits, not counted up


def test_device_down_drops_everything_and_wipes_sessions():
    p = Pair()
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    p.bob.set_up(False)
    bob_peer = p.peer_of(p.bob)
    assert bob_peer.keypairs.current is None and not bob_peer.running
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    assert p.bob.stats["device_down"] >= 1 and p.bob.next_deadline() is None
    p.bob.set_up(True)
    p.alice.peers[next(iter(p.alice.peers))].keypairs.clear()
    p.clock.advance(6)
    p.alice.send_packets([p.a_to_b(b"again")])
    p.settle()
    assert p.a_to_b(b"again") in p.bob.take_packets()


@pytest.mark.parametrize("mtu", [1280, 1420, 9000])
def test_mtu_changes_take_effect_for_padding(mtu):
    p = Pair()
    p.alice.mtu = mtu
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    packet = ipv4("10.0.0.1", "10.0.0.2", b"q" * (mtu - 21))
    p.alice.send_packets([packet])
    [(datagram, _)] = p.alice.take_datagrams()
    assert len(datagram) == mtu + 32


def test_memoryview_inputs_are_accepted_on_both_paths():
    p = Pair()
    p.alice.send_packets([memoryview(bytearray(p.a_to_b(b"mv")))])
    p.settle()
    assert p.bob.take_packets() == [p.a_to_b(b"mv")]
    p.alice.send_packets([memoryview(p.a_to_b(b"mv2"))])
    [(datagram, _)] = p.alice.take_datagrams()
    assert isinstance(datagram, bytes)
    buffer = bytearray(2048)
    buffer[:len(datagram)] = datagram
    p.bob.receive_datagrams([(memoryview(buffer)[:len(datagram)], ADDR_A)])
    assert p.bob.take_packets() == [p.a_to_b(b"mv2")]


def test_under_load_is_a_state_the_device_enters_and_leaves():
    p = Pair()
    assert not p.bob.under_load
    p.bob.under_load_threshold = 3
    junk = [(b"\x01\x00\x00\x00" + bytes(144), ADDR_C)] * 5   # bad mac1: never load
    p.bob.receive_datagrams(junk)
    assert not p.bob.under_load and p.bob.stats["bad_mac1"] == 5
    body = b"\x01\x00\x00\x00" + bytes(112)
    forged = body + mac(p.bob.cookie_checker.mac1_key, body) + bytes(16)   # mac1 right, the rest garbage
    p.bob.receive_datagrams([(forged, ADDR_C)] * 2)
    assert not p.bob.under_load
    p.bob.receive_datagrams([(forged, ADDR_C)])
    assert p.bob.under_load and p.bob.stats["bad_handshake"] == 2 and p.bob.stats["cookie_reply_sent"] == 1
    p.clock.advance(0.9)
    assert p.bob.under_load
    p.clock.advance(0.2)                        # UNDER_LOAD_AFTER_TIME (1 s) after the last detection
    assert not p.bob.under_load
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    assert p.bob.take_packets() == [p.a_to_b()] and p.bob.stats["cookie_reply_sent"] == 1


def test_rekey_after_messages_and_reject_after_messages():
    from wg_py.protocol.constants import REJECT_AFTER_MESSAGES, REKEY_AFTER_MESSAGES
    p = Pair()
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    p.bob.take_packets()
    alice_kp = p.peer_of(p.alice).keypairs.current
    alice_kp.send_nonce = REKEY_AFTER_MESSAGES + 1
    p.alice.send_packets([p.a_to_b(b"one")])
    assert [d[0] for d, _ in p.alice.take_datagrams()] == [4]      # an initiation went out < 5 s ago
    p.clock.advance(6)
    p.alice.send_packets([p.a_to_b(b"one")])
    assert [d[0] for d, _ in p.alice.take_datagrams()] == [4, 1]   # data, then a rekey
    # Out of counters: nothing is sent under this keypair, the packet waits for a new one.
    p.clock.advance(6)
    p.peer_of(p.alice).timers.retransmit_handshake = None
    alice_kp.send_nonce = REJECT_AFTER_MESSAGES
    p.alice.send_packets([p.a_to_b(b"two")])
    assert [d[0] for d, _ in p.alice.take_datagrams()] == [1]
    assert list(p.peer_of(p.alice).staged) == [p.a_to_b(b"two")]
    # Only the counters that fit are used: the last one before the limit, then staging.
    p2 = Pair()
    p2.alice.send_packets([p2.a_to_b()])
    p2.settle()
    p2.bob.take_packets()
    p2.peer_of(p2.alice).keypairs.current.send_nonce = REJECT_AFTER_MESSAGES - 1
    p2.clock.advance(6)
    p2.alice.send_packets([p2.a_to_b(b"last"), p2.a_to_b(b"over")])
    out = p2.alice.take_datagrams()
    assert [d[0] for d, _ in out] == [4, 1]
    p2.bob.receive_datagrams([(out[0][0], ADDR_A)])
    assert p2.bob.take_packets() == [p2.a_to_b(b"last")]
    assert list(p2.peer_of(p2.alice).staged) == [p2.a_to_b(b"over")]


def test_a_counter_at_the_reject_limit_is_never_accepted():
    from wg_py.protocol.constants import REJECT_AFTER_MESSAGES
    from wg_py.protocol.messages import TRANSPORT_HEADER
    p = Pair()
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    p.bob.take_packets()
    kp = p.peer_of(p.alice).keypairs.current
    kp.send_nonce = REJECT_AFTER_MESSAGES - 64   # the highest counters are still fine
    p.alice.send_packets([p.a_to_b(b"edge")])
    p.settle()
    assert p.bob.take_packets() == [p.a_to_b(b"edge")]
    # A correctly encrypted packet carrying counter REJECT_AFTER_MESSAGES is refused.
    counter = REJECT_AFTER_MESSAGES
    datagram = TRANSPORT_HEADER.pack(4, kp.remote_index, counter) + kp.send.encrypt(
        bytes(4) + counter.to_bytes(8, "little"), p.a_to_b(b"x") + bytes(3), None)
    p.bob.receive_datagrams([(datagram, ADDR_A)])
    assert p.bob.take_packets() == [] and p.bob.stats["replay"] == 1


from hypothesis import given, settings, strategies as st  # noqa: E402


def _established_pair() -> Pair:
    p = Pair()
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    p.bob.take_packets()
    return p


garbage = st.one_of(
    st.binary(max_size=200),
    st.tuples(st.sampled_from([1, 2, 3, 4]), st.sampled_from([148, 92, 64, 32, 33, 48, 100]))
    .flatmap(lambda t: st.binary(min_size=t[1] - 4, max_size=t[1] - 4).map(
        lambda b, t=t: bytes([t[0], 0, 0, 0]) + b)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(garbage, max_size=8))
def test_random_datagrams_never_raise_and_never_come_out(datagrams):
    p = _established_pair()
    for device in (p.alice, p.bob):
        device.receive_datagrams([(d, ADDR_C) for d in datagrams])
        assert device.take_packets() == []
        for _, addr in device.take_datagrams():
            assert addr == ADDR_C  # at most a cookie reply to the sender (under load only)
    assert p.peer_of(p.bob).endpoint == ADDR_A


def test_staged_memoryviews_are_copied_before_the_callers_buffer_is_reused():
    p = Pair()
    packets = [p.a_to_b(b"first"), p.a_to_b(b"other")]
    buffer = bytearray(b"".join(packets))
    view = memoryview(buffer)
    p.alice.send_packets([view[:len(packets[0])], view[len(packets[0]):]])   # no keypair yet: staged
    buffer[:] = bytes(len(buffer))                                           # the engine reuses it
    p.settle()
    assert p.bob.take_packets() == packets


def test_only_datagrams_that_authenticate_are_reported_by_identity():
    """take_authenticated(): the addr objects of consumed handshakes and of transport data that
    decrypted and passed the replay check -- never a forged datagram from an equal address."""
    p = Pair()
    p.alice.send_packets([p.a_to_b(b"first")])
    initiation = p.alice.take_datagrams()
    genuine = tuple(ADDR_A)
    forged = tuple(list(ADDR_A))      # equal to the genuine address, another object
    assert genuine == forged and genuine is not forged
    p.bob.receive_datagrams([(b"\x01" + bytes(147), forged), (initiation[0][0], genuine)])
    got = p.bob.take_authenticated()
    assert len(got) == 1 and got[0] is genuine and p.bob.stats["bad_mac1"] == 1
    assert p.bob.take_authenticated() == []
    p.settle()
    p.alice.send_packets([p.a_to_b(b"data")])
    (data, _), = p.alice.take_datagrams()
    tampered = data[:-1] + bytes([data[-1] ^ 1])
    genuine, forged, replayed = tuple(ADDR_A), tuple(list(ADDR_A)), tuple(list(ADDR_A))
    p.bob.receive_datagrams([(tampered, forged), (data, genuine), (data, replayed)])
    got = p.bob.take_authenticated()
    assert len(got) == 1 and got[0] is genuine
    assert p.bob.stats["decrypt_failed"] == 1 and p.bob.stats["replay"] == 1
    p.bob.receive_datagrams([(b"garbage", forged)])
    assert p.bob.take_authenticated() == []


def test_tx_bytes_count_only_datagrams_handed_out_and_not_reported_unsent():
    """wireguard-go adds to tx_bytes only when its socket accepted a datagram (peer.go
    SendBuffer): nothing for a peer without endpoint, nothing for a failed send."""
    p = Pair()
    # Bob does not know Alice's endpoint: his initiation cannot go anywhere.
    p.bob.send_packets([p.b_to_a(b"nowhere")])
    assert p.bob.take_datagrams() == [] and p.bob.stats["no_endpoint"] == 1
    assert configuration.snapshot(p.bob).peers[0].tx_bytes == 0
    # Alice's initiation is handed out, but her adapter fails to send it.
    p.alice.send_packets([p.a_to_b(b"lost")])
    out = p.alice.take_datagrams()
    assert len(out) == 1 and configuration.snapshot(p.alice).peers[0].tx_bytes == len(out[0][0])
    p.alice.unsent([0])
    assert configuration.snapshot(p.alice).peers[0].tx_bytes == 0
    # After a handshake, a batch of which the adapter sends all but the second datagram.
    p.clock.advance(6)
    p.alice.tick()
    p.settle()
    sent_before = configuration.snapshot(p.alice).peers[0].tx_bytes
    p.alice.send_packets([p.a_to_b(b"a"), p.a_to_b(b"bb" * 40), p.a_to_b(b"c")])
    out = p.alice.take_datagrams()
    assert kinds(out) == [4, 4, 4]
    assert configuration.snapshot(p.alice).peers[0].tx_bytes == sent_before + sum(len(d) for d, _ in out)
    p.alice.unsent([1, 99])        # 99: no such datagram, ignored
    assert configuration.snapshot(p.alice).peers[0].tx_bytes == sent_before + len(out[0][0]) + len(out[2][0])


def test_a_mixed_batch_of_memoryviews_is_routed_per_peer_in_order():
    """send_packets' fast path (a run to the same peer skips the grouping dict): a batch that
    interleaves two peers, no route and IPv6 still comes out grouped per peer, in order."""
    p = Pair()
    configuration.apply(p.alice, WgDevice(peers=[peer_change(KEY_C, ["10.0.0.3/32"], ADDR_C)]))
    p.alice.send_packets([p.a_to_b(b"hello")])
    p.settle()
    p.bob.take_packets()
    packets = [ipv4("10.0.0.9", "10.0.0.7", b"no route"), p.a_to_b(b"1"), ipv4("10.0.0.1", "10.0.0.3", b"c"),
               ipv6("fd00::1", "fd00::2", b"2"), p.a_to_b(b"3")]
    slab = memoryview(bytearray(b"".join(packets)))
    views, at = [], 0
    for packet in packets:
        views.append(slab[at:at + len(packet)])
        at += len(packet)
    p.alice.send_packets(views)
    out = p.alice.take_datagrams()
    assert [(d[0], a) for d, a in out] == [(4, ADDR_B)] * 3 + [(1, ADDR_C)]
    assert p.alice.stats["no_route"] == 1
    p.bob.receive_datagrams([(d, ADDR_A) for d, _ in out[:3]])
    assert p.bob.take_packets() == [packets[1], packets[3], packets[4]]


def test_per_batch_keypair_checks_still_refuse_unknown_indices_anywhere_in_a_batch():
    """receive_datagrams checks a keypair once per run of datagrams under it: an unknown
    index first in a batch, or between two runs, is still refused and counted."""
    p = Pair()
    p.alice.send_packets([p.a_to_b(b"hello")])
    p.settle()
    p.bob.take_packets()
    p.alice.send_packets([p.a_to_b(b"1"), p.a_to_b(b"2")])
    (one, _), (two, _) = p.alice.take_datagrams()
    unknown = one[:4] + bytes(4) + one[8:]
    p.bob.receive_datagrams([(unknown, ADDR_A), (one, ADDR_A), (unknown, ADDR_A), (two, ADDR_A)])
    assert p.bob.take_packets() == [p.a_to_b(b"1"), p.a_to_b(b"2")]
    assert p.bob.stats["unknown_index"] == 2


# ---- under a flood: trusted sources, bounded cookie replies, data first ------------------------

def _forged_initiation(device, sender: int = 7) -> bytes:
    """An initiation with a valid mac1 and garbage inside: costs the responder a DH."""
    body = b"\x01\x00\x00\x00" + sender.to_bytes(4, "little") + bytes(108)
    return body + mac(device.cookie_checker.mac1_key, body) + bytes(16)


def test_under_load_a_peers_authenticated_endpoint_skips_the_cookie_round():
    p = Pair()
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    assert p.bob.take_packets() == [p.a_to_b()]
    assert p.peer_of(p.bob).trusted_source == ADDR_A
    p.bob.under_load_threshold = 1                  # every handshake message is load now
    p.alice.expire_current_keypairs(p.peer_of(p.alice))
    p.clock.advance(1)
    p.alice.send_packets([p.a_to_b(b"again")])
    p.settle()
    assert p.bob.under_load
    assert p.bob.take_packets() == [p.a_to_b(b"again")]          # no 5 s cookie round
    assert p.bob.stats["trusted_under_load"] == 1 and "cookie_reply_sent" not in p.bob.stats
    # The same initiation from anywhere else is not trusted: it gets a cookie reply.
    p.bob.receive_datagrams([(_forged_initiation(p.bob), ADDR_C)])
    assert p.bob.stats["cookie_reply_sent"] == 1


def test_a_configured_endpoint_is_not_trusted():
    p = Pair(bob_knows_alice_endpoint=True)          # set by configuration, never authenticated
    p.bob.under_load_threshold = 1
    p.alice.send_packets([p.a_to_b()])
    p.wire.step()
    assert p.bob.stats["cookie_reply_sent"] == 1 and "trusted_under_load" not in p.bob.stats


def test_cookie_replies_are_rate_limited_per_source():
    p = Pair()
    p.bob.under_load_threshold = 1
    p.bob.receive_datagrams([(_forged_initiation(p.bob, i), ADDR_C) for i in range(50)])
    assert p.bob.stats["cookie_reply_sent"] == 5                  # the burst, then 20 a second
    assert p.bob.stats["cookie_reply_limited"] == 45
    p.bob.receive_datagrams([(_forged_initiation(p.bob), ADDR_A)])
    assert p.bob.stats["cookie_reply_sent"] == 6                  # another source has its own budget
    p.clock.advance(1.0)
    p.bob.receive_datagrams([(_forged_initiation(p.bob, i), ADDR_C) for i in range(50)])
    assert p.bob.stats["cookie_reply_sent"] == 6 + 5
    assert "bad_handshake" not in p.bob.stats                    # no DH for any of them


def test_transport_data_goes_first_and_the_handshake_queue_is_bounded():
    p = Pair()
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    p.bob.take_packets()
    p.alice.send_packets([p.a_to_b(b"in the flood")])
    [(data, _)] = p.alice.take_datagrams()
    flood = [(_forged_initiation(p.bob, i), ADDR_C) for i in range(1100)]
    p.bob.receive_datagrams(flood[:600] + [(data, ADDR_A)] + flood[600:])
    assert p.bob.take_packets() == [p.a_to_b(b"in the flood")]
    assert p.bob.stats["handshake_queue_full"] == 1100 - 1024
    assert p.bob.under_load                                       # a queue of 128+ is load
    assert p.bob.stats["cookie_reply_sent"] == 5 and "bad_handshake" not in p.bob.stats
