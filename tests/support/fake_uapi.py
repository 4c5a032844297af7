"""A scripted UAPI endpoint at /var/run/wireguard/<name>.sock, for side-by-side tests.

It answers `get=1` with a fixed reply (so peer order and counters are deterministic, unlike
wireguard-go's) and records every `set=1` request, answering with a chosen errno line. The
real `wg` and ours talk to it the same way, so their outputs can be compared byte for byte.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading

from tests.support.netns import SOCKET_DIR, unique_ifname


class FakeUapi:
    def __init__(self, get_reply: str = "errno=0\n\n", set_reply: str = "errno=0\n\n",
                 name: str | None = None) -> None:
        self.name = name or unique_ifname("fk")
        self.path = str(SOCKET_DIR / f"{self.name}.sock")
        self.get_reply, self.set_reply = get_reply, set_reply
        self.requests: list[str] = []
        self._stop = False
        os.makedirs(SOCKET_DIR, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                self._handle(conn)

    def _handle(self, conn: socket.socket) -> None:
        buf = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b"\n\n" in buf or buf.startswith(b"\n"):
                request, _, buf = buf.partition(b"\n\n")
                text = request.decode()
                self.requests.append(text + "\n\n")
                reply = self.get_reply if text.startswith("get=1") else self.set_reply
                if not reply:
                    return  # hang up without answering
                try:
                    conn.sendall(reply.encode())
                except OSError:
                    return
                if not reply.endswith("\n\n"):
                    return  # an unterminated reply: hang up after it rather than stall both tools

    def close(self) -> None:
        self._stop = True
        self.sock.close()
        self.thread.join(2)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def __enter__(self) -> "FakeUapi":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
