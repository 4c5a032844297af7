"""`wg-quick save` killed at any moment leaves the old file or the new one, never a
truncated one, with its owner and mode: our wg-quick and engine in a namespace, SIGKILL at
spread-out delays, the running configuration changed before each save so that old and new
differ."""

from __future__ import annotations

import os
import random
import signal
import sys
import time

import pytest

from tests.engine.helpers import REPO, genkey, wg
from tests.quick.sidebyside import our_wg_env
from tests.support import netns

pytestmark = pytest.mark.netns


def test_save_killed_at_any_point_leaves_old_or_new(tmp_path):
    tmp_path.chmod(0o700)
    ifname = netns.unique_ifname("wgk")
    conf = tmp_path / f"{ifname}.conf"
    conf.write_text(f"[Interface]\nPrivateKey = {genkey()[0]}\nAddress = 10.74.0.1/24\nListenPort = 41000\n")
    conf.chmod(0o600)
    os.chown(conf, 0, 65534)
    env = dict(os.environ, PYTHONPATH=str(REPO), **our_wg_env())
    env.pop("WG_QUICK_USERSPACE_IMPLEMENTATION", None)
    quick = [sys.executable, "-m", "wg_quick_py"]
    rng = random.Random(4)
    with netns.namespace("wgpyk") as ns:
        assert ns.run(*quick, "up", str(conf), env=env, check=False).returncode == 0
        try:
            assert ns.run(*quick, "save", str(conf), env=env, check=False).returncode == 0
            old = conf.read_bytes()
            finished = killed = 0
            for i in range(24):
                wg(ns, "set", ifname, "listen-port", str(41001 + i))
                new = old.replace(f"ListenPort = {41000 + i}".encode(), f"ListenPort = {41001 + i}".encode())
                proc = ns.popen(*quick, "save", str(conf), env=env)
                time.sleep(rng.uniform(0.02, 0.5))
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)
                killed += proc.returncode == -signal.SIGKILL
                now = conf.read_bytes()
                assert now in (old, new), now
                finished += now == new
                st = conf.stat()
                assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (0, 65534, 0o600)
                # A save after the kill starts from the file as it is (a stale .tmp included).
                assert ns.run(*quick, "save", str(conf), env=env, check=False).returncode == 0
                assert conf.read_bytes() == new
                old = new
            # The delays reach both sides of the rename.
            assert killed and finished, (killed, finished)
        finally:
            ns.run(*quick, "down", str(conf), env=env, check=False)
