"""Failures of our wg-quick that the side-by-side cases do not show: an interface that already
exists is left untouched, `down` of a missing interface fails cleanly, a failing PreUp or a
missing userspace implementation leaves nothing behind, and the error names the step."""

from __future__ import annotations

import os
import sys

import pytest

from tests.quick.corpus import PRIV, PUB
from tests.quick.sidebyside import REPO, our_wg_env
from tests.support import netns

pytestmark = pytest.mark.netns

CONF = f"[Interface]\nPrivateKey = {PRIV}\nAddress = 10.78.0.1/24\n{{extra}}\n[Peer]\nPublicKey = {PUB}\nAllowedIPs = 10.78.0.0/24\n"


def quick(ns, tmp_path, ifname, command, extra="", impl="wireguard-go"):
    path = tmp_path / f"{ifname}.conf"
    path.write_text(CONF.format(extra=extra))
    path.chmod(0o600)
    env = dict(os.environ, PYTHONPATH=str(REPO), WG_QUICK_USERSPACE_IMPLEMENTATION=impl, **our_wg_env())
    return ns.run(sys.executable, "-m", "wg_quick_py", command, str(path), env=env, check=False)


def links(ns) -> str:
    return ns.run("ip", "-o", "link", "show").stdout


def test_up_of_existing_interface_touches_nothing(tmp_path):
    ifname = netns.unique_ifname("wqx")
    with netns.namespace("wqf") as ns:
        ns.run("ip", "link", "add", ifname, "type", "veth", "peer", "name", ifname + "p")
        before = ns.run("ip", "addr", "show", ifname).stdout
        result = quick(ns, tmp_path, ifname, "up", extra="PreUp = touch %s/ran" % tmp_path)
        assert result.returncode == 1
        assert result.stderr == f"wg-quick: `{ifname}' already exists\n"
        assert ns.run("ip", "addr", "show", ifname).stdout == before
        assert not (tmp_path / "ran").exists()


def test_down_of_missing_interface(tmp_path):
    ifname = netns.unique_ifname("wqx")
    with netns.namespace("wqf") as ns:
        result = quick(ns, tmp_path, ifname, "down", extra="PreDown = touch %s/ran" % tmp_path)
        assert result.returncode == 1
        assert result.stderr == f"wg-quick: `{ifname}' is not a WireGuard interface\n"
        assert not (tmp_path / "ran").exists()


def test_save_of_missing_interface(tmp_path):
    ifname = netns.unique_ifname("wqx")
    with netns.namespace("wqf") as ns:
        result = quick(ns, tmp_path, ifname, "save")
        assert (result.returncode, result.stderr) == (1, f"wg-quick: `{ifname}' is not a WireGuard interface\n")


def test_up_with_an_mtu_that_is_not_a_number_touches_nothing(tmp_path):
    # The real tool creates the link and fails at `ip link set mtu abc`; ours refuses first.
    ifname = netns.unique_ifname("wqx")
    with netns.namespace("wqf") as ns:
        result = quick(ns, tmp_path, ifname, "up", extra="MTU = abc\nPreUp = touch %s/ran" % tmp_path)
        assert (result.returncode, result.stderr) == (1, "wg-quick: `abc' is not a valid MTU\n")
        assert ifname not in links(ns)
        assert not (tmp_path / "ran").exists()


def test_failing_preup_creates_nothing(tmp_path):
    ifname = netns.unique_ifname("wqx")
    with netns.namespace("wqf") as ns:
        result = quick(ns, tmp_path, ifname, "up", extra="PreUp = exit 3")
        assert result.returncode == 3
        assert "[#] exit 3\n" in result.stderr
        assert "wg-quick: `exit 3' failed (exit status 3)" in result.stderr
        assert ifname not in links(ns)


def test_missing_userspace_implementation(tmp_path):
    ifname = netns.unique_ifname("wqx")
    with netns.namespace("wqf") as ns:
        result = quick(ns, tmp_path, ifname, "up", impl="/nonexistent/wireguard-impl")
        assert result.returncode == 2
        assert "Missing WireGuard kernel module" not in result.stderr
        assert f"wg-quick: `ip link add {ifname} type wireguard' failed: Operation not supported" in result.stderr
        assert ifname not in links(ns)


def test_bad_address_names_the_step_and_undoes(tmp_path):
    ifname = netns.unique_ifname("wqx")
    try:
        with netns.namespace("wqf") as ns:
            result = quick(ns, tmp_path, ifname, "up", extra="Address = not-an-address")
            assert result.returncode == 1
            assert f"wg-quick: `ip -4 address add not-an-address dev {ifname}' failed" in result.stderr
            assert f"[#] ip link delete dev {ifname}" in result.stderr
            assert ifname not in links(ns)
            assert not netns.wait_for(lambda: (netns.SOCKET_DIR / f"{ifname}.sock").exists(), 0.5)
    finally:
        netns.remove_socket(ifname)


def test_sigterm_during_up_tears_down(tmp_path):
    import signal
    import time

    ifname = netns.unique_ifname("wqx")
    path = tmp_path / f"{ifname}.conf"
    path.write_text(CONF.format(extra=f"PostUp = touch {tmp_path}/started; sleep 30"))
    path.chmod(0o600)
    env = dict(os.environ, PYTHONPATH=str(REPO), WG_QUICK_USERSPACE_IMPLEMENTATION="wireguard-go",
               **our_wg_env())
    try:
        with netns.namespace("wqf") as ns:
            proc = ns.popen(sys.executable, "-m", "wg_quick_py", "up", str(path), env=env, text=True)
            assert netns.wait_for((tmp_path / "started").exists, 20)
            # `ip netns exec` execs, so the process we started is wg-quick itself.
            os.kill(proc.pid, signal.SIGTERM)
            start = time.monotonic()
            _out, err = proc.communicate(timeout=20)
            assert time.monotonic() - start < 10
            assert proc.returncode != 0
            assert f"[#] ip link delete dev {ifname}" in err
            assert ifname not in links(ns)
    finally:
        netns.remove_socket(ifname)
