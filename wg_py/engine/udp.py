"""The UDP side of the engine: one IPv4 and one IPv6 (V6ONLY) socket on the same port.

What the data path gets from here, and why:
- `recv_batch` drains a socket into preallocated buffers, up to a budget per wake-up,
  with UDP GRO on: one recvmsg can carry up to 64 equal-size datagrams from one sender,
  which we split by the `UDP_GRO` cmsg's segment size (system calls, not crypto, bound a
  Python data path).
- `send_batch` sends runs of equal-size datagrams to one endpoint with UDP GSO: one
  sendmsg with a `UDP_SEGMENT` cmsg, the payloads gathered straight from their buffers.
- 4 MiB send and receive buffers (SO_*BUFFORCE, we are root): without them the inner TCP
  sees tens of thousands of drops-and-retransmits per run on this machine.
- Sticky source addresses: IP_PKTINFO / IPV6_RECVPKTINFO tell us which local address a
  peer wrote to; replies go out from that address (wireguard-go and the kernel do this),
  so a multi-homed host answers from the address the peer knows. Only a datagram that
  authenticated may set it (anyone can spoof a source address): `recv_batch` notes each
  read's local address as a candidate, and `learn_sources` keeps those of the reads the
  device reports as authenticated (`Device.take_authenticated`). When routes change, the
  loop checks each learnt source against the kernel's route to its peer
  (`revalidate_sources`): if that route now leaves by another interface than the one the
  source was learnt on, the source is forgotten and routing picks the next one (the kernel
  and wireguard-go do the same), so a preferred route with another `src` takes effect.
  A source is only learnt on the interface the route to its peer leaves by (one lookup per
  endpoint until routes change again, `route_if`): the peer's datagrams still in flight to
  the old address must not teach it back.
- `fwmark` is SO_MARK on both sockets; wg-quick's default-route rules depend on it.
- Peer sockets, the flood defence the kernel does for us: for each peer endpoint that
  authenticated, a socket bound to the same port (SO_REUSEPORT) and connected to that
  endpoint. The kernel delivers a datagram to the connected socket whose 4-tuple it
  matches before the unconnected one (connected sockets are left out of reuseport
  selection since Linux 5.2), so a flood that overflows the listening socket's buffer
  never drops a known peer's datagrams: they wait in their own buffer, and the loop reads
  those sockets first. Only the listening socket has a probe-checked port: a port held by
  anyone else fails with EADDRINUSE exactly as without SO_REUSEPORT (see `_claim`). At
  most PEER_SOCKETS of them; the loop closes those of endpoints no peer has any more.
"""

from __future__ import annotations

import errno
import select
import socket
import struct

SOL_UDP = 17
UDP_SEGMENT = 103
UDP_GRO = 104
SO_SNDBUFFORCE = 32
SO_RCVBUFFORCE = 33
SO_MARK = 36
IP_PKTINFO = 8
IPV6_RECVPKTINFO = 49
IPV6_PKTINFO = 50
SOCKET_BUFFER = 4 << 20
PEER_SOCKETS = 256              # connected sockets for known peer endpoints, at most

GRO_BUFFER = 65536 + 512        # one GRO super-datagram (≤ 64 KiB of payload)
RECV_SLOTS = 48                 # buffers per socket; also the recvmsg budget per wake-up
GSO_MAX_SEGMENTS = 64           # kernel UDP_MAX_SEGMENTS on older kernels
GSO_MAX_BYTES = 65000           # stay under the 64 KiB IP datagram limit with headers
# Larger segments than an Ethernet MTU's worth make the kernel refuse the whole GSO send
# (EINVAL) on ordinary paths; those (jumbo TUN MTUs) go out one by one and fragment.
GSO_MAX_SEGMENT = 1500 - 28
_ANC_SIZE = socket.CMSG_SPACE(20) + socket.CMSG_SPACE(4) + 64
_U16 = struct.Struct("=H")
_I32 = struct.Struct("=i")
_U32 = struct.Struct("=I")


