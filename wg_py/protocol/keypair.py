"""Transport keypairs (whitepaper §5.4.5-§5.4.6) and a peer's three keypair slots.

A `Keypair` holds the two ChaCha20-Poly1305 objects derived by a handshake, the 64-bit
send counter, the receive replay filter and its creation time. Its role (initiator or
responder) decides who may rekey on time. `Keypairs` holds the previous, current and
next slots; `rotate_on_session` and `confirm_next` are the only places that move them
(wireguard-go's BeginSymmetricSession and ReceivedWithKeypair rules).
"""

from __future__ import annotations

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from wg_py.protocol.constants import REJECT_AFTER_MESSAGES
from wg_py.protocol.replay import ReplayFilter


class Keypair:
    __slots__ = ("send", "receive", "send_nonce", "replay", "created", "is_initiator",
                 "local_index", "remote_index", "peer", "remote_index_le")

    def __init__(self, send_key: bytes, receive_key: bytes, created: float, is_initiator: bool,
                 local_index: int, remote_index: int, peer) -> None:
        self.send = ChaCha20Poly1305(send_key)
        self.receive = ChaCha20Poly1305(receive_key)
        self.send_nonce = 0
        self.replay = ReplayFilter()
        self.created = created
        self.is_initiator = is_initiator
        self.local_index = local_index
        self.remote_index = remote_index
        self.peer = peer

    def expire_sending(self) -> None:
        """Never send with this keypair again (it may still receive)."""
        self.send_nonce = REJECT_AFTER_MESSAGES


class Keypairs:
    """previous / current / next. `next` is a responder's keypair awaiting key confirmation."""

    __slots__ = ("previous", "current", "next")

    def __init__(self) -> None:
        self.previous: Keypair | None = None
        self.current: Keypair | None = None
        self.next: Keypair | None = None

    def all(self) -> list[Keypair]:
        return [k for k in (self.previous, self.current, self.next) if k is not None]

    def rotate_on_session(self, keypair: Keypair) -> list[Keypair]:
        """Place a freshly derived keypair; returns the keypairs that are now dropped.

        Initiator: the new keypair becomes current at once (it is confirmed by the response
        we just consumed). Responder: it waits in `next` until the first transport packet
        arrives under it, and the previous slot is emptied.
        """
        dropped = []
        if keypair.is_initiator:
            if self.previous is not None:
                dropped.append(self.previous)
            if self.next is not None:
                # An unconfirmed responder keypair outranks the current one as "previous".
                self.previous, self.next = self.next, None
                if self.current is not None:
                    dropped.append(self.current)
            else:
                self.previous = self.current
            self.current = keypair
        else:
            if self.next is not None:
                dropped.append(self.next)
            if self.previous is not None:
                dropped.append(self.previous)
            self.next, self.previous = keypair, None
        return dropped

    def confirm_next(self, keypair: Keypair) -> Keypair | None:
        """If `keypair` is the one in `next`, it was just confirmed: shift the slots.

        Returns the keypair dropped out of `previous` (or None); the caller learns that a
        confirmation happened by `self.current is keypair`.
        """
        if self.next is not keypair:
            return None
        dropped = self.previous
        self.previous, self.current, self.next = self.current, keypair, None
        return dropped

    def clear(self) -> list[Keypair]:
        dropped = self.all()
        self.previous = self.current = self.next = None
        return dropped
