"""Receiver indices of one device (whitepaper §5.4.2: the 32-bit `sender index` each side
picks, which the other writes as `receiver index`).

The one module that hands out and forgets indices. Rules kept: an index is drawn from the
injected Rng, is never 0 (0 means "no index" in a `Handshake`), and is unique across both
tables at once: the keypairs in use and the handshakes in progress. A table entry is removed
only by the keypair or peer that holds it, so a stale removal can never drop a newer owner.
"""

from __future__ import annotations

from typing import Callable

from wg_py.protocol.keypair import Keypair
from wg_py.protocol.peer import Peer


class IndexTable:
    __slots__ = ("rng", "keypairs", "handshakes")

    def __init__(self, rng) -> None:
        self.rng = rng
        # Read directly on the receive path (`keypairs.get(receiver)`), hence public.
        self.keypairs: dict[int, Keypair] = {}
        self.handshakes: dict[int, Peer] = {}

    def allocator_for(self, peer: Peer) -> Callable[[], int]:
        """A function that reserves a fresh index for `peer`'s next handshake message (what
        `handshake.create_initiation`/`create_response` take)."""
        def new_index() -> int:
            while True:
                index = int.from_bytes(self.rng.randbytes(4), "little")
                if index and index not in self.keypairs and index not in self.handshakes:
                    self.handshakes[index] = peer
                    return index
        return new_index

    def forget_handshake(self, peer: Peer) -> None:
        """Release the index of `peer`'s handshake in progress, if it still holds it."""
        index = peer.handshake.local_index
        if index and self.handshakes.get(index) is peer:
            del self.handshakes[index]
        peer.handshake.local_index = 0

    def promote(self, peer: Peer, keypair: Keypair) -> None:
        """The handshake's index now names `keypair` (a session began under it)."""
        index = keypair.local_index
        if self.handshakes.get(index) is peer:
            del self.handshakes[index]
        self.keypairs[index] = keypair

    def drop_keypair(self, keypair: Keypair) -> None:
        """Forget `keypair`'s index, if it still names that keypair."""
        if self.keypairs.get(keypair.local_index) is keypair:
            del self.keypairs[keypair.local_index]

    def peer_for(self, index: int) -> Peer | None:
        """The peer a cookie reply to `index` is for: a keypair's or a handshake's owner."""
        keypair = self.keypairs.get(index)
        return keypair.peer if keypair is not None else self.handshakes.get(index)
