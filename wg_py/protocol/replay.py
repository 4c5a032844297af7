"""The receive-side replay filter of one keypair (RFC 6479 style, whitepaper §5.4.6).

Rule kept: a counter is accepted once, only if below REJECT_AFTER_MESSAGES and not older
than REPLAY_WINDOW_SIZE (8128) behind the highest counter accepted so far -- the same
acceptance as wireguard-go's ring of 128 64-bit blocks and the kernel's on 64-bit.
Call `validate` only after the packet's tag verified: a forged packet must not be able to
move the window.

The window is one Python int used as a bitmap: bit i set = counter (last - i) seen.
"""

from __future__ import annotations

from wg_py.protocol.constants import REJECT_AFTER_MESSAGES, REPLAY_WINDOW_SIZE

_MASK = (1 << (REPLAY_WINDOW_SIZE + 1)) - 1


class ReplayFilter:
    __slots__ = ("last", "bitmap")

    def __init__(self) -> None:
        self.last = 0
        self.bitmap = 0

    def reset(self) -> None:
        self.last = 0
        self.bitmap = 0

    def validate(self, counter: int, limit: int = REJECT_AFTER_MESSAGES) -> bool:
        """Accept `counter` (and remember it) or refuse it as replayed / too old / over the limit."""
        if counter >= limit:
            return False
        last = self.last
        if counter > last:
            shift = counter - last
            if shift > REPLAY_WINDOW_SIZE:
                self.bitmap = 1
            else:
                self.bitmap = ((self.bitmap << shift) | 1) & _MASK
            self.last = counter
            return True
        back = last - counter
        if back > REPLAY_WINDOW_SIZE:
            return False
        bit = 1 << back
        if self.bitmap & bit:
            return False
        self.bitmap |= bit
        return True
