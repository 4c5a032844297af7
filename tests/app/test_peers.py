"""`wg-py peer ...` on a live server in namespaces the test makes: clients added with one
command come up with our wg-quick in their own namespace and ping the server; a running
client's session survives every add and remove; add/remove leaves the rest of the file as it
was; concurrent adds never lose a peer or share an address; the QR code decodes to the config."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engine.helpers import REPO, genkey, wg
from tests.quick.sidebyside import our_wg_env
from tests.support import netns

pytestmark = pytest.mark.netns

WG_PY = [sys.executable, "-m", "wg_py.app"]


def env() -> dict[str, str]:
    e = dict(os.environ, PYTHONPATH=str(REPO), COLUMNS="200", **our_wg_env())
    e.pop("WG_QUICK_USERSPACE_IMPLEMENTATION", None)
    return e


def wg_py(ns: netns.Namespace, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return ns.run(*WG_PY, *args, env=env(), check=False, timeout=60, cwd=cwd)


def quick(ns: netns.Namespace, *args: str) -> subprocess.CompletedProcess:
    return ns.run(sys.executable, "-m", "wg_quick_py", *args, env=env(), check=False, timeout=60)


def ping(ns: netns.Namespace, target: str) -> bool:
    return ns.run("ping", "-c", "2", "-i", "0.2", "-W", "3", target, check=False, timeout=20).returncode == 0


def handshakes(ns: netns.Namespace, ifname: str) -> dict[str, str]:
    return dict(line.split("\t") for line in wg(ns, "show", ifname, "latest-handshakes").stdout.splitlines())


@pytest.fixture
def server(tmp_path):
    """A server brought up by our wg-quick in `s`; `b` (veth 192.0.2.0/24) and `c` (veth
    198.51.100.0/24) are client hosts that reach it."""
    tmp_path.chmod(0o700)
    ifname = netns.unique_ifname("wgs")
    conf = tmp_path / f"{ifname}.conf"
    private, _ = genkey()
    conf.write_text(f"# the office server\n[Interface]\nAddress = 10.66.0.1/24, fd66::1/64\n"
                    f"ListenPort = 51820\nPrivateKey = {private}\n# keep this comment\n")
    conf.chmod(0o600)
    with netns.veth_pair() as (s, b), netns.namespace("wgpyc") as c:
        vs, vc = netns.unique_ifname("vs"), netns.unique_ifname("vc")
        netns.run(["ip", "link", "add", vs, "netns", s.name, "type", "veth", "peer", "name", vc, "netns", c.name])
        for ns, dev, addr in ((s, vs, "198.51.100.1/24"), (c, vc, "198.51.100.2/24")):
            ns.run("ip", "addr", "add", addr, "dev", dev)
            ns.run("ip", "link", "set", dev, "up")
        up = quick(s, "up", str(conf))
        assert up.returncode == 0, up.stderr
        yield s, b, c, ifname, conf, tmp_path


def test_add_laptop_and_phone_each_pings_and_sessions_survive(server):
    s, b, c, ifname, conf, tmp = server
    # A client that is up and talking through everything that follows.
    old = wg_py(s, "peer", "add", "desktop", "-i", ifname, "-c", str(conf), "--endpoint", "192.0.2.1",
                "--allowed-ips", "10.66.0.0/24, fd66::/64", "--out", str(tmp / "desktop.conf"), "--no-qr")
    assert old.returncode == 0, old.stderr
    assert "applied to" in old.stderr
    assert quick(b, "up", str(tmp / "desktop.conf")).returncode == 0
    assert ping(b, "10.66.0.1") and ping(b, "fd66::1")
    desktop_key = next(iter(handshakes(s, ifname)))
    before = handshakes(s, ifname)[desktop_key]
    assert before != "0"

    # The seed workflow: two commands, then each client's config as it was handed out.
    laptop = wg_py(s, "peer", "add", "laptop", "-i", ifname, "-c", str(conf), "--endpoint", "198.51.100.1",
                   "--out", str(tmp / "laptop.conf"), "--qr", str(tmp / "laptop.png"))
    assert laptop.returncode == 0, laptop.stderr
    phone = wg_py(s, "peer", "add", "phone", "-i", ifname, "-c", str(conf), "--out", str(tmp / "phone.conf"))
    assert phone.returncode == 0, phone.stderr
    laptop_conf = (tmp / "laptop.conf").read_text()
    assert laptop.stdout.startswith(laptop_conf)                  # printed, then the QR code
    assert "█" in laptop.stdout or "▀" in laptop.stdout
    assert "Address = 10.66.0.3/32, fd66::3/128" in laptop_conf
    assert "Endpoint = 198.51.100.1:51820" in laptop_conf
    assert "Address = 10.66.0.4/32, fd66::4/128" in (tmp / "phone.conf").read_text()
    for path in ("laptop.conf", "phone.conf", ifname + ".conf"):
        assert (tmp / path).stat().st_mode & 0o777 == 0o600
    if shutil.which("zbarimg"):
        decoded = subprocess.run(["zbarimg", "--raw", "-q", str(tmp / "laptop.png")], capture_output=True,
                                 text=True, timeout=30)
        assert decoded.stdout.rstrip("\n") == laptop_conf.rstrip("\n")

    # Each client comes up with its config as written, in its own namespace, and pings.
    for name in ("laptop", "phone"):
        config = tmp / f"{name}.conf"
        # wg-quick's AllowedIPs 0.0.0.0/0 would take c's default route: keep the test's scope.
        config.write_text(config.read_text().replace("AllowedIPs = 0.0.0.0/0, ::/0",
                                                     "AllowedIPs = 10.66.0.0/24, fd66::/64"))
        assert quick(c, "up", str(config)).returncode == 0
        assert ping(c, "10.66.0.1") and ping(c, "fd66::1"), name
        assert quick(c, "down", str(config)).returncode == 0

    listed = wg_py(s, "peer", "list", "-i", ifname, "-c", str(conf))
    assert listed.returncode == 0, listed.stderr
    for text in ("desktop", "laptop", "phone", "10.66.0.3/32", "fd66::4/128"):
        assert text in listed.stdout

    # A round of add and remove leaves the file as it was, byte for byte.
    snapshot = conf.read_bytes()
    assert wg_py(s, "peer", "add", "tablet", "-i", ifname, "-c", str(conf), "--no-qr",
                 "--out", str(tmp / "tablet.conf")).returncode == 0
    assert len(wg(s, "show", ifname, "peers").stdout.split()) == 4
    removed = wg_py(s, "peer", "remove", "tablet", "-i", ifname, "-c", str(conf))
    assert removed.returncode == 0, removed.stderr
    assert conf.read_bytes() == snapshot
    assert len(wg(s, "show", ifname, "peers").stdout.split()) == 3
    text = conf.read_text()
    assert text.startswith("# the office server\n[Interface]\n") and "# keep this comment\n" in text

    # The desktop's session was never touched: same handshake, and it still answers.
    assert ping(b, "10.66.0.1")
    assert handshakes(s, ifname)[desktop_key] == before


def test_concurrent_adds_never_lose_a_peer_or_share_an_address(server):
    s, _b, _c, ifname, conf, tmp = server
    procs = [s.popen(*WG_PY, "peer", "add", f"n{i}", "-i", ifname, "-c", str(conf), "--endpoint", "192.0.2.1",
                     "--no-qr", "--out", str(tmp / f"n{i}.conf"), env=env(), stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True) for i in range(6)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    addresses = [line for i in range(6) for line in (tmp / f"n{i}.conf").read_text().splitlines()
                 if line.startswith("Address = ")]
    assert len(set(addresses)) == 6
    text = conf.read_text()
    assert all(f"# Name = n{i}\n" in text for i in range(6))
    assert len(wg(s, "show", ifname, "peers").stdout.split()) == 6
    assert not [p for p in tmp.iterdir() if ".wg-py-" in p.name]     # no temporary file left


def test_show_rename_remove_and_refusals(server):
    s, _b, _c, ifname, conf, tmp = server
    def run(*args):
        return wg_py(s, "peer", *args, "-i", ifname, "-c", str(conf), cwd=tmp)

    first = run("add", "kept", "--endpoint", "vpn.example.net", "--dns", "10.66.0.1", "--keep-client-key", "--no-qr")
    assert first.returncode == 0, first.stderr
    shown = run("show", "kept", "--no-qr")
    assert shown.stdout == (tmp / "kept.conf").read_text()         # written to ./NAME.conf by default
    assert "DNS = 10.66.0.1" in shown.stdout and "Endpoint = vpn.example.net:51820" in shown.stdout
    assert run("add", "other", "--no-qr").returncode == 0
    refused = run("show", "other")
    assert refused.returncode == 1
    assert refused.stderr == ("wg-py: the private key of `other' was not kept (peer add --keep-client-key keeps "
                              "it); only the config written by peer add has it\n")
    assert run("add", "kept").stderr == "wg-py: a peer named `kept' exists already\n"
    assert run("add", "../evil").returncode == 1
    assert run("rename", "other", "kept").stderr == "wg-py: a peer named `kept' exists already\n"
    assert run("rename", "other", "tv").returncode == 0
    assert "# Name = tv\n" in conf.read_text()
    assert run("remove", "other").stderr == "wg-py: no peer is named `other'\n"
    assert run("remove", "tv").returncode == 0
    assert len(wg(s, "show", ifname, "peers").stdout.split()) == 1
    # The client's file exists: nothing is written anywhere.
    before = conf.read_bytes()
    again = run("add", "tv2", "--out", str(tmp / "kept.conf"))
    assert again.stderr == f"wg-py: {tmp / 'kept.conf'} exists; give another --out path, or remove it first\n"
    assert conf.read_bytes() == before


def test_refusals_without_a_running_interface(tmp_path):
    private, _ = genkey()
    small = tmp_path / "wgx.conf"
    small.write_text(f"[Interface]\nAddress = 10.9.0.1/30\nPrivateKey = {private}\nListenPort = 4\n")
    def run(*args, conf=small):
        return subprocess.run([*WG_PY, "peer", *args, "-i", "wgx-none", "-c", str(conf)], env=env(), cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)

    assert run("add", "a", "--no-qr").stderr.startswith("wg-py: clients need the server's public address")
    ok = run("add", "a", "-e", "192.0.2.9", "--no-qr")
    assert ok.returncode == 0 and "wgx-none is not up: the config file alone changed" in ok.stderr
    assert run("add", "b", "--no-qr").stderr == "wg-py: no address is free in 10.9.0.0/30\n"
    bare = tmp_path / "bare.conf"
    bare.write_text(f"[Interface]\nPrivateKey = {private}\n")
    assert run("add", "c", "-e", "h", "--no-qr", conf=bare).stderr.startswith(
        "wg-py: the server's [Interface] has no Address")
    assert run("list", conf=tmp_path / "missing.conf").stderr == (
        f"wg-py: {tmp_path / 'missing.conf'}: No such file or directory\n")
