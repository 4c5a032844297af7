"""Run the real wg-quick and ours on the same config, each in a fresh namespace, and collect
what each left behind: the `[#]` lines, `ip addr`, routes of all tables, rules, the nft
ruleset, `wg showconf`, resolv.conf and hook markers; then the same after `down`.

DNS goes through openresolv, which rewrites /etc/resolv.conf: every run is inside a private
mount namespace (`unshare -m`) with a tmpfs on /run/resolvconf and a scratch file bound over
/etc/resolv.conf, so the host's own resolver configuration is never touched.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.support import netns

REPO = Path(__file__).resolve().parents[2]
REAL = "/usr/bin/wg-quick"
SECTION = re.compile(r"^@@(\S+)$", re.M)

SNAPSHOT = """
echo @@addr; ip addr
echo @@route4; ip -4 route show table all
echo @@route6; ip -6 route show table all
echo @@rule4; ip -4 rule
echo @@rule6; ip -6 rule
echo @@nft; /usr/sbin/nft list ruleset
echo @@iptables; for t in iptables ip6tables; do command -v $t-save >/dev/null && $t-save | grep -v '^#'; done
echo @@resolv; cat /etc/resolv.conf
echo @@markers; cat "$T"/marker-* 2>/dev/null || true
"""

SCRIPT = """
set -u
set -e
mkdir -p /run/resolvconf
mount -t tmpfs none /run/resolvconf
printf 'nameserver 192.0.2.53\\n' > "$T/resolv.conf"
mount --bind "$T/resolv.conf" /etc/resolv.conf
rm -f "$T"/marker-*
{setup}
set +e
# The device is read (and changed between up and down) with the real wg, for both tools.
wg() {{ /usr/bin/wg "$@"; }}
tool() {{ if [ "$WHICH" = real ]; then {real} "$@"; else {python} -m wg_quick_py "$@"; fi; }}
tool up "$CONF" >"$T/up.out" 2>"$T/up.err"; st=$?; echo "@@up-status"; echo $st
{snapshot}
echo @@showconf; wg showconf "$IF"
{between}
echo @@saved; cat "$CONF"
tool down "$CONF" >"$T/down.out" 2>"$T/down.err"; st=$?; echo "@@down-status"; echo $st
echo @@after; ip link show; ip -4 rule; ip -6 rule; /usr/sbin/nft list ruleset; cat /etc/resolv.conf
test -e /var/run/wireguard/"$IF".sock && echo socket-left || true
echo @@file; cat "$CONF"
echo @@filemeta; stat -c %a "$CONF"; ls "$T"
echo @@end
"""


def our_wg_env() -> dict[str, str]:
    """Our wg-quick drives our `wg` once wg-py has the subcommands it needs."""
    needed = ("wg_py.cli.setconf", "wg_py.cli.show", "wg_py.cli.set", "wg_py.cli.showconf")
    if all(importlib.util.find_spec(m) for m in needed):
        return {}
    return {"WG_QUICK_WG": "/usr/bin/wg"}


@dataclass
class Outcome:
    sections: dict[str, str]
    up_err: str
    down_err: str

    def commands(self, which: str) -> list[str]:
        text = self.up_err if which == "up" else self.down_err
        return [line for line in text.splitlines() if line.startswith(("[#]", "[!]"))]


def normalise(text: str) -> str:
    """What legitimately differs between two runs: link indexes, random MACs and link-locals."""
    text = re.sub(r"^\d+: ", "N: ", text, flags=re.M)
    text = re.sub(r"fe80::[0-9a-f:]+", "fe80::X", text)
    text = re.sub(r"\b(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\b", "MAC", text)
    text = re.sub(r"counter packets \d+ bytes \d+", "counter", text)   # handshake attempts
    text = re.sub(r"\[\d+:\d+\]", "[0:0]", text)
    text = text.replace(" tentative ", " ")   # duplicate address detection still running, or not
    return sort_peers(text)


def sort_peers(text: str) -> str:
    """wireguard-go lists peers in Go map order (random), so `wg showconf` and files saved from it
    may order [Peer] sections either way: compare them sorted."""
    head, *peers = text.split("\n[Peer]\n")
    peers = sorted(p.strip("\n") for p in peers)
    return head + "".join("\n[Peer]\n" + p + "\n" for p in peers)


def _anonymise(text: str, tmp: Path, ifname: str) -> str:
    # Each tool ran with its own interface name and directory; make those the same words.
    return text.replace(str(tmp), "$T").replace(ifname, "$IF")


def run_tool(which: str, tmp: Path, ifname: str, conf_text: str, setup: str = "",
             between: str = "") -> Outcome:
    conf = tmp / f"{ifname}.conf"
    conf.write_text(conf_text.replace("{T}", str(tmp)))
    conf.chmod(0o600)
    script = SCRIPT.format(setup=setup, real=REAL, python=sys.executable, snapshot=SNAPSHOT,
                           between=between)
    env = dict(os.environ, T=str(tmp), CONF=str(conf), IF=ifname, WHICH=which,
               PYTHONPATH=str(REPO), WG_QUICK_USERSPACE_IMPLEMENTATION="wireguard-go",
               LOG_LEVEL="error")
    if which == "ours":
        env.update(our_wg_env())
    try:
        with netns.namespace("wgq") as ns:
            proc = ns.run("unshare", "-m", "bash", "-c", script, env=env, check=False, timeout=60)
    finally:
        netns.remove_socket(ifname)
    stdout = _anonymise(proc.stdout, tmp, ifname)
    parts = SECTION.split(stdout)
    sections = {parts[i]: parts[i + 1].strip("\n") for i in range(1, len(parts) - 1, 2)}
    assert "end" in sections, stdout + proc.stderr
    return Outcome(sections, _anonymise((tmp / "up.err").read_text(), tmp, ifname),
                   _anonymise((tmp / "down.err").read_text(), tmp, ifname))


def side_by_side(tmp: Path, conf_text: str, setup: str = "", between: str = "") -> tuple[Outcome, Outcome]:
    """Both tools at once (each in its own namespace, with its own interface name and directory)."""
    runs = {}
    for which in ("real", "ours"):
        (tmp / which).mkdir()
        runs[which] = (tmp / which, netns.unique_ifname("wgq"))
    with ThreadPoolExecutor(2) as pool:
        futures = {which: pool.submit(run_tool, which, d, name, conf_text, setup, between)
                   for which, (d, name) in runs.items()}
        return futures["real"].result(), futures["ours"].result()
