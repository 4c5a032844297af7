"""Helpers for engine tests: start our engine or wireguard-go in a namespace, configure with the real wg."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.netns import SOCKET_DIR, Namespace, run, start_wireguard_go, wait_for

REPO = Path(__file__).resolve().parents[2]
WG = "/usr/bin/wg"


def genkey() -> tuple[str, str]:
    private = run([WG, "genkey"]).stdout.strip()
    public = subprocess.run([WG, "pubkey"], input=private, capture_output=True, text=True, check=True).stdout.strip()
    return private, public


def genpsk() -> str:
    return run([WG, "genpsk"]).stdout.strip()


def engine_cmd(ifname: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "wg_py.engine", *extra, ifname]


def start_engine(ns: Namespace, ifname: str, log_level: str = "error", timeout: float = 10) -> subprocess.CompletedProcess:
    """Start wireguard-py for `ifname` in `ns`; it daemonizes. Returns the parent's result."""
    env = dict(os.environ, LOG_LEVEL=log_level)
    env.pop("WG_PROCESS_FOREGROUND", None)
    env["PYTHONPATH"] = str(REPO)
    # The daemon keeps stdout/stderr when LOG_LEVEL asks for logs: hand it a file, not a
    # pipe, or reading the parent's output would wait for the daemon to exit.
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.run(ns.cmd(*engine_cmd(ifname)), env=env, timeout=timeout, cwd=str(REPO),
                              stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        out.seek(0)
        text = out.read()
    return subprocess.CompletedProcess(proc.args, proc.returncode, text, text)


def start(kind: str, ns: Namespace, ifname: str) -> None:
    """kind: 'py' (ours) or 'go' (wireguard-go)."""
    if kind == "py":
        result = start_engine(ns, ifname)
        if result.returncode != 0:
            raise RuntimeError(f"wireguard-py failed: {result.stderr}{result.stdout}")
    else:
        start_wireguard_go(ns, ifname)
    sock = SOCKET_DIR / f"{ifname}.sock"
    if not wait_for(sock.exists, 5):
        raise RuntimeError(f"{kind} engine did not create {sock}")


def wg(ns: Namespace, *args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess:
    return ns.run(WG, *args, check=check, input=input)


@dataclass
class Side:
    ns: Namespace
    ifname: str
    kind: str
    private: str
    public: str
    port: int
    underlay: str      # address of this side on the veth (for the other's endpoint)
    inner4: str
    inner6: str


def endpoint_text(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def configure_pair(a: Side, b: Side, psk: str | None = None, keepalive: int | None = None,
                   a_endpoint: bool = True, b_endpoint: bool = True) -> None:
    """Keys, ports, peers (each other), inner addresses, links up. Endpoints as asked."""
    for me, other, with_endpoint in ((a, b, a_endpoint), (b, a, b_endpoint)):
        args = ["set", me.ifname, "private-key", "/dev/stdin", "listen-port", str(me.port),
                "peer", other.public, "allowed-ips", f"{other.inner4}/32,{other.inner6}/128"]
        if psk:
            args += ["preshared-key", "/dev/fd/3"]
        if with_endpoint:
            args += ["endpoint", endpoint_text(other.underlay, other.port)]
        if keepalive is not None and me is a:
            # Only A: a keepalive from either side re-arms both sides' timers.
            args += ["persistent-keepalive", str(keepalive)]
        if psk:
            _wg_with_psk(me.ns, args, me.private, psk)
        else:
            wg(me.ns, *args, input=me.private + "\n")
        me.ns.run("ip", "addr", "add", f"{me.inner4}/24", "dev", me.ifname)
        me.ns.run("ip", "addr", "add", f"{me.inner6}/64", "dev", me.ifname, "nodad")
        me.ns.run("ip", "link", "set", me.ifname, "up")


def _wg_with_psk(ns: Namespace, args: list[str], private: str, psk: str) -> None:
    fd, path = tempfile.mkstemp(prefix="wgpy-psk-")
    try:
        os.write(fd, (psk + "\n").encode())
        os.close(fd)
        args = [path if a == "/dev/fd/3" else a for a in args]
        wg(ns, *args, input=private + "\n")
    finally:
        os.unlink(path)


def ping(ns: Namespace, address: str, count: int = 3, timeout: float = 8, interval: float = 0.2) -> bool:
    result = ns.run("ping", "-c", str(count), "-i", str(interval), "-W", "1", "-w", str(int(timeout)), address,
                    check=False, timeout=timeout + 5)
    return result.returncode == 0


def latest_handshake(ns: Namespace, ifname: str) -> int:
    out = wg(ns, "show", ifname, "latest-handshakes").stdout.split()
    return int(out[1]) if len(out) >= 2 else 0


def transfer(ns: Namespace, ifname: str) -> tuple[int, int]:
    out = wg(ns, "show", ifname, "transfer").stdout.split()
    return (int(out[1]), int(out[2])) if len(out) >= 3 else (0, 0)


def iperf3(client: Namespace, server: Namespace, address: str, seconds: float = 2, extra: tuple = ()) -> dict:
    """One iperf3 run; returns the parsed JSON result."""
    import json
    srv = server.popen("iperf3", "-s", "-1", "-B", address)
    try:
        wait_for(lambda: ":5201 " in server.run("ss", "-Hltn").stdout, 5)
        deadline = time.monotonic() + 5
        out = None
        while time.monotonic() < deadline:
            res = client.run("iperf3", "-c", address, "-t", str(seconds), "-J", *extra, check=False,
                             timeout=seconds + 20)
            try:
                parsed = json.loads(res.stdout)
            except ValueError:
                parsed = {"error": res.stderr}
            if res.returncode == 0 and "error" not in parsed:
                out = parsed
                break
            time.sleep(0.2)
        if out is None:
            raise RuntimeError(f"iperf3 failed: {res.stdout[-500:]} {res.stderr[-500:]}")
        return out
    finally:
        if srv.poll() is None:
            srv.terminate()
        try:
            srv.wait(timeout=5)
        except subprocess.TimeoutExpired:
            srv.kill()


def engine_pids(ns: Namespace) -> list[int]:
    return ns.pids()


def socket_path(ifname: str) -> Path:
    return SOCKET_DIR / f"{ifname}.sock"
