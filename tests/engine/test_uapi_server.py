"""UAPI server side: set parsing and errno values, get order, connection handling (no root needed)."""

from __future__ import annotations

import errno
import random
import socket

import pytest

from wg_py.engine.uapi_server import (
    MAX_LINE, SetParser, UapiConnection, format_get, listen, parse_endpoint, parse_prefix,
)
from wg_py.errors import UapiError
from wg_py.keys import generate_private_key, key_to_hex, public_key
from wg_py.model import WgDevice
from wg_py.protocol.device import Device


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return 1_700_000_000.0 + self.now


class DeviceHandler:
    """The engine's handler contract, over a real protocol Device (no sockets, no TUN)."""

    def __init__(self) -> None:
        self.device = Device(FakeClock(), random.Random(7))

    def get(self) -> bytes:
        return format_get(self.device.snapshot())

    def set(self, change: WgDevice) -> int:
        try:
            self.device.apply(change)
        except UapiError as e:
            return e.errno
        return 0


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
    assert str(parse_endpoint("[::ffff:1.2.3.4]:0")) == "[::ffff:102:304]:0"
    assert str(parse_prefix("10.1.2.3/8")) == "10.0.0.0/8"
    assert str(parse_prefix("::1/0")) == "::/0"


def test_get_order_matches_wireguard_go():
    handler = DeviceHandler()
    assert handler.set(parse(["private_key=" + PRIV.hex(), "listen_port=1234", "fwmark=3",
                              "public_key=" + K1, "endpoint=1.2.3.4:5", "allowed_ip=10.0.0.0/8",
                              "allowed_ip=fd00::/8", "persistent_keepalive_interval=9"]).change) == 0
    text = handler.get().decode()
    keys = [line.split("=", 1)[0] for line in text.splitlines()]
    assert keys == ["private_key", "listen_port", "fwmark", "public_key", "preshared_key", "protocol_version",
                    "endpoint", "last_handshake_time_sec", "last_handshake_time_nsec", "tx_bytes", "rx_bytes",
                    "persistent_keepalive_interval", "allowed_ip", "allowed_ip"]
    assert f"preshared_key={'0' * 64}" in text
    assert format_get(WgDevice()) == b""


def converse(conn_sock: socket.socket, client: socket.socket, handler, data: bytes) -> bytes:
    conn = UapiConnection(conn_sock, handler)
    client.sendall(data)
    client.shutdown(socket.SHUT_WR)
    while not conn.closed:
        conn.on_readable()
        conn.flush()
    chunks = []
    while True:
        chunk = client.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def pair():
    a, b = socket.socketpair()
    a.setblocking(False)
    return a, b


def test_connection_get_set_and_several_requests():
    handler = DeviceHandler()
    server, client = pair()
    reply = converse(server, client, handler,
                     f"set=1\nprivate_key={PRIV.hex()}\npublic_key={K1}\nallowed_ip=10.0.0.0/8\n\nget=1\n\n".encode())
    first, second = reply.split(b"\n\n", 1)
    assert first == b"errno=0"
    assert second.startswith(f"private_key={PRIV.hex()}\n".encode()) and second.endswith(b"errno=0\n\n")


def test_failed_set_changes_nothing_and_answers_negative_errno():
    handler = DeviceHandler()
    handler.set(parse(["listen_port=1000", "public_key=" + K1, "allowed_ip=10.0.0.0/8"]).change)
    before = handler.get()
    server, client = pair()
    reply = converse(server, client, handler,
                     f"set=1\nlisten_port=2000\nreplace_peers=true\npublic_key={K2}\nallowed_ip=bad\n\n".encode())
    assert reply == b"errno=-22\n\n"
    assert handler.get() == before


def test_set_ended_by_eof_is_applied_like_a_blank_line():
    handler = DeviceHandler()
    server, client = pair()
    assert converse(server, client, handler, b"set=1\nlisten_port=4321") == b"errno=0\n\n"
    assert b"listen_port=4321" in handler.get()


@pytest.mark.parametrize("data, reply", [
    (b"hello=1\n\n", b""),                         # unknown operation: closed, no reply
    (b"get=1\nx\n", b"errno=-22\n\n"),             # trailing character after get=1
    (b"set=1\nlisten_port\n\n", b"errno=-71\n\n"),
    (b"set=1\r\nlisten_port=1\n\n", b""),          # the operation line is exact
    (b"set=1\nlisten_port=1\r\n\r\n", b"errno=0\n\n"),  # Go's scanner drops a CR inside set
])
def test_protocol_edges(data, reply):
    server, client = pair()
    assert converse(server, client, DeviceHandler(), data) == reply


def test_overlong_line_is_eio_and_closes():
    server, client = pair()
    handler = DeviceHandler()
    conn = UapiConnection(server, handler)
    client.setblocking(False)
    payload = b"set=1\nprivate_key=" + b"a" * (MAX_LINE + 10)
    sent = 0
    for _ in range(10_000):
        if conn.closed:
            break
        if sent < len(payload):
            try:
                sent += client.send(payload[sent:])
            except BlockingIOError:
                pass
        conn.on_readable()
    assert conn.closed
    client.setblocking(True)
    assert client.recv(100) == b"errno=-5\n\n"


def test_listen_makes_a_private_socket_and_detects_use(tmp_path, monkeypatch):
    import wg_py.engine.uapi_server as server_mod
    monkeypatch.setattr(server_mod, "SOCKET_DIR", str(tmp_path / "wireguard"))
    sock = listen("wgunit0")
    path = tmp_path / "wireguard" / "wgunit0.sock"
    assert oct(path.stat().st_mode & 0o777) == "0o700"
    assert oct((tmp_path / "wireguard").stat().st_mode & 0o777) == "0o755"
    with pytest.raises(OSError, match="unix socket in use"):
        listen("wgunit0")
    sock.close()              # a crash: the file stays, nobody answers
    assert path.exists()
    again = listen("wgunit0")  # stale: replaced
    again.close()
