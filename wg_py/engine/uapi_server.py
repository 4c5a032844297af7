"""The UAPI server side: `get=1` / `set=1` on /var/run/wireguard/IFNAME.sock, as wireguard-go speaks it.

Request grammar and replies follow wireguard-go 0.0.20220316 (`device/uapi.go`):
- the first line of a request is the operation; anything but `get=1` / `set=1` closes the
  connection without a reply; `get=1` must be followed by an empty line, else `errno=-22`;
- `set=1` lines are `key=value`; a line without `=` is EPROTO (-71); device keys
  (`private_key`, `listen_port`, `fwmark`, `replace_peers`) only before the first
  `public_key`, peer keys only after it, anything else EINVAL (-22); values parse
  strictly (decimal digits, 64 hex digits, numeric endpoints, `ip/cidr`) or EINVAL;
  a line longer than 64 KiB is EIO (-5), like Go's bufio.Scanner limit;
  a failed bind (listen_port) or SO_MARK (fwmark) is EADDRINUSE (-98).
- replies: `get` → `key=value` lines then `errno=0`, blank line; `set` → `errno=N`, blank line.

One deliberate difference: wireguard-go applies set lines one by one and an error leaves
the earlier lines applied. Here a set is parsed whole into a `WgDevice` change and handed
to `Device.apply`, which applies all of it or none of it.

Robustness: every connection is a small state machine driven by the engine's one event
loop (non-blocking sockets, no thread); a client that sends slowly, never reads, or sends
garbage only ever costs itself. Lines, requests and connections are bounded.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import re
import socket
import stat
import time
from typing import Callable

from wg_py.keys import key_to_hex
from wg_py.model import Endpoint, WgAllowedIP, WgDevice, WgPeer

SOCKET_DIR = "/var/run/wireguard"
MAX_LINE = 65536                 # Go bufio.MaxScanTokenSize: longer → "failed to read input" (EIO)
MAX_REQUEST = 32 << 20           # bytes in one set request
MAX_PEERS_PER_SET = 1 << 16      # wireguard-go MaxPeers
MAX_CONNECTIONS = 256
RECV_CHUNK = 65536

# wireguard-go ipc error codes, as positive errno values; the wire carries them negated.
IPC_ERROR_IO = errno.EIO
IPC_ERROR_PROTOCOL = errno.EPROTO
IPC_ERROR_INVALID = errno.EINVAL
IPC_ERROR_PORT_IN_USE = errno.EADDRINUSE
IPC_ERROR_UNKNOWN = 55           # "other UAPI error"; Go has no errno name for it here

_DIGITS = re.compile(r"[0-9]+\Z")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}\Z")


class SetError(Exception):
    """A set request that wireguard-go would refuse; `errno` is positive."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.errno = code


# ---- value parsers (strict, wireguard-go's acceptance) ----------------------------------

def parse_uint(value: str, bits: int) -> int:
    """strconv.ParseUint(value, 10, bits): ASCII digits only, in range."""
    if not _DIGITS.match(value):
        raise SetError(IPC_ERROR_INVALID)
    number = int(value)
    if number >= 1 << bits:
        raise SetError(IPC_ERROR_INVALID)
    return number


def parse_key(value: str) -> bytes:
    if not _HEX64.match(value):
        raise SetError(IPC_ERROR_INVALID)
    return bytes.fromhex(value)


def parse_true(value: str) -> bool:
    if value != "true":
        raise SetError(IPC_ERROR_INVALID)
    return True


def parse_endpoint(value: str) -> Endpoint:
    """netip.ParseAddrPort: numeric `a.b.c.d:port` or `[v6(%zone)]:port`."""
    if not value.isascii():
        raise SetError(IPC_ERROR_INVALID)
    try:
        endpoint = Endpoint.parse(value)
    except ValueError:
        raise SetError(IPC_ERROR_INVALID) from None
    if endpoint.host.version == 4 and value.startswith("["):
        raise SetError(IPC_ERROR_INVALID)   # brackets are for IPv6 only
    return endpoint


def parse_prefix(value: str) -> WgAllowedIP:
    """netip.ParsePrefix: `addr/bits`, bits decimal; no zone; the address is masked on insert."""
    addr, slash, bits = value.partition("/")
    if not slash or not _DIGITS.match(bits) or "%" in addr or not value.isascii():
        raise SetError(IPC_ERROR_INVALID)
    try:
        host = ipaddress.ip_address(addr)
    except ValueError:
        raise SetError(IPC_ERROR_INVALID) from None
    if int(bits) > host.max_prefixlen:
        raise SetError(IPC_ERROR_INVALID)
    network = ipaddress.ip_network(f"{host}/{int(bits)}", strict=False)
    return WgAllowedIP(network)


