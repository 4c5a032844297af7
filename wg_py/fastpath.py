"""Every import of an implementation-private module that wg-py makes for speed, in one place.

The fast-path policy (README, "Fast paths"): a trick stays only where a benchmark shows it
matters, its reason and figure are written beside it, and anything private to CPython or to
a library is reached only through this module, so that a Python or library upgrade that
breaks one breaks it here, with a fallback, not in a dozen modules.

Figures: `python -X importtime` of a regular install on the 2-core build machine
(2026-12-04), against a 41 ms interpreter start.
"""

from __future__ import annotations

# `socket` loads enum, selectors and the IntEnum conversions: ~5.1 ms of every `wg` run,
# against ~0.13 ms for its C core `_socket`, which has everything the tools use (sockets,
# inet_pton/ntop, getaddrinfo, if_indextoname). The engine, which runs for days, uses
# `socket` itself.
import _socket as csocket

try:
    # hmac.compare_digest's own constant-time core. `import hmac` loads OpenSSL's _hashlib
    # (~2.7 ms); `wg genkey`/`pubkey`/`show` compare keys but never compute a MAC.
    from _operator import _compare_digest as compare_digest
except ImportError:  # another Python implementation
    from hmac import compare_digest

__all__ = ["csocket", "compare_digest", "x25519_public_key"]


def x25519_public_key(private_key: bytes) -> bytes:
    """X25519(private_key, 9), constant-time (OpenSSL, through `cryptography`).

    `cryptography`'s public X25519 module costs ~13 ms to import (its utils, typing and
    serialization helpers); its Rust binding alone ~4 ms. `wg pubkey` and `wg show` derive
    one public key per run, so they take the binding when this `cryptography` has it and the
    public API otherwise. (wg-py once used a pure-Python ladder here: Python integers are not
    constant-time, so a private key must not go through one.)
    """
    try:
        from cryptography.hazmat.bindings._rust import openssl as _openssl

        derive = _openssl.x25519.from_private_bytes
    except (ImportError, AttributeError):
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

        derive = X25519PrivateKey.from_private_bytes
    return derive(private_key).public_key().public_bytes_raw()
