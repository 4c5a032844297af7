"""`wg-py reresolve`: hostname Endpoints followed when their address changes (the rule of
wireguard-tools' contrib/reresolve-dns), on our engine in a namespace, with a hosts file
bound over /etc/hosts in a private mount namespace and changed between two runs."""

from __future__ import annotations

import os
import sys

import pytest

from tests.engine.helpers import REPO, genkey, start, wg
from tests.support import netns
from wg_py import keys
from wg_py.config.peers import parse_server_config
from wg_py.manage import stale_hostname_peers
from wg_py.model import WgDevice, WgPeer


def _peer(public: str, handshake: int) -> WgPeer:
    return WgPeer(public_key=keys.key_from_base64(public), last_handshake_time_sec=handshake)


def test_which_peers_are_looked_at():
    a, b, c, d = (genkey()[1] for _ in range(4))
    server = parse_server_config(
        f"[Interface]\nPrivateKey = x\n[Peer]\n# Name = stale\nPublicKey = {a}\nEndpoint = a.example:1\n"
        f"[Peer]\nPublicKey = {b}\nEndpoint = b.example:2\n"
        f"[Peer]\nPublicKey = {c}\nEndpoint = 192.0.2.3:3\n"            # numeric: nothing to resolve
        f"[Peer]\nPublicKey = {d}\nEndpoint = d.example:4\n")           # not on the interface
    running = WgDevice(peers=[_peer(a, 1000), _peer(b, 1000 + 200), _peer(c, 0)])
    found = stale_hostname_peers(server, running, now=1000 + 300)   # ages 300 s and 100 s
    assert [(s.first("publickey"), ep, stale) for s, ep, stale in found] == [
        (a, "a.example:1", True), (b, "b.example:2", False)]
    never = WgDevice(peers=[_peer(a, 0)])
    assert [stale for _s, _e, stale in stale_hostname_peers(server, never, now=5)] == [True]


@pytest.mark.netns
def test_endpoint_follows_the_hosts_file(tmp_path):
    tmp_path.chmod(0o700)
    ifname = netns.unique_ifname("wgr")
    private, _ = genkey()
    _, named = genkey()
    _, fixed = genkey()
    conf = tmp_path / f"{ifname}.conf"
    conf.write_text(f"[Interface]\nPrivateKey = {private}\n\n[Peer]\n# Name = office\nPublicKey = {named}\n"
                    f"Endpoint = office.wgpy.test:51820\nAllowedIPs = 10.73.0.2/32\n\n"
                    f"[Peer]\nPublicKey = {fixed}\nEndpoint = 192.0.2.50:9\nAllowedIPs = 10.73.0.3/32\n")
    hosts = tmp_path / "hosts"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    with netns.namespace("wgpyr") as ns:
        start("py", ns, ifname)
        wg(ns, "set", ifname, "private-key", "/dev/stdin", input=private + "\n")
        wg(ns, "set", ifname, "peer", named, "endpoint", "192.0.2.99:51820", "allowed-ips", "10.73.0.2/32",
           "peer", fixed, "endpoint", "192.0.2.50:9", "allowed-ips", "10.73.0.3/32")
        before = wg(ns, "show", ifname, "dump").stdout

        def run_with(address: str):
            hosts.write_text(f"127.0.0.1 localhost\n{address} office.wgpy.test\n")
            script = f'mount --bind {hosts} /etc/hosts && exec {sys.executable} -m wg_py.app reresolve {ifname} -c {conf}'
            return ns.run("unshare", "-m", "sh", "-c", script, env=env, check=False, timeout=60)

        first = run_with("192.0.2.7")
        assert first.returncode == 0, first.stderr
        assert first.stdout == "office: office.wgpy.test:51820 -> 192.0.2.7:51820: updated\n"
        endpoints = wg(ns, "show", ifname, "endpoints").stdout
        assert f"{named}\t192.0.2.7:51820\n" in endpoints and f"{fixed}\t192.0.2.50:9\n" in endpoints
        second = run_with("192.0.2.8")
        assert second.stdout == "office: office.wgpy.test:51820 -> 192.0.2.8:51820: updated\n"
        assert f"{named}\t192.0.2.8:51820\n" in wg(ns, "show", ifname, "endpoints").stdout
        again = run_with("192.0.2.8")
        assert again.stdout == "office: office.wgpy.test:51820 -> 192.0.2.8:51820: unchanged\n"
        # Only the endpoint changed: keys, allowed IPs, counters as they were.
        after = wg(ns, "show", ifname, "dump").stdout
        assert after.replace("192.0.2.8:51820", "192.0.2.99:51820") == before
        down = ns.run(sys.executable, "-m", "wg_py.app", "reresolve", "nosuch0", "-c", str(conf), env=env,
                      check=False)
        # wg's own words (here, with no kernel module: `Protocol not supported`).
        assert down.returncode == 1 and down.stderr.startswith("wg-py: Unable to access interface: ")
