"""WG_SOCKET_DIR moves the UAPI sockets for the engine, `wg` and `wg-quick` alike."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.engine.helpers import REPO, engine_cmd
from tests.support.netns import SOCKET_DIR, namespace, unique_ifname, wait_for

pytestmark = pytest.mark.netns

KEY = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="


def test_engine_wg_and_wg_quick_share_another_socket_dir(tmp_path):
    sockets = tmp_path / "sockets"
    env = dict(os.environ, PYTHONPATH=str(REPO), WG_SOCKET_DIR=str(sockets), LOG_LEVEL="error")
    wg = [sys.executable, "-m", "wg_py"]
    with namespace("wgsd") as ns:
        name = unique_ifname("wgsd")
        # (The daemon keeps stdout/stderr when LOG_LEVEL is set: no pipes, or this would wait.)
        subprocess.run(ns.cmd(*engine_cmd(name)), env=env, check=True, timeout=20, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_for((sockets / f"{name}.sock").exists, 5)
        assert not (SOCKET_DIR / f"{name}.sock").exists()
        subprocess.run(ns.cmd(*wg, "set", name, "listen-port", "51999"), env=env, check=True, timeout=20)
        shown = subprocess.run(ns.cmd(*wg, "show", name, "listen-port"), env=env, capture_output=True, text=True,
                               timeout=20)
        assert shown.stdout == "51999\n"
        assert subprocess.run(ns.cmd(*wg, "show", "interfaces"), env=env, capture_output=True, text=True,
                              timeout=20).stdout == f"{name}\n"
        # Without the variable, `wg` looks in /var/run/wireguard and does not find it.
        plain = {k: v for k, v in env.items() if k != "WG_SOCKET_DIR"}
        missing = subprocess.run(ns.cmd(*wg, "show", name), env=plain, capture_output=True, text=True, timeout=20)
        assert missing.returncode == 1 and "Unable to access interface" in missing.stderr
        ns.run("ip", "link", "del", name)
        assert wait_for(lambda: not (sockets / f"{name}.sock").exists(), 5)

        # wg-quick up/down through the same directory, with our engine.
        conf = tmp_path / f"{name}.conf"
        conf.write_text(f"[Interface]\nPrivateKey = {KEY}\nAddress = 10.77.0.1/24\nListenPort = 51998\n")
        conf.chmod(0o600)
        quick = [sys.executable, "-m", "wg_quick_py"]
        up = subprocess.run(ns.cmd(*quick, "up", str(conf)), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, timeout=60)
        assert up.returncode == 0
        assert (sockets / f"{name}.sock").exists() and not (SOCKET_DIR / f"{name}.sock").exists()
        down = subprocess.run(ns.cmd(*quick, "down", str(conf)), env=env, capture_output=True, text=True, timeout=60)
        assert down.returncode == 0, down.stderr
        assert not (sockets / f"{name}.sock").exists()
