"""wg_py/uapi/client.py: request order and reply strictness; round trips with the server half."""

from __future__ import annotations

import errno
import ipaddress

import pytest
from hypothesis import given, strategies as st

from wg_py import keys
from wg_py.uapi import client as uapi, server, text
from wg_py.errors import UapiError
from wg_py.model import Endpoint, WgAllowedIP, WgDevice, WgPeer

K1, K2, K3 = (keys.clamp(bytes([i]) * 32) for i in (1, 2, 3))


def test_format_set_order_is_wgs():
    change = WgDevice(private_key=K1, listen_port=51820, fwmark=7, replace_peers=True, peers=[
        WgPeer(K2, preshared_key=bytes(32), endpoint=Endpoint(ipaddress.ip_address("2001:db8::1"), 5),
               persistent_keepalive_interval=0, replace_allowed_ips=True,
               allowed_ips=[WgAllowedIP(ipaddress.ip_network("10.0.0.0/8")),
                            WgAllowedIP(ipaddress.ip_network("::ffff:192.0.2.0/120"))]),
        WgPeer(K3, remove=True, endpoint=Endpoint(ipaddress.ip_address("192.0.2.1"), 1)),
    ])
    assert uapi.format_set(change) == (
        "set=1\n"
        f"private_key={K1.hex()}\nlisten_port=51820\nfwmark=7\nreplace_peers=true\n"
        f"public_key={K2.hex()}\npreshared_key={'0' * 64}\nendpoint=[2001:db8::1]:5\n"
        "persistent_keepalive_interval=0\nreplace_allowed_ips=true\n"
        "allowed_ip=10.0.0.0/8\nallowed_ip=::ffff:192.0.2.0/120\n"
        f"public_key={K3.hex()}\nremove=true\n\n")


def test_format_set_empty_change():
    assert uapi.format_set(WgDevice()) == "set=1\n\n"


def test_parse_get_reads_wireguard_go_reply():
    reply = (f"private_key={K1.hex()}\nlisten_port=51820\nfwmark=202\n"
             f"public_key={K2.hex()}\npreshared_key={'0' * 64}\nprotocol_version=1\n"
             "endpoint=[fe80::1%lo]:7\nlast_handshake_time_sec=1700000000\nlast_handshake_time_nsec=5\n"
             "tx_bytes=10\nrx_bytes=20\npersistent_keepalive_interval=25\n"
             "allowed_ip=10.0.0.0/8\nallowed_ip=fd00::/64\nerrno=0\n\n")
    device = uapi.parse_get(reply, "wg0")
    assert device.name == "wg0" and device.private_key == K1
    assert device.public_key == keys.public_key(K1)
    assert (device.listen_port, device.fwmark) == (51820, 202)
    (peer,) = device.peers
    assert peer.public_key == K2 and peer.preshared_key is None
    assert str(peer.endpoint.host) == "fe80::1%lo" and peer.endpoint.port == 7
    assert (peer.last_handshake_time_sec, peer.last_handshake_time_nsec, peer.tx_bytes, peer.rx_bytes) == \
        (1700000000, 5, 10, 20)
    assert [str(a) for a in peer.allowed_ips] == ["10.0.0.0/8", "fd00::/64"]


@pytest.mark.parametrize("reply, code", [
    ("", errno.EPROTO),                                  # no errno line, no blank line
    ("errno=0\n", errno.EPROTO),                         # unterminated
    ("\n", errno.EPROTO),                                # blank line before any errno
    ("errno=19\n\n", 19),                                # the device's own errno
    ("errno=-22\n\n", errno.EPROTO),                     # digits only
    ("listen_port=+1\nerrno=0\n\n", errno.EPROTO),
    ("listen_port=65536\nerrno=0\n\n", errno.EPROTO),
    ("fwmark=4294967296\nerrno=0\n\n", errno.EPROTO),
    ("private_key=00\nerrno=0\n\n", errno.EPROTO),
    ("no equals sign\nerrno=0\n\n", errno.EPROTO),
    (f"public_key={K2.hex()}\nallowed_ip=10.0.0.1\nerrno=0\n\n", errno.EPROTO),
    (f"public_key={K2.hex()}\nallowed_ip=10.0.0.1/x\nerrno=0\n\n", errno.EPROTO),
    (f"public_key={K2.hex()}\nendpoint=\nerrno=0\n\n", errno.EPROTO),
    (f"public_key={K2.hex()}\nendpoint=[::1\nerrno=0\n\n", errno.EPROTO),
    # A malformed line fails the reply even when the device reports an error after it.
    (f"public_key={K2.hex()}\nallowed_ip=10.0.0.1/x\nerrno=19\n\n", errno.EPROTO),
    (f"public_key={K2.hex()}\nallowed_ip=10.0.0.1/33\nallowed_ip=::/0\nerrno=0\n\n", errno.EPROTO),
    # ... but nothing after the blank line is read.
    (f"public_key={K2.hex()}\nerrno=19\n\nallowed_ip=x\n", 19),
])
def test_parse_get_failures(reply, code):
    with pytest.raises(UapiError) as info:
        uapi.parse_get(reply)
    assert info.value.errno == code
    # The keys-only reading (syncconf's) is exactly as strict.
    with pytest.raises(UapiError) as info:
        uapi.parse_get(reply, keys_only=True)
    assert info.value.errno == code


