"""X25519 public-key derivation in pure Python, for `wg show` / `showconf`.

Why not `cryptography`: importing its X25519 module costs ~40 ms here, more than `wg show`
itself takes in C, and the `get` client needs one scalar multiplication per call (the public
key is derived from the private key, as the C client does). One Montgomery ladder (RFC 7748
§5) over Python integers takes well under a millisecond.

The ladder runs a fixed 255 steps and swaps with arithmetic masks rather than branches on
key bits. Python integers are not guaranteed constant-time, so this is only used to derive a
public key from a private key the caller already holds; handshakes use `cryptography`.
Checked against RFC 7748 §5.2/§6.1 vectors and `cryptography` in tests/test_x25519.py.
"""

from __future__ import annotations

P = 2**255 - 19
A24 = 121665  # (486662 - 2) / 4, RFC 7748 §5
BASE_POINT_U = 9


def _decode_scalar(k: bytes) -> int:
    clamped = bytearray(k)
    clamped[0] &= 248
    clamped[31] &= 127
    clamped[31] |= 64
    return int.from_bytes(clamped, "little")


def _decode_u(u: bytes) -> int:
    raw = bytearray(u)
    raw[31] &= 127  # RFC 7748 §5: mask the most significant bit
    return int.from_bytes(raw, "little") % P


def scalarmult(k: bytes, u: bytes) -> bytes:
    """X25519(k, u) per RFC 7748 §5 (32-byte little-endian inputs and output)."""
    if len(k) != 32 or len(u) != 32:
        raise ValueError("X25519 inputs are 32 bytes")
    scalar = _decode_scalar(k)
    x1 = _decode_u(u)
    x2, z2, x3, z3 = 1, 0, x1, 1
    swap = 0
    for t in range(254, -1, -1):
        bit = (scalar >> t) & 1
        swap ^= bit
        mask = -swap  # 0 or -1: all-zero or all-one bits
        dx = mask & (x2 ^ x3)
        x2, x3 = x2 ^ dx, x3 ^ dx
        dz = mask & (z2 ^ z3)
        z2, z3 = z2 ^ dz, z3 ^ dz
        swap = bit
        a = x2 + z2
        aa = a * a % P
        b = x2 - z2
        bb = b * b % P
        e = aa - bb
        c = x3 + z3
        d = x3 - z3
        da = d * a % P
        cb = c * b % P
        s = da + cb
        x3 = s * s % P
        s = da - cb
        z3 = x1 * (s * s % P) % P
        x2 = aa * bb % P
        z2 = e * (aa + A24 * e) % P
    mask = -swap
    dx = mask & (x2 ^ x3)
    x2 ^= dx
    dz = mask & (z2 ^ z3)
    z2 ^= dz
    result = x2 * pow(z2, P - 2, P) % P
    return result.to_bytes(32, "little")


def public_key(private_key: bytes) -> bytes:
    """X25519(private_key, 9): the key `wg pubkey` prints for this private key."""
    return scalarmult(private_key, BASE_POINT_U.to_bytes(32, "little"))
