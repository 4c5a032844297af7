"""`wg-quick save`, and SaveConfig on `down`: write the running configuration back.

The new file is `wg showconf` with its [Interface] line replaced by wg-quick's keys as they
stand now (addresses on the link, resolvconf's nameservers, the MTU if the file set one,
Table, SaveConfig, the hooks). It is written to `<file>.tmp` with umask 077, synced, and
renamed over the file, so a crash never leaves a truncated config.
"""

from __future__ import annotations

import contextlib
import os

from wg_quick_py import dns, net, wgtool
from wg_quick_py.conffile import Context
from wg_quick_py.errors import SaveFailed


def run(ctx: Context) -> int:
    wgtool.require_wireguard(ctx.interface)
    save_config(ctx)
    return 0


def interface_section(ctx: Context) -> str:
    ifname, cfg = ctx.interface, ctx.config
    lines = ["[Interface]"]
    lines += [f"Address = {a}" for a in net.addresses(ifname)]
    lines += [f"DNS = {ns}" for ns in dns.nameservers(ifname)]
    index = net.link_index(ifname)
    if cfg.mtu is not None and index is not None:
        lines.append(f"MTU = {net.link_mtu(index)}")
    if cfg.table is not None:
        lines.append(f"Table = {cfg.table}")
    if cfg.save_config:
        lines.append("SaveConfig = true")
    for key, hooks in (("PreUp", cfg.pre_up), ("PostUp", cfg.post_up),
                       ("PreDown", cfg.pre_down), ("PostDown", cfg.post_down)):
        lines += [f"{key} = {hook}" for hook in hooks]
    return "".join(line + "\n" for line in lines)


def save_config(ctx: Context) -> None:
    header = interface_section(ctx)
    old_umask = os.umask(0o077)
    try:
        current = wgtool.showconf(ctx.interface).rstrip("\n")
        text = current.replace("[Interface]\n", header, 1) + "\n"
        write_atomically(ctx.path, text)
    finally:
        os.umask(old_umask)


def write_atomically(path: str, text: str) -> None:
    tmp = f"{path}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8", "surrogateescape"))
            f.flush()
            os.fsync(f.fileno())
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise SaveFailed("write") from None
    try:
        os.rename(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise SaveFailed("move") from None
