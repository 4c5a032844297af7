"""The engine's one event loop: TUN, UDP, UAPI, link events and timers around one `Device`.

Everything runs in this thread; the `Device` (sans-IO protocol core) is never touched from
anywhere else. Per wake-up the loop drains a *batch* from each ready source (up to
TUN_BATCH packets from the TUN, up to udp.RECV_SLOTS GRO reads from each UDP socket), hands
the batch to the device in one call, then flushes the device's output: datagrams go out
grouped for UDP GSO, decrypted packets are written to the TUN. Buffers are preallocated;
the views handed to the device are only valid until the next read, which the device's
contract allows (it copies what it keeps, e.g. staged packets).

Lifecycle rules kept here (wireguard-go's):
- UDP sockets exist only while the interface is up; `listen_port` changes rebind at once
  if up (new sockets first, so a failed bind leaves the old ones working: EADDRINUSE);
- the loop ends on SIGTERM/SIGINT, when the TUN goes away (`ip link del`, read error),
  and when our UAPI socket file disappears; it then removes the socket file (if still ours).
"""

from __future__ import annotations

import errno
import os
import selectors
import signal
import socket
import time

from wg_py.protocol import configuration
from wg_py.engine import tun as tunmod
from wg_py.engine.gro import coalesce
from wg_py.engine.tso import expand
from wg_py.engine.log import Log
from wg_py.engine.netlink import IFF_RUNNING, LinkMonitor, RouteLookup
from wg_py.engine.uapi_server import MAX_CONNECTIONS, UapiConnection
from wg_py.engine.udp import PEER_SOCKETS, BindError, UdpBind
from wg_py.errors import UapiError
from wg_py.model import WgDevice
from wg_py.uapi.server import IPC_ERROR_PORT_IN_USE, IPC_ERROR_UNKNOWN, format_get

TUN_BATCH = 128              # packets read from the TUN per wake-up
TUN_SLOT = 65536 + tunmod.HEADROOM
HOUSEKEEPING_INTERVAL = 1.0  # seconds between checks that our socket file still exists
# Sticky sources are checked against the routing table at most this often while routes
# change (a burst of route events is one check); a change seen later waits for housekeeping.
REVALIDATE_INTERVAL = 0.2
_TUN_GONE = (errno.EBADFD, errno.ENODEV, errno.ENXIO, errno.EIO, errno.EFAULT)


def _pi_for(packet) -> bytes:
    return tunmod.PI_IPV4 if packet[0] >> 4 == 4 else tunmod.PI_IPV6


def _no_pi(_packet) -> bytes:
    return b""


class SystemClock:
    monotonic = staticmethod(time.monotonic)
    wall = staticmethod(time.time)


class OsRng:
    @staticmethod
    def randbytes(n: int) -> bytes:
        return os.urandom(n)


