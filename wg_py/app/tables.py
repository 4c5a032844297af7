"""`wg-py show` for people: one rich table per interface."""

from __future__ import annotations

import time

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from wg_py.api import Interface, PeerEntry
from wg_py.app import render


def interface_table(iface: Interface, show_keys: bool, now: float | None = None) -> Table:
    now = time.time() if now is None else now
    bits = [f"public key {iface.public_key or '(none)'}"]
    if iface.private_key:
        bits.append(f"private key {iface.private_key if show_keys else render.HIDDEN}")
    if iface.listen_port:
        bits.append(f"port {iface.listen_port}")
    if iface.fwmark:
        bits.append(f"fwmark 0x{iface.fwmark:x}")
    table = Table(title=f"{iface.name}  ({render.count(len(iface.peers), 'peer')})", caption="  ·  ".join(bits),
                  title_justify="left", caption_justify="left", expand=False, box=box.SIMPLE_HEAD, pad_edge=False,
                  padding=(0, 1, 0, 0))
    # Fits 80 columns with an IPv4 endpoint; only the peer and its allowed IPs may wrap.
    for column, justify in (("peer", "left"), ("endpoint", "left"), ("allowed ips", "left"),
                            ("handshake", "right"), ("rx", "right"), ("tx", "right"), ("keep", "right")):
        table.add_column(column, justify=justify, overflow="fold", no_wrap=column not in ("peer", "allowed ips"),
                         min_width=18 if column == "allowed ips" else None)
    for peer in iface.peers:
        seconds = peer.handshake_age_seconds(now)
        state = render.health(seconds)
        table.add_row(peer.name or peer.public_key, peer.endpoint or "(none)", "\n".join(peer.allowed_ips) or "(none)",
                      Text(render.age(seconds), style=render.HEALTH_STYLE[state]),
                      render.short_size(peer.rx_bytes), render.short_size(peer.tx_bytes),
                      f"{peer.persistent_keepalive}s" if peer.persistent_keepalive else "off")
    return table


def print_interfaces(interfaces: list[Interface], show_keys: bool) -> None:
    console = Console()
    if not interfaces:
        console.print("no WireGuard interfaces")
    for iface in interfaces:
        console.print(interface_table(iface, show_keys))


def print_peer_entries(interface: str, entries: list[PeerEntry], now: float | None = None) -> None:
    """`wg-py peer list`: the server file's peers, with live figures where it is up."""
    now = time.time() if now is None else now
    table = Table(title=f"{interface}  ({render.count(len(entries), 'peer')})", title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0))
    for column, justify in (("name", "left"), ("addresses", "left"), ("endpoint", "left"),
                            ("handshake", "right"), ("rx", "right"), ("tx", "right")):
        table.add_column(column, justify=justify, overflow="fold")
    for entry in entries:
        seconds = None if entry.latest_handshake is None else now - entry.latest_handshake.timestamp()
        up = entry.rx_bytes is not None
        table.add_row(entry.name or render.short_key(entry.public_key or "?"), "\n".join(entry.allowed_ips) or "(none)",
                      entry.endpoint or "(none)",
                      Text(render.age(seconds), style=render.HEALTH_STYLE[render.health(seconds)]) if up else "-",
                      render.short_size(entry.rx_bytes) if up else "-", render.short_size(entry.tx_bytes) if up else "-")
    Console().print(table)
