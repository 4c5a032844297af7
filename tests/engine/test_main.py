"""The daemon's life: start-up like wireguard-go, socket and link properties, shutdown triggers."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time

import pytest

from tests.engine.helpers import REPO, engine_cmd, socket_path, start, start_engine, wg
from tests.support.netns import namespace, remove_socket, run, unique_ifname, wait_for

pytestmark = pytest.mark.netns


def engine_pid(ns, ifname: str) -> int | None:
    for pid in ns.pids():
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if b"wg_py.engine" in cmd and ifname.encode() in cmd:
            return pid
    return None


def link_json(ns, ifname: str) -> dict:
    info = json.loads(ns.run("ip", "-d", "-j", "link", "show", ifname).stdout)[0]
    for volatile in ("ifindex", "ifname", "linkinfo_data_id"):
        info.pop(volatile, None)
    # The one deliberate difference (wg_py/engine/tun.py): we open the TUN with IFF_VNET_HDR.
    info["linkinfo"]["info_data"].pop("vnet_hdr")
    return info


def test_usage_and_version():
    env = dict(os.environ, PYTHONPATH=str(REPO))
    r = subprocess.run([sys.executable, "-m", "wg_py.engine"], capture_output=True, text=True, env=env, timeout=20)
    assert r.returncode == 2 and r.stdout == "Usage: wireguard-py [-f/--foreground] INTERFACE-NAME\n"
    r = subprocess.run([sys.executable, "-m", "wg_py.engine", "--version"], capture_output=True, text=True,
                       env=env, timeout=20)
    assert r.returncode == 0 and r.stdout.startswith("wireguard-py v")


def test_link_and_socket_look_like_wireguard_go():
    with namespace() as ns:
        ours, theirs = unique_ifname(), unique_ifname()
        start("py", ns, ours)
        start("go", ns, theirs)
        assert link_json(ns, ours) == link_json(ns, theirs)   # mtu 1420, flags, qlen, tun pi on, down
        for name in (ours, theirs):
            st = os.stat(socket_path(name))
            assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == 0
        # Both bind a random port at once, before the link is up, and report it.
        for name in (ours, theirs):
            assert int(wg(ns, "show", name, "listen-port").stdout) > 0
        ns.run("ip", "link", "del", ours)
        ns.run("ip", "link", "del", theirs)


def test_shutdown_on_link_delete_sigterm_and_socket_removal():
    with namespace() as ns:
        a, b, c = unique_ifname(), unique_ifname(), unique_ifname()
        for name in (a, b, c):
            start("py", ns, name)
        pid_b, pid_c = engine_pid(ns, b), engine_pid(ns, c)
        ns.run("ip", "link", "del", a)
        assert wait_for(lambda: not socket_path(a).exists(), 5)
        os.kill(pid_b, signal.SIGTERM)
        assert wait_for(lambda: not socket_path(b).exists(), 5)
        assert wait_for(lambda: ns.run("ip", "link", "show", b, check=False).returncode != 0, 5)
        socket_path(c).unlink()
        assert wait_for(lambda: engine_pid(ns, c) is None, 5)
        assert pid_c is not None
        assert wait_for(lambda: ns.run("ip", "link", "show", c, check=False).returncode != 0, 5)


def test_stale_socket_does_not_stop_the_next_start():
    with namespace() as ns:
        name = unique_ifname()
        start("py", ns, name)
        pid = engine_pid(ns, name)
        os.kill(pid, signal.SIGKILL)                      # a crash leaves the socket file behind
        assert wait_for(lambda: engine_pid(ns, name) is None, 5)
        assert socket_path(name).exists()
        assert wait_for(lambda: ns.run("ip", "link", "show", name, check=False).returncode != 0, 5)
        start("py", ns, name)
        assert wg(ns, "show", name).returncode == 0
        ns.run("ip", "link", "del", name)


def test_second_engine_for_a_name_fails_and_harms_nothing():
    with namespace() as ns, namespace() as other:
        name = unique_ifname()
        start("py", ns, name)
        wg(ns, "set", name, "listen-port", "51000")
        # Same namespace: the TUN is taken.
        r = start_engine(ns, name)
        assert r.returncode == 1 and "Failed to create TUN device" in r.stdout
        # Another namespace: the TUN can be made, the shared socket path is in use.
        r = start_engine(other, name)
        assert r.returncode == 1 and "UAPI listen error: unix socket in use" in r.stdout
        assert other.run("ip", "link", "show", name, check=False).returncode != 0   # its TUN went away
        assert wg(ns, "show", name, "listen-port").stdout.strip() == "51000"
        ns.run("ip", "link", "del", name)
        assert wait_for(lambda: not socket_path(name).exists(), 5)


def test_foreground_mode_logs_without_keys():
    with namespace() as ns:
        name = unique_ifname()
        env = dict(os.environ, PYTHONPATH=str(REPO), LOG_LEVEL="verbose")
        proc = ns.popen(*engine_cmd(name, "-f"), env=env, cwd=str(REPO), text=True)
        try:
            assert wait_for(socket_path(name).exists, 10)
            private = run(["/usr/bin/wg", "genkey"]).stdout.strip()
            wg(ns, "set", name, "private-key", "/dev/stdin", input=private + "\n")
            ns.run("ip", "link", "set", name, "up")
            ns.run("ip", "link", "set", name, "down")
            proc.send_signal(signal.SIGINT)
            out, _err = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
            remove_socket(name)
        assert proc.returncode == 0
        assert f"DEBUG: ({name})" in out and "Interface up requested" in out
        assert private not in out and bytes(private, "ascii").hex() not in out
        assert not socket_path(name).exists()


def test_udp_sockets_follow_listen_port_and_fwmark():
    with namespace() as ns, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as blocker:
        name = unique_ifname()
        start("py", ns, name)
        wg(ns, "set", name, "listen-port", "41414", "fwmark", "0x42")
        sockets = ns.run("ss", "-Huanpe").stdout.splitlines()
        v4 = [line for line in sockets if "0.0.0.0:41414" in line]
        v6 = [line for line in sockets if "[::]:41414" in line]
        assert len(v4) == 1 and len(v6) == 1
        assert "fwmark:0x42" in v4[0] and "fwmark:0x42" in v6[0] and "v6only:1" in v6[0]   # SO_MARK, V6ONLY
        # A taken port: EADDRINUSE comes back as wg's message; the old port keeps working.
        holder = ns.popen(sys.executable, "-c", "import socket,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM);"
                          "s.bind(('0.0.0.0', 42424)); print('ok', flush=True); time.sleep(30)", text=True)
        assert holder.stdout.readline().strip() == "ok"
        r = wg(ns, "set", name, "listen-port", "42424", check=False)
        assert r.returncode == 1 and "Address already in use" in r.stderr
        assert wg(ns, "show", name, "listen-port").stdout.strip() == "41414"
        assert wg(ns, "show", name, "fwmark").stdout.strip() == "0x42"
        holder.kill()
        ns.run("ip", "link", "del", name)


def test_hostile_uapi_clients_do_not_stall_others():
    with namespace() as ns:
        name = unique_ifname()
        start("py", ns, name)
        path = str(socket_path(name))
        idle = []
        for _ in range(300):                     # more than the connection limit: half a request each
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            s.sendall(b"set=1\nlisten_port=1")
            idle.append(s)
        flood = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        flood.connect(path)
        flood.setblocking(False)
        try:                                       # a client that never reads its replies
            for _ in range(2000):
                flood.send(b"get=1\n\n" * 64)
        except BlockingIOError:
            pass
        garbage = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        garbage.connect(path)
        garbage.sendall(b"set=1\n" + b"x" * 200_000)
        started = time.monotonic()
        assert wg(ns, "show", name, "listen-port").returncode == 0
        assert time.monotonic() - started < 2
        garbage.settimeout(5)
        assert garbage.recv(100) == b"errno=-5\n\n"
        for s in idle + [flood, garbage]:
            s.close()
        ns.run("ip", "link", "del", name)


def test_down_and_up_keeps_the_random_port_and_closes_sockets_while_down():
    with namespace() as ns:
        ours, theirs = unique_ifname(), unique_ifname()
        start("py", ns, ours)
        start("go", ns, theirs)
        ports = {}
        for name in (ours, theirs):
            ports[name] = wg(ns, "show", name, "listen-port").stdout.strip()
            ns.run("ip", "link", "set", name, "up")
            ns.run("ip", "link", "set", name, "down")
        assert wait_for(lambda: f":{ports[ours]} " not in ns.run("ss", "-Huan").stdout, 5)
        for name in (ours, theirs):
            ns.run("ip", "link", "set", name, "up")
        assert wait_for(lambda: f":{ports[ours]} " in ns.run("ss", "-Huan").stdout, 5)
        for name in (ours, theirs):
            assert wg(ns, "show", name, "listen-port").stdout.strip() == ports[name]
        ns.run("ip", "link", "del", ours)
        ns.run("ip", "link", "del", theirs)


def test_a_100_mb_request_and_a_client_gone_mid_request_change_nothing():
    """Faults on the UAPI: a client streaming 100 MB of a set request is refused (EINVAL)
    while others are served meanwhile; a client that disconnects mid-request applies nothing."""
    import threading

    with namespace() as ns:
        name = unique_ifname()
        start("py", ns, name)
        wg(ns, "set", name, "listen-port", "43100")
        path = str(socket_path(name))
        gone = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        gone.connect(path)
        gone.sendall(b"set=1\nlisten_port=43101\nfwmark=")       # no blank line: never finished
        gone.close()
        big = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        big.connect(path)
        reply: list[bytes] = []

        def stream() -> None:
            chunk = b"listen_port=43102\n" * (1 << 16)              # ~1.1 MiB
            big.sendall(b"set=1\n")
            sent = 0
            while sent < 100 << 20:
                big.sendall(chunk)
                sent += len(chunk)
            big.sendall(b"\n")
            big.settimeout(30)
            reply.append(big.recv(100))

        sender = threading.Thread(target=stream)
        sender.start()
        served = 0
        while sender.is_alive() and served < 20:
            started = time.monotonic()
            assert wg(ns, "show", name, "listen-port").stdout.strip() == "43100"
            assert time.monotonic() - started < 2                   # served while the stream goes on
            served += 1
        sender.join(timeout=120)
        big.close()
        assert served > 0 and reply == [b"errno=-22\n\n"]
        assert wg(ns, "show", name, "listen-port").stdout.strip() == "43100"   # nothing applied
        assert wg(ns, "show", name, "fwmark").stdout.strip() == "off"
        ns.run("ip", "link", "del", name)


def test_killed_engine_restarted_brings_the_tunnel_back_with_a_new_handshake():
    """SIGKILL one side of a live tunnel: `wg` says clearly that the interface is gone, the
    stale socket does not stop a new engine on the same name, and once configured again the
    tunnel is back through a new handshake."""
    from tests.engine.helpers import Side, configure_pair, genkey, latest_handshake, ping
    from tests.support.netns import veth_pair

    with veth_pair() as (nsa, nsb):
        ka, kb = genkey(), genkey()
        a = Side(nsa, unique_ifname("wka"), "py", ka[0], ka[1], 51830, "192.0.2.1", "10.79.0.1", "fd79::1")
        b = Side(nsb, unique_ifname("wkb"), "py", kb[0], kb[1], 51830, "192.0.2.2", "10.79.0.2", "fd79::2")
        start("py", nsa, a.ifname)
        start("py", nsb, b.ifname)
        configure_pair(a, b)
        assert ping(nsa, b.inner4)
        first = latest_handshake(nsb, b.ifname)
        os.kill(engine_pid(nsa, a.ifname), signal.SIGKILL)
        assert wait_for(lambda: engine_pid(nsa, a.ifname) is None, 5)
        assert wait_for(lambda: nsa.run("ip", "link", "show", a.ifname, check=False).returncode != 0, 5)
        between = wg(nsa, "show", a.ifname, check=False)
        assert between.returncode == 1 and between.stderr.startswith("Unable to access interface: ")
        assert "Traceback" not in between.stderr
        start("py", nsa, a.ifname)                       # the stale socket file is still there
        time.sleep(1.1)                                  # a later second for the new handshake
        wg(nsa, "set", a.ifname, "private-key", "/dev/stdin", "listen-port", str(a.port), "peer", b.public,
           "allowed-ips", f"{b.inner4}/32", "endpoint", f"{b.underlay}:{b.port}", input=a.private + "\n")
        nsa.run("ip", "addr", "add", f"{a.inner4}/24", "dev", a.ifname)
        nsa.run("ip", "link", "set", a.ifname, "up")
        assert ping(nsa, b.inner4) and ping(nsb, a.inner4)
        assert latest_handshake(nsb, b.ifname) > first
        nsa.run("ip", "link", "del", a.ifname)
        nsb.run("ip", "link", "del", b.ifname)
