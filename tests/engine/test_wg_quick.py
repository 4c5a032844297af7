"""The real wg-quick brings up an interface with our engine (WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-py)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.engine.helpers import REPO, genkey, socket_path, wg
from tests.support.netns import namespace, unique_ifname, wait_for

pytestmark = [pytest.mark.netns, pytest.mark.oracle]


@pytest.mark.skipif(not shutil.which("wg-quick"), reason="needs /usr/bin/wg-quick")
def test_real_wg_quick_up_and_down_with_our_engine(tmp_path):
    if not shutil.which("wireguard-py"):
        pytest.skip("wireguard-py is not installed (pip install -e .)")
    with namespace() as ns:
        name = unique_ifname("wq")
        private, _ = genkey()
        _, peer = genkey()
        conf = tmp_path / f"{name}.conf"
        conf.write_text(f"[Interface]\nPrivateKey = {private}\nAddress = 10.99.0.1/24, fd99::1/64\n"
                        f"ListenPort = 45454\nMTU = 1380\nTable = off\n\n"
                        f"[Peer]\nPublicKey = {peer}\nAllowedIPs = 10.99.0.0/24\nEndpoint = 192.0.2.77:51820\n")
        conf.chmod(0o600)
        env = dict(os.environ, WG_QUICK_USERSPACE_IMPLEMENTATION="wireguard-py", PYTHONPATH=str(REPO))
        up = subprocess.run(ns.cmd("wg-quick", "up", str(conf)), env=env, capture_output=True, text=True,
                            timeout=60, stdin=subprocess.DEVNULL)
        try:
            assert up.returncode == 0, up.stderr
            assert "Falling back to slow userspace implementation" in up.stderr
            assert "[#] wireguard-py " + name in up.stderr
            link = ns.run("ip", "-d", "link", "show", name).stdout
            assert "mtu 1380" in link and "UP" in link and "tun" in link
            assert "10.99.0.1/24" in ns.run("ip", "addr", "show", name).stdout
            assert wg(ns, "show", name, "listen-port").stdout.strip() == "45454"
            assert wg(ns, "show", name, "peers").stdout.strip() == peer
        finally:
            down = subprocess.run(ns.cmd("wg-quick", "down", str(conf)), env=env, capture_output=True, text=True,
                                  timeout=60, stdin=subprocess.DEVNULL)
        assert down.returncode == 0, down.stderr
        assert wait_for(lambda: not socket_path(name).exists(), 5)
