"""UDP sockets: one port for IPv4 and IPv6, GSO send runs, GRO receive split, sticky source (loopback)."""

from __future__ import annotations

import os
import socket
import time

import pytest

from wg_py.engine.udp import BindError, UdpBind


def receive(bind: UdpBind, sock, want: int, timeout: float = 3.0) -> list:
    got: list = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        batch: list = []
        bind.recv_batch(sock, batch)
        got += [(bytes(view), addr) for view, addr in batch]
        if not batch:
            time.sleep(0.01)
    return got


def test_port_zero_gives_one_port_for_both_families():
    bind = UdpBind(0)
    try:
        assert bind.port > 0
        assert bind.v4.getsockname()[1] == bind.port
        assert bind.v6 is not None and bind.v6.getsockname()[1] == bind.port
        assert bind.v6.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 1
        with pytest.raises(BindError):
            UdpBind(bind.port)
    finally:
        bind.close()


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_equal_datagrams_go_out_in_runs_and_come_back_split(host):
    sender, receiver = UdpBind(0), UdpBind(0)
    try:
        target = (host, receiver.port) if ":" not in host else (host, receiver.port, 0, 0)
        payloads = [bytes([i]) * 1000 for i in range(20)] + [b"short tail"] + [b"x" * 300] * 3
        assert sender.send_batch([(p, target) for p in payloads]) == []
        sock = receiver.v4 if ":" not in host else receiver.v6
        got = receive(receiver, sock, len(payloads))
        assert [p for p, _addr in got] == payloads
        source = got[-1][1]   # from the last read: its candidate is still held
        assert source[1] == sender.port
        # Nothing is learnt from an unauthenticated read, even from an equal address...
        assert not receiver.sticky
        receiver.learn_sources([tuple(list(source))])
        assert not receiver.sticky
        # ...the reply to a source whose read authenticated leaves from the address it wrote to.
        receiver.learn_sources([source])
        assert source in receiver.sticky
        # A handshake retry (Device.take_source_resets) forgets it again.
        receiver.forget_sources([tuple(list(source)), ("192.0.2.9", 1)])
        assert not receiver.sticky
        lo = socket.if_nametoindex("lo")
        # Learnt only where the route to the peer leaves by (asked once, until routes change).
        asked = []
        receiver.learn_sources([source], lambda host, mark: asked.append(host) or lo + 1)
        assert not receiver.sticky and asked == [source[0]]
        receiver.learn_sources([source], lambda host, mark: asked.append(host) or lo + 1)
        assert asked == [source[0]]
        # Routes changed: asked again; the route is on the interface the read came in by.
        assert receiver.revalidate_sources(lambda host, mark: lo) == []
        receiver.learn_sources([source], lambda host, mark: lo)
        assert receiver.sticky_if[source] == lo
        # Routes changed again and the route to the peer now leaves elsewhere: forgotten.
        assert receiver.revalidate_sources(lambda host, mark: lo + 1) == [source]
        assert not receiver.sticky
    finally:
        sender.close()
        receiver.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="SO_MARK needs CAP_NET_ADMIN")
def test_fwmark_is_set_on_both_sockets():
    bind = UdpBind(0, fwmark=0x51)
    try:
        for sock in bind.sockets():
            assert sock.getsockopt(socket.SOL_SOCKET, 36) == 0x51   # SO_MARK
        bind.set_mark(0)
        assert all(s.getsockopt(socket.SOL_SOCKET, 36) == 0 for s in bind.sockets())
    finally:
        bind.close()


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_a_peer_socket_gets_its_peers_datagrams_and_only_those(host):
    """The flood defence: a connected socket on the same port takes its peer's datagrams
    out of the listening socket's way (and its buffer)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    bind = UdpBind(0)
    peer, stranger = socket.socket(family, socket.SOCK_DGRAM), socket.socket(family, socket.SOCK_DGRAM)
    try:
        peer.bind((host, 0))
        stranger.bind((host, 0))
        target = (host, bind.port)
        peer.sendto(b"hello", target)
        [(_, peer_addr)] = receive(bind, bind.v6 if family == socket.AF_INET6 else bind.v4, 1)
        [made] = bind.connect_peers([peer_addr])
        assert bind.connect_peers([peer_addr]) == []              # one per endpoint
        for i in range(5):
            peer.sendto(b"peer%d" % i, target)
            stranger.sendto(b"stranger%d" % i, target)
        listening = bind.v6 if family == socket.AF_INET6 else bind.v4
        assert [d for d, _ in receive(bind, made, 5)] == [b"peer%d" % i for i in range(5)]
        assert [d for d, _ in receive(bind, listening, 5)] == [b"stranger%d" % i for i in range(5)]
        # Dropped when no peer has the endpoint any more; the listening socket serves it again.
        [gone] = bind.drop_peers(keep=set())
        bind.close_peer(gone)
        peer.sendto(b"back", target)
        assert [d for d, _ in receive(bind, listening, 1)] == [b"back"]
    finally:
        bind.close()
        peer.close()
        stranger.close()


def test_the_port_is_still_refused_when_taken_by_anyone():
    """SO_REUSEPORT on our sockets must not let a second engine share the port."""
    plain = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        plain.bind(("0.0.0.0", 0))
        with pytest.raises(BindError):
            UdpBind(plain.getsockname()[1])
    finally:
        plain.close()
    first = UdpBind(0)
    try:
        with pytest.raises(BindError):
            UdpBind(first.port)
    finally:
        first.close()
