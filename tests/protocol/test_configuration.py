"""wg_py/protocol/configuration.py: a UAPI set applied whole or not at all, through the device's
lifecycle API; and snapshot."""

from __future__ import annotations

import copy
import errno
import ipaddress

import pytest

from wg_py.protocol import configuration
from wg_py.errors import UapiError
from wg_py.model import Endpoint, WgAllowedIP, WgDevice, WgPeer
from wg_py.protocol.device import Device
from tests.protocol.helpers import KEY_A, KEY_B, KEY_C, PSK, Pair, peer_change, public
from tests.support.fakes import FakeClock, seeded_rng

net = ipaddress.ip_network


def fresh() -> Device:
    d = Device(FakeClock(), seeded_rng(9))
    configuration.apply(d, WgDevice(private_key=KEY_A, listen_port=51820, fwmark=7))
    return d


def allowed(device: Device, key: bytes) -> list[str]:
    [peer] = [p for p in configuration.snapshot(device).peers if p.public_key == public(key)]
    return [str(a) for a in peer.allowed_ips]


def test_snapshot_reports_configuration_and_defaults():
    d = fresh()
    configuration.apply(d, WgDevice(peers=[peer_change(KEY_B, ["10.0.0.2/32", "fd00::/64"], ("192.0.2.2", 1),
                                        preshared_key=PSK, persistent_keepalive_interval=25)]))
    snap = configuration.snapshot(d)
    assert (snap.private_key, snap.public_key, snap.listen_port, snap.fwmark) == (KEY_A, public(KEY_A), 51820, 7)
    [peer] = snap.peers
    assert peer.public_key == public(KEY_B) and peer.preshared_key == PSK
    assert peer.endpoint == Endpoint.parse("192.0.2.2:1") and peer.persistent_keepalive_interval == 25
    assert [str(a) for a in peer.allowed_ips] == ["10.0.0.2/32", "fd00::/64"]
    assert (peer.last_handshake_time_sec, peer.last_handshake_time_nsec, peer.rx_bytes, peer.tx_bytes) == (0, 0, 0, 0)


def test_listen_port_reports_the_bound_port():
    d = fresh()
    configuration.apply(d, WgDevice(listen_port=0))
    assert configuration.snapshot(d).listen_port == 0
    d.set_bound_port(40000)
    assert configuration.snapshot(d).listen_port == 40000 and d.listen_port == 0


@pytest.mark.parametrize("bad", [
    WgDevice(private_key=b"short"),
    WgDevice(listen_port=70000),
    WgDevice(fwmark=-1),
    WgDevice(peers=[WgPeer(public(KEY_B)), WgPeer(b"x" * 31)]),
    WgDevice(peers=[WgPeer(public(KEY_B), preshared_key=b"1")]),
    WgDevice(peers=[WgPeer(public(KEY_B), persistent_keepalive_interval=65536)]),
    WgDevice(peers=[WgPeer(public(KEY_B), protocol_version=2)]),
    WgDevice(replace_peers=True, peers=[WgPeer(public(KEY_B), allowed_ips=[WgAllowedIP("10.0.0.0/8")])]),
])
def test_an_invalid_change_raises_einval_and_changes_nothing(bad):
    d = fresh()
    configuration.apply(d, WgDevice(peers=[peer_change(KEY_C, ["10.0.0.3/32"])]))
    before = copy.deepcopy(configuration.snapshot(d))
    with pytest.raises(UapiError) as info:
        configuration.apply(d, bad)
    assert info.value.errno == errno.EINVAL
    assert configuration.snapshot(d) == before


def test_too_many_peers_is_refused_whole(monkeypatch):
    monkeypatch.setattr(configuration, "MAX_PEERS", 2)
    d = fresh()
    configuration.apply(d, WgDevice(peers=[peer_change(KEY_B, [])]))
    with pytest.raises(UapiError):
        configuration.apply(d, WgDevice(peers=[peer_change(KEY_C, []), WgPeer(bytes([5] * 32))]))
    assert [p.public_key for p in configuration.snapshot(d).peers] == [public(KEY_B)]
    configuration.apply(d, WgDevice(peers=[peer_change(KEY_B, [], remove=True), peer_change(KEY_C, []), WgPeer(bytes([5] * 32))]))
    assert len(configuration.snapshot(d).peers) == 2


def test_replace_peers_remove_and_update_only():
    d = fresh()
    configuration.apply(d, WgDevice(peers=[peer_change(KEY_B, ["10.0.0.2/32"]), peer_change(KEY_C, ["10.0.0.3/32"])]))
    configuration.apply(d, WgDevice(peers=[peer_change(KEY_B, [], remove=True)]))
    assert [p.public_key for p in configuration.snapshot(d).peers] == [public(KEY_C)]
    assert d.allowed_ips.lookup(ipaddress.ip_address("10.0.0.2")) is None
    configuration.apply(d, WgDevice(peers=[peer_change(KEY_B, ["10.0.0.2/32"], update_only=True),
                            peer_change(KEY_C, ["10.0.0.33/32"], update_only=True)]))
    assert [p.public_key for p in configuration.snapshot(d).peers] == [public(KEY_C)]
    assert allowed(d, KEY_C) == ["10.0.0.3/32", "10.0.0.33/32"]
    configuration.apply(d, WgDevice(replace_peers=True, peers=[peer_change(KEY_B, ["10.0.0.2/32"])]))
    assert [p.public_key for p in configuration.snapshot(d).peers] == [public(KEY_B)]
    configuration.apply(d, WgDevice(peers=[peer_change(bytes([6] * 32), [], remove=True)]))  # absent: nothing to do


