"""The firewall half of a default route: keep the tunnel's own addresses from being spoofed in
from other interfaces, and carry WireGuard's fwmark over to reply packets through conntrack
(that is why `src_valid_mark` is turned on). nftables when `nft` is installed, otherwise
iptables-restore; everything is tagged with the interface name so `remove()` finds it again.
"""

from __future__ import annotations

import shutil

from wg_quick_py import net, proc


def _marker(ifname: str) -> str:
    return f'-m comment --comment "wg-quick(8) rule for {ifname}"'


def nft_script(ifname: str, flag: str, table: int, addresses: list[str]) -> str:
    """The `nft -f` input: table `ip|ip6 wg-quick-IF` with its three chains and rules."""
    pf = "ip6" if flag == "-6" else "ip"
    name = f"{pf} wg-quick-{ifname}"
    lines = [
        f"add table {name}",
        f"add chain {name} preraw {{ type filter hook prerouting priority -300; }}",
        f"add chain {name} premangle {{ type filter hook prerouting priority -150; }}",
        f"add chain {name} postmangle {{ type filter hook postrouting priority -150; }}",
    ]
    lines += [f'add rule {name} preraw iifname != "{ifname}" {pf} daddr {a.split("/")[0]} '
              "fib saddr type != local drop" for a in addresses]
    lines.append(f"add rule {name} postmangle meta l4proto udp mark {table} ct mark set mark ")
    lines.append(f"add rule {name} premangle meta l4proto udp meta mark set ct mark ")
    return "".join(line + "\n" for line in lines)


def iptables_script(ifname: str, table: int, addresses: list[str]) -> str:
    """The `iptables-restore -n` input doing the same with raw/mangle rules and CONNMARK."""
    marker = _marker(ifname)
    lines = ["*raw"]
    lines += [f"-I PREROUTING ! -i {ifname} -d {a.split('/')[0]} -m addrtype ! --src-type LOCAL -j DROP {marker}"
              for a in addresses]
    lines += ["COMMIT", "*mangle",
              f"-I POSTROUTING -m mark --mark {table} -p udp -j CONNMARK --save-mark {marker}",
              f"-I PREROUTING -p udp -j CONNMARK --restore-mark {marker}",
              "COMMIT"]
    return "".join(line + "\n" for line in lines)


def install(ifname: str, flag: str, table: int) -> None:
    """Add the rules for one address family (after the routes and policy rules)."""
    family = 10 if flag == "-6" else 2
    addresses = net.addresses(ifname, family)
    if shutil.which("nft"):
        proc.run_with_file(["nft", "-f"], nft_script(ifname, flag, table, addresses))
    else:
        tool = "ip6tables-restore" if flag == "-6" else "iptables-restore"
        proc.run([tool, "-n"], stdin_text=iptables_script(ifname, table, addresses))


def remove(ifname: str) -> None:
    """Delete every nft table named `wg-quick-IF` and every iptables rule tagged for IF."""
    if shutil.which("nft"):
        _status, tables = proc.capture(["nft", "list", "tables"])
        script = "".join(f"delete {line.strip()}\n" for line in tables.splitlines()
                         if line.strip().endswith(f" wg-quick-{ifname}"))
        if script:
            proc.run_with_file(["nft", "-f"], script)
    if shutil.which("iptables"):
        for tool in ("iptables", "ip6tables"):
            script = _iptables_undo(ifname, proc.capture([f"{tool}-save"])[1])
            if script:
                proc.run([f"{tool}-restore", "-n"], stdin_text=script)


def _iptables_undo(ifname: str, saved: str) -> str:
    """`*-save` output → a restore script deleting (`-D`) our tagged rules; "" if none."""
    tag = f"{_marker(ifname)}"
    out, found = [], False
    for line in saved.splitlines():
        line = line.strip()
        if line.startswith("*") or line == "COMMIT":
            out.append(line)
        elif line.startswith("-A ") and tag in line:
            found = True
            out.append("-D" + line[2:])
    return "".join(line + "\n" for line in out) if found else ""
