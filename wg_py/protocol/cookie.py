"""mac1, mac2 and cookie replies: WireGuard's DoS protection (whitepaper §5.3, §5.4.7).

Two halves, as in wireguard-go:
- `CookieChecker` (one per device, keyed by *our* public key): verifies mac1 on every
  incoming handshake message -- cheap, done before any DH -- and, when the device is
  under load, verifies mac2 or makes a cookie reply. Its secret rotates every
  COOKIE_REFRESH_TIME (120 s) and cookies expire with it.
- `CookieGenerator` (one per peer, keyed by the *peer's* public key): writes mac1/mac2
  into our outgoing handshake messages and takes in cookie replies that answer the
  last mac1 we sent. A cookie reply changes nothing else (no timers, no roaming).
Times are monotonic seconds handed in by the caller; randomness comes from its Rng.
"""

from __future__ import annotations

import hmac
import ipaddress

from wg_py.protocol.constants import COOKIE_REFRESH_TIME, LABEL_COOKIE, LABEL_MAC1
from wg_py.protocol.crypto import InvalidTag, hash_, mac, xaead_open, xaead_seal
from wg_py.protocol.messages import CookieReply

_NEVER = float("-inf")


def source_bytes(addr: tuple) -> bytes:
    """The bytes a cookie is bound to: source IP and port (private to the issuer; port big-endian)."""
    packed = ipaddress.ip_address(addr[0].split("%", 1)[0]).packed
    return packed + addr[1].to_bytes(2, "big")


class CookieChecker:
    """Our side of mac1/mac2: checks incoming handshake messages, issues cookie replies."""

    def __init__(self) -> None:
        self.mac1_key = b""
        self.cookie_key = b""
        self.secret = bytes(32)
        self.secret_set = _NEVER

    def init(self, our_public_key: bytes | None) -> None:
        """Call when the device's key changes (None: no key, every mac1 fails)."""
        if our_public_key is None:
            self.mac1_key = self.cookie_key = b""
        else:
            self.mac1_key = hash_(LABEL_MAC1, our_public_key)
            self.cookie_key = hash_(LABEL_COOKIE, our_public_key)
        self.secret_set = _NEVER

    def check_mac1(self, msg: bytes) -> bool:
        if not self.mac1_key:
            return False
        end = len(msg) - 32
        return hmac.compare_digest(mac(self.mac1_key, bytes(msg[:end])), bytes(msg[end:end + 16]))

    def check_mac2(self, msg: bytes, src: bytes, now: float) -> bool:
        if now - self.secret_set > COOKIE_REFRESH_TIME:
            return False
        cookie = mac(self.secret, src)
        end = len(msg) - 16
        return hmac.compare_digest(mac(cookie, bytes(msg[:end])), bytes(msg[end:]))

    def create_reply(self, msg: bytes, receiver: int, src: bytes, now: float, rng) -> CookieReply:
        """A cookie reply to the handshake message `msg` whose sender index is `receiver`."""
        if now - self.secret_set > COOKIE_REFRESH_TIME:
            self.secret = rng.randbytes(32)
            self.secret_set = now
        cookie = mac(self.secret, src)
        end = len(msg) - 16
        mac1 = bytes(msg[end - 16:end])
        nonce = rng.randbytes(24)
        return CookieReply(receiver, nonce, xaead_seal(self.cookie_key, nonce, cookie, mac1))


class CookieGenerator:
    """A peer's side of mac1/mac2 for the messages we send it, and its cookie replies."""

    def __init__(self, peer_public_key: bytes) -> None:
        self.mac1_key = hash_(LABEL_MAC1, peer_public_key)
        self.cookie_key = hash_(LABEL_COOKIE, peer_public_key)
        self.cookie = bytes(16)
        self.cookie_set = _NEVER
        self.last_mac1: bytes | None = None

    def add_macs(self, msg: bytes, now: float) -> bytes:
        """`msg` with mac1 (and mac2 if we hold a fresh cookie) written into its last 32 bytes."""
        end1 = len(msg) - 32
        mac1 = mac(self.mac1_key, msg[:end1])
        self.last_mac1 = mac1
        body = msg[:end1] + mac1
        if now - self.cookie_set > COOKIE_REFRESH_TIME:
            return body + bytes(16)
        return body + mac(self.cookie, body)

    def consume_reply(self, reply: CookieReply, now: float) -> bool:
        """Store the cookie if the reply answers our last mac1; False (and no change) otherwise."""
        if self.last_mac1 is None:
            return False
        try:
            cookie = xaead_open(self.cookie_key, reply.nonce, reply.encrypted_cookie, self.last_mac1)
        except InvalidTag:
            return False
        self.cookie = cookie
        self.cookie_set = now
        return True
