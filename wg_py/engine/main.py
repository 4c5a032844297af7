"""`wireguard-py [-f|--foreground] INTERFACE-NAME`: wireguard-go's calling convention.

Start-up, as wireguard-go 0.0.20220316 does it (REFERENCE.md §3.5):
1. create the TUN device (or adopt WG_TUN_FD), then bind the UAPI socket (or adopt
   WG_UAPI_FD); failures print `Failed to create TUN device: …` / `UAPI listen error: …`
   and exit 1;
2. unless in the foreground (`-f`, or WG_PROCESS_FOREGROUND=1), re-execute ourselves with
   the TUN as fd 3 and the listener as fd 4 (WG_TUN_FD=3, WG_UAPI_FD=4,
   WG_PROCESS_FOREGROUND=1), stdin from /dev/null, stdout/stderr to /dev/null unless
   LOG_LEVEL asks for logs; the parent exits 0 once the child reports that it runs, so
   the interface and socket exist when `wg-quick` calls `wg setconf` next. (wireguard-go's
   parent exits right after the fork; waiting for the child's word makes a child that
   cannot start an exit 1 instead of a silent failure.)
3. run the event loop until a signal, deletion of the interface or of the socket.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import wg_py
from wg_py.engine import tun as tunmod
from wg_py.engine import uapi_server
from wg_py.engine.log import SILENT, Log, level_from_env
from wg_py.uapi import socket_path

VERSION = "0.1.0"
READY_FD_ENV = "WG_PY_READY_FD"
READY_TIMEOUT = 20.0


def usage(argv0: str) -> str:
    return f"Usage: {argv0} [-f/--foreground] INTERFACE-NAME\n"


def version_text() -> str:
    import platform
    return (f"wireguard-py v{VERSION}\n\nUserspace WireGuard daemon for linux-{platform.machine()}.\n"
            "Information available at https://www.wireguard.com.\n")


HELP_FLAGS = ("-h", "--help", "help")
VERSION_FLAGS = ("-v", "--version", "version")
FOREGROUND_FLAGS = ("-f", "--foreground")
IFNAMSIZ = 16   # linux/if.h, with the terminating NUL


def parse_args(argv: list[str]) -> tuple[bool, str] | None:
    """(foreground, ifname), or None for a usage error. Like wireguard-go: 1 or 2 args."""
    args = argv[1:]
    if len(args) == 1 and not args[0].startswith("-"):
        return False, args[0]
    if len(args) == 2 and args[0] in FOREGROUND_FLAGS and not args[1].startswith("-"):
        return True, args[1]
    return None


def interface_name_problem(name: str) -> str | None:
    """Why the kernel would refuse `name` for a link (net/core/dev.c dev_valid_name), or None.

    Checked before anything is created, so a mistyped option never becomes a TUN device."""
    if not name:
        return "it is empty"
    if len(name.encode("utf-8", "surrogateescape")) >= IFNAMSIZ:
        return f"it is longer than {IFNAMSIZ - 1} bytes"
    if name in (".", ".."):
        return "it is . or .."
    if any(ch in name for ch in "/:") or any(ch.isspace() for ch in name):
        return "it contains '/', ':' or white space"
    return None


def _make_device(mtu: int):
    from wg_py.engine.loop import OsRng, SystemClock
    from wg_py.protocol.device import Device
    device = Device(SystemClock(), OsRng(), mtu=mtu)
    # Test-only (bench/soak.py): rekey every this many seconds instead of 120, to force many
    # rekeys in a soak run. Never set it on a real tunnel.
    rekey = os.environ.get("WG_PY_TEST_REKEY_AFTER_TIME")
    if rekey:
        try:
            device.rekey_after_time = max(5.0, float(rekey))
        except ValueError:
            pass
    return device


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    argv0 = os.path.basename(argv[0]) if argv else "wireguard-py"
    if len(argv) == 2 and argv[1] in VERSION_FLAGS:
        sys.stdout.write(version_text())
        return 0
    if len(argv) == 2 and argv[1] in HELP_FLAGS:
        sys.stdout.write(usage(argv0))
        return 0
    parsed = parse_args(argv)
    if parsed is None:
        # wireguard-go prints its usage to stdout and exits 0 even here; a usage error is
        # an error (scripts can tell), and nothing was created.
        sys.stdout.write(usage(argv0))
        return 2
    foreground, ifname = parsed
    problem = interface_name_problem(ifname)
    if problem:
        sys.stderr.write(f"{argv0}: invalid interface name {ifname!r}: {problem}\n")
        return 1
    if os.environ.get("WG_PROCESS_FOREGROUND") == "1":
        foreground = True
    level = level_from_env(os.environ.get("LOG_LEVEL"))
    log = Log(ifname, level)

    tun_fd, ifname_real = _open_tun(ifname, log)
    if tun_fd is None:
        return 1
    log = Log(ifname_real, level)
    uapi_sock = _open_uapi(ifname_real, log)
    if uapi_sock is None:
        os.close(tun_fd)
        return 1
    path = socket_path(ifname_real)

    if not foreground:
        return _daemonize(argv, tun_fd, uapi_sock, level, log)
    return _run(tun_fd, ifname_real, uapi_sock, path, log)


def _open_tun(ifname: str, log: Log) -> tuple[int | None, str]:
    inherited = os.environ.get("WG_TUN_FD")
    try:
        if inherited:
            fd = int(inherited)
            return fd, tunmod.adopt_tun(fd)
        fd, name = tunmod.create_tun(ifname, tunmod.DEFAULT_MTU)
        return fd, name
    except (OSError, ValueError) as e:
        text = os.strerror(e.errno) if isinstance(e, OSError) and e.errno else str(e)
        log.error(f"Failed to create TUN device: {text}")
        return None, ifname


def _open_uapi(ifname: str, log: Log) -> socket.socket | None:
    inherited = os.environ.get("WG_UAPI_FD")
    try:
        if inherited:
            sock = socket.socket(fileno=int(inherited))
            sock.set_inheritable(False)
            sock.setblocking(False)
            return sock
        return uapi_server.listen(ifname)
    except (OSError, ValueError) as e:
        text = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        log.error(f"UAPI listen error: {text}")
        return None


def _daemonize(argv: list[str], tun_fd: int, uapi_sock: socket.socket, level: int, log: Log) -> int:
    path = uapi_sock.getsockname()
    ready_r, ready_w = os.pipe()
    # Put TUN and listener on fds 3 and 4 for the child (dup first: either may already be 3 or 4).
    tun_copy, uapi_copy = os.dup(tun_fd), os.dup(uapi_sock.fileno())
    os.dup2(tun_copy, 3, inheritable=True)
    os.dup2(uapi_copy, 4, inheritable=True)
    os.close(tun_copy)
    os.close(uapi_copy)
    env = dict(os.environ, WG_TUN_FD="3", WG_UAPI_FD="4", WG_PROCESS_FOREGROUND="1")
    env[READY_FD_ENV] = str(ready_w)
    root = os.path.dirname(os.path.dirname(os.path.abspath(wg_py.__file__)))
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    quiet = level == SILENT or "LOG_LEVEL" not in os.environ
    out = subprocess.DEVNULL if quiet else None
    try:
        child = subprocess.Popen([sys.executable, "-m", "wg_py.engine", *argv[1:]], env=env,
                                 stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                 pass_fds=(3, 4, ready_w), start_new_session=True, close_fds=True)
    except OSError as e:
        log.error(f"Failed to daemonize: {e.strerror}")
        _cleanup_failed(path)
        return 1
    os.close(ready_w)
    try:
        ok = _wait_ready(ready_r)
    except KeyboardInterrupt:
        # ^C (or SIGTERM from wg-quick's own unwinding) before the engine said it runs: the
        # start is abandoned, so the child we made goes too, and with it the TUN and socket.
        child.kill()
        child.wait()
        _cleanup_failed(path)
        return 130
    finally:
        os.close(ready_r)
    if not ok:
        log.error("Failed to daemonize: the engine did not start")
        return 1
    # The child owns TUN and socket now; exiting closes only our copies.
    return 0


def _wait_ready(fd: int) -> bool:
    import select
    readable, _, _ = select.select([fd], [], [], READY_TIMEOUT)
    if not readable:
        return False
    return os.read(fd, 16).startswith(b"ok")


def _cleanup_failed(path) -> None:
    if isinstance(path, str):
        try:
            os.unlink(path)
        except OSError:
            pass


def _run(tun_fd: int, ifname: str, uapi_sock: socket.socket, path: str, log: Log) -> int:
    from wg_py.engine.loop import Engine
    try:
        mtu = tunmod.get_mtu(ifname)
    except OSError:
        mtu = tunmod.DEFAULT_MTU
    engine = Engine(_make_device(mtu), tun_fd, ifname, uapi_sock, path, log)

    def ready() -> None:
        fd = os.environ.pop(READY_FD_ENV, None)
        if fd:
            try:
                os.write(int(fd), b"ok")
                os.close(int(fd))
            except OSError:
                pass

    try:
        engine.run(ready)
    finally:
        engine.close()
    log.verbose("Shutting down")
    return 0


def entry() -> None:
    try:
        code = main()
    except KeyboardInterrupt:
        code = 130
    except Exception as e:  # the last net (wg_py/crash.py): one line, no traceback
        from wg_py import crash

        code = crash.report("wireguard-py", e)
    sys.exit(code)
