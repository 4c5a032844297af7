"""Creating the interface: a kernel WireGuard link, else a userspace implementation.

As in the real tool: try `ip link add IF type wireguard`; if the kernel refuses and has no
WireGuard module, warn and run `<implementation> IF`, which must daemonise and have its UAPI
socket ready when it returns. The implementation is `$WG_QUICK_USERSPACE_IMPLEMENTATION`, by
default wg-py's own engine, `wireguard-py`.
"""

from __future__ import annotations

import errno as _errno
import importlib.util
import os
import shutil
import sys
import time

from wg_py.uapi import socket_path

from wg_quick_py import net, proc
from wg_quick_py.errors import StepFailed

DEFAULT_IMPLEMENTATION = "wireguard-py"
MODULE_DIR = "/sys/module/wireguard"
FALLBACK_WARNING = "[!] Missing WireGuard kernel module. Falling back to slow userspace implementation."
SOCKET_WAIT_S = 5.0


def create_interface(ifname: str) -> None:
    err = net.add_wireguard_link(ifname)
    if err == 0:
        return
    # What ip(8) would have printed for the refusal.
    if err == _errno.EOPNOTSUPP:
        proc.warn("Error: Unknown device type.")
    else:
        proc.warn(f"RTNETLINK answers: {os.strerror(err)}")
    shown = f"ip link add {ifname} type wireguard"
    impl = os.environ.get("WG_QUICK_USERSPACE_IMPLEMENTATION") or DEFAULT_IMPLEMENTATION
    argv = implementation_argv(impl)
    if os.path.exists(MODULE_DIR) or argv is None:
        raise StepFailed(shown, 2, errno=err)
    proc.warn(FALLBACK_WARNING)
    proc.run([*argv, ifname], shown=f"{impl} {ifname}")
    _wait_for_socket(ifname)


def implementation_argv(impl: str) -> list[str] | None:
    """How to run `impl`; None if it cannot be found (`command -v` fails)."""
    if "/" in impl:
        return [impl] if os.access(impl, os.X_OK) and os.path.isfile(impl) else None
    found = shutil.which(impl)
    if found:
        return [found]
    if impl == DEFAULT_IMPLEMENTATION and _engine_in_checkout():
        # Not installed as a console script (run from a checkout): start it from this interpreter.
        return [sys.executable, "-c", "import sys; from wg_py.engine.main import entry; "
                "sys.argv[0] = 'wireguard-py'; entry()"]
    return None


def _engine_in_checkout() -> bool:
    # Look for the file rather than importing anything of the engine: we only ever run it.
    spec = importlib.util.find_spec("wg_py")
    return bool(spec and spec.origin) and os.path.exists(
        os.path.join(os.path.dirname(spec.origin), "engine", "main.py"))


def _wait_for_socket(ifname: str) -> None:
    """wireguard-go returns once its socket is listening; give any other implementation a moment."""
    path = socket_path(ifname)
    deadline = time.monotonic() + SOCKET_WAIT_S
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.02)
