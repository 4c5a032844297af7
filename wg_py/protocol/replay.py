"""The receive-side replay filter of one keypair (RFC 6479, whitepaper §5.4.6).

Rule kept: a counter is accepted once, only if below REJECT_AFTER_MESSAGES and not more
than REPLAY_WINDOW_SIZE (8128) behind the highest counter accepted so far -- wireguard-go's
ring of 128 blocks of 64 bits with one block kept free (the kernel's window on 64-bit).
Call `validate` only after the packet's tag verified: a forged packet must not be able to
move the window.
"""

from __future__ import annotations

from wg_py.protocol.constants import REJECT_AFTER_MESSAGES, REPLAY_WINDOW_SIZE

_BLOCK_BITS_LOG = 6              # 64-bit blocks
_RING_BLOCKS = 128
_BLOCK_MASK = _RING_BLOCKS - 1
_BIT_MASK = (1 << _BLOCK_BITS_LOG) - 1


class ReplayFilter:
    __slots__ = ("last", "ring")

    def __init__(self) -> None:
        self.last = 0
        self.ring = [0] * _RING_BLOCKS

    def reset(self) -> None:
        self.last = 0
        self.ring = [0] * _RING_BLOCKS

    def accept(self, counter: int) -> bool:
        """`validate` with the common case first: the next counter in the current 64-bit block
        (no block to clear). The receive path calls this once per transport packet."""
        last = self.last
        if last < counter < REJECT_AFTER_MESSAGES and (counter ^ last) < 64:
            self.last = counter
            self.ring[(counter >> _BLOCK_BITS_LOG) & _BLOCK_MASK] |= 1 << (counter & _BIT_MASK)
            return True
        return self.validate(counter)

    def validate(self, counter: int, limit: int = REJECT_AFTER_MESSAGES) -> bool:
        """Accept `counter` (and remember it) or refuse it as replayed, too old or over the limit."""
        if counter >= limit:
            return False
        block = counter >> _BLOCK_BITS_LOG
        last = self.last
        ring = self.ring
        if counter > last:
            # Move the window forward, clearing the blocks it slides over.
            current = last >> _BLOCK_BITS_LOG
            if block != current:
                diff = min(block - current, _RING_BLOCKS)
                for i in range(current + 1, current + diff + 1):
                    ring[i & _BLOCK_MASK] = 0
            self.last = counter
        elif last - counter > REPLAY_WINDOW_SIZE:
            return False
        block &= _BLOCK_MASK
        old = ring[block]
        new = old | (1 << (counter & _BIT_MASK))
        if old == new:
            return False
        ring[block] = new
        return True
