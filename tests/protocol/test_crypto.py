"""Known-answer vectors for every primitive WireGuard uses (wg_py/protocol/crypto.py)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from wg_py.protocol import crypto
from wg_py.protocol.crypto import (
    C0, H0, DHError, InvalidTag, aead_open, aead_seal, dh, hash_, hchacha20, kdf1, kdf2, kdf3, mac,
    private_key, public_key, xaead_open, xaead_seal,
)

H = bytes.fromhex
SUNSCREEN = (b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
             b"future, sunscreen would be it.")


# RFC 7748 §5.2: the two scalar-multiplication test vectors.
@pytest.mark.parametrize("scalar,u,out", [
    ("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
     "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
     "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"),
    ("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
     "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
     "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"),
])
def test_x25519_rfc7748_section_5_2(scalar, u, out):
    assert dh(private_key(H(scalar)), H(u)) == H(out)


def test_x25519_rfc7748_section_6_1_diffie_hellman():
    # RFC 7748 §6.1: Alice and Bob's key pairs and their shared secret.
    alice = private_key(H("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
    bob = private_key(H("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))
    assert public_key(alice) == H("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    assert public_key(bob) == H("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
    shared = H("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
    assert dh(alice, public_key(bob)) == shared == dh(bob, public_key(alice))


@pytest.mark.parametrize("low_order_point", [
    bytes(32),                                                                  # 0
    (1).to_bytes(32, "little"),                                                 # 1
    H("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),      # order 8
    H("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),      # order 8
])
def test_dh_with_a_low_order_point_is_refused(low_order_point):
    # Whitepaper §5.4: an all-zero DH result must be rejected.
    with pytest.raises(DHError):
        dh(private_key(bytes(range(32))), low_order_point)


def test_wg_pubkey_agrees_with_x25519_base_point():
    # `wg pubkey` on the man page's example key (recorded from /usr/bin/wg).
    import base64
    priv = base64.b64decode("yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=")
    assert base64.b64encode(public_key(private_key(priv))).decode() == "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="


def test_chacha20poly1305_rfc8439_section_2_8_2():
    # RFC 8439 §2.8.2 AEAD example; WireGuard's nonce is 4 zero bytes || counter, so drive
    # the AEAD object directly with the RFC's 12-byte nonce.
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    key = bytes(range(0x80, 0xA0))
    nonce = H("070000004041424344454647")
    aad = H("50515253c0c1c2c3c4c5c6c7")
    ciphertext = H(
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
        "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
        "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
        "3ff4def08e4b7a9de576d26586cec64b6116")
    tag = H("1ae10b594f09e26a7e902ecbd0600691")
    assert ChaCha20Poly1305(key).encrypt(nonce, SUNSCREEN, aad) == ciphertext + tag


def test_wireguard_aead_nonce_is_zero_padded_little_endian_counter():
    key = bytes(32)
    sealed = aead_seal(key, 0x0102030405060708, b"payload", b"ad")
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    assert sealed == ChaCha20Poly1305(key).encrypt(H("000000000807060504030201"), b"payload", b"ad")
    assert aead_open(key, 0x0102030405060708, sealed, b"ad") == b"payload"
    with pytest.raises(InvalidTag):
        aead_open(key, 0x0102030405060708, sealed, b"AD")


def test_blake2s_rfc7693_appendix_b():
    assert hash_(b"abc") == H("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982")
    assert hash_(b"a", b"bc") == hash_(b"abc")


def test_keyed_blake2s_kat_and_mac_is_its_16_byte_form():
    # BLAKE2 reference blake2s-kat.txt, first keyed vector (empty input, key 00..1f).
    import hashlib
    assert hashlib.blake2s(b"", key=bytes(range(32))).hexdigest() == \
        "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49"
    assert mac(bytes(range(32)), b"") == hashlib.blake2s(b"", key=bytes(range(32)), digest_size=16).digest()
    assert len(mac(b"k", b"x")) == 16


# wireguard-go device/kdf_test.go (HMAC-BLAKE2s HKDF); its t0/t1/t2 are our outputs 1-3.
KDF_VECTORS = [
    ("746573742d6b6579", "746573742d696e707574",
     "6f0e5ad38daba1bea8a0d213688736f19763239305e0f58aba697f9ffc41c633",
     "df1194df20802a4fe594cde27e92991c8cae66c366e8106aaa937a55fa371e8a",
     "fac6e2745a325f5dc5d11a5b165aad08b0ada28e7b4e666b7c077934a4d76c24"),
    ("776972656775617264", "776972656775617264",
     "491d43bbfdaa8750aaf535e334ecbfe5129967cd64635101c566d4caefda96e8",
     "1e71a379baefd8a79aa4662212fcafe19a23e2b609a3db7d6bcba8f560e3d25f",
     "31e1ae48bddfbe5de38f295e5452b1909a1b4e38e183926af3780b0c1e1f0160"),
    ("", "",
     "8387b46bf43eccfcf349552a095d8315c4055beb90208fb1be23b894bc2ed5d0",
     "58a0e5f6faefccf4807bff1f05fa8a9217945762040bcec2f4b4a62bdfe0e86e",
     "0ce6ea98ec548f8e281e93e32db65621c45eb18dc6f0a7ad94178610a2f7338e"),
]


@pytest.mark.parametrize("key,data,t1,t2,t3", KDF_VECTORS)
def test_kdf_wireguard_go_vectors(key, data, t1, t2, t3):
    assert kdf1(H(key), H(data)) == H(t1)
    assert kdf2(H(key), H(data)) == (H(t1), H(t2))
    assert kdf3(H(key), H(data)) == (H(t1), H(t2), H(t3))


def test_initial_chaining_key_and_hash():
    # Whitepaper §5.4.2: C0 = HASH(CONSTRUCTION), H0 = HASH(C0 || IDENTIFIER).
    assert C0 == H("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36")
    assert H0 == H("2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3")


def test_hchacha20_draft_xchacha_section_2_2_1():
    key = bytes(range(32))
    nonce = H("000000090000004a0000000031415927")
    assert hchacha20(key, nonce) == H("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc")


def test_xchacha20poly1305_draft_xchacha_appendix_a_3_1():
    key = bytes(range(0x80, 0xA0))
    nonce = H("404142434445464748494a4b4c4d4e4f5051525354555657")
    aad = H("50515253c0c1c2c3c4c5c6c7")
    expected = H(
        "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
        "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
        "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
        "21f9664c97637da9768812f615c68b13b52e"
        "c0875924c1c7987947deafd8780acf49")
    assert xaead_seal(key, nonce, SUNSCREEN, aad) == expected
    assert xaead_open(key, nonce, expected, aad) == SUNSCREEN
    tampered = bytearray(expected)
    tampered[5] ^= 1
    with pytest.raises(InvalidTag):
        xaead_open(key, nonce, bytes(tampered), aad)
    with pytest.raises(ValueError):
        xaead_seal(key, nonce[:12], b"", b"")


def test_public_bytes_of_an_exchanged_key_round_trip():
    key = private_key(bytes(range(32)))
    assert X25519PublicKey.from_public_bytes(public_key(key)) is not None
    assert crypto.aead_nonce(1) == bytes(4) + (1).to_bytes(8, "little")
