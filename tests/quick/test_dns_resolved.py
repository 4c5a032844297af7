"""wg-quick's DNS= on a machine with systemd-resolved and no resolvconf (on purpose: the real
tool fails there with `resolvconf: command not found`).

systemd-resolved cannot run here (no systemd as PID 1 in the build machine), so a stub
`resolvectl` stands for it: it answers `status`, records every call, and answers `dns IF`
with what it was given. resolvconf is hidden by bind-mounting /dev/null over it in a private
mount namespace. Everything else is real: our wg-quick, our engine, a namespace."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap

import pytest

from tests.engine.helpers import REPO, genkey
from tests.support import netns

pytestmark = pytest.mark.netns

STUB = textwrap.dedent("""\
    #!/bin/sh
    echo "$*" >> "$RESOLVECTL_LOG"
    case "$1" in
    status) [ -n "$RESOLVED_DOWN" ] && { echo 'Failed to get global data: Could not activate remote peer' >&2; exit 1; }; exit 0 ;;
    dns) if [ $# -eq 2 ]; then echo "Link 9 ($2): $(grep '^dns ' "$RESOLVECTL_LOG" | grep -v "^dns $2\\$" | tail -n1 | cut -d' ' -f3-)"; fi ;;
    esac
    exit 0
""")


def run_hidden_resolvconf(ns, tmp_path, script: str, **extra_env):
    stubs = tmp_path / "bin"
    stubs.mkdir(exist_ok=True)
    (stubs / "resolvectl").write_text(STUB)
    (stubs / "resolvectl").chmod(0o755)
    env = dict(os.environ, PYTHONPATH=str(REPO), PATH=f"{stubs}:{os.environ['PATH']}",
               RESOLVECTL_LOG=str(tmp_path / "log"), **extra_env)
    env.pop("WG_QUICK_USERSPACE_IMPLEMENTATION", None)
    hide = 'r=$(command -v resolvconf) && mount --bind /dev/null "$r"; '
    return ns.run("unshare", "-m", "sh", "-c", hide + script, env=env, check=False, timeout=90)


def test_dns_goes_through_resolvectl_when_resolvconf_is_missing(tmp_path):
    tmp_path.chmod(0o700)
    ifname = netns.unique_ifname("wgd")
    conf = tmp_path / f"{ifname}.conf"
    conf.write_text(f"[Interface]\nPrivateKey = {genkey()[0]}\nAddress = 10.71.0.1/24\n"
                    "DNS = 10.71.0.53, 2001:db8::53, corp.example\n")
    conf.chmod(0o600)
    quick = f"{sys.executable} -m wg_quick_py"
    with netns.namespace("wgpyd") as ns:
        r = run_hidden_resolvconf(ns, tmp_path, f"{quick} up {conf} && {quick} save {conf} && {quick} down {conf}")
    assert r.returncode == 0, r.stderr
    assert f"[#] resolvectl dns {ifname} 10.71.0.53 2001:db8::53\n" in r.stderr
    assert f"[#] resolvectl domain {ifname} ~. corp.example\n" in r.stderr
    assert f"[#] resolvectl revert {ifname}\n" in r.stderr
    assert "resolvconf" not in r.stderr
    calls = (tmp_path / "log").read_text().splitlines()
    assert [c for c in calls if c != "status"] == [
        f"dns {ifname} 10.71.0.53 2001:db8::53", f"domain {ifname} ~. corp.example", f"dns {ifname}",
        f"revert {ifname}"]
    # `save` read the servers back from resolved.
    saved = conf.read_text()
    assert "DNS = 10.71.0.53\n" in saved and "DNS = 2001:db8::53\n" in saved


def test_without_resolved_resolvconf_is_used_as_the_real_tool_does(tmp_path):
    if shutil.which("resolvconf") is None:
        pytest.skip("needs resolvconf to hide (scripts/setup.sh installs openresolv)")
    tmp_path.chmod(0o700)
    ifname = netns.unique_ifname("wgd")
    conf = tmp_path / f"{ifname}.conf"
    conf.write_text(f"[Interface]\nPrivateKey = {genkey()[0]}\nAddress = 10.72.0.1/24\nDNS = 10.72.0.53\n")
    conf.chmod(0o600)
    with netns.namespace("wgpyd") as ns:
        r = run_hidden_resolvconf(ns, tmp_path, f"{sys.executable} -m wg_quick_py up {conf}", RESOLVED_DOWN="1")
        links = ns.run("ip", "-o", "link", check=False).stdout
    # resolvconf is there but cannot run (/dev/null over it): tried, fails, everything undone.
    assert r.returncode == 126, r.stderr
    assert f"[#] resolvconf -a {ifname} -m 0 -x\n" in r.stderr and "[#] resolvectl" not in r.stderr
    assert ifname not in links                                   # undone
