"""Noise_IKpsk2 as WireGuard uses it (whitepaper §5.4.2-§5.4.5): the handshake of one peer.

The only module that computes handshake messages and derives transport keys. It keeps
one rule per step, in the order of the paper:
- initiator: `create_initiation`, later `consume_response`, then `begin_session`;
- responder: `consume_initiation` (static decrypted, peer found, timestamp decrypted,
  replay and flood refused, state updated), `create_response`, then `begin_session`.
Every DH whose result is all zeros is refused (DHError), a peer whose static key gives
an all-zero static-static DH can never complete a handshake, and a state is only
updated after every check passed, so a bad message changes nothing.
Randomness (ephemeral keys, indices) comes from the caller's Rng; times are handed in.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Callable

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from wg_py.keys import clamp
from wg_py.protocol import tai64n
from wg_py.protocol.constants import HANDSHAKE_INITIATION_RATE
from wg_py.protocol.crypto import (
    C0, H0, DHError, InvalidTag, aead_open, aead_seal, dh, hash_, kdf1, kdf2, kdf3, private_key,
    public_key,
)
from wg_py.protocol.messages import Initiation, Response

ZERO_KEY = bytes(32)
_NEVER = float("-inf")


class State(enum.Enum):
    ZEROED = 0
    INITIATION_CREATED = 1
    INITIATION_CONSUMED = 2
    RESPONSE_CREATED = 3
    RESPONSE_CONSUMED = 4


@dataclass
class StaticIdentity:
    """The device's own key pair; `private` is None until a private key is configured."""

    private: X25519PrivateKey | None = None
    private_bytes: bytes | None = None
    public: bytes | None = None

    @classmethod
    def from_private_bytes(cls, raw: bytes | None) -> "StaticIdentity":
        if raw is None or raw == ZERO_KEY:
            return cls()
        # Clamped on set, as the kernel and wireguard-go do: `wg show` then prints the key
        # that is really used (a key that differs only in clamped bits is the same key).
        raw = clamp(raw)
        key = private_key(raw)
        return cls(key, raw, public_key(key))

    def static_static(self, remote_static: bytes) -> bytes | None:
        """DH(S_priv, S_pub_remote), precomputed per peer; None if absent or low order."""
        if self.private is None:
            return None
        try:
            return dh(self.private, remote_static)
        except DHError:
            return None


@dataclass
class Handshake:
    """Handshake state for one peer (wireguard-go's `Handshake`)."""

    remote_static: bytes
    preshared_key: bytes = ZERO_KEY
    precomputed_static_static: bytes | None = None
    state: State = State.ZEROED
    chain_key: bytes = b""
    hash: bytes = b""
    local_ephemeral: X25519PrivateKey | None = None
    remote_ephemeral: bytes = b""
    local_index: int = 0
    remote_index: int = 0
    last_timestamp: bytes = tai64n.ZERO_TIMESTAMP
    last_initiation_consumption: float = _NEVER
    last_sent_handshake: float = _NEVER
    hash_seed: bytes = field(default=b"", repr=False)  # HASH(H0 || remote_static), reusable

    def clear(self) -> None:
        """Forget the handshake in progress (replay/flood history is kept)."""
        self.state = State.ZEROED
        self.chain_key = self.hash = self.remote_ephemeral = b""
        self.local_ephemeral = None
        self.local_index = 0
        self.remote_index = 0


def _new_ephemeral(rng) -> tuple[X25519PrivateKey, bytes]:
    key = private_key(rng.randbytes(32))  # X25519 clamps the scalar itself
    return key, public_key(key)


def create_initiation(hs: Handshake, identity: StaticIdentity, rng, wall_seconds: float,
                      new_index: Callable[[], int]) -> Initiation | None:
    """Start a handshake as initiator; None if we have no key or the peer's key is unusable.

    Draws the ephemeral key, then the sender index, from `rng`. The caller adds the MACs.
    """
    if identity.private is None or hs.precomputed_static_static is None:
        return None
    h = hash_(H0, hs.remote_static)
    ephemeral, ephemeral_pub = _new_ephemeral(rng)
    c = kdf1(C0, ephemeral_pub)
    h = hash_(h, ephemeral_pub)
    try:
        c, k = kdf2(c, dh(ephemeral, hs.remote_static))
    except DHError:
        return None
    encrypted_static = aead_seal(k, 0, identity.public, h)
    h = hash_(h, encrypted_static)
    c, k = kdf2(c, hs.precomputed_static_static)
    encrypted_timestamp = aead_seal(k, 0, tai64n.stamp(wall_seconds), h)
    h = hash_(h, encrypted_timestamp)
    hs.local_index = new_index()
    hs.chain_key, hs.hash, hs.local_ephemeral = c, h, ephemeral
    hs.state = State.INITIATION_CREATED
    return Initiation(hs.local_index, ephemeral_pub, encrypted_static, encrypted_timestamp)


