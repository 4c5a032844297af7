"""Curve25519 keys: generation, strict base64/hex codecs, public-key derivation.

The base64 rules are wireguard-tools': exactly 44 characters ending in '=', standard
alphabet, and the two unused low bits of the last quantum must be zero (canonical).
Python's `base64.b64decode` accepts more than that, so it is never used unchecked.
Only stdlib at import time: `wg genkey` must start fast. X25519 (from `cryptography`)
is imported where a public key is derived (wg_py/fastpath.py).
"""

from __future__ import annotations

import binascii
import os

from wg_py.errors import KeyFormatError
from wg_py.fastpath import compare_digest, x25519_public_key

KEY_LEN = 32
KEY_B64_LEN = 44
KEY_HEX_LEN = 64
ZERO_KEY = bytes(KEY_LEN)

_B64_ALPHABET_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# The last significant character carries 2 unused bits; canonical means they are zero.
_B64_LAST = frozenset(b"AEIMQUYcgkosw048")


def clamp(secret: bytes) -> bytes:
    """Curve25519 scalar clamping, as `wg genkey` applies it."""
    k = bytearray(secret)
    k[0] &= 248
    k[31] = (k[31] & 127) | 64
    return bytes(k)


def generate_private_key() -> bytes:
    return clamp(os.urandom(KEY_LEN))


def generate_preshared_key() -> bytes:
    return os.urandom(KEY_LEN)


def key_to_base64(key: bytes) -> str:
    return binascii.b2a_base64(key, newline=False).decode("ascii")


def is_base64_key(text: str | bytes) -> bool:
    raw = text.encode("latin-1", "replace") if isinstance(text, str) else bytes(text)
    if len(raw) != KEY_B64_LEN or raw[43] != ord("="):
        return False
    if raw[:43].translate(None, _B64_ALPHABET_BYTES):  # anything left is outside the alphabet
        return False
    return raw[42] in _B64_LAST


def key_from_base64(text: str) -> bytes:
    """Decode a 44-character key; raises KeyFormatError(text) on anything else."""
    if not is_base64_key(text):
        raise KeyFormatError(text)
    return binascii.a2b_base64(text.encode("ascii"))


def key_to_hex(key: bytes) -> str:
    return key.hex()


def is_zero_key(key: bytes | None) -> bool:
    return key is None or keys_equal(key, ZERO_KEY)


def keys_equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison, for anything secret or used to authenticate."""
    return compare_digest(a, b)


def public_key(private_key: bytes) -> bytes:
    """X25519(private_key, 9): the public key that `wg pubkey` prints (constant-time)."""
    return x25519_public_key(private_key)