class Engine:
    def __init__(self, device, tun_fd: int, ifname: str, uapi_sock: socket.socket, uapi_path: str,
                 log: Log) -> None:
        self.device = device
        self.tun_fd = tun_fd
        self.ifname = ifname
        self.uapi_sock = uapi_sock
        self.uapi_path = uapi_path
        self.uapi_inode = os.stat(uapi_path).st_ino if os.path.exists(uapi_path) else None
        self.log = log
        self.sel = selectors.EpollSelector()
        self.bind: UdpBind | None = None
        self.up = False
        self.was_ever_up = False
        self.moved = False            # the link went to another namespace: we no longer see it
        self.running = True
        self.stop_reason = ""
        self.dump_stats = False
        self.conns: dict[int, UapiConnection] = {}
        self.deadline: float | None = None
        self.stats = {"tun_write_errors": 0, "udp_send_drops": 0}
        try:
            self.ifindex = tunmod.get_ifindex(ifname)
        except OSError:
            self.ifindex = 0
        self.links = LinkMonitor()
        self.routes: RouteLookup | None = None       # opened at the first route change
        self.routes_changed = False
        self.revalidated_at = 0.0
        # TUN reads land in preallocated slots; the device sees views past the PI header.
        self._tun_mem = bytearray(TUN_SLOT * TUN_BATCH)
        view = memoryview(self._tun_mem)
        self._tun_slots = [view[i * TUN_SLOT:(i + 1) * TUN_SLOT] for i in range(TUN_BATCH)]
        self._tun_iov = [[s] for s in self._tun_slots]
        # Framing of every TUN read/write, from how the fd was opened: ours has the PI and
        # virtio-net headers; an fd handed in through WG_TUN_FD may have neither.
        try:
            flags = tunmod.tun_flags(tun_fd, ifname)
        except OSError:
            flags = tunmod.IFF_TUN | tunmod.IFF_VNET_HDR
        self.pi_len = 0 if flags & tunmod.IFF_NO_PI else tunmod.PI_LEN
        self.vnet = bool(flags & tunmod.IFF_VNET_HDR)
        self.headroom = self.pi_len + (tunmod.VNET_HDR_LEN if self.vnet else 0)
        self._pi = _no_pi if flags & tunmod.IFF_NO_PI else _pi_for
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        # One object, so that events of peer sockets can be recognised and served first.
        self._peer_handler = self._on_peer_udp

    # ---- setup / teardown -----------------------------------------------------------------

    def _register(self) -> None:
        self.sel.register(self.tun_fd, selectors.EVENT_READ, self._on_tun)
        self.sel.register(self.uapi_sock, selectors.EVENT_READ, self._on_accept)
        self.sel.register(self.links.sock, selectors.EVENT_READ, self._on_link)
        self.sel.register(self._wake_r, selectors.EVENT_READ, self._on_signal)

    def _install_signals(self) -> None:
        signal.set_wakeup_fd(self._wake_w.fileno(), warn_on_full_buffer=False)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._signal_handler)
        signal.signal(signal.SIGUSR1, self._stats_handler)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)

    def _signal_handler(self, signum, _frame) -> None:
        self.stop(f"received signal {signal.Signals(signum).name}")

    def _stats_handler(self, _signum, _frame) -> None:
        self.dump_stats = True

    def _log_stats(self) -> None:
        """SIGUSR1: one line with the drop counters (device and engine); never any key."""
        self.dump_stats = False
        counters = dict(self.device.stats)
        counters.update((k, v) for k, v in self.stats.items() if v)
        text = " ".join(f"{k}={v}" for k, v in sorted(counters.items()))
        self.log.error(f"Statistics: {text or 'none'}")

    def stop(self, reason: str) -> None:
        if self.running:
            self.running = False
            self.stop_reason = reason

    def close(self) -> None:
        for conn in list(self.conns.values()):
            conn.close()
        self.conns.clear()
        if self.bind is not None:
            self.bind.close()
            self.bind = None
        try:
            if self.uapi_inode is not None and os.stat(self.uapi_path).st_ino == self.uapi_inode:
                os.unlink(self.uapi_path)
        except OSError:
            pass
        self.uapi_sock.close()
        self.links.close()
        if self.routes is not None:
            self.routes.close()
        try:
            os.close(self.tun_fd)
        except OSError:
            pass
        self.sel.close()

    # ---- the loop --------------------------------------------------------------------------

    def run(self, ready=None) -> None:
        self._register()
        self._install_signals()
        # wireguard-go treats a fresh TUN as up (its "TUN status hack" sends EventUp at
        # creation): it binds its UDP port at once, so `wg show` lists a listening port
        # before the link is set up. It only goes down once the link was seen running
        # and then stopped running. We do the same, so both show the same things.
        self._set_up(True)
        if ready is not None:
            ready()
        self.log.verbose("Device started")
        housekeeping = time.monotonic() + HOUSEKEEPING_INTERVAL
        self._rearm()
        select = self.sel.select
        monotonic = time.monotonic
        while self.running:
            now = monotonic()
            wake = housekeeping if self.deadline is None else min(self.deadline, housekeeping)
            events = select(max(0.0, wake - now))
            if len(events) > 1:
                # Known peers' sockets first: a flood on the listening socket waits for them.
                events.sort(key=self._peer_events_first)
            for key, mask in events:
                key.data(key, mask)
                if not self.running:
                    break
            now = monotonic()
            if self.deadline is not None and now >= self.deadline:
                self.device.tick()
                self._flush()
            if self.dump_stats:
                self._log_stats()
            if now >= housekeeping:
                housekeeping = now + HOUSEKEEPING_INTERVAL
                self._housekeeping()
        self.log.verbose(f"Device closing: {self.stop_reason}")

    def _peer_events_first(self, event) -> bool:
        return event[0].data is not self._peer_handler

    def _rearm(self) -> None:
        self.deadline = self.device.next_deadline()

    def _flush(self) -> None:
        device = self.device
        resets = device.take_source_resets()
        if resets and self.bind is not None:
            self.bind.forget_sources(resets)   # before the handshake retries they precede go out
        datagrams = device.take_datagrams()
        if datagrams:
            unsent = self.bind.send_batch(datagrams) if self.bind is not None else range(len(datagrams))
            if unsent:
                # Like wireguard-go, a peer's tx_bytes count only what a socket accepted.
                self.stats["udp_send_drops"] += len(unsent)
                device.unsent(unsent)
        packets = device.take_packets()
        if packets:
            self._write_tun(packets)
        self.deadline = device.next_deadline()

    def _write_tun(self, packets) -> None:
        fd = self.tun_fd
        writev = os.writev
        pi = self._pi
        iovs = coalesce(packets, pi) if self.vnet else [(pi(p), p) for p in packets]
        for iov in iovs:
            try:
                writev(fd, iov)
            except OSError:
                self.stats["tun_write_errors"] += 1

    # ---- TUN -------------------------------------------------------------------------------

    def _on_tun(self, _key, _mask) -> None:
        fd = self.tun_fd
        readv = os.readv
        headroom = self.headroom
        vnet_at = self.pi_len if self.vnet else -1
        packets = []
        append = packets.append
        for slot, iov in zip(self._tun_slots, self._tun_iov):
            try:
                n = readv(fd, iov)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as e:
                if e.errno in _TUN_GONE:
                    self.stop("TUN device is gone")
                    break
                continue
            if n > headroom:
                if vnet_at >= 0 and (slot[vnet_at] or slot[vnet_at + 1]):
                    # virtio-net header says: super-packet or checksum to complete.
                    packets.extend(expand(slot[headroom:n], slot[vnet_at:headroom]))
                else:
                    append(slot[headroom:n])
        if packets:
            self.device.send_packets(packets)
            self._flush()

    # ---- UDP -------------------------------------------------------------------------------

    def _on_udp(self, key, _mask) -> None:
        bind = self.bind
        sock = key.fileobj
        if bind is None or not bind.is_ours(sock):
            return   # an event fetched before a rebind or a peer socket's close
        batch: list = []
        bind.recv_batch(sock, batch)
        if batch:
            self.device.receive_datagrams(batch)
            authenticated = self.device.take_authenticated()
            if authenticated:
                bind.learn_sources(authenticated, self._route_oif)
                if len(bind.peer_socks) < PEER_SOCKETS:
                    for new in bind.connect_peers(authenticated):
                        self.sel.register(new, selectors.EVENT_READ, self._peer_handler)
            self._flush()

    def _on_peer_udp(self, key, mask) -> None:
        """A known peer's connected socket (udp.py: peer sockets)."""
        self._on_udp(key, mask)

    def _drop_stale_peer_sockets(self) -> None:
        """Close the peer sockets of endpoints that no peer has any more (roamed, removed)."""
        if self.bind is None or not self.bind.peer_socks:
            return
        keep = {peer.endpoint for peer in self.device.peers.values() if peer.endpoint is not None}
        for sock in self.bind.drop_peers(keep):
            self.sel.unregister(sock)
            self.bind.close_peer(sock)

    def _attach_bind(self, bind: UdpBind) -> None:
        for s in bind.sockets():
            self.sel.register(s, selectors.EVENT_READ, self._on_udp)
        self.bind = bind

    def _detach_bind(self) -> None:
        if self.bind is not None:
            for s in self.bind.sockets() + list(self.bind.peer_socks.values()):
                self.sel.unregister(s)
            self.bind.close()
            self.bind = None

    def _set_up(self, up: bool) -> None:
        if up == self.up:
            return
        self.up = up
        if up:
            # The port last bound (what `get` shows), like wireguard-go, which keeps a
            # random port across down/up.
            port = self.device.bound_port or 0
            try:
                bind = UdpBind(port, self.device.fwmark or 0)
            except BindError as e:
                self.log.error(f"Unable to update bind: {os.strerror(e.errno)}")
            else:
                self._attach_bind(bind)
                self.device.set_bound_port(bind.port)
            self.log.verbose("Interface up requested")
        else:
            self._detach_bind()
            self.log.verbose("Interface down requested")
        self.device.set_up(up)
        self._flush()

    # ---- link events -------------------------------------------------------------------------

    def _on_link(self, _key, _mask) -> None:
        for event in self.links.read_events():
            if event.kind == "overrun":
                self._resync_link()
                self.routes_changed = True
            elif event.kind == "routes":
                self.routes_changed = True
            elif event.index != self.ifindex:
                continue
            elif event.kind == "del":
                self._on_dellink()
            else:
                if event.mtu and event.mtu != self.device.mtu:
                    self.log.verbose(f"MTU updated: {event.mtu}")
                    self.device.mtu = event.mtu
                if not self.moved:
                    self._on_link_flags(event.flags)
        if self.routes_changed and time.monotonic() - self.revalidated_at >= REVALIDATE_INTERVAL:
            self._revalidate_sources()

    def _route_oif(self, host: str, fwmark: int) -> int:
        if self.routes is None:
            self.routes = RouteLookup()     # OSError: the caller keeps what it has
        return self.routes.oif(host, fwmark)

    def _revalidate_sources(self) -> None:
        """Routes or addresses changed: forget the sticky sources whose peers' routes now
        leave by another interface (udp.py), and the peer sockets connected from them."""
        self.routes_changed = False
        self.revalidated_at = time.monotonic()
        bind = self.bind
        if bind is None:
            return
        for addr in bind.revalidate_sources(self._route_oif):
            sock = bind.drop_peer(addr)
            if sock is not None:
                self.sel.unregister(sock)
                bind.close_peer(sock)

    def _on_link_flags(self, flags: int) -> None:
        if flags & IFF_RUNNING:
            self.was_ever_up = True
            self._set_up(True)
        elif self.was_ever_up:
            self._set_up(False)

    def _on_dellink(self) -> None:
        try:
            tunmod.tun_name(self.tun_fd)
        except OSError:
            self.stop("interface deleted")
            return
        # Still attached: the link moved to another namespace. We cannot see its state
        # from here any more; keep the tunnel running (UDP stays in this namespace).
        self.moved = True
        self._set_up(True)

    def _resync_link(self) -> None:
        if self.moved:
            return
        try:
            self._on_link_flags(tunmod.link_flags(self.ifname))
            mtu = tunmod.get_mtu(self.ifname)
        except OSError:
            return
        self.device.mtu = mtu

    # ---- signals, housekeeping -----------------------------------------------------------------

    def _on_signal(self, _key, _mask) -> None:
        try:
            while self._wake_r.recv(64):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def _housekeeping(self) -> None:
        self._drop_stale_peer_sockets()
        if self.routes_changed:
            self._revalidate_sources()
        try:
            inode = os.stat(self.uapi_path).st_ino
        except FileNotFoundError:
            inode = None
        except OSError:
            return
        if inode is None or (self.uapi_inode is not None and inode != self.uapi_inode):
            self.uapi_inode = None          # not ours any more: never unlink it
            self.stop("UAPI socket file removed")

    # ---- UAPI --------------------------------------------------------------------------------

    def _on_accept(self, _key, _mask) -> None:
        for _ in range(16):
            try:
                sock, _addr = self.uapi_sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if len(self.conns) >= MAX_CONNECTIONS:
                # Full: make room by dropping the longest-idle client, so that clients which
                # connect and go silent cannot lock out `wg` (wireguard-go has no limit).
                fd = min(self.conns, key=lambda k: self.conns[k].last_active)
                self.sel.unregister(fd)
                self.conns.pop(fd).close()
            sock.setblocking(False)
            conn = UapiConnection(sock, self)
            self.conns[sock.fileno()] = conn
            self.sel.register(sock, selectors.EVENT_READ, self._on_conn)

    def _on_conn(self, key, mask) -> None:
        conn = self.conns.get(key.fd)
        if conn is None:
            return
        if mask & selectors.EVENT_READ and not conn.wbuf:
            conn.on_readable()
        if mask & selectors.EVENT_WRITE:
            conn.flush()
        if conn.closed:
            self.sel.unregister(key.fd)
            del self.conns[key.fd]
            return
        # Back-pressure: while a reply is pending, wait for writability, not more requests.
        events = selectors.EVENT_WRITE if conn.wbuf else selectors.EVENT_READ
        if key.events != events:
            self.sel.modify(key.fd, events, self._on_conn)

    # UapiConnection calls these two (the handler it serves).
    def get(self) -> bytes:
        return format_get(configuration.snapshot(self.device)).encode()

    def set(self, change: WgDevice) -> int:
        try:
            return self._apply(change)
        except UapiError as e:
            return e.errno or IPC_ERROR_UNKNOWN
        finally:
            self._flush()

    def _apply(self, change: WgDevice) -> int:
        new_bind = None
        old_mark = self.bind.fwmark if self.bind is not None else None
        if self.up and change.listen_port is not None and (
                self.bind is None or change.listen_port == 0 or change.listen_port != self.bind.port):
            try:
                new_bind = UdpBind(change.listen_port,
                                   change.fwmark if change.fwmark is not None else (self.device.fwmark or 0))
            except BindError as e:
                self.log.error(f"Failed to set listen_port: {os.strerror(e.errno)}")
                return IPC_ERROR_PORT_IN_USE
        try:
            if change.fwmark is not None and self.bind is not None and new_bind is None:
                self.bind.set_mark(change.fwmark)
        except OSError as e:
            self.log.error(f"Failed to update fwmark: {os.strerror(e.errno)}")
            return IPC_ERROR_PORT_IN_USE
        try:
            configuration.apply(self.device, change)
        except UapiError:
            if new_bind is not None:
                new_bind.close()
            if old_mark is not None and self.bind is not None and self.bind.fwmark != old_mark:
                self.bind.set_mark(old_mark)
            raise
        if new_bind is not None:
            self._detach_bind()
            self._attach_bind(new_bind)
            self.device.set_bound_port(new_bind.port)
        return 0

