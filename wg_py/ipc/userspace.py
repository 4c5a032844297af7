"""Userspace interfaces: the UAPI stream sockets in /var/run/wireguard (wireguard-go, ours),
or `$WG_SOCKET_DIR` (wg_py.uapi.socket_dir).

Behaves as wireguard-tools' ipc-uapi-unix.h on Linux: an interface is userspace if
`<dir>/<name>.sock` exists, is a socket, and does not refuse a connection; a refused
connection means the daemon is gone, and the stale socket file is unlinked. Any other
connect error still counts as "userspace" (so a non-root caller sees Permission denied).
"""

from __future__ import annotations

import errno as _errno
import os
import stat

from wg_py.errors import UapiError
from wg_py.fastpath import csocket as socket
from wg_py.model import WgDevice
from wg_py.uapi import SOCKET_SUFFIX, socket_dir, socket_path
from wg_py.uapi.client import format_set_chunks, parse_set_reply

_RECV_SIZE = 1 << 16


class _Gone(Exception):
    """No usable socket for this name: the caller falls back to the kernel."""


def _connect(name: str) -> socket.socket:
    """A connected UAPI socket; _Gone if this is not a userspace interface.

    Raises OSError (with the connect errno) for a socket that exists but cannot be reached.
    """
    path = socket_path(name)
    try:
        if not stat.S_ISSOCK(os.stat(path).st_mode):
            raise _Gone
    except OSError:
        raise _Gone from None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except ConnectionRefusedError:
        sock.close()
        # The process behind it is gone: clean up, as the C tool does.
        try:
            os.unlink(path)
        except OSError:
            pass
        raise _Gone from None
    except OSError:
        sock.close()
        raise
    return sock


def has_interface(name: str) -> bool:
    """True if `name` is served by a live UAPI socket (the listing test)."""
    if "/" in name:
        return False
    try:
        _connect(name).close()
    except _Gone:
        return False
    except OSError:
        return True
    return True


def list_interfaces() -> list[str]:
    """Names of `*.sock` entries that are live sockets, in directory order."""
    try:
        entries = os.listdir(socket_dir())
    except FileNotFoundError:
        return []
    names = []
    for entry in entries:
        if len(entry) <= len(SOCKET_SUFFIX) or not entry.endswith(SOCKET_SUFFIX):
            continue
        name = entry[: -len(SOCKET_SUFFIX)]
        if has_interface(name):
            names.append(name)
    return names


def _read_reply(sock: socket.socket, recv_size: int = _RECV_SIZE) -> str:
    """Everything up to and including the blank line that ends a reply (or up to EOF)."""
    chunks: list[bytes] = []
    tail = b""
    while True:
        chunk = sock.recv(recv_size)
        if not chunk:
            break
        chunks.append(chunk)
        tail = (tail + chunk)[-2:]
        if tail == b"\n\n":
            break
    return b"".join(chunks).decode("utf-8", "surrogateescape")


class Session:
    """One connection to a userspace interface; `open()` returns None if there is none."""

    def __init__(self, name: str, sock: socket.socket) -> None:
        self.name, self.sock = name, sock

    @classmethod
    def open(cls, name: str) -> "Session | None":
        try:
            return cls(name, _connect(name))
        except _Gone:
            return None

    def close(self) -> None:
        self.sock.close()

    def get_reply(self, recv_size: int = _RECV_SIZE) -> str:
        """The raw `get=1` reply (for `wg_py.uapi.client.parse_get`); UapiError(errno) if it
        cannot be read."""
        try:
            self.sock.sendall(b"get=1\n\n")
            return _read_reply(self.sock, recv_size)
        except OSError as e:
            raise UapiError(e.errno or _errno.EIO) from None

    def set(self, change: WgDevice) -> None:
        """Raises UapiError(errno) with the errno `wg` would report (the reply negated)."""
        try:
            # Sent as it is formatted: the device applies what it has read meanwhile.
            for chunk in format_set_chunks(change):
                self.sock.sendall(chunk.encode())
        except (BrokenPipeError, ConnectionResetError):
            # The device stopped reading at an error; its reply may still be waiting.
            pass
        except OSError as e:
            raise UapiError(e.errno or _errno.EIO) from None
        try:
            reply = _read_reply(self.sock)
        except OSError as e:
            raise UapiError(e.errno or _errno.EPROTO) from None
        status = parse_set_reply(reply)
        if status:
            raise UapiError(-status)
