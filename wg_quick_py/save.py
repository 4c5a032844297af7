"""`wg-quick save`, and SaveConfig on `down`: write the running configuration back.

The new file is `wg showconf` with its [Interface] line replaced by wg-quick's keys as they
stand now (addresses on the link, resolvconf's nameservers, the MTU if the file set one,
Table, SaveConfig, the hooks). It is written to `<file>.tmp` with umask 077, synced, and
renamed over the file, so a crash never leaves a truncated config.
"""

from __future__ import annotations

import contextlib
import os
import stat

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
    """Replace `path` with `text` so that an interruption at any point leaves the old file
    or the new one, never a truncated one: a temporary file beside it (created exclusively,
    never through a symlink), fsynced, given the old file's owner, group and (owner) mode,
    renamed over it, and the directory fsynced."""
    tmp = f"{path}.tmp"
    try:
        st = os.stat(path)
    except OSError:
        st = None
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)        # left by an earlier save that was killed
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as f:
            if st is not None:
                with contextlib.suppress(OSError):
                    os.fchown(f.fileno(), st.st_uid, st.st_gid)
                # The old owner and group, and its mode without group or other bits (the
                # real tool's umask 077: a private key is never readable by others).
                os.fchmod(f.fileno(), stat.S_IMODE(st.st_mode) & 0o700)
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
    with contextlib.suppress(OSError):
        dirfd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dirfd)
        finally:
            os.close(dirfd)