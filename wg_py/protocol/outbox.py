"""The datagrams a device has for the adapter to send, and whose `tx_bytes` they count in.

Rule kept (wireguard-go's peer.go SendBuffer): a datagram counts in its peer's `tx_bytes`
only once the socket accepted it. The device counts every datagram when it is queued; the
adapter reports the ones it failed to send (`unsent`), which are taken back out. Cookie
replies count for no peer.

Datagrams are queued in runs, one run per peer at a time, so the owner of a position is found
by bisecting the runs' start positions (one entry per run, not per datagram: a batch of 64
transport datagrams costs one).
"""

from __future__ import annotations

import bisect
from typing import Iterable

from wg_py.protocol.peer import Peer


class Outbox:
    __slots__ = ("datagrams", "_owners", "_taken", "_taken_owners")

    def __init__(self) -> None:
        self.datagrams: list[tuple[bytes, tuple]] = []
        # Who each run of `datagrams` is counted for: (first position, peer or None).
        self._owners: list[tuple[int, Peer | None]] = []
        self._taken: list[tuple[bytes, tuple]] = []
        self._taken_owners: list[tuple[int, Peer | None]] = []

    def begin_run(self, peer: Peer | None) -> None:
        """The datagrams appended to `datagrams` from now on are `peer`'s (None: nobody's).
        The caller adds their sizes to `peer.tx_bytes` itself (the hot path does it once)."""
        self._owners.append((len(self.datagrams), peer))

    def send(self, peer: Peer, data: bytes, addr: tuple) -> None:
        """Queue one datagram of `peer`'s and count it."""
        self._owners.append((len(self.datagrams), peer))
        self.datagrams.append((data, addr))
        peer.tx_bytes += len(data)

    def send_uncounted(self, data: bytes, addr: tuple) -> None:
        """Queue one datagram that belongs to no peer (a cookie reply)."""
        self._owners.append((len(self.datagrams), None))
        self.datagrams.append((data, addr))

    def take(self) -> list[tuple[bytes, tuple]]:
        """Everything queued, for the adapter to send in order; `unsent` refers to this list."""
        out, self.datagrams = self.datagrams, []
        self._taken, self._taken_owners, self._owners = out, self._owners, []
        return out

    def unsent(self, positions: Iterable[int]) -> None:
        """The adapter could not send these positions of the list `take()` last returned."""
        taken, owners = self._taken, self._taken_owners
        starts = [start for start, _ in owners]
        for position in positions:
            if 0 <= position < len(taken):
                peer = owners[bisect.bisect_right(starts, position) - 1][1]
                if peer is not None:
                    peer.tx_bytes -= len(taken[position][0])
