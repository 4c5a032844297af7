"""wg_py/uapi/server.py: set parsing with wireguard-go's errno values, and the get reply."""

from __future__ import annotations

import errno
import ipaddress
import random

import pytest

from tests.support.fakes import FakeClock
from wg_py.protocol import configuration
from wg_py.keys import generate_private_key, key_to_hex, public_key
from wg_py.model import Endpoint, WgAllowedIP, WgDevice, WgPeer
from wg_py.protocol.device import Device
from wg_py.uapi.server import SetParser, format_get, parse_endpoint, parse_prefix
from wg_py.uapi.text import format_endpoint, format_prefix


def parse(lines: list[str]) -> SetParser:
    parser = SetParser()
    for line in lines:
        parser.feed(line)
    return parser


K1 = key_to_hex(public_key(generate_private_key()))
K2 = key_to_hex(public_key(generate_private_key()))
PRIV = generate_private_key()


@pytest.mark.parametrize("lines, code", [
    (["nonsense"], errno.EPROTO),                                  # no '='
    (["bogus_key=1"], errno.EINVAL),                               # unknown device key
    (["listen_port=65536"], errno.EINVAL),
    (["listen_port=-1"], errno.EINVAL),
    (["listen_port=+1"], errno.EINVAL),
    (["listen_port="], errno.EINVAL),
    (["fwmark=4294967296"], errno.EINVAL),
    (["fwmark=0x10"], errno.EINVAL),
    (["private_key=abcd"], errno.EINVAL),
    (["private_key=" + "g" * 64], errno.EINVAL),
    (["replace_peers=false"], errno.EINVAL),
    (["public_key=" + K1[:-1]], errno.EINVAL),
    (["persistent_keepalive_interval=5"], errno.EINVAL),           # peer key before public_key
    (["public_key=" + K1, "private_key=" + "0" * 64], errno.EINVAL),  # device key after public_key
    (["public_key=" + K1, "endpoint=1.2.3.4"], errno.EINVAL),
    (["public_key=" + K1, "endpoint=[1.2.3.4]:5"], errno.EINVAL),
    (["public_key=" + K1, "endpoint=::1:51820"], errno.EINVAL),
    (["public_key=" + K1, "endpoint=example.com:51820"], errno.EINVAL),
    (["public_key=" + K1, "endpoint=1.2.3.4:65536"], errno.EINVAL),
    (["public_key=" + K1, "allowed_ip=10.0.0.0/33"], errno.EINVAL),
    (["public_key=" + K1, "allowed_ip=10.0.0.0"], errno.EINVAL),
    (["public_key=" + K1, "allowed_ip=-10.0.0.0/8"], errno.EINVAL),   # removal is newer than 0.0.20220316
    (["public_key=" + K1, "allowed_ip=10.0.0.0/255.0.0.0"], errno.EINVAL),
    (["public_key=" + K1, "protocol_version=2"], errno.EINVAL),
    (["public_key=" + K1, "remove=yes"], errno.EINVAL),
    (["public_key=" + K1, "update_only=1"], errno.EINVAL),
    (["public_key=" + K1, "replace_allowed_ips=false"], errno.EINVAL),
    (["public_key=" + K1, "persistent_keepalive_interval=65536"], errno.EINVAL),
    (["public_key=" + K1, "wat=1"], errno.EINVAL),
    (["public_key=" + K1, "remove=true", "allowed_ip=nope"], errno.EINVAL),  # still checked after remove
])
def test_set_errors_match_wireguard_go(lines, code):
    assert parse(lines).error == code


def test_set_builds_a_change_in_order():
    p = parse(["private_key=" + PRIV.hex(), "listen_port=051820", "fwmark=7", "replace_peers=true",
               "public_key=" + K1, "preshared_key=" + "11" * 32, "endpoint=[fe80::1%lo]:5",
               "persistent_keepalive_interval=25", "allowed_ip=10.0.0.1/24", "replace_allowed_ips=true",
               "allowed_ip=fd00::1/64", "allowed_ip=0.0.0.0/0", "protocol_version=1",
               "public_key=" + K2, "update_only=true", "public_key=" + K1.upper(), "remove=true",
               "endpoint=1.2.3.4:5"])
    assert p.error is None
    c = p.change
    assert (c.private_key, c.listen_port, c.fwmark, c.replace_peers) == (PRIV, 51820, 7, True)
    first, first_again, second, third = c.peers
    assert first.preshared_key == b"\x11" * 32 and first.persistent_keepalive_interval == 25
    assert str(first.endpoint) == "[fe80::1%lo]:5"
    # replace_allowed_ips after an allowed_ip: that prefix is still taken from others, then dropped.
    assert [str(a) for a in first.allowed_ips] == ["10.0.0.0/24"] and not first.replace_allowed_ips
    assert first_again.public_key == first.public_key and first_again.replace_allowed_ips
    assert [str(a) for a in first_again.allowed_ips] == ["fd00::/64", "0.0.0.0/0"]
    assert second.update_only and not second.remove
    assert third.remove and third.endpoint is None                           # ignored after remove


def test_value_parsers_accept_what_netip_accepts():
    # An IPv4-mapped address keeps its dotted tail, as netip (and inet_ntop) write it.
    assert format_endpoint(parse_endpoint("[::ffff:1.2.3.4]:0")) == "[::ffff:1.2.3.4]:0"
    assert str(parse_endpoint("[::ffff:1.2.3.4]:0")) == "[::ffff:1.2.3.4]:0"
    assert format_prefix(parse_prefix("::ffff:1.2.3.4/96")) == "::ffff:0.0.0.0/96"
    assert str(parse_prefix("10.1.2.3/8")) == "10.0.0.0/8"
    assert str(parse_prefix("::1/0")) == "::/0"


def test_get_order_matches_wireguard_go():
    device = Device(FakeClock(), random.Random(7))
    configuration.apply(device, parse(["private_key=" + PRIV.hex(), "listen_port=1234", "fwmark=3",
                                       "public_key=" + K1, "endpoint=1.2.3.4:5", "allowed_ip=10.0.0.0/8",
                                       "allowed_ip=fd00::/8", "persistent_keepalive_interval=9"]).change)
    text = format_get(configuration.snapshot(device))
    keys = [line.split("=", 1)[0] for line in text.splitlines()]
    assert keys == ["private_key", "listen_port", "fwmark", "public_key", "preshared_key", "protocol_version",
                    "endpoint", "last_handshake_time_sec", "last_handshake_time_nsec", "tx_bytes", "rx_bytes",
                    "persistent_keepalive_interval", "allowed_ip", "allowed_ip", "errno", ""]
    assert f"preshared_key={'0' * 64}" in text
    assert text.endswith("errno=0\n\n")
    assert format_get(WgDevice()) == "errno=0\n\n"


def test_mapped_addresses_are_written_as_wireguard_go_writes_them():
    snapshot = WgDevice(peers=[WgPeer(bytes(range(32)), endpoint=Endpoint.parse("[::ffff:1.2.3.4]:5"),
                                      allowed_ips=[WgAllowedIP(ipaddress.ip_network("::ffff:0:0/96"))])])
    text = format_get(snapshot)
    assert "endpoint=[::ffff:1.2.3.4]:5\n" in text and "allowed_ip=::ffff:0.0.0.0/96\n" in text