@pytest.mark.parametrize("line", ["allowed_ip=10.0.0.0/33", "allowed_ip=fd00::/129", "allowed_ip=1.2.3/8",
                                  "allowed_ip=10.0.0.0/", "endpoint=1.2.3.4:65536", "endpoint=1.2.3.4:",
                                  "endpoint=[::1]:x", "endpoint=1.2.3.4", "endpoint=1.2.3.256:5"])
def test_keys_only_checks_what_it_does_not_keep(line):
    # Same outcome either way: EPROTO, the resolver's failure, or (a port that getaddrinfo
    # wraps, as the C client lets it) success.
    reply = f"public_key={K2.hex()}\n{line}\nerrno=0\n\n"

    def outcome(keys_only: bool):
        try:
            return [p.public_key for p in uapi.parse_get(reply, keys_only=keys_only).peers]
        except UapiError as e:
            return e.errno

    assert outcome(True) == outcome(False)


def test_parse_get_ignores_unknown_and_misplaced_keys():
    reply = (f"something=else\nrx_bytes=5\npublic_key={K2.hex()}\nlisten_port=9\n"
             f"private_key={K1.hex()}\nprotocol_version=1\nerrno=0\n\n")
    device = uapi.parse_get(reply)
    assert device.listen_port == 0 and device.private_key is None and device.peers[0].rx_bytes == 0


def test_u64_counters_saturate_like_strtoull():
    reply = f"public_key={K2.hex()}\nrx_bytes={2**64 + 5}\nerrno=0\n\n"
    assert uapi.parse_get(reply).peers[0].rx_bytes == 2**64 - 1


def test_parse_set_reply():
    assert uapi.parse_set_reply("errno=0\n\n") == 0
    assert uapi.parse_set_reply("errno=-98\n\n") == -98
    with pytest.raises(UapiError):
        uapi.parse_set_reply("bogus\n\n")


addresses = st.one_of(st.builds(ipaddress.IPv4Address, st.integers(0, 2**32 - 1)),
                      st.builds(ipaddress.IPv6Address, st.integers(0, 2**128 - 1)))


@given(addresses)
def test_ntop_matches_libc(address):
    import socket
    family = socket.AF_INET if address.version == 4 else socket.AF_INET6
    assert text.ntop(address) == socket.inet_ntop(family, address.packed)


peers = st.builds(
    lambda key, psk, port, ka, rx, tx, sec, nets: WgPeer(
        key, preshared_key=psk, endpoint=Endpoint(ipaddress.ip_address("192.0.2.1"), port) if port else None,
        persistent_keepalive_interval=ka, rx_bytes=rx, tx_bytes=tx, last_handshake_time_sec=sec,
        allowed_ips=[WgAllowedIP(ipaddress.ip_network(f"10.{n}.0.0/16")) for n in nets]),
    st.binary(min_size=32, max_size=32), st.one_of(st.none(), st.binary(min_size=32, max_size=32).filter(any)),
    st.integers(0, 65535), st.integers(0, 65535), st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1),
    st.integers(0, 2**40), st.lists(st.integers(0, 255), max_size=4, unique=True))


@given(st.lists(peers, max_size=4, unique_by=lambda p: p.public_key), st.integers(0, 65535), st.integers(0, 2**32 - 1))
def test_format_get_then_parse_get_round_trips(peer_list, port, fwmark):
    snapshot = WgDevice(private_key=K1, public_key=keys.public_key(K1), listen_port=port, fwmark=fwmark, peers=peer_list)
    parsed = uapi.parse_get(server.format_get(snapshot))
    assert parsed == snapshot
    # keys_only keeps everything but the allowed IPs and IPv4 endpoints.
    light = uapi.parse_get(server.format_get(snapshot), keys_only=True)
    for peer in snapshot.peers:
        peer.allowed_ips, peer.endpoint = [], None
    assert light == snapshot


@given(st.lists(peers, max_size=6, unique_by=lambda p: p.public_key), st.integers(1, 12))
def test_set_request_in_chunks_is_the_whole_request(peer_list, lines_per_chunk):
    change = WgDevice(private_key=K1, listen_port=5, replace_peers=True, peers=peer_list)
    chunks = list(uapi.format_set_chunks(change, lines_per_chunk))
    assert "".join(chunks) == uapi.format_set(change)
    assert all(chunk.endswith("\n") for chunk in chunks)  # whole lines only


def test_allowed_ips_from_the_reply_are_masked_network_prefixes():
    reply = f"public_key={K2.hex()}\nallowed_ip=10.1.2.3/8\nallowed_ip=fd00::1:2/64\nerrno=0\n\n"
    (peer,) = uapi.parse_get(reply).peers
    assert [a.network for a in peer.allowed_ips] == [ipaddress.ip_network("10.0.0.0/8"),
                                                     ipaddress.ip_network("fd00::/64")]
    assert [text.format_prefix(a) for a in peer.allowed_ips] == ["10.0.0.0/8", "fd00::/64"]