# ---- set -----------------------------------------------------------------------------

class SetParser:
    """Builds a WgDevice change from set lines, failing on the first bad line like wireguard-go."""

    def __init__(self) -> None:
        self.change = WgDevice()
        self.peer: WgPeer | None = None
        self.block: list[WgPeer] = []  # the entries for the current public_key block
        self.ignoring = False          # after `remove=true`: later lines are checked, not kept
        self.error: int | None = None

    def feed(self, line: str) -> None:
        if self.error is not None:
            return
        try:
            self._line(line)
        except SetError as e:
            self.error = e.errno

    def _line(self, line: str) -> None:
        key, sep, value = line.partition("=")
        if not sep:
            raise SetError(IPC_ERROR_PROTOCOL)
        if key == "public_key":
            if len(self.change.peers) >= MAX_PEERS_PER_SET:
                raise SetError(IPC_ERROR_INVALID)
            self.peer = WgPeer(public_key=parse_key(value))
            self.block = [self.peer]
            self.ignoring = False
            self.change.peers.append(self.peer)
        elif self.peer is None:
            self._device_line(key, value)
        else:
            self._peer_line(self.peer, key, value)

    def _device_line(self, key: str, value: str) -> None:
        change = self.change
        if key == "private_key":
            change.private_key = parse_key(value)
        elif key == "listen_port":
            change.listen_port = parse_uint(value, 16)
        elif key == "fwmark":
            change.fwmark = parse_uint(value, 32)
        elif key == "replace_peers":
            change.replace_peers = parse_true(value)
        else:
            raise SetError(IPC_ERROR_INVALID)

    def _peer_line(self, peer: WgPeer, key: str, value: str) -> None:
        keep = not self.ignoring
        if key == "update_only":
            parse_true(value)
            if keep:
                for entry in self.block:
                    entry.update_only = True
        elif key == "remove":
            parse_true(value)
            peer.remove = True
            self.ignoring = True
        elif key == "preshared_key":
            psk = parse_key(value)
            if keep:
                peer.preshared_key = psk
        elif key == "endpoint":
            endpoint = parse_endpoint(value)
            if keep:
                peer.endpoint = endpoint
        elif key == "persistent_keepalive_interval":
            interval = parse_uint(value, 16)
            if keep:
                peer.persistent_keepalive_interval = interval
        elif key == "replace_allowed_ips":
            parse_true(value)
            if keep and peer.allowed_ips:
                # wireguard-go inserts each allowed_ip at once (taking it from its previous
                # owner) and clears the peer's list here: continue in a second entry for the
                # same key, so the earlier prefixes are still taken from others, then dropped.
                peer = WgPeer(public_key=peer.public_key, update_only=peer.update_only)
                self.peer = peer
                self.block.append(peer)
                self.change.peers.append(peer)
            if keep:
                peer.replace_allowed_ips = True
        elif key == "allowed_ip":
            prefix = parse_prefix(value)
            if keep:
                peer.allowed_ips.append(prefix)
        elif key == "protocol_version":
            if value != "1":
                raise SetError(IPC_ERROR_INVALID)
        else:
            raise SetError(IPC_ERROR_INVALID)


# ---- get -----------------------------------------------------------------------------

def format_get(snapshot: WgDevice) -> bytes:
    """The body of a get reply (without the errno line), in wireguard-go's order."""
    out: list[str] = []
    if snapshot.private_key is not None and any(snapshot.private_key):
        out.append(f"private_key={key_to_hex(snapshot.private_key)}")
    if snapshot.listen_port:
        out.append(f"listen_port={snapshot.listen_port}")
    if snapshot.fwmark:
        out.append(f"fwmark={snapshot.fwmark}")
    for peer in snapshot.peers:
        out.append(f"public_key={key_to_hex(peer.public_key)}")
        out.append(f"preshared_key={key_to_hex(peer.preshared_key or bytes(32))}")
        out.append("protocol_version=1")
        if peer.endpoint is not None:
            out.append(f"endpoint={peer.endpoint}")
        out.append(f"last_handshake_time_sec={peer.last_handshake_time_sec}")
        out.append(f"last_handshake_time_nsec={peer.last_handshake_time_nsec}")
        out.append(f"tx_bytes={peer.tx_bytes}")
        out.append(f"rx_bytes={peer.rx_bytes}")
        out.append(f"persistent_keepalive_interval={peer.persistent_keepalive_interval or 0}")
        for allowed in peer.allowed_ips:
            out.append(f"allowed_ip={allowed}")
    return ("\n".join(out) + "\n").encode() if out else b""


# ---- connections -----------------------------------------------------------------------

class Handler:
    """What the server needs from the engine."""

    get: Callable[[], bytes]                 # the get body
    set: Callable[[WgDevice], int]           # apply; returns 0 or a positive errno


