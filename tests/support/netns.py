"""Network namespaces for end-to-end tests: made by the test, always cleaned up.

Every name carries a per-process random tag, so parallel or crashed runs never collide,
and everything made here is torn down in `finally` blocks even when a test fails.
/var/run/wireguard is shared by all namespaces (it is a directory, not per-netns), so
interface names must be unique too: use `unique_ifname()`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from wg_py.uapi import DEFAULT_SOCKET_DIR

SOCKET_DIR = Path(DEFAULT_SOCKET_DIR)   # where the tests expect engines (WG_SOCKET_DIR unset)
_TAG = secrets.token_hex(2)
_counter = 0


def _next() -> int:
    global _counter
    _counter += 1
    return _counter


def unique_ifname(prefix: str = "wgt") -> str:
    """An interface name unique to this test run (≤ 15 characters)."""
    return f"{prefix}{_TAG}{_next()}"[:15]


def can_run_netns() -> bool:
    return os.geteuid() == 0 and shutil.which("ip") is not None and os.path.exists("/dev/net/tun")


def run(cmd: list[str], *, check: bool = True, timeout: float = 30, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=check, timeout=timeout, capture_output=True, text=True, **kw)


@dataclass
class Namespace:
    name: str
    procs: list[subprocess.Popen] = field(default_factory=list)

    def cmd(self, *argv: str) -> list[str]:
        return ["ip", "netns", "exec", self.name, *argv]

    def run(self, *argv: str, check: bool = True, timeout: float = 30, **kw) -> subprocess.CompletedProcess:
        return run(self.cmd(*argv), check=check, timeout=timeout, **kw)

    def popen(self, *argv: str, **kw) -> subprocess.Popen:
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        proc = subprocess.Popen(self.cmd(*argv), start_new_session=True, **kw)
        self.procs.append(proc)
        return proc

    def pids(self) -> list[int]:
        out = run(["ip", "netns", "pids", self.name], check=False).stdout
        return [int(p) for p in out.split()]


def _kill_all(ns: Namespace) -> None:
    for proc in ns.procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 3
    for pid in ns.pids():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    while ns.pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in ns.pids():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for proc in ns.procs:
        with contextlib.suppress(Exception):
            proc.wait(timeout=2)


@contextlib.contextmanager
def namespace(prefix: str = "wgpy"):
    """A fresh namespace with `lo` up; its processes are killed and it is deleted on exit."""
    ns = Namespace(f"{prefix}-{_TAG}-{_next()}")
    run(["ip", "netns", "add", ns.name])
    try:
        ns.run("ip", "link", "set", "lo", "up")
        yield ns
    finally:
        _kill_all(ns)
        run(["ip", "netns", "del", ns.name], check=False)


@contextlib.contextmanager
def veth_pair(v4: tuple[str, str] = ("192.0.2.1/24", "192.0.2.2/24"),
              v6: tuple[str, str] = ("2001:db8::1/64", "2001:db8::2/64")):
    """Two namespaces joined by a veth pair, with test-net addresses on each end.

    Yields (a, b). The addresses are documentation ranges, reachable only inside these
    namespaces.
    """
    with namespace("wgpya") as a, namespace("wgpyb") as b:
        va, vb = f"va{_TAG}{_next()}"[:15], f"vb{_TAG}{_next()}"[:15]
        run(["ip", "link", "add", va, "netns", a.name, "type", "veth", "peer", "name", vb, "netns", b.name])
        for ns, dev, addr4, addr6 in ((a, va, v4[0], v6[0]), (b, vb, v4[1], v6[1])):
            ns.run("ip", "addr", "add", addr4, "dev", dev)
            ns.run("ip", "addr", "add", addr6, "dev", dev, "nodad")
            ns.run("ip", "link", "set", dev, "up")
        yield a, b


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def start_wireguard_go(ns: Namespace, ifname: str) -> None:
    """Start Debian's wireguard-go for `ifname` inside `ns`; it daemonizes itself.

    Stopped by the namespace's cleanup (all its pids are killed) and by `ip link del`.
    """
    # Never pass WG_PROCESS_FOREGROUND=0: wireguard-go 0.0.20220316 appends "=1" for its
    # child, the child still reads our "0", daemonizes again, and so on: an endless chain of
    # short-lived processes (seen here). Leaving the variable out daemonizes once.
    env = {k: v for k, v in os.environ.items() if k != "WG_PROCESS_FOREGROUND"}
    env["LOG_LEVEL"] = "error"
    # The daemonized child keeps stdout/stderr when LOG_LEVEL is set: never give it our
    # pipes, or waiting for the parent's output would wait for the daemon's exit.
    subprocess.run(ns.cmd("wireguard-go", ifname), env=env, check=True, timeout=30,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sock = SOCKET_DIR / f"{ifname}.sock"
    if not wait_for(sock.exists, 5):
        raise RuntimeError(f"wireguard-go did not create {sock}")


def remove_socket(ifname: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        (SOCKET_DIR / f"{ifname}.sock").unlink()
