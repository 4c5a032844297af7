"""Talking to the interface through `wg`, as the real wg-quick does.

We call wg-py's own `wg` in-process (its dispatch, `wg_py.cli.main.main`), so kernel links and
userspace engines are reached exactly as the user's `wg` reaches them, without paying a
Python start-up per call. The lines announced are the ones the real tool prints
(`[#] wg setconf wg0 /dev/fd/63`); queries are silent, as its are. `WG_QUICK_WG` may name
another wg program to run as a subprocess instead (for instance /usr/bin/wg).
"""

from __future__ import annotations

import contextlib
import io
import os
import shlex
import sys
import tempfile
from dataclasses import dataclass, field

from wg_quick_py import proc
from wg_quick_py.errors import NotWireGuard, StepFailed


def wg(args: list[str], *, capture: bool = False, pass_fds: tuple[int, ...] = ()) -> tuple[int, str]:
    """Run `wg ARGS`; returns (exit status, stdout if captured). stderr goes to ours."""
    override = os.environ.get("WG_QUICK_WG")
    if override:
        argv = [*shlex.split(override), *args]
        if capture:
            return proc.capture(argv)
        return proc.call(argv, pass_fds=pass_fds), ""
    from wg_py.cli.main import main as wg_main

    with _stdout_captured() if capture else contextlib.nullcontext() as captured:
        try:
            status = wg_main(["wg", *args])
        except SystemExit as e:
            status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        sys.stdout.flush()
    return status, captured.read() if capture else ""


@contextlib.contextmanager
def _stdout_captured():
    """Point fd 1 at a temporary file for the duration: our `wg` writes to the descriptor
    itself, as the C tool's stdio does, so swapping `sys.stdout` would not be enough."""
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile("w+b") as tmp:
        os.dup2(tmp.fileno(), 1)
        reader = io.StringIO()
        try:
            yield reader
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
            tmp.seek(0)
            reader.write(tmp.read().decode("utf-8", "surrogateescape"))
            reader.seek(0)


def setconf(ifname: str, text: str) -> None:
    """`wg setconf IF /dev/fd/63` with `text` (the stripped config) behind that descriptor."""
    with proc.substitution(text) as path:
        shown = f"wg setconf {ifname} {path}"
        proc.announce(shown)
        status, _ = wg(["setconf", ifname, path], pass_fds=(int(path.rsplit("/", 1)[1]),))
    if status != 0:
        raise StepFailed(shown, status)


def set_fwmark(ifname: str, mark: int) -> None:
    shown = f"wg set {ifname} fwmark {mark}"
    proc.announce(shown)
    status, _ = wg(["set", ifname, "fwmark", str(mark)])
    if status != 0:
        raise StepFailed(shown, status)


def showconf(ifname: str) -> str:
    shown = f"wg showconf {ifname}"
    proc.announce(shown)
    status, out = wg(["showconf", ifname], capture=True)
    if status != 0:
        raise StepFailed(shown, status)
    return out


def interfaces() -> list[str]:
    """`wg show interfaces`, split (empty when it fails)."""
    _status, out = wg(["show", "interfaces"], capture=True)
    return out.split()


@dataclass
class Dump:
    """What up/down need from `wg show IF dump`."""

    fwmark: int | None = None                      # None: off
    endpoints: list[str] = field(default_factory=list)
    allowed_ips: list[str] = field(default_factory=list)

    @property
    def has_default_route(self) -> bool:
        return any(p.endswith("/0") for p in self.allowed_ips)


def require_wireguard(ifname: str) -> None:
    """`down` and `save` refuse an interface `wg show interfaces` does not list."""
    if ifname not in interfaces():
        raise NotWireGuard(ifname)


def dump(ifname: str) -> Dump | None:
    """Parse `wg show IF dump`; None when the interface cannot be read."""
    status, out = wg(["show", ifname, "dump"], capture=True)
    if status != 0:
        return None
    lines = out.splitlines()
    if not lines:
        return None
    result = Dump()
    head = lines[0].split("\t")
    if len(head) >= 4 and head[3] not in ("off", "0"):
        result.fwmark = int(head[3], 0)
    for line in lines[1:]:
        fields = line.split("\t")
        if len(fields) < 4:
            continue
        if fields[2] != "(none)":
            result.endpoints.append(fields[2])
        if fields[3] != "(none)":
            result.allowed_ips += [p for p in fields[3].split(",") if p]
    return result