class UapiConnection:
    """One client: reads lines, runs requests in order, queues replies; never blocks."""

    def __init__(self, sock: socket.socket, handler) -> None:
        self.sock = sock
        self.handler = handler
        self.rbuf = b""
        self.wbuf = bytearray()
        self.op: str | None = None         # None: expecting an operation line
        self.parser: SetParser | None = None
        self.request_bytes = 0
        self.closed = False
        self.eof = False
        self.last_active = time.monotonic()

    def fileno(self) -> int:
        return self.sock.fileno()

    def wants_write(self) -> bool:
        return bool(self.wbuf)

    def on_readable(self) -> None:
        self.last_active = time.monotonic()
        try:
            data = self.sock.recv(RECV_CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.close()
            return
        if not data:
            self.eof = True
            self._on_eof()
            return
        self._consume(data)

    def _consume(self, data: bytes) -> None:
        buf = self.rbuf + data if self.rbuf else data
        lines = buf.split(b"\n")
        self.rbuf = lines.pop()
        for raw in lines:
            if self.closed:
                return
            self._line(raw)
        if len(self.rbuf) > MAX_LINE and not self.closed:
            self._fail_request(IPC_ERROR_IO, close=True)

    def _line(self, raw: bytes) -> None:
        if self.op is None:
            if raw == b"get=1":
                self.op = "get"
            elif raw == b"set=1":
                self.op = "set"
                self.parser = SetParser()
                self.request_bytes = 0
            else:
                self.close()      # wireguard-go: "invalid UAPI operation", no reply
            return
        if self.op == "get":
            self.op = None
            if raw:
                self.close_after_write = True
                self._reply(b"errno=-%d\n\n" % IPC_ERROR_INVALID)
                return
            self._reply(self.handler.get() + b"errno=0\n\n")
            return
        # set: Go's line scanner drops one trailing CR, so "\r\n" is a blank line too.
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if not raw:
            self._finish_set()
            return
        self.request_bytes += len(raw) + 1
        if self.request_bytes > MAX_REQUEST:
            self.parser.error = self.parser.error or IPC_ERROR_INVALID
        self.parser.feed(raw.decode("latin-1"))

    def _finish_set(self) -> None:
        parser, self.parser, self.op = self.parser, None, None
        code = parser.error
        if code is None:
            code = self.handler.set(parser.change)
        self._reply(b"errno=%d\n\n" % (-code if code else 0))

    def _fail_request(self, code: int, close: bool) -> None:
        self.op, self.parser = None, None
        self.close_after_write = close
        self._reply(b"errno=-%d\n\n" % code)

    def _on_eof(self) -> None:
        # wireguard-go ends a set at EOF as at a blank line (its scanner just stops).
        if self.op == "set" and not self.closed:
            if self.rbuf:
                line, self.rbuf = self.rbuf, b""
                self._line(line)
            if self.op == "set":
                self._finish_set()
        self.close_after_write = True
        if not self.wbuf:
            self.close()

    close_after_write = False

    def _reply(self, data: bytes) -> None:
        self.wbuf += data
        self.flush()

    def flush(self) -> None:
        while self.wbuf and not self.closed:
            try:
                sent = self.sock.send(self.wbuf)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self.close()
                return
            del self.wbuf[:sent]
        if not self.wbuf and self.close_after_write:
            self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.sock.close()


# ---- the listening socket ----------------------------------------------------------------

class UapiInUse(OSError):
    pass


def socket_path(ifname: str) -> str:
    return os.path.join(SOCKET_DIR, f"{ifname}.sock")


def listen(ifname: str) -> socket.socket:
    """Bind and listen on IFNAME.sock like wireguard-go: dir 0755, socket srwx------.

    If the path exists and something answers on it, raise UapiInUse; if nothing
    answers (a crash left it behind), remove it and bind again.
    """
    os.makedirs(SOCKET_DIR, mode=0o755, exist_ok=True)
    path = socket_path(ifname)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    try:
        _bind_private(sock, path)
    except OSError as e:
        if e.errno != errno.EADDRINUSE:
            sock.close()
            raise
        if _answers(path):
            sock.close()
            raise UapiInUse(errno.EADDRINUSE, "unix socket in use") from None
        try:
            st = os.lstat(path)
            if stat.S_ISSOCK(st.st_mode):
                os.unlink(path)
            _bind_private(sock, path)
        except OSError:
            sock.close()
            raise
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _bind_private(sock: socket.socket, path: str) -> None:
    old = os.umask(0o077)
    try:
        sock.bind(path)
    finally:
        os.umask(old)


def _answers(path: str) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(path)
        return True
    except OSError:
        return False
    finally:
        probe.close()
