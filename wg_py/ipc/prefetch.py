"""syncconf's read of the running configuration, started early and collected later.

A speed trick, kept because `bench/wg_scale.py` shows it matters (see README's fast-path
policy): `wg syncconf` of 10,000 unchanged peers needs both the file parsed and the device
read, ~130 ms of Python each; reading in a forked child overlaps the two on two cores.
"""

from __future__ import annotations

import errno as _errno
import os

from wg_py.errors import InterfaceAccessError
from wg_py import ipc
from wg_py.model import WgDevice, WgPeer


class KeysPrefetch:
    """`get_device(name, keys_only=True)` started now and collected with `result()`, which
    returns or raises as that call would, with peers carrying only what syncconf compares:
    public key, preshared key and persistent keepalive interval.

    For a userspace device the reading and parsing happen in a forked child process while
    the caller goes on (syncconf parses the rest of its file): for 10,000 peers both take
    ~130 ms of Python each, and a thread would take turns with the caller at the interpreter
    lock where a child runs on another core. The child hands back those three fields per
    peer (marshal, through a pipe) or the errno of its failure, and exits without running
    any exit handler or flushing any inherited buffer. A name without a UAPI socket (a
    kernel interface) is read by `result()` itself.
    """

    RECV_SIZE = 1 << 22  # read the reply in large pieces

    def __init__(self, name: str) -> None:
        self.name = name
        self._fd, write_fd = os.pipe()
        self._pid = os.fork()
        if self._pid == 0:
            os.close(self._fd)
            self._child(write_fd)
        os.close(write_fd)

    def _child(self, write_fd: int) -> None:
        try:
            try:
                reply = ipc.userspace_reply(self.name, False, self.RECV_SIZE)
                if reply is None:
                    outcome: tuple = ("kernel",)
                else:
                    device = ipc.parse_reply(self.name, reply, False, True)
                    outcome = ("peers", [(p.public_key, p.preshared_key, p.persistent_keepalive_interval)
                                         for p in device.peers])
            except InterfaceAccessError as e:
                outcome = ("errno", e.errno)
            except BaseException:  # noqa: BLE001 - a bug: shown by the parent, which raises
                import traceback

                outcome = ("crash", traceback.format_exc())
            import marshal

            data = marshal.dumps(outcome)
            while data:
                data = data[os.write(write_fd, data):]
        finally:
            os._exit(0)

    def _collect(self) -> bytes:
        chunks = []
        try:
            while chunk := os.read(self._fd, 1 << 20):
                chunks.append(chunk)
        finally:
            os.close(self._fd)
            os.waitpid(self._pid, 0)
        return b"".join(chunks)

    def wait(self) -> None:
        """Let the child finish without taking its result."""
        self._collect()

    def result(self) -> WgDevice:
        import marshal

        data = self._collect()
        if not data:  # the child died before it could answer
            raise InterfaceAccessError(self.name, _errno.EIO, False)
        kind, value = (marshal.loads(data) + (None,))[:2]
        if kind == "kernel":
            return ipc.kernel_get(self.name, False)
        if kind == "errno":
            raise InterfaceAccessError(self.name, value, False)
        if kind == "crash":
            raise RuntimeError(f"reading {self.name} failed:\n{value}")
        return WgDevice(name=self.name, peers=[WgPeer(key, psk, None, keepalive) for key, psk, keepalive in value])
