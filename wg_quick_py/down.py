"""`wg-quick down`: PreDown hooks, save if SaveConfig, remove the interface and what outlives
it, PostDown hooks. Like the real tool it re-reads the config file (DNS, Table, hooks) rather
than remembering what `up` did."""

from __future__ import annotations

from wg_quick_py import dns, firewall, hooks, proc, save, teardown, wgtool
from wg_quick_py.conffile import Context
from wg_quick_py.errors import QuickError


def run(ctx: Context) -> int:
    ifname, cfg = ctx.interface, ctx.config
    wgtool.require_wireguard(ifname)
    hooks.run_hooks(cfg.pre_down, ifname, ctx.path)
    if cfg.save_config:
        save.save_config(ctx)
    teardown.del_if(ctx)
    # These two may find nothing to do, or fail, without failing `down` (as in the real tool).
    if cfg.dns:
        _tolerate(lambda: dns.unset_dns(ifname))
    _tolerate(lambda: firewall.remove(ifname))
    hooks.run_hooks(cfg.post_down, ifname, ctx.path)
    return 0


def _tolerate(step) -> None:
    try:
        step()
    except QuickError as e:
        proc.report(e)
