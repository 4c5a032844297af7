"""DNS while the interface is up, through resolvconf(8) (Debian's resolvconf or openresolv).

The record is named after the interface, with the prefix Debian's resolvconf wants for
tunnels (`tun.` from /etc/resolvconf/interface-order) when that file says so.
"""

from __future__ import annotations

import re
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


def set_dns(ifname: str, nameservers: list[str], search: list[str]) -> None:
    """`resolvconf -a NAME -m 0 -x` (metric 0, exclusive) fed the nameserver/search lines."""
    proc.run(["resolvconf", "-a", record_name(ifname), "-m", "0", "-x"],
             stdin_text=resolv_text(nameservers, search))


def unset_dns(ifname: str) -> None:
    proc.run(["resolvconf", "-d", record_name(ifname), "-f"])


def nameservers(ifname: str) -> list[str]:
    """The nameservers resolvconf holds for the interface (for `save`; search domains are not
    kept, as in the real tool)."""
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
