"""The UAPI socket of the engine: IFNAME.sock, its connections, and the request loop.

What a request means and what the replies say is the codec's (`wg_py.uapi.server`,
wireguard-go 0.0.20220316's rules); this module moves bytes:
- the first line of a request is the operation; anything but `get=1` / `set=1` closes the
  connection without a reply; `get=1` must be followed by an empty line, else `errno=-22`;
- `set=1` lines go to a `SetParser` until the blank line (or EOF), then the whole change is
  applied at once; a line longer than 64 KiB is EIO (-5), like Go's bufio.Scanner limit.

One deliberate difference: wireguard-go applies set lines one by one and an error leaves
the earlier lines applied. Here a set is parsed whole into a `WgDevice` change and handed
to the device, which applies all of it or none of it.

Robustness: every connection is a small state machine driven by the engine's one event
loop (non-blocking sockets, no thread); a client that sends slowly, never reads, or sends
garbage only ever costs itself. Lines, requests and connections are bounded.

The handler a connection serves has two methods: `get() -> bytes` (the whole get reply)
and `set(change: WgDevice) -> int` (0, or the positive errno to report).
"""

from __future__ import annotations

import errno
import os
import socket
import stat
import time

from wg_py.uapi import socket_dir, socket_path
from wg_py.uapi.server import IPC_ERROR_INVALID, IPC_ERROR_IO, MAX_LINE, MAX_REQUEST, SetParser

MAX_CONNECTIONS = 256
RECV_CHUNK = 65536


# ---- connections -----------------------------------------------------------------------

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
            self._reply(self.handler.get())
            return
        # set: Go's line scanner drops one trailing CR, so "\r\n" is a blank line too.
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if not raw:
            self._finish_set()
            return
        self.request_bytes += len(raw) + 1
        if self.request_bytes > MAX_REQUEST:
            self.parser.fail(IPC_ERROR_INVALID)
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


def listen(ifname: str) -> socket.socket:
    """Bind and listen on IFNAME.sock like wireguard-go: dir 0755, socket srwx------.

    If the path exists and something answers on it, raise UapiInUse; if nothing
    answers (a crash left it behind), remove it and bind again.
    """
    os.makedirs(socket_dir(), mode=0o755, exist_ok=True)
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
