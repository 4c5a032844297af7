"""Taking an interface away (the real tool's del_if), for `down` and for a failed `up`.

Deleting the link takes its addresses and routes with it, and a userspace engine exits when
its TUN device goes; what outlives the link is undone here: resolvconf's record and the
firewall tables (when `up` got that far), and the policy-routing rules of a default route.
"""

from __future__ import annotations

import os
import time

from wg_py.uapi import socket_path

from wg_quick_py import dns, firewall, net, proc, wgtool
from wg_quick_py.conffile import Context
from wg_quick_py.errors import QuickError

ENGINE_EXIT_WAIT_S = 3.0


def del_if(ctx: Context, *, dns_set: bool = False, firewall_set: bool = False) -> None:
    ifname, cfg = ctx.interface, ctx.config
    if dns_set:
        dns.unset_dns(ifname)
    if firewall_set:
        firewall.remove(ifname)
    if cfg.table in (None, "auto"):
        state = wgtool.dump(ifname)
        if state is not None and state.fwmark is not None and state.has_default_route:
            for flag in ("-4", "-6"):
                net.delete_rules(flag, state.fwmark)
    net.delete_link(ifname)
    _wait_for_engine_exit(ifname)


def undo_failed_up(ctx: Context, *, dns_set: bool, firewall_set: bool) -> None:
    """Best effort: every step is tried even if an earlier one fails, and nothing is raised."""
    ifname = ctx.interface
    steps = []
    if dns_set:
        steps.append(lambda: dns.unset_dns(ifname))
    if firewall_set:
        steps.append(lambda: firewall.remove(ifname))
    if net.link_exists(ifname):
        steps.append(lambda: del_if(ctx))
    for step in steps:
        try:
            step()
        except QuickError as e:
            proc.report(e)


def _wait_for_engine_exit(ifname: str) -> None:
    """A userspace engine removes its UAPI socket as it exits; wait (briefly) for that, so a
    `down` followed at once by `up` does not find the old one still answering."""
    path = socket_path(ifname)
    deadline = time.monotonic() + ENGINE_EXIT_WAIT_S
    while os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.02)
