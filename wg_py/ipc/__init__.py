"""How `wg` reaches an interface: its UAPI socket if it has a live one, else the kernel.

The three calls `wg` needs, with wireguard-tools' selection and error rules:
- `list_interfaces()`: kernel WireGuard links (rtnetlink), then userspace ones
  (live `*.sock` in /var/run/wireguard), in that order. InterfaceListError on failure.
- `get_device(name)`: a snapshot. InterfaceAccessError(name, errno) on failure.
  (`keys_only=True` and `KeysPrefetch(name)` are syncconf's cheaper forms of it.)
- `set_device(change, name)`: applies a change. InterfaceModifyError(name, errno).
Names containing `/` are refused with EINVAL and names of 16 characters or more with
ENAMETOOLONG (IFNAMSIZ), before any socket is touched.

The kernel side (`wg_py.ipc.netlink`, which imports pyroute2) is loaded only when the
kernel has WireGuard, i.e. KERNEL_MODULE_DIR exists (wg-quick's test). Without it no
kernel link can be a WireGuard one, so the listing has none, and a name with no UAPI socket
fails with EPROTONOSUPPORT, as the real tool's family lookup does.
"""

from __future__ import annotations

import errno as _errno
import os

from wg_py import uapi
from wg_py.errors import InterfaceAccessError, InterfaceListError, InterfaceModifyError, UapiError
from wg_py.ipc import userspace
from wg_py.model import WgDevice, WgPeer

IFNAMSIZ = 16
KERNEL_MODULE_DIR = "/sys/module/wireguard"


def kernel_has_wireguard() -> bool:
    return os.path.exists(KERNEL_MODULE_DIR)


def _no_kernel_wireguard() -> OSError:
    return OSError(_errno.EPROTONOSUPPORT, os.strerror(_errno.EPROTONOSUPPORT))


def _name_errno(name: str) -> int:
    if "/" in name:
        return _errno.EINVAL
    if len(name.encode("utf-8", "surrogateescape")) >= IFNAMSIZ:
        return _errno.ENAMETOOLONG
    return 0


def list_interfaces() -> list[str]:
    try:
        names = []
        if kernel_has_wireguard():
            from wg_py.ipc import netlink

            names = netlink.kernel_list_interfaces()
        names += userspace.list_interfaces()
    except OSError as e:
        raise InterfaceListError(e.errno or _errno.EIO) from None
    return names


def get_device(name: str, listing: bool = False, keys_only: bool = False) -> WgDevice:
    """`keys_only`: peers may come without allowed IPs or endpoints (what syncconf needs)."""
    reply = _userspace_reply(name, listing)
    if reply is None:
        return _kernel_get(name, listing)
    return _parse_reply(name, reply, listing, keys_only)


def _userspace_reply(name: str, listing: bool, recv_size: int | None = None) -> str | None:
    """The raw `get` reply of a userspace interface; None if `name` has no UAPI socket."""
    bad = _name_errno(name)
    if bad:
        raise InterfaceAccessError(name, bad, listing)
    try:
        session = userspace.Session.open(name)
    except OSError as e:
        raise InterfaceAccessError(name, e.errno or _errno.EIO, listing) from None
    if session is None:
        return None
    try:
        return session.get_reply() if recv_size is None else session.get_reply(recv_size)
    except UapiError as e:
        raise InterfaceAccessError(name, e.errno, listing) from None
    finally:
        session.close()


def _parse_reply(name: str, reply: str, listing: bool, keys_only: bool) -> WgDevice:
    try:
        return uapi.parse_get(reply, name, keys_only=keys_only)
    except UapiError as e:
        raise InterfaceAccessError(name, e.errno, listing) from None


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
                reply = _userspace_reply(self.name, False, self.RECV_SIZE)
                if reply is None:
                    outcome: tuple = ("kernel",)
                else:
                    device = _parse_reply(self.name, reply, False, True)
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
            return _kernel_get(self.name, False)
        if kind == "errno":
            raise InterfaceAccessError(self.name, value, False)
        if kind == "crash":
            raise RuntimeError(f"reading {self.name} failed:\n{value}")
        return WgDevice(name=self.name, peers=[WgPeer(key, psk, None, keepalive) for key, psk, keepalive in value])


def _kernel_get(name: str, listing: bool) -> WgDevice:
    try:
        if not kernel_has_wireguard():
            raise _no_kernel_wireguard()
        from wg_py.ipc import netlink

        return netlink.kernel_get_device(name)
    except OSError as e:
        raise InterfaceAccessError(name, e.errno or _errno.EIO, listing) from None


def set_device(change: WgDevice, name: str) -> None:
    bad = _name_errno(name)
    if bad:
        raise InterfaceModifyError(name, bad)
    try:
        session = userspace.Session.open(name)
    except OSError as e:
        raise InterfaceModifyError(name, e.errno or _errno.EIO) from None
    if session is None:
        try:
            if not kernel_has_wireguard():
                raise _no_kernel_wireguard()
            from wg_py.ipc import netlink

            netlink.kernel_set_device(change, name)
        except OSError as e:
            raise InterfaceModifyError(name, e.errno or _errno.EIO) from None
        return
    try:
        session.set(change)
    except UapiError as e:
        raise InterfaceModifyError(name, e.errno) from None
    finally:
        session.close()
