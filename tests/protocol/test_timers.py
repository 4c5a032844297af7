"""Timer stories (wg_py/protocol/timers.py + Device expiry): advance the clock, tick, look at the output."""

from __future__ import annotations

from wg_py.protocol import configuration
from wg_py.model import WgDevice
from wg_py.protocol.constants import (
    KEEPALIVE_SIZE, KEEPALIVE_TIMEOUT, REJECT_AFTER_TIME, REKEY_AFTER_TIME, REKEY_ATTEMPT_TIME,
    REKEY_ON_RECEIVE_AGE, REKEY_TIMEOUT, ZERO_KEY_MATERIAL_TIME,
)
from tests.protocol.helpers import ADDR_A, ADDR_B, KEY_B, Pair, peer_change


def established(**kw) -> Pair:
    p = Pair(**kw)
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    p.bob.take_packets()
    return p


def run_until(p: Pair, device, seconds: float) -> list[tuple[float, bytes]]:
    """Tick `device` alone (its datagrams vanish) at each deadline up to now+seconds."""
    sent = []
    end = p.clock.now + seconds
    while True:
        deadline = device.next_deadline()
        if deadline is None or deadline > end:
            break
        p.clock.now = max(p.clock.now, deadline)
        device.tick()
        sent += [(p.clock.now, d) for d, _ in device.take_datagrams()]
    p.clock.now = end
    return sent


def test_initiation_retransmits_with_jitter_then_gives_up():
    p = Pair()
    p.alice.send_packets([p.a_to_b()])          # bob never answers: everything is lost
    first = [(p.clock.now, d) for d, _ in p.alice.take_datagrams()]
    sent = first + run_until(p, p.alice, 200)
    times = [t for t, d in sent if d[0] == 1]
    assert len(times) == len(sent) == 20        # the first + 19 retries ("20 attempts")
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(REKEY_TIMEOUT <= g < REKEY_TIMEOUT + 0.334 for g in gaps)
    assert len(set(gaps)) > 5                   # jittered, from the injected Rng
    assert REKEY_ATTEMPT_TIME < times[-1] - times[0] < 19 * (REKEY_TIMEOUT + 0.334)
    peer = p.peer_of(p.alice)
    assert p.alice.take_source_resets() == [ADDR_B] * 19   # sticky source forgotten before each retry
    assert not peer.staged                      # given up: staged packets dropped
    assert peer.timers.zero_key_material is not None


def test_the_same_seed_gives_the_same_retransmission_times():
    def times():
        p = Pair()
        p.alice.send_packets([p.a_to_b()])
        return [t for t, _ in run_until(p, p.alice, 30)]
    assert times() == times()


def test_passive_keepalive_after_receiving_data_and_sending_nothing():
    p = established()
    p.alice.send_packets([p.a_to_b(b"more")])
    p.settle()
    p.bob.take_packets()
    sent = run_until(p, p.bob, KEEPALIVE_TIMEOUT + 0.5)
    assert [len(d) for _, d in sent] == [KEEPALIVE_SIZE]
    assert abs(sent[0][0] - (p.clock.now - 0.5)) < 1e-6


def test_no_passive_keepalive_when_we_answered():
    p = established()
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    p.bob.send_packets([p.b_to_a()])
    p.bob.take_datagrams()
    assert run_until(p, p.bob, KEEPALIVE_TIMEOUT + 1) == []


def test_new_handshake_when_sent_data_gets_no_answer():
    p = established()
    start = p.clock.now
    p.alice.send_packets([p.a_to_b()])
    p.alice.take_datagrams()                    # lost, and bob stays silent
    sent = run_until(p, p.alice, 16)
    initiations = [t for t, d in sent if d[0] == 1]
    assert len(initiations) == 1
    assert p.alice.take_source_resets() == [ADDR_B]
    assert KEEPALIVE_TIMEOUT + REKEY_TIMEOUT <= initiations[0] - start < KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + 0.334


def test_persistent_keepalive_every_interval_while_idle():
    p = Pair(keepalive=25)
    sent = p.alice.take_datagrams()
    assert [d[0] for d, _ in sent] == [1]       # up with keepalive on: a keepalive at once (needs a handshake)
    p.wire.devices[ADDR_B].receive_datagrams([(sent[0][0], ADDR_A)])
    p.settle()
    start = p.clock.now
    sent = run_until(p, p.alice, 80)
    keepalives = [t - start for t, d in sent if len(d) == KEEPALIVE_SIZE]
    assert keepalives == [25.0, 50.0, 75.0]


