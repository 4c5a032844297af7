"""End to end: two namespaces joined by veth, each brought up with our wg-quick (and, by
default, our engine) from its own config; ping through the tunnel both ways; `down` leaves
nothing behind."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from wg_py import keys

from tests.quick.sidebyside import REPO, our_wg_env
from tests.support import netns

pytestmark = pytest.mark.netns


def keypair() -> tuple[str, str]:
    private = keys.generate_private_key()
    return keys.key_to_base64(private), keys.key_to_base64(keys.public_key(private))


def conf(private: str, address: str, port: int, peer_pub: str, peer_endpoint: str, peer_ips: str) -> str:
    return (f"[Interface]\nPrivateKey = {private}\nAddress = {address}\nListenPort = {port}\n\n"
            f"[Peer]\nPublicKey = {peer_pub}\nEndpoint = {peer_endpoint}\nAllowedIPs = {peer_ips}\n")


def quick(ns: netns.Namespace, *args: str, impl: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO), **our_wg_env())
    env.pop("WG_QUICK_USERSPACE_IMPLEMENTATION", None)
    if impl:
        env["WG_QUICK_USERSPACE_IMPLEMENTATION"] = impl
    return ns.run(sys.executable, "-m", "wg_quick_py", *args, env=env, check=False, timeout=60)


@pytest.mark.parametrize("impl", [None, "wireguard-go"], ids=["our-engine", "wireguard-go"])
def test_two_namespaces_ping_both_ways(tmp_path, impl):
    tmp_path.chmod(0o700)
    (priv_a, pub_a), (priv_b, pub_b) = keypair(), keypair()
    if_a, if_b = netns.unique_ifname("wqa"), netns.unique_ifname("wqb")
    conf_a, conf_b = tmp_path / f"{if_a}.conf", tmp_path / f"{if_b}.conf"
    conf_a.write_text(conf(priv_a, "10.77.0.1/24, fd77::1/64", 51001, pub_b, "192.0.2.2:51002",
                           "10.77.0.2/32, fd77::2/128"))
    conf_b.write_text(conf(priv_b, "10.77.0.2/24, fd77::2/64", 51002, pub_a, "[2001:db8::1]:51001",
                           "10.77.0.1/32, fd77::1/128"))
    for c in (conf_a, conf_b):
        c.chmod(0o600)
    try:
        with netns.veth_pair() as (a, b):
            up_a, up_b = quick(a, "up", str(conf_a), impl=impl), quick(b, "up", str(conf_b), impl=impl)
            assert up_a.returncode == 0, up_a.stderr
            assert up_b.returncode == 0, up_b.stderr
            if not os.path.exists("/sys/module/wireguard"):   # else the kernel's WireGuard is used
                assert f"[#] {impl or 'wireguard-py'} {if_a}" in up_a.stderr
            for ns, target in ((a, "10.77.0.2"), (b, "10.77.0.1"), (a, "fd77::2"), (b, "fd77::1")):
                ping = ns.run("ping", "-c", "2", "-i", "0.2", "-W", "3", target, check=False, timeout=20)
                assert ping.returncode == 0, f"{ns.name} -> {target}\n{ping.stdout}{ping.stderr}"
            wg = our_wg_env().get("WG_QUICK_WG", f"{sys.executable} -m wg_py").split()
            show = a.run(*wg, "show", if_a, check=False, env=dict(os.environ, PYTHONPATH=str(REPO)))
            assert "latest handshake" in show.stdout
            down_a, down_b = quick(a, "down", str(conf_a)), quick(b, "down", str(conf_b))
            assert down_a.returncode == 0, down_a.stderr
            assert down_b.returncode == 0, down_b.stderr
            for ns, name in ((a, if_a), (b, if_b)):
                assert name not in ns.run("ip", "link", "show").stdout
                assert not (netns.SOCKET_DIR / f"{name}.sock").exists()
    finally:
        netns.remove_socket(if_a)
        netns.remove_socket(if_b)
