"""Curve25519 keys: generation, strict base64/hex codecs, public-key derivation.

The base64 rules are wireguard-tools': exactly 44 characters ending in '=', standard
alphabet, and the two unused low bits of the last quantum must be zero (canonical).
Python's `base64.b64decode` accepts more than that, so it is never used unchecked.
Only stdlib at import time: `wg genkey` must start fast. X25519 (from `cryptography`)
is imported where a public key is derived.
"""

from __future__ import annotations

import binascii
import os

# hmac.compare_digest's own constant-time core (hmac falls back to it when OpenSSL lacks
# one). Not `import hmac`: that loads OpenSSL's _hashlib (~3 ms), and `wg show` compares a
# key per peer but never needs a MAC.
from _operator import _compare_digest

from wg_py.errors import KeyFormatError

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


def key_from_hex(text: str) -> bytes:
    """Decode the UAPI's 64 lower/upper-case hex digits; raises KeyFormatError."""
    if len(text) != KEY_HEX_LEN or not all(c in "0123456789abcdefABCDEF" for c in text):
        raise KeyFormatError(text)
    return bytes.fromhex(text)


def is_zero_key(key: bytes | None) -> bool:
    return key is None or keys_equal(key, ZERO_KEY)


def keys_equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison, for anything secret or used to authenticate."""
    return _compare_digest(a, b)


def public_key(private_key: bytes) -> bytes:
    """X25519(private_key, 9): the public key that `wg pubkey` prints."""
    # Only the x25519 module: `serialization` (Encoding/PublicFormat) would pull in the SSH
    # key code, dataclasses and inspect, and `wg pubkey` would start ~20 ms later.
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    priv = X25519PrivateKey.from_private_bytes(private_key)
    return priv.public_key().public_bytes_raw()