def decrypt_initiator_static(msg: Initiation, identity: StaticIdentity) -> tuple[bytes, bytes, bytes] | None:
    """First half of consuming an initiation: (initiator's static key, chain key, hash) or None."""
    if identity.private is None:
        return None
    h = hash_(H0, identity.public)
    h = hash_(h, msg.ephemeral)
    c = kdf1(C0, msg.ephemeral)
    try:
        c, k = kdf2(c, dh(identity.private, msg.ephemeral))
        remote_static = aead_open(k, 0, msg.encrypted_static, h)
    except (DHError, InvalidTag):
        return None
    return remote_static, c, hash_(h, msg.encrypted_static)


def consume_initiation(hs: Handshake, msg: Initiation, chain_key: bytes, h: bytes, now: float) -> str | None:
    """Second half, once the peer is known: timestamp, replay and flood checks, then state.

    Returns None when accepted, else why not ("bad_handshake", "handshake_replay",
    "handshake_flood"). `now` is monotonic seconds; a refused initiation changes nothing.
    """
    if hs.precomputed_static_static is None:
        return "bad_handshake"
    c, k = kdf2(chain_key, hs.precomputed_static_static)
    try:
        timestamp = aead_open(k, 0, msg.encrypted_timestamp, h)
    except InvalidTag:
        return "bad_handshake"
    h = hash_(h, msg.encrypted_timestamp)
    if not tai64n.is_after(timestamp, hs.last_timestamp):
        return "handshake_replay"  # not newer than the last initiation accepted from this peer
    if now - hs.last_initiation_consumption <= HANDSHAKE_INITIATION_RATE:
        return "handshake_flood"  # more than one initiation per 20 ms
    hs.chain_key, hs.hash = c, h
    hs.remote_index = msg.sender
    hs.remote_ephemeral = msg.ephemeral
    hs.last_timestamp = timestamp
    hs.last_initiation_consumption = max(now, hs.last_initiation_consumption)
    hs.state = State.INITIATION_CONSUMED
    return None


def create_response(hs: Handshake, rng, new_index: Callable[[], int]) -> Response | None:
    """Answer a consumed initiation; draws the sender index, then the ephemeral key."""
    if hs.state is not State.INITIATION_CONSUMED:
        return None
    index = new_index()
    ephemeral, ephemeral_pub = _new_ephemeral(rng)
    h = hash_(hs.hash, ephemeral_pub)
    c = kdf1(hs.chain_key, ephemeral_pub)
    try:
        c = kdf1(c, dh(ephemeral, hs.remote_ephemeral))
        c = kdf1(c, dh(ephemeral, hs.remote_static))
    except DHError:
        return None
    c, tau, k = kdf3(c, hs.preshared_key)
    h = hash_(h, tau)
    encrypted_nothing = aead_seal(k, 0, b"", h)
    h = hash_(h, encrypted_nothing)
    hs.local_index = index
    hs.chain_key, hs.hash, hs.local_ephemeral = c, h, ephemeral
    hs.state = State.RESPONSE_CREATED
    return Response(index, hs.remote_index, ephemeral_pub, encrypted_nothing)


def consume_response(hs: Handshake, msg: Response, identity: StaticIdentity) -> bool:
    """Check a response to our initiation; on success the handshake is ready for begin_session."""
    if hs.state is not State.INITIATION_CREATED or identity.private is None:
        return False
    h = hash_(hs.hash, msg.ephemeral)
    c = kdf1(hs.chain_key, msg.ephemeral)
    try:
        c = kdf1(c, dh(hs.local_ephemeral, msg.ephemeral))
        c = kdf1(c, dh(identity.private, msg.ephemeral))
    except DHError:
        return False
    c, tau, k = kdf3(c, hs.preshared_key)
    h = hash_(h, tau)
    try:
        aead_open(k, 0, msg.encrypted_nothing, h)
    except InvalidTag:
        return False
    hs.chain_key, hs.hash = c, hash_(h, msg.encrypted_nothing)
    hs.remote_index = msg.sender
    hs.state = State.RESPONSE_CONSUMED
    return True


def begin_session(hs: Handshake) -> tuple[bytes, bytes, bool] | None:
    """Derive (send key, receive key, is_initiator) and wipe the handshake's secrets.

    Valid after consume_response (initiator) or create_response (responder).
    """
    if hs.state is State.RESPONSE_CONSUMED:
        send, receive = kdf2(hs.chain_key, b"")
        initiator = True
    elif hs.state is State.RESPONSE_CREATED:
        receive, send = kdf2(hs.chain_key, b"")
        initiator = False
    else:
        return None
    hs.chain_key = hs.hash = b""
    hs.local_ephemeral = None
    hs.state = State.ZEROED
    return send, receive, initiator
