"""wg_py/fastpath.py: the private imports behave as their public twins, and the X25519 that
`wg pubkey` and `wg show` use is OpenSSL's (constant-time), checked against RFC 7748."""

from __future__ import annotations

import hmac
import socket

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given, settings, strategies as st

from wg_py import fastpath, keys


def test_rfc7748_section_6_1_alice_and_bob():
    # RFC 7748 §6.1: both private keys → their public keys.
    alice = bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    bob = bytes.fromhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
    assert fastpath.x25519_public_key(alice).hex() == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
    assert fastpath.x25519_public_key(bob).hex() == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"


def test_wg_pubkey_known_answer():
    # Recorded once from the real `wg pubkey`.
    private = keys.key_from_base64("yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=")
    assert keys.key_to_base64(fastpath.x25519_public_key(private)) == "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="


@settings(max_examples=100)
@given(st.binary(min_size=32, max_size=32))
def test_matches_the_public_api(private):
    public = X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()
    assert fastpath.x25519_public_key(private) == public


@given(st.binary(max_size=40), st.binary(max_size=40))
def test_compare_digest_is_hmacs(a, b):
    assert fastpath.compare_digest(a, b) == hmac.compare_digest(a, b)
    assert fastpath.compare_digest(a, a)


def test_csocket_has_what_the_tools_use():
    for name in ("socket", "inet_pton", "inet_ntop", "getaddrinfo", "if_indextoname", "AF_UNIX", "SOCK_STREAM",
                 "gaierror", "EAI_NONAME"):
        assert hasattr(fastpath.csocket, name), name
    packed = socket.inet_pton(socket.AF_INET6, "::ffff:1.2.3.4")
    assert fastpath.csocket.inet_pton(socket.AF_INET6, "::ffff:1.2.3.4") == packed
