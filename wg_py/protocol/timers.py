"""A peer's five protocol timers as deadlines (whitepaper §6; wireguard-go device/timers.go).

The only module that arms or disarms timers. Each timer is a monotonic deadline or None
(not pending); hooks are named for events and keep wireguard-go's rules exactly:

| hook                                   | effect                                                       |
|----------------------------------------|--------------------------------------------------------------|
| on_data_sent                           | arm new_handshake (10 + 5 s + jitter) unless pending         |
| on_data_received                       | arm send_keepalive (10 s) unless pending, else note "again"  |
| on_any_authenticated_packet_sent       | disarm send_keepalive                                        |
| on_any_authenticated_packet_received   | disarm new_handshake                                         |
| on_handshake_initiated                 | arm retransmit_handshake (5 s + jitter)                      |
| on_handshake_complete                  | disarm retransmit_handshake, reset attempts                  |
| on_session_derived                     | arm zero_key_material (540 s)                                |
| on_any_authenticated_packet_traversal  | re-arm persistent_keepalive (interval) if configured         |

Nothing is armed while the timers are inactive (peer stopped or device down). Arming a
deadline tells the device's scheduler through `schedule(when, owner, name)`; the device
decides what expiry does (see Device._expire_*). Jitter is drawn from the injected Rng.
"""

from __future__ import annotations

from typing import Callable

from wg_py.protocol.constants import (
    KEEPALIVE_TIMEOUT, REKEY_TIMEOUT, REKEY_TIMEOUT_JITTER_MAX_MS, ZERO_KEY_MATERIAL_TIME,
)

TIMER_NAMES = ("retransmit_handshake", "send_keepalive", "new_handshake", "zero_key_material",
               "persistent_keepalive")


class Timers:
    __slots__ = TIMER_NAMES + ("handshake_attempts", "need_another_keepalive",
                               "sent_last_minute_handshake", "active", "_schedule", "_rng", "_owner")

    def __init__(self, owner: object, schedule: Callable[[float, object, str], None], rng) -> None:
        self._owner, self._schedule, self._rng = owner, schedule, rng
        self.active = False
        self.stop()
        self.handshake_attempts = 0
        self.need_another_keepalive = False
        self.sent_last_minute_handshake = False

    def _mod(self, name: str, when: float) -> None:
        old = getattr(self, name)
        setattr(self, name, when)
        # The scheduler keeps at least one entry at or before every pending deadline: a
        # deadline moved later needs no new entry (the old one re-queues it when popped).
        if old is None or when < old:
            self._schedule(when, self._owner, name)

    def jitter(self) -> float:
        """Uniform-ish in [0, 334) ms, like wireguard-go's rand.Int31n(RekeyTimeoutJitterMaxMs)."""
        return (int.from_bytes(self._rng.randbytes(4), "little") % REKEY_TIMEOUT_JITTER_MAX_MS) / 1000.0

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        self.active = True
        self.handshake_attempts = 0
        self.need_another_keepalive = False
        self.sent_last_minute_handshake = False

    def stop(self) -> None:
        self.active = False
        self.retransmit_handshake = self.send_keepalive = self.new_handshake = None
        self.zero_key_material = self.persistent_keepalive = None

    # -- event hooks ---------------------------------------------------------------------
    def on_data_sent(self, now: float) -> None:
        if self.active and self.new_handshake is None:
            self._mod("new_handshake", now + KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + self.jitter())

    def on_data_received(self, now: float) -> None:
        if self.active:
            if self.send_keepalive is None:
                self._mod("send_keepalive", now + KEEPALIVE_TIMEOUT)
            else:
                self.need_another_keepalive = True

    def on_any_authenticated_packet_sent(self) -> None:
        if self.active:
            self.send_keepalive = None

    def on_any_authenticated_packet_received(self) -> None:
        if self.active:
            self.new_handshake = None

    def on_handshake_initiated(self, now: float) -> None:
        if self.active:
            self._mod("retransmit_handshake", now + REKEY_TIMEOUT + self.jitter())

    def on_handshake_complete(self) -> None:
        if self.active:
            self.retransmit_handshake = None
        self.handshake_attempts = 0
        self.sent_last_minute_handshake = False

    def on_session_derived(self, now: float) -> None:
        if self.active:
            self._mod("zero_key_material", now + ZERO_KEY_MATERIAL_TIME)

    def on_any_authenticated_packet_traversal(self, now: float, interval: int) -> None:
        if interval > 0 and self.active:
            self._mod("persistent_keepalive", now + interval)

    # -- used by expiry handlers ---------------------------------------------------------
    def arm_send_keepalive(self, now: float) -> None:
        if self.active:
            self._mod("send_keepalive", now + KEEPALIVE_TIMEOUT)

    def arm_zero_key_material_if_idle(self, now: float) -> None:
        if self.active and self.zero_key_material is None:
            self._mod("zero_key_material", now + ZERO_KEY_MATERIAL_TIME)

    def pending(self) -> dict[str, float]:
        return {n: getattr(self, n) for n in TIMER_NAMES if getattr(self, n) is not None}
