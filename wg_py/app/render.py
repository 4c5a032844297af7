"""What `wg-py show` prints: the stable JSON document, and the human text forms both the
table and the live view use (sizes, rates, ages, handshake health)."""

from __future__ import annotations

import os
import time

from wg_py.api import Interface, Peer

SCHEMA_VERSION = 1
HIDDEN = "(hidden)"
FRESH_SECONDS = 120     # REKEY_AFTER_TIME: a working session handshakes at least this often
STALE_SECONDS = 180     # REJECT_AFTER_TIME: past this no session is alive


def keys_shown(show_keys: bool) -> bool:
    """`--show-keys`, or WG_HIDE_KEYS=never as `wg` reads it."""
    return show_keys or os.environ.get("WG_HIDE_KEYS") == "never"


def interface_json(iface: Interface, show_keys: bool, now: float | None = None) -> dict:
    """One interface as the `--json` document describes it (see man/wg-py.8)."""
    now = time.time() if now is None else now

    def secret(value: str | None) -> str | None:
        return value if value is None or show_keys else HIDDEN

    return {
        "name": iface.name,
        "public_key": iface.public_key,
        "private_key": secret(iface.private_key),
        "listen_port": iface.listen_port,
        "fwmark": iface.fwmark,
        "peers": [peer_json(p, show_keys, now) for p in iface.peers],
    }


def peer_json(peer: Peer, show_keys: bool, now: float) -> dict:
    when = peer.latest_handshake
    return {
        "public_key": peer.public_key,
        "name": peer.name,
        "preshared_key": peer.preshared_key if peer.preshared_key is None or show_keys else HIDDEN,
        "endpoint": peer.endpoint,
        "allowed_ips": list(peer.allowed_ips),
        "latest_handshake_unix": None if when is None else int(when.timestamp()),
        "latest_handshake_age_seconds": None if when is None else max(0, int(now - when.timestamp())),
        "rx_bytes": peer.rx_bytes,
        "tx_bytes": peer.tx_bytes,
        "persistent_keepalive_seconds": peer.persistent_keepalive,
    }


def document(interfaces: list[Interface], show_keys: bool, now: float | None = None) -> dict:
    now = time.time() if now is None else now
    return {"schema_version": SCHEMA_VERSION, "generated_unix": int(now),
            "interfaces": [interface_json(i, show_keys, now) for i in interfaces]}


def size(count: float) -> str:
    """Bytes the way `wg show` writes them (B, KiB, MiB, GiB, TiB, two decimals)."""
    for unit, scale in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.2f} {unit}"
    return f"{count:.0f} B"


def rate(bytes_per_second: float) -> str:
    return f"{size(bytes_per_second)}/s"


def short_size(count: float) -> str:
    """Bytes in at most 6 characters (`512B`, `3.3K`, `41M`, `1.2G`), for narrow terminals."""
    for unit, scale in (("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if count >= scale:
            value = count / scale
            return f"{value:.1f}{unit}" if value < 100 else f"{value:.0f}{unit}"
    return f"{count:.0f}B"


def age(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d{seconds % 86400 // 3600:02d}h"


def health(seconds: float | None) -> str:
    """fresh (< 2 min), stale (< 3 min: rekey overdue, session still valid), or dead."""
    if seconds is None or seconds >= STALE_SECONDS:
        return "dead"
    return "fresh" if seconds < FRESH_SECONDS else "stale"


HEALTH_STYLE = {"fresh": "green", "stale": "yellow", "dead": "red"}


def count(n: int, noun: str) -> str:
    """'1 peer', '3 peers'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def short_key(key: str) -> str:
    return key[:8] + "…"
