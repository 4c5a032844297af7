"""WireGuard's cryptographic primitives (whitepaper §5.4), built on `cryptography` and hashlib.

HASH, MAC, HMAC, KDF1-3, DH, AEAD and XAEAD as the paper defines them. `cryptography`
lacks XChaCha20-Poly1305, so it is assembled here from an HChaCha20 of ours (derived
from `cryptography`'s ChaCha20 keystream) and the IETF ChaCha20-Poly1305.
Nothing here keeps state; secrets are never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from wg_py.protocol.constants import CONSTRUCTION, IDENTIFIER

__all__ = [
    "InvalidTag", "hash_", "mac", "hmac_", "kdf1", "kdf2", "kdf3", "dh", "public_key",
    "aead_seal", "aead_open", "xaead_seal", "xaead_open", "hchacha20", "aead_nonce",
    "C0", "H0", "DHError",
]

_blake2s = hashlib.blake2s
_NONCE = struct.Struct("<4xQ")  # 4 zero bytes, then the counter little-endian (whitepaper §5.4)


class DHError(ValueError):
    """A Diffie-Hellman result was all zeros: the other key is of low order or invalid."""


def hash_(*parts: bytes) -> bytes:
    """HASH(a || b || ...): BLAKE2s-256."""
    h = _blake2s()
    for p in parts:
        h.update(p)
    return h.digest()


def mac(key: bytes, data: bytes) -> bytes:
    """MAC(key, data): keyed BLAKE2s with a 16-byte digest (not HMAC)."""
    return _blake2s(data, key=key, digest_size=16).digest()


def hmac_(key: bytes, data: bytes) -> bytes:
    """HMAC-BLAKE2s-256 (RFC 2104 over BLAKE2s)."""
    return hmac.new(key, data, _blake2s).digest()


def kdf1(key: bytes, data: bytes) -> bytes:
    t0 = hmac_(key, data)
    return hmac_(t0, b"\x01")


def kdf2(key: bytes, data: bytes) -> tuple[bytes, bytes]:
    t0 = hmac_(key, data)
    t1 = hmac_(t0, b"\x01")
    return t1, hmac_(t0, t1 + b"\x02")


def kdf3(key: bytes, data: bytes) -> tuple[bytes, bytes, bytes]:
    t0 = hmac_(key, data)
    t1 = hmac_(t0, b"\x01")
    t2 = hmac_(t0, t1 + b"\x02")
    return t1, t2, hmac_(t0, t2 + b"\x03")


def dh(private: X25519PrivateKey, public: bytes) -> bytes:
    """X25519. Raises DHError for an all-zero result (low-order point), as the paper requires."""
    try:
        return private.exchange(X25519PublicKey.from_public_bytes(public))
    except ValueError as exc:  # cryptography refuses all-zero shared secrets itself
        raise DHError("invalid public key") from exc


def private_key(raw: bytes) -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(raw)


def public_key(private: X25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def aead_nonce(counter: int) -> bytes:
    return _NONCE.pack(counter)


def aead_seal(key: bytes, counter: int, plaintext: bytes, ad: bytes) -> bytes:
    return ChaCha20Poly1305(key).encrypt(_NONCE.pack(counter), plaintext, ad)


def aead_open(key: bytes, counter: int, ciphertext: bytes, ad: bytes) -> bytes:
    """Raises InvalidTag if the ciphertext or the associated data was altered."""
    return ChaCha20Poly1305(key).decrypt(_NONCE.pack(counter), ciphertext, ad)


# "expand 32-byte k" as four little-endian words: ChaCha20's constant state words 0-3.
_SIGMA = struct.unpack("<4I", b"expand 32-byte k")
_WORDS16 = struct.Struct("<16I")
_WORDS4 = struct.Struct("<4I")
_ZERO_BLOCK = bytes(64)


def hchacha20(key: bytes, nonce16: bytes) -> bytes:
    """HChaCha20 (draft-irtf-cfrg-xchacha §2.2): a 32-byte subkey from a key and a 16-byte nonce.

    `cryptography`'s ChaCha20 takes a 16-byte nonce that fills state words 12-15 exactly
    as HChaCha20's input does. Its first keystream block is rounds(state) + state; taking
    away the known initial words 0-3 and 12-15 leaves HChaCha20's output words.
    """
    encryptor = Cipher(algorithms.ChaCha20(key, nonce16), mode=None).encryptor()
    block = _WORDS16.unpack(encryptor.update(_ZERO_BLOCK))
    nonce_words = _WORDS4.unpack(nonce16)
    out = [(block[i] - _SIGMA[i]) & 0xFFFFFFFF for i in range(4)]
    out += [(block[12 + i] - nonce_words[i]) & 0xFFFFFFFF for i in range(4)]
    return struct.pack("<8I", *out)


def _xchacha_parts(key: bytes, nonce24: bytes) -> tuple[ChaCha20Poly1305, bytes]:
    if len(nonce24) != 24:
        raise ValueError("XChaCha20-Poly1305 needs a 24-byte nonce")
    subkey = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(subkey), b"\x00\x00\x00\x00" + nonce24[16:]


def xaead_seal(key: bytes, nonce24: bytes, plaintext: bytes, ad: bytes) -> bytes:
    """XChaCha20-Poly1305 encryption (draft-irtf-cfrg-xchacha §2.3); used for cookie replies."""
    aead, nonce = _xchacha_parts(key, nonce24)
    return aead.encrypt(nonce, plaintext, ad)


def xaead_open(key: bytes, nonce24: bytes, ciphertext: bytes, ad: bytes) -> bytes:
    aead, nonce = _xchacha_parts(key, nonce24)
    return aead.decrypt(nonce, ciphertext, ad)


# Initial chaining key and hash (whitepaper §5.4.2): C0 = HASH(CONSTRUCTION), H0 = HASH(C0 || IDENTIFIER).
C0 = hash_(CONSTRUCTION)
H0 = hash_(C0, IDENTIFIER)
