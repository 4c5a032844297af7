"""`wg-quick up`: the real tool's order, step by step, and all of it undone if a step fails.

PreUp hooks; create the interface (kernel link, else the userspace engine); `wg setconf`
with the stripped config; addresses; MTU and link up; DNS; a route for every allowed IP (a
default route gets its own table, fwmark, policy rules and firewall); PostUp hooks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wg_quick_py import dns, firewall, hooks, net, proc, teardown, userspace, wgtool
from wg_quick_py.conffile import Context
from wg_quick_py.errors import AlreadyExists, QuickError

FIRST_DEFAULT_TABLE = 51820
MTU_OVERHEAD = 80            # the largest WireGuard overhead: IPv6 (40) + UDP (8) + WireGuard (32)
FALLBACK_MTU = 1500
_ENDPOINT = re.compile(r"\[?([a-z0-9:.]+)\]?:[0-9]+")
_PREFIX = re.compile(r"[0-9a-z:.]+/[0-9]+")


@dataclass
class Progress:
    """What has been done that deleting the link does not undo."""

    dns_set: bool = False
    firewall_set: bool = False
    fwmark: int | None = None


def run(ctx: Context) -> int:
    ctx.config.mtu  # an MTU that is not a number fails here, before anything is touched
    if net.link_exists(ctx.interface):
        raise AlreadyExists(ctx.interface)
    progress = Progress()
    try:
        bring_up(ctx, progress)
    except BaseException as e:
        # Report first, as the real tool's failing command does, then take it all back.
        if isinstance(e, QuickError):
            proc.report(e)
        teardown.undo_failed_up(ctx, dns_set=progress.dns_set, firewall_set=progress.firewall_set)
        raise
    return 0


def bring_up(ctx: Context, progress: Progress) -> None:
    ifname, cfg = ctx.interface, ctx.config
    hooks.run_hooks(cfg.pre_up, ifname, ctx.path)
    userspace.create_interface(ifname)
    wgtool.setconf(ifname, cfg.wg_text)
    state = wgtool.dump(ifname) or wgtool.Dump()
    progress.fwmark = state.fwmark
    for address in cfg.addresses:
        net.add_address(ifname, address)
    net.set_mtu_up(ifname, cfg.mtu if cfg.mtu is not None else auto_mtu(state.endpoints))
    if cfg.dns:
        dns.set_dns(ifname, cfg.dns, cfg.dns_search)
        progress.dns_set = True
    for prefix in route_order(state.allowed_ips):
        add_route(ctx, prefix, progress)
    hooks.run_hooks(cfg.post_up, ifname, ctx.path)


def auto_mtu(endpoints: list[str]) -> int:
    """The largest MTU on the way to any endpoint, else the default route's, else 1500; minus
    WireGuard's overhead."""
    mtu = 0
    for endpoint in endpoints:
        match = _ENDPOINT.fullmatch(endpoint)
        if match:
            mtu = max(mtu, net.route_mtu(match.group(1)) or 0)
    if mtu == 0:
        mtu = net.default_route_mtu() or 0
    return (mtu if mtu > 0 else FALLBACK_MTU) - MTU_OVERHEAD


def route_order(allowed_ips: list[str]) -> list[str]:
    """Longest prefixes first; ties in descending byte order (`sort -nr -k 2 -t /`, LC_ALL=C)."""
    prefixes = [p for p in allowed_ips if _PREFIX.fullmatch(p)]
    return sorted(prefixes, key=lambda p: (int(p.split("/", 1)[1]), p.encode()), reverse=True)


def add_route(ctx: Context, prefix: str, progress: Progress) -> None:
    ifname, table = ctx.interface, ctx.config.table
    if table == "off":
        return
    if table is not None and table != "auto":
        net.add_route(ifname, prefix, table)
    elif prefix.endswith("/0"):
        add_default(ctx, prefix, progress)
    elif not net.has_covering_route(ifname, prefix):
        net.add_route(ifname, prefix)


def add_default(ctx: Context, prefix: str, progress: Progress) -> None:
    """A default route through the tunnel, in its own table, without looping WireGuard's own
    packets: they carry the fwmark and skip the table; the main table's specific routes win."""
    ifname = ctx.interface
    if progress.fwmark is None:
        table = FIRST_DEFAULT_TABLE
        while net.table_in_use(table):
            table += 1
        wgtool.set_fwmark(ifname, table)
        progress.fwmark = table
    table = progress.fwmark
    flag = net.family_flag(prefix)
    net.add_route(ifname, prefix, str(table))
    net.add_rule_not_fwmark(flag, table)
    net.add_rule_suppress_main(flag)
    if flag == "-4":
        net.enable_src_valid_mark()
    progress.firewall_set = True
    firewall.install(ifname, flag, table)
