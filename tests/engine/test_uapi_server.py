"""The engine's UAPI socket: connections, request framing, limits, the listening socket (no root
needed). The codec it uses is tested in tests/uapi/test_server.py."""

from __future__ import annotations


import random
import socket

import pytest

from wg_py.protocol import configuration
from wg_py.engine.uapi_server import UapiConnection, listen
from wg_py.uapi.server import MAX_LINE, SetParser, format_get
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
        return format_get(configuration.snapshot(self.device)).encode()

    def set(self, change: WgDevice) -> int:
        try:
            configuration.apply(self.device, change)
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
    monkeypatch.setenv("WG_SOCKET_DIR", str(tmp_path / "wireguard"))
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
