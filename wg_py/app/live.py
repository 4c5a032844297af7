"""`wg-py top`: a live view of the peers, refreshed every interval.

Rates are computed from two successive reads of the counters (bytes per second over the
interval); each peer keeps a short history of its combined rate, drawn as a sparkline.
Peers are sorted by activity (current rate, then the most recent handshake). Full screen in
a terminal (rich Live on the alternate screen), `q` or Ctrl-C leaves with the terminal as it
was; `frames` > 0 prints that many frames one after the other instead and exits.
"""

from __future__ import annotations

import collections
import contextlib
import os
import select
import sys
import time

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from wg_py import api
from wg_py.app import render

HISTORY = 16
SPARKS = "▁▂▃▄▅▆▇█"


class Rates:
    """Per-peer byte rates from successive reads of the counters."""

    def __init__(self) -> None:
        self.last: dict[tuple[str, str], tuple[float, int, int]] = {}
        self.history: dict[tuple[str, str], collections.deque] = {}

    def update(self, iface: api.Interface, when: float) -> dict[str, tuple[float, float]]:
        """(rx/s, tx/s) per peer public key since the previous update (0 for the first)."""
        out = {}
        for peer in iface.peers:
            key = (iface.name, peer.public_key)
            prev = self.last.get(key)
            if prev is None or when <= prev[0]:
                rx_rate = tx_rate = 0.0
            else:
                span = when - prev[0]
                # A counter that went backwards (engine restarted): count from zero.
                rx_rate = (peer.rx_bytes - prev[1] if peer.rx_bytes >= prev[1] else peer.rx_bytes) / span
                tx_rate = (peer.tx_bytes - prev[2] if peer.tx_bytes >= prev[2] else peer.tx_bytes) / span
            self.last[key] = (when, peer.rx_bytes, peer.tx_bytes)
            self.history.setdefault(key, collections.deque(maxlen=HISTORY)).append(rx_rate + tx_rate)
            out[peer.public_key] = (rx_rate, tx_rate)
        return out

    def spark(self, iface: str, public_key: str) -> str:
        values = list(self.history.get((iface, public_key), ()))
        top = max(values, default=0)
        if top <= 0:
            return SPARKS[0] * len(values)
        return "".join(SPARKS[min(int(v / top * (len(SPARKS) - 1) + 0.5), len(SPARKS) - 1)] for v in values)


WIDE = 120   # columns from which allowed IPs and the rate history are shown too


def frame(interfaces: list[api.Interface], rates: Rates, current: dict, now: float, interval: float,
          width: int = 80) -> Group:
    """One screen: a table per interface. Fits 80 columns (as over ssh); a wide terminal
    also gets the allowed IPs and each peer's rate history."""
    wide = width >= WIDE
    tables = []
    for iface in interfaces:
        table = Table(title=f"{iface.name}  {render.count(len(iface.peers), 'peer')}  port {iface.listen_port or '-'}  "
                            f"every {interval:g}s  (q quits)", title_justify="left", box=box.SIMPLE_HEAD,
                      pad_edge=False, expand=wide)
        columns = [("peer", "left"), ("endpoint", "left")] + ([("allowed ips", "left")] if wide else []) + [
            ("handshake", "right"), ("rx", "right"), ("tx", "right"), ("rx/s", "right"), ("tx/s", "right")]
        if wide:
            columns.append(("history", "left"))
        for column, justify in columns:
            table.add_column(column, justify=justify, no_wrap=True, overflow="ellipsis",
                             min_width=10 if column == "peer" else None)
        peer_rates = current.get(iface.name, {})

        def activity(peer: api.Peer) -> tuple:
            rx, tx = peer_rates.get(peer.public_key, (0.0, 0.0))
            seen = peer.latest_handshake.timestamp() if peer.latest_handshake else 0
            return (-(rx + tx), -seen)

        for peer in sorted(iface.peers, key=activity):
            rx, tx = peer_rates.get(peer.public_key, (0.0, 0.0))
            seconds = peer.handshake_age_seconds(now)
            cells = [peer.name or render.short_key(peer.public_key), peer.endpoint or "-"]
            if wide:
                cells.append(", ".join(peer.allowed_ips) or "-")
            cells += [Text(render.age(seconds), style=render.HEALTH_STYLE[render.health(seconds)]),
                      render.short_size(peer.rx_bytes), render.short_size(peer.tx_bytes),
                      render.short_size(rx) + "/s", render.short_size(tx) + "/s"]
            if wide:
                cells.append(rates.spark(iface.name, peer.public_key))
            table.add_row(*cells)
        tables.append(table)
    if not tables:
        tables.append(Text("no WireGuard interfaces"))
    return Group(*tables)


def sample(target: str, config: str | None, rates: Rates) -> tuple[list[api.Interface], dict, float]:
    names = api.list_interfaces() if target == "all" else [target]
    interfaces = [api.get_interface(name, config) for name in names]
    now = time.time()
    current = {iface.name: rates.update(iface, now) for iface in interfaces}
    return interfaces, current, now


@contextlib.contextmanager
def keys_without_echo():
    """stdin in cbreak mode (single keys, no echo) while the view runs, restored after."""
    if not sys.stdin.isatty():
        yield None
        return
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield fd
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def wait_for_quit(fd: int | None, seconds: float) -> bool:
    """Sleep up to `seconds`; True if `q` was pressed."""
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        if fd is None:
            time.sleep(left)
            return False
        ready, _, _ = select.select([fd], [], [], left)
        if ready and os.read(fd, 32).lower().startswith(b"q"):
            return True


def run_top(target: str, interval: float, frames: int, config: str | None) -> None:
    rates = Rates()
    console = Console()
    sample(target, config, rates)          # the first read: counters to compute rates from
    if frames:
        for _ in range(frames):
            time.sleep(interval)
            interfaces, current, now = sample(target, config, rates)
            console.print(frame(interfaces, rates, current, now, interval, console.width))
        return
    from rich.live import Live

    with keys_without_echo() as fd, Live(console=console, screen=True, auto_refresh=False) as live:
        try:
            while True:
                if wait_for_quit(fd, interval):
                    return
                interfaces, current, now = sample(target, config, rates)
                live.update(frame(interfaces, rates, current, now, interval, console.width), refresh=True)
        except KeyboardInterrupt:
            return
