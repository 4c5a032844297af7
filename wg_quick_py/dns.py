"""DNS while the interface is up, through resolvconf(8) (Debian's resolvconf or openresolv).

The record is named after the interface, with the prefix Debian's resolvconf wants for
tunnels (`tun.` from /etc/resolvconf/interface-order) when that file says so.

Where there is no `resolvconf` but systemd-resolved runs (`resolvectl status` answers), the
real wg-quick fails with `resolvconf: command not found`; ours (on purpose, a long-standing
complaint: NixOS/nixpkgs#139526, angristan/wireguard-install#41) sets the link's DNS with
`resolvectl dns IF SERVERS...` and `resolvectl domain IF ~. SEARCH...` (`~.`: every query goes
to the tunnel's servers, as `resolvconf -x` makes them exclusive), and `resolvectl revert IF`
on the way down. Each is announced with `[#] ...` like every other step.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from wg_quick_py import proc

INTERFACE_ORDER = "/etc/resolvconf/interface-order"
RUN_DIR = "/etc/resolvconf/run/interface"
_PATTERN = re.compile(r"^([A-Za-z0-9-]+)\*$")


def record_name(ifname: str) -> str:
    """`<prefix><ifname>`, the prefix being the first `name*` line of interface-order, plus a dot."""
    try:
        with open(INTERFACE_ORDER) as f:
            lines = f.read().splitlines()
    except OSError:
        return ifname
    for line in lines:
        match = _PATTERN.match(line.strip())
        if match:
            return f"{match.group(1)}.{ifname}"
    return ifname


def resolv_text(nameservers: list[str], search: list[str]) -> str:
    text = "".join(f"nameserver {ns}\n" for ns in nameservers)
    if search:
        text += f"search {' '.join(search)}\n"
    return text


def use_resolved() -> bool:
    """True where resolvconf is missing and systemd-resolved answers `resolvectl status`."""
    if shutil.which("resolvconf") or not shutil.which("resolvectl"):
        return False
    status, _ = proc.capture(["resolvectl", "status"], quiet=True)
    return status == 0


def set_dns(ifname: str, nameservers: list[str], search: list[str]) -> None:
    """`resolvconf -a NAME -m 0 -x` (metric 0, exclusive) fed the nameserver/search lines."""
    if use_resolved():
        proc.run(["resolvectl", "dns", ifname, *nameservers])
        proc.run(["resolvectl", "domain", ifname, "~.", *search])
        return
    proc.run(["resolvconf", "-a", record_name(ifname), "-m", "0", "-x"],
             stdin_text=resolv_text(nameservers, search))


def unset_dns(ifname: str) -> None:
    if use_resolved():
        proc.run(["resolvectl", "revert", ifname])
        return
    proc.run(["resolvconf", "-d", record_name(ifname), "-f"])


def nameservers(ifname: str) -> list[str]:
    """The nameservers resolvconf holds for the interface (for `save`; search domains are not
    kept, as in the real tool)."""
    if use_resolved():
        # `Link 5 (wg0): 10.0.0.53 2001:db8::53`
        status, text = proc.capture(["resolvectl", "dns", ifname], quiet=True)
        return text.split(":", 1)[1].split() if status == 0 and ":" in text else []
    name = record_name(ifname)
    try:
        text = subprocess.run(["resolvconf", "-l", name], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        try:
            with open(f"{RUN_DIR}/{name}") as f:
                text = f.read()
        except OSError:
            return []
    found = []
    for line in text.splitlines():
        match = re.match(r"^nameserver ([a-zA-Z0-9_=+:%.-]+)$", line.strip())
        if match:
            found.append(match.group(1))
    return found
