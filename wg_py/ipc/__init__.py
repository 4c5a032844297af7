"""How `wg` reaches an interface: its UAPI socket if it has a live one, else the kernel.

The three calls `wg` needs, with wireguard-tools' selection and error rules:
- `list_interfaces()`: kernel WireGuard links (rtnetlink), then userspace ones
  (live `*.sock` in /var/run/wireguard), in that order. InterfaceListError on failure.
- `get_device(name)`: a snapshot. InterfaceAccessError(name, errno) on failure.
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
from wg_py.model import WgDevice

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


class BackgroundGet:
    """`get_device(name, keys_only=...)` started now, collected with `result()`, which returns
    or raises exactly as get_device would.

    A userspace device's reply is read on a thread while the caller works (syncconf parses
    the rest of its file while a 10,000-peer device writes out its configuration). Only the
    reading happens there, in large pieces, so that the two threads seldom wait for the
    interpreter lock; the reply is parsed by `result()`. A kernel interface is read in
    `result()`, on the caller's thread.
    """

    RECV_SIZE = 1 << 22

    def __init__(self, name: str, keys_only: bool = False) -> None:
        import threading

        self.name, self.keys_only = name, keys_only
        self._outcome: tuple[str | None, BaseException | None] = (None, None)
        self._thread = threading.Thread(target=self._run, name="wg-get", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._outcome = (_userspace_reply(self.name, False, self.RECV_SIZE), None)
        except BaseException as e:  # noqa: BLE001 - handed to the caller's thread, raised there
            self._outcome = (None, e)

    def wait(self) -> None:
        """Let the read finish without taking its result (nothing is left half-read)."""
        self._thread.join()

    def result(self) -> WgDevice:
        self._thread.join()
        reply, error = self._outcome
        if error is not None:
            raise error
        if reply is None:
            return _kernel_get(self.name, False)
        return _parse_reply(self.name, reply, False, self.keys_only)


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
