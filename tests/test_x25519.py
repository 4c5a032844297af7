"""wg_py/x25519.py against RFC 7748 and against `cryptography`."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from wg_py import keys, x25519


def test_rfc7748_section_5_2_vectors():
    # RFC 7748 §5.2, the two single-call test vectors.
    k = bytes.fromhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4")
    u = bytes.fromhex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")
    assert x25519.scalarmult(k, u).hex() == "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"
    k = bytes.fromhex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d")
    u = bytes.fromhex("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493")
    assert x25519.scalarmult(k, u).hex() == "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"


def test_rfc7748_section_6_1_alice():
    # RFC 7748 §6.1: Alice's private key → public key.
    alice = bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    assert x25519.public_key(alice).hex() == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"


def test_wg_pubkey_known_answer():
    private = keys.key_from_base64("yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=")
    assert keys.key_to_base64(x25519.public_key(private)) == "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="


@settings(max_examples=200)
@given(st.binary(min_size=32, max_size=32))
def test_matches_cryptography(private):
    assert x25519.public_key(private) == keys.public_key(private)
