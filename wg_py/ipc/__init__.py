"""How `wg` reaches an interface: its UAPI socket if it has a live one, else the kernel.

The three calls `wg` needs, with wireguard-tools' selection and error rules:
- `list_interfaces()`: kernel WireGuard links (rtnetlink), then userspace ones
  (live `*.sock` in the UAPI socket directory), in that order. InterfaceListError on failure.
- `get_device(name)`: a snapshot. InterfaceAccessError(name, errno) on failure.
  (`keys_only=True`, and `wg_py.ipc.prefetch.KeysPrefetch(name)`, are syncconf's cheaper
  forms of it.)
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

from wg_py.errors import InterfaceAccessError, InterfaceListError, InterfaceModifyError, UapiError
from wg_py.ipc import userspace
from wg_py.model import WgDevice
from wg_py.uapi.client import parse_get

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
    reply = userspace_reply(name, listing)
    if reply is None:
        return kernel_get(name, listing)
    return parse_reply(name, reply, listing, keys_only)


def userspace_reply(name: str, listing: bool, recv_size: int | None = None) -> str | None:
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


def parse_reply(name: str, reply: str, listing: bool, keys_only: bool) -> WgDevice:
    try:
        return parse_get(reply, name, keys_only=keys_only)
    except UapiError as e:
        raise InterfaceAccessError(name, e.errno, listing) from None


def kernel_get(name: str, listing: bool) -> WgDevice:
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


def sync_device(change: WgDevice, name: str) -> None:
    """Apply a setconf-style change with syncconf semantics: peers the change does not name
    are removed, the others keep their sessions (what `wg syncconf` does, without its
    prefetch). ConfigRetrieveError when the running configuration cannot be read."""
    if change.peers:
        from wg_py.config.sync import sync_change
        from wg_py.errors import ConfigRetrieveError

        try:
            running = get_device(name, keys_only=True)
        except InterfaceAccessError as e:
            raise ConfigRetrieveError(name, e.errno) from None
        change = sync_change(change, running)
    set_device(change, name)
