"""Keypair slots (wg_py/protocol/keypair.py): wireguard-go's rotation and confirmation rules."""

from __future__ import annotations

from wg_py.protocol.constants import REJECT_AFTER_MESSAGES
from wg_py.protocol.keypair import Keypair, Keypairs


def kp(index: int, initiator: bool) -> Keypair:
    return Keypair(bytes(32), bytes([1] * 32), 0.0, initiator, index, index + 100, None)


def slots(k: Keypairs):
    return tuple(x.local_index if x else None for x in (k.previous, k.current, k.next))


def test_initiator_keypair_becomes_current_at_once():
    k = Keypairs()
    assert k.rotate_on_session(kp(1, True)) == [] and slots(k) == (None, 1, None)
    assert k.rotate_on_session(kp(2, True)) == [] and slots(k) == (1, 2, None)
    dropped = k.rotate_on_session(kp(3, True))
    assert [d.local_index for d in dropped] == [1] and slots(k) == (2, 3, None)


def test_responder_keypair_waits_in_next_until_confirmed():
    k = Keypairs()
    k.rotate_on_session(kp(1, True))
    k.rotate_on_session(kp(2, True))
    dropped = k.rotate_on_session(kp(3, False))
    assert [d.local_index for d in dropped] == [1] and slots(k) == (None, 2, 3)
    other = kp(9, False)
    assert k.confirm_next(other) is None and slots(k) == (None, 2, 3)   # not the next one
    assert k.confirm_next(k.next) is None and slots(k) == (2, 3, None)


def test_new_responder_keypair_replaces_an_unconfirmed_one():
    k = Keypairs()
    k.rotate_on_session(kp(1, True))
    k.rotate_on_session(kp(2, False))
    dropped = k.rotate_on_session(kp(3, False))
    assert [d.local_index for d in dropped] == [2] and slots(k) == (None, 1, 3)


def test_initiator_session_while_a_next_waits_moves_next_to_previous():
    k = Keypairs()
    k.rotate_on_session(kp(1, True))
    k.rotate_on_session(kp(2, True))
    k.rotate_on_session(kp(3, False))          # (None, 2, 3)
    dropped = k.rotate_on_session(kp(4, True))
    assert sorted(d.local_index for d in dropped) == [2] and slots(k) == (3, 4, None)


def test_expire_sending_and_clear():
    k = Keypairs()
    k.rotate_on_session(kp(1, True))
    k.current.expire_sending()
    assert k.current.send_nonce == REJECT_AFTER_MESSAGES
    assert [d.local_index for d in k.clear()] == [1] and slots(k) == (None, None, None)