def test_replace_allowed_ips_and_removal_and_stealing():
    d = fresh()
    configuration.apply(d, WgDevice(peers=[peer_change(KEY_B, ["10.0.0.0/24", "10.0.1.0/24"]), peer_change(KEY_C, ["10.0.2.0/24"])]))
    configuration.apply(d, WgDevice(peers=[peer_change(KEY_C, ["10.0.1.0/24"])]))            # steals it from B
    assert allowed(d, KEY_B) == ["10.0.0.0/24"] and allowed(d, KEY_C) == ["10.0.2.0/24", "10.0.1.0/24"]
    configuration.apply(d, WgDevice(peers=[peer_change(KEY_C, ["192.0.2.0/24"], replace_allowed_ips=True)]))
    assert allowed(d, KEY_C) == ["192.0.2.0/24"]
    configuration.apply(d, WgDevice(peers=[WgPeer(public(KEY_C), allowed_ips=[WgAllowedIP(net("192.0.2.0/24"), remove=True),
                                                               WgAllowedIP(net("10.0.0.0/24"), remove=True)])]))
    assert allowed(d, KEY_C) == [] and allowed(d, KEY_B) == ["10.0.0.0/24"]  # only one's own prefixes go


def test_a_peer_with_our_own_public_key_is_ignored():
    d = fresh()
    configuration.apply(d, WgDevice(peers=[peer_change(KEY_A, ["10.0.0.1/32"]), peer_change(KEY_B, [])]))
    assert [p.public_key for p in configuration.snapshot(d).peers] == [public(KEY_B)]
    # Also when the key arrives in the same change as the private key it matches.
    configuration.apply(d, WgDevice(private_key=KEY_C, peers=[peer_change(KEY_C, [])]))
    assert [p.public_key for p in configuration.snapshot(d).peers] == [public(KEY_B)]


def test_private_key_change_removes_a_peer_with_the_new_public_key_and_resets_sessions():
    p = Pair()
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    configuration.apply(p.alice, WgDevice(peers=[peer_change(KEY_C, ["10.0.0.3/32"])]))
    old_current = p.peer_of(p.alice).keypairs.current
    configuration.apply(p.alice, WgDevice(private_key=KEY_C))
    assert [x.public_key for x in configuration.snapshot(p.alice).peers] == [public(KEY_B)]
    assert p.alice.identity.public == public(KEY_C)
    # The old keypair may not send any more: the next packet starts a handshake with the new key.
    assert p.peer_of(p.alice).keypairs.current is old_current
    p.alice.send_packets([p.a_to_b()])
    assert [d[0] for d, _ in p.alice.take_datagrams()] == [1]
    # mac1 is keyed by bob's own public key, so it passes; but bob does not know KEY_C's
    # public key, so the initiator is an unknown peer.
    p.clock.advance(6)
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    assert p.bob.stats["unknown_peer"] >= 1


def test_same_private_key_again_changes_nothing():
    p = Pair()
    p.alice.send_packets([p.a_to_b()])
    p.settle()
    current = p.peer_of(p.alice).keypairs.current
    configuration.apply(p.alice, WgDevice(private_key=KEY_A))
    p.alice.send_packets([p.a_to_b()])
    assert p.peer_of(p.alice).keypairs.current is current
    assert [d[0] for d, _ in p.alice.take_datagrams()] == [4]


def test_removing_the_private_key_stops_handshakes():
    p = Pair()
    configuration.apply(p.alice, WgDevice(private_key=bytes(32)))
    assert configuration.snapshot(p.alice).private_key is None
    p.alice.send_packets([p.a_to_b()])
    assert p.alice.take_datagrams() == [] and p.alice.stats["initiation_impossible"] == 1


def test_peers_added_while_up_flush_nothing_but_start_and_set_up_sends_persistent_keepalives():
    d = Device(FakeClock(), seeded_rng(3))
    configuration.apply(d, WgDevice(private_key=KEY_A, peers=[peer_change(KEY_B, ["10.0.0.2/32"], ("192.0.2.2", 1),
                                                           persistent_keepalive_interval=25)]))
    assert d.take_datagrams() == []             # down: nothing is sent
    d.set_up(True)
    assert [x[0] for x, _ in d.take_datagrams()] == [1]   # keepalive needs a session: initiation
    d.set_up(False)
    configuration.apply(d, WgDevice(peers=[peer_change(KEY_C, ["10.0.0.3/32"], ("192.0.2.3", 1), persistent_keepalive_interval=5)]))
    assert d.take_datagrams() == []


def test_endpoint_set_by_apply_is_a_socket_address():
    d = fresh()
    configuration.apply(d, WgDevice(peers=[WgPeer(public(KEY_B), endpoint=Endpoint.parse("[2001:db8::5]:443"))]))
    assert d.peers[public(KEY_B)].endpoint == ("2001:db8::5", 443, 0, 0)
    assert configuration.snapshot(d).peers[0].endpoint == Endpoint.parse("[2001:db8::5]:443")
