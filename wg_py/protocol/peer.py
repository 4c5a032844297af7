"""A peer's state: keys, endpoint, keypairs, staged packets, timers and counters.

Plain state; the device (wg_py/protocol/device.py) is what changes it, following
wireguard-go's peer.go. Rules kept here: at most QUEUE_STAGED_SIZE (128) packets wait for
a keypair, the oldest dropped first; stopping a peer wipes its keypairs, its handshake in
progress and its staged packets, and disarms every timer.
"""

from __future__ import annotations

from collections import deque

from wg_py.protocol.constants import QUEUE_STAGED_SIZE
from wg_py.protocol.cookie import CookieGenerator
from wg_py.protocol.handshake import Handshake, StaticIdentity
from wg_py.protocol.keypair import Keypairs
from wg_py.protocol.timers import Timers


class Peer:
    __slots__ = ("public_key", "handshake", "cookie_generator", "keypairs", "endpoint",
                 "persistent_keepalive_interval", "rx_bytes", "tx_bytes", "last_handshake_ns",
                 "staged", "running", "timers", "trusted_source", "__weakref__")

    def __init__(self, public_key: bytes, identity: StaticIdentity, schedule, rng) -> None:
        self.public_key = public_key
        self.handshake = Handshake(public_key, precomputed_static_static=identity.static_static(public_key))
        self.cookie_generator = CookieGenerator(public_key)
        self.keypairs = Keypairs()
        self.endpoint: tuple | None = None  # a socket address tuple, as recvfrom gives it
        # Where the last *authenticated* datagram came from (never set by configuration):
        # under load, initiations from there skip the cookie round (device.py).
        self.trusted_source: tuple | None = None
        self.persistent_keepalive_interval = 0
        self.rx_bytes = 0
        self.tx_bytes = 0
        self.last_handshake_ns = 0  # wall clock, nanoseconds since the epoch; 0 = never
        self.staged: deque[bytes] = deque(maxlen=QUEUE_STAGED_SIZE)
        self.running = False
        self.timers = Timers(self, schedule, rng)

    def __repr__(self) -> str:  # never the key itself in full: logs stay short
        return f"<Peer {self.public_key[:4].hex()}…>"