def test_turning_persistent_keepalive_on_sends_one_immediately():
    p = established()
    configuration.apply(p.alice, WgDevice(peers=[peer_change(KEY_B, [], persistent_keepalive_interval=0)]))
    assert p.alice.take_datagrams() == []
    configuration.apply(p.alice, WgDevice(peers=[peer_change(KEY_B, [], persistent_keepalive_interval=15)]))
    assert [len(d) for d, _ in p.alice.take_datagrams()] == [KEEPALIVE_SIZE]
    configuration.apply(p.alice, WgDevice(peers=[peer_change(KEY_B, [], persistent_keepalive_interval=20)]))
    assert p.alice.take_datagrams() == []       # only when it turns on from 0


def test_key_material_is_zeroed_after_540_seconds_without_a_new_session():
    p = established()
    alice = p.peer_of(p.alice)
    run_until(p, p.alice, ZERO_KEY_MATERIAL_TIME - 1)
    assert alice.keypairs.current is not None
    run_until(p, p.alice, 2)
    assert alice.keypairs.all() == [] and not p.alice.indices.keypairs


def test_initiator_rekeys_on_send_after_rekey_after_time_responder_does_not():
    p = established()
    p.bob.send_packets([p.b_to_a()])
    p.settle()
    p.alice.take_packets()
    p.clock.advance(REKEY_AFTER_TIME + 1)
    p.bob.send_packets([p.b_to_a()])            # bob is the responder: no rekey on time
    assert [d[0] for d, _ in p.bob.take_datagrams()] == [4]
    p.alice.send_packets([p.a_to_b()])          # alice is the initiator: data, then an initiation
    assert [d[0] for d, _ in p.alice.take_datagrams()] == [4, 1]


def test_initiator_rekeys_once_when_receiving_on_a_165_second_old_keypair():
    p = established()
    p.clock.advance(REKEY_ON_RECEIVE_AGE + 1)
    p.bob.send_packets([p.b_to_a()])
    p.wire.step()                               # bob's data -> alice
    assert [d[0] for d, _ in p.alice.take_datagrams()] == [1]
    p.clock.advance(REKEY_TIMEOUT + 1)
    p.bob.send_packets([p.b_to_a()])
    p.wire.step()
    assert [d[0] for d, _ in p.alice.take_datagrams()] == []   # "last minute" handshake only once


def test_keypair_is_unusable_after_reject_after_time():
    p = established()
    p.clock.advance(REJECT_AFTER_TIME + 1)
    p.bob.send_packets([p.b_to_a()])
    [(late, _)] = p.bob.take_datagrams()        # nothing usable to encrypt with: a new handshake
    assert late[0] == 1
    assert list(p.peer_of(p.bob).staged) == [p.b_to_a()]


def test_packets_under_an_expired_keypair_are_dropped():
    p = established()
    p.bob.send_packets([p.b_to_a()])
    [(datagram, _)] = p.bob.take_datagrams()
    p.clock.advance(REJECT_AFTER_TIME + 1)
    p.alice.receive_datagrams([(datagram, ADDR_B)])
    assert p.alice.take_packets() == [] and p.alice.stats["keypair_expired"] == 1


def test_simultaneous_initiations_resolve_through_jittered_retries():
    p = Pair(bob_knows_alice_endpoint=True)
    p.alice.send_packets([p.a_to_b()])
    p.bob.send_packets([p.b_to_a()])
    p.settle()                                  # the two initiations cross and clobber each other
    p.advance(REKEY_TIMEOUT + 1)
    assert p.bob.take_packets() == [p.a_to_b()] and p.alice.take_packets() == [p.b_to_a()]


def test_next_deadline_is_the_earliest_pending_timer():
    p = established()
    timers = p.peer_of(p.alice).timers
    assert p.alice.next_deadline() == min(timers.pending().values())
    p.alice.send_packets([p.a_to_b()])
    p.alice.take_datagrams()
    assert p.alice.next_deadline() == min(timers.pending().values())
    p.alice.set_up(False)
    assert p.alice.next_deadline() is None