class BindError(OSError):
    """The listen port could not be bound (the UAPI reports it as EADDRINUSE)."""


def set_mark(sock: socket.socket, fwmark: int) -> None:
    """SO_MARK as the kernel takes it, a u32: passed as 4 bytes, since an int argument is
    packed as a signed C int and 0x80000000 and above would not fit (wireguard-go takes
    0xffffffff)."""
    sock.setsockopt(socket.SOL_SOCKET, SO_MARK, struct.pack("=I", fwmark))


def _tune(sock: socket.socket, fwmark: int) -> None:
    sock.setblocking(False)
    for opt, fallback in ((SO_RCVBUFFORCE, socket.SO_RCVBUF), (SO_SNDBUFFORCE, socket.SO_SNDBUF)):
        try:
            sock.setsockopt(socket.SOL_SOCKET, opt, SOCKET_BUFFER)
        except PermissionError:
            sock.setsockopt(socket.SOL_SOCKET, fallback, SOCKET_BUFFER)
    if fwmark:
        set_mark(sock, fwmark)
    try:
        sock.setsockopt(SOL_UDP, UDP_GRO, 1)
    except OSError:
        pass  # pre-5.0 kernels: plain datagrams, split size is then the whole datagram


def _claim(family: int, port: int) -> int:
    """Check that nobody holds `port` (0: pick a free one) before binding it with
    SO_REUSEPORT, which would otherwise share it silently with another socket that set it
    too (another engine on the same port): a plain bind is refused when the port is taken."""
    probe = socket.socket(family, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
    try:
        if family == socket.AF_INET6:
            probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        probe.bind(("0.0.0.0" if family == socket.AF_INET else "::", port))
        return probe.getsockname()[1]
    finally:
        probe.close()


def _open(family: int, port: int, fwmark: int, peer: tuple | None = None, local: str | None = None) -> socket.socket:
    """The listening socket of `family` on `port`, or (peer given) one connected to `peer`
    from `local` (the sticky source; routing picks one when None)."""
    if peer is None:
        port = _claim(family, port)
    s = socket.socket(family, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
    try:
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        _tune(s, fwmark)
        if family == socket.AF_INET:
            s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        else:
            s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind((local or ("0.0.0.0" if family == socket.AF_INET else "::"), port))
        if peer is not None:
            s.connect(peer)
    except OSError:
        s.close()
        raise
    return s


def _open_v4(port: int, fwmark: int) -> socket.socket:
    return _open(socket.AF_INET, port, fwmark)


def _open_v6(port: int, fwmark: int) -> socket.socket:
    return _open(socket.AF_INET6, port, fwmark)


class RecvBuffers:
    """Preallocated receive buffers for one socket: RECV_SLOTS × one GRO datagram."""

    def __init__(self) -> None:
        self.mem = bytearray(GRO_BUFFER * RECV_SLOTS)
        self.view = memoryview(self.mem)
        self.slots = [[self.view[i * GRO_BUFFER:(i + 1) * GRO_BUFFER]] for i in range(RECV_SLOTS)]


class UdpBind:
    """The pair of sockets for one listen port; replaced whole when the port changes."""

    def __init__(self, port: int, fwmark: int = 0) -> None:
        self.v4, self.v6, self.port = self._open_pair(port, fwmark)
        self.fwmark = fwmark
        self.gso = True
        self.sticky: dict[tuple, list] = {}     # endpoint -> [pktinfo cmsg] for replies
        self.sticky_if: dict[tuple, int] = {}   # endpoint -> the interface its source was learnt on
        self.route_if: dict[tuple, int] = {}    # endpoint -> its route's interface, until routes change
        # id(addr object of one read) -> (that addr, its pktinfo cmsg, interface index):
        # candidates from the last recv_batch, kept by learn_sources only for reads that
        # authenticated.
        self.candidates: dict[int, tuple[tuple, list, int]] = {}
        self._bufs = {id(s): RecvBuffers() for s in self.sockets()}
        self.peer_socks: dict[tuple, socket.socket] = {}   # endpoint -> its connected socket
        self._peer_bufs: RecvBuffers | None = None        # shared: a batch is consumed before the next read

    @staticmethod
    def _open_pair(port: int, fwmark: int) -> tuple[socket.socket, socket.socket | None, int]:
        tries = 100 if port == 0 else 1
        last: OSError | None = None
        for _ in range(tries):
            try:
                v4 = _open_v4(port, fwmark)
            except OSError as e:
                raise BindError(e.errno, e.strerror) from e
            bound = v4.getsockname()[1]
            try:
                v6 = _open_v6(bound, fwmark)
            except OSError as e:
                if e.errno == errno.EAFNOSUPPORT:
                    return v4, None, bound
                v4.close()
                last = e
                if e.errno == errno.EADDRINUSE and port == 0:
                    continue  # the random v4 port is taken on v6: pick another
                raise BindError(e.errno, e.strerror) from e
            return v4, v6, bound
        assert last is not None
        raise BindError(last.errno, last.strerror)

    def sockets(self) -> list[socket.socket]:
        return [s for s in (self.v4, self.v6) if s is not None]

    def close(self) -> None:
        for s in self.sockets() + list(self.peer_socks.values()):
            s.close()
        self.peer_socks.clear()

    def set_mark(self, fwmark: int) -> None:
        for s in self.sockets() + list(self.peer_socks.values()):
            set_mark(s, fwmark)
        self.fwmark = fwmark

    # ---- peer sockets --------------------------------------------------------------

    def connect_peers(self, endpoints) -> list[socket.socket]:
        """Connected sockets for these authenticated endpoints that have none yet (within
        PEER_SOCKETS); returns the new ones, for the caller's selector."""
        made = []
        for addr in endpoints:
            if addr in self.peer_socks or len(self.peer_socks) >= PEER_SOCKETS:
                continue
            v6 = len(addr) == 4
            if (self.v6 if v6 else self.v4) is None:
                continue
            try:
                s = _open(socket.AF_INET6 if v6 else socket.AF_INET, self.port, self.fwmark, addr,
                          self._local_for(addr))
            except OSError:
                continue          # no route to it now, say: the listening socket still serves it
            if self._peer_bufs is None:
                self._peer_bufs = RecvBuffers()
            self._bufs[id(s)] = self._peer_bufs
            self.peer_socks[addr] = s
            made.append(s)
        return made

    def drop_peer(self, addr: tuple) -> socket.socket | None:
        """Take out the peer socket of `addr`, if any (the caller closes it, `close_peer`)."""
        return self.peer_socks.pop(addr, None)

    def drop_peers(self, keep) -> list[socket.socket]:
        """Take out the peer sockets of endpoints not in `keep`; the caller unregisters and
        closes them (`close_peer`)."""
        gone = [addr for addr in self.peer_socks if addr not in keep]
        return [self.peer_socks.pop(addr) for addr in gone]

    def _local_for(self, addr: tuple) -> str | None:
        """The sticky source of `addr` as a host, for binding its peer socket: connected
        from there, the socket matches what the peer sends to the address it knows."""
        sticky = self.sticky.get(addr)
        if not sticky:
            return None
        data = sticky[0][2]
        return socket.inet_ntop(socket.AF_INET, data[4:8]) if len(addr) == 2 else \
            socket.inet_ntop(socket.AF_INET6, data[:16])

    def close_peer(self, sock: socket.socket) -> None:
        self._bufs.pop(id(sock), None)
        sock.close()

    def is_ours(self, sock: socket.socket) -> bool:
        return sock is self.v4 or sock is self.v6 or id(sock) in self._bufs

    # ---- receive -------------------------------------------------------------------

    def recv_batch(self, sock: socket.socket, out: list) -> None:
        """Append (datagram view, endpoint) pairs to `out`, draining `sock` up to a budget.

        The views point into buffers reused on the next call: consume them before that.
        Each read's local address is only a candidate for `sticky` (see `learn_sources`).
        """
        slots = self._bufs[id(sock)].slots
        candidates = self.candidates = {}
        v4 = sock.family == socket.AF_INET
        for slot in slots:
            try:
                nbytes, anc, _flags, addr = sock.recvmsg_into(slot, _ANC_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # ICMP-induced errors and the like: the next datagram is fine
            view = slot[0]
            segment = nbytes
            for level, ctype, cdata in anc:
                if level == SOL_UDP and ctype == UDP_GRO:
                    segment = _I32.unpack(cdata[:4])[0] if len(cdata) >= 4 else _U16.unpack(cdata[:2])[0]
                elif v4 and ctype == IP_PKTINFO and level == socket.IPPROTO_IP:
                    # in_pktinfo: ifindex, spec_dst, addr; reply from addr (the address written to)
                    candidates[id(addr)] = (addr, [(socket.IPPROTO_IP, IP_PKTINFO,
                                                    b"\0\0\0\0" + cdata[8:12] + b"\0\0\0\0")], cdata[:4])
                elif ctype == IPV6_PKTINFO and level == socket.IPPROTO_IPV6:
                    candidates[id(addr)] = (addr, [(socket.IPPROTO_IPV6, IPV6_PKTINFO, bytes(cdata[:20]))],
                                            cdata[16:20])
            if segment <= 0 or segment >= nbytes:
                out.append((view[:nbytes], addr))
            else:
                for off in range(0, nbytes, segment):
                    out.append((view[off:min(off + segment, nbytes)], addr))

    def learn_sources(self, authenticated: list, route_oif=None) -> None:
        """Reply from where these reads were written to: `authenticated` holds the very addr
        objects recv_batch handed out (each read makes its own), for the reads whose
        datagrams authenticated. A spoofed datagram with an equal addr is another object.
        With `route_oif` (see revalidate_sources), only a read that came in on the
        interface the route to its peer leaves by teaches its source.
        """
        candidates = self.candidates
        sticky = self.sticky
        for addr in authenticated:
            found = candidates.get(id(addr))
            if found is not None and found[0] is addr and sticky.get(addr) != found[1]:
                ifindex = _U32.unpack(found[2])[0] if len(found[2]) == 4 else 0
                if route_oif is not None:
                    oif = self._route_if(addr, route_oif)
                    if oif is not None and oif != ifindex:
                        continue
                sticky[addr] = found[1]
                self.sticky_if[addr] = ifindex
        if len(sticky) > 4096:
            sticky.clear()  # bound the cache; it refills from the next datagram of each peer
            self.sticky_if.clear()
        if len(self.route_if) > 4096:
            self.route_if.clear()

    def _route_if(self, addr: tuple, route_oif) -> int | None:
        """The interface of the route to `addr` (cached until routes change); None when it
        cannot be known: a link-local scope pins it, or the kernel could not be asked."""
        oif = self.route_if.get(addr)
        if oif is None:
            host = addr[0]
            if "%" in host or (len(addr) == 4 and addr[3]):
                return None
            try:
                oif = route_oif(host, self.fwmark)
            except OSError:
                return None
            self.route_if[addr] = oif
        return oif

    def forget_sources(self, endpoints: list) -> None:
        """Let routing pick the source for these endpoints again (Device.take_source_resets:
        wireguard-go clears an endpoint's source before each handshake attempt of a timer)."""
        for addr in endpoints:
            self.sticky.pop(addr, None)
            self.sticky_if.pop(addr, None)

    def revalidate_sources(self, route_oif) -> list[tuple]:
        """Forget each sticky source whose peer's route no longer leaves by the interface
        the source was learnt on; `route_oif(host, fwmark)` is the kernel's answer
        (engine/netlink.RouteLookup.oif: 0 for no route, OSError when it cannot be asked).
        Returns the endpoints forgotten (the loop drops their peer sockets, which were
        connected from the old source)."""
        self.route_if.clear()
        forgotten = []
        for addr in list(self.sticky):
            oif = self._route_if(addr, route_oif)
            if oif is not None and oif != self.sticky_if.get(addr):
                forgotten.append(addr)
        self.forget_sources(forgotten)
        return forgotten

    # ---- send ----------------------------------------------------------------------

    def send_batch(self, datagrams: list) -> list[int]:
        """Send [(payload, endpoint)], equal-size runs to one endpoint as one GSO sendmsg.

        Returns the positions of the datagrams dropped (no socket for the family, or errors),
        for Device.unsent: a peer's tx_bytes count only what a socket accepted.
        """
        dropped: list[int] = []
        n = len(datagrams)
        i = 0
        while i < n:
            data, addr = datagrams[i]
            size = len(data)
            j = i + 1
            if self.gso and 0 < size <= GSO_MAX_SEGMENT:
                cap = min(GSO_MAX_SEGMENTS, GSO_MAX_BYTES // size)
                while j < n and j - i < cap:
                    d2, a2 = datagrams[j]
                    if a2 is not addr and a2 != addr:
                        break
                    l2 = len(d2)
                    if l2 == size:
                        j += 1
                        continue
                    if l2 < size:
                        j += 1  # a shorter datagram may end a GSO run
                    break
            if j - i == 1:
                if self._send_one(data, addr):
                    dropped.append(i)
            else:
                dropped += self._send_gso(datagrams, i, j, size, addr)
            i = j
        return dropped

    def _sock_for(self, addr: tuple) -> socket.socket | None:
        return self.v4 if len(addr) == 2 else self.v6

    def _send_one(self, data, addr) -> int:
        sock = self._sock_for(addr)
        if sock is None:
            return 1
        anc = self.sticky.get(addr, ())
        return self._sendmsg(sock, [data], anc, addr, 1)

    def _send_gso(self, datagrams, i, j, size, addr) -> list[int]:
        """Positions i..j-1 as one GSO send; returns those dropped."""
        sock = self._sock_for(addr)
        if sock is None:
            return list(range(i, j))
        anc = [(SOL_UDP, UDP_SEGMENT, _U16.pack(size))]
        sticky = self.sticky.get(addr)
        if sticky:
            anc = anc + sticky
        buffers = [d for d, _a in datagrams[i:j]]
        try:
            return list(range(i, j)) if self._sendmsg(sock, buffers, anc, addr, j - i, raise_gso=True) else []
        except OSError:
            # EIO/EINVAL: the path cannot take this GSO send (e.g. segment > route MTU);
            # send this run one by one and stop trying GSO on this bind.
            self.gso = False
            return [k for k in range(i, j) if self._send_one(*datagrams[k])]

    def _sendmsg(self, sock, buffers, anc, addr, count, raise_gso=False) -> int:
        for _attempt in range(3):
            try:
                sock.sendmsg(buffers, anc, 0, addr)
                return 0
            except BlockingIOError:
                # Socket buffer full: wait briefly for room rather than drop (the inner
                # TCP would see the loss); wireguard-go blocks here the same way.
                select.select([], [sock], [], 0.05)
            except InterruptedError:
                continue
            except OSError as e:
                if anc and addr in self.sticky:
                    # The local address we replied from is gone (EINVAL, ENETUNREACH,
                    # EADDRNOTAVAIL): forget it and let routing pick the source.
                    self.forget_sources([addr])
                    anc = [c for c in anc if c[0] == SOL_UDP]
                    continue
                if raise_gso and e.errno in (errno.EIO, errno.EINVAL, errno.EMSGSIZE):
                    raise
                return count
        return count
