"""`wg show`: the pretty report, the script fields, `dump`, and `show interfaces`.

Output is byte for byte wireguard-tools' show.c, with one deliberate difference: the
installed 1.0.20210914 prints the interface prefix of `show all endpoints` only once
(fixed upstream in b4f6b4f); we print it on every line, as the fixed tool does.

Colours are written as the C tool's ANSI sequences and, when colour is off, removed by the
same filter (ESC `[` up to the first letter), so both forms match. Stdlib only: `wg show`
is run in loops by scripts and monitors, so start-up time is most of its cost.
"""

from __future__ import annotations

import os
import time

from wg_py import ipc
from wg_py.cli.errors import report, write_stderr, write_stdout
from wg_py.keys import key_to_base64 as key
from wg_py.uapi.text import format_endpoint as endpoint, format_prefix as prefix
from wg_py.errors import WgError
from wg_py.model import WgDevice, WgPeer

RESET, BOLD = "\x1b[0m", "\x1b[1m"
RED, GREEN, YELLOW, CYAN = "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[36m"

FIELDS = ("public-key", "private-key", "listen-port", "fwmark", "peers", "preshared-keys",
          "endpoints", "allowed-ips", "latest-handshakes", "transfer", "persistent-keepalive",
          "dump")
USAGE_TAIL = "{ <interface> | all | interfaces } [" + " | ".join(FIELDS) + "]"

_OUR_CODES = (RESET, BOLD, RED, GREEN, YELLOW, CYAN)


def maybe_key(raw: bytes | None) -> str:
    return "(none)" if raw is None else key(raw)


# --------------------------------------------------------------------------- pretty

def color_enabled() -> bool:
    mode = os.environ.get("WG_COLOR_MODE")
    if mode == "always":
        return True
    if mode == "never":
        return False
    return os.isatty(1)


def strip_ansi(text: str) -> str:
    """The C tool's filter: drop each ESC `[`, the non-letters after it and one letter."""
    # Fast path without `re` (~4 ms to import): when every ESC in the text starts one of our
    # own codes (each has a single ESC, so occurrences cannot overlap), the filter removes
    # exactly those codes. Anything else, e.g. an ESC in an interface name, takes the regex.
    if text.count("\x1b") == sum(text.count(code) for code in _OUR_CODES):
        for code in _OUR_CODES:
            text = text.replace(code, "")
        return text
    import re

    return re.sub(r"\x1b\[[^A-Za-z]*[A-Za-z]?", "", text)


def _plural(count: int, unit: str) -> str:
    return f"{count} {CYAN}{unit}{'' if count == 1 else 's'}{RESET}"


def pretty_time(seconds: int) -> str:
    years, seconds = divmod(seconds, 365 * 24 * 3600)
    days, seconds = divmod(seconds, 24 * 3600)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    units = ((years, "year"), (days, "day"), (hours, "hour"), (minutes, "minute"), (seconds, "second"))
    return ", ".join(_plural(n, unit) for n, unit in units if n)


def ago(sec: int, now: int) -> str:
    if now == sec:
        return "Now"
    if now < sec:
        return f"({RED}System clock wound backward; connection problems may ensue.{RESET})"
    return pretty_time(now - sec) + " ago"


def human_bytes(count: int) -> str:
    if count < 1024:
        return f"{count & 0xFFFFFFFF} {CYAN}B{RESET}"
    for unit, scale in (("KiB", 1024), ("MiB", 1024**2), ("GiB", 1024**3)):
        if count < scale * 1024:
            return f"{count / scale:.2f} {CYAN}{unit}{RESET}"
    return f"{count / 1024**3 / 1024:.2f} {CYAN}TiB{RESET}"


def _handshake_order(peer: WgPeer) -> tuple[int, int, int]:
    never = peer.last_handshake_time_sec == 0 and peer.last_handshake_time_nsec == 0
    return (1 if never else 0, -peer.last_handshake_time_sec, -peer.last_handshake_time_nsec)


def sort_peers(peers: list[WgPeer]) -> list[WgPeer]:
    """Most recent handshake first, never-handshaked peers last; ties keep device order."""
    return sorted(peers, key=_handshake_order)


def _label(name: str) -> str:
    return f"  {BOLD}{name}{RESET}: "


def pretty(device: WgDevice, now: int | None = None) -> str:
    """The coloured report of one interface (strip_ansi it when colour is off)."""
    now = int(time.time()) if now is None else now
    hide = os.environ.get("WG_HIDE_KEYS") != "never"
    out = [RESET, f"{GREEN}{BOLD}interface{RESET}: {GREEN}{device.name}{RESET}\n"]
    if device.public_key is not None:
        out.append(f"{_label('public key')}{key(device.public_key)}\n")
    if device.private_key is not None:
        out.append(f"{_label('private key')}{'(hidden)' if hide else key(device.private_key)}\n")
    if device.listen_port:
        out.append(f"{_label('listening port')}{device.listen_port}\n")
    if device.fwmark:
        out.append(f"{_label('fwmark')}0x{device.fwmark:x}\n")
    peers = sort_peers(device.peers)
    if peers:
        out.append("\n")
    for index, peer in enumerate(peers):
        _pretty_peer(peer, now, hide, out)
        if index + 1 < len(peers):
            out.append("\n")
    return "".join(out)


def _pretty_peer(peer: WgPeer, now: int, hide: bool, out: list[str]) -> None:
    out.append(f"{YELLOW}{BOLD}peer{RESET}: {YELLOW}{key(peer.public_key)}{RESET}\n")
    if peer.preshared_key is not None:
        out.append(f"{_label('preshared key')}{'(hidden)' if hide else key(peer.preshared_key)}\n")
    if peer.endpoint is not None:
        out.append(f"{_label('endpoint')}{endpoint(peer.endpoint)}\n")
    if peer.allowed_ips:
        ips = ", ".join(prefix(a).replace("/", f"{CYAN}/{RESET}", 1) for a in peer.allowed_ips)
    else:
        ips = "(none)"
    out.append(f"{_label('allowed ips')}{ips}\n")
    if peer.last_handshake_time_sec:
        out.append(f"{_label('latest handshake')}{ago(peer.last_handshake_time_sec, now)}\n")
    if peer.rx_bytes or peer.tx_bytes:
        out.append(f"{_label('transfer')}{human_bytes(peer.rx_bytes)} received, "
                   f"{human_bytes(peer.tx_bytes)} sent\n")
    if peer.persistent_keepalive_interval:
        out.append(f"{_label('persistent keepalive')}every "
                   f"{pretty_time(peer.persistent_keepalive_interval)}\n")


# --------------------------------------------------------------------------- script fields

def _keepalive(peer: WgPeer) -> str:
    return str(peer.persistent_keepalive_interval) if peer.persistent_keepalive_interval else "off"


def _fwmark(device: WgDevice) -> str:
    return f"0x{device.fwmark:x}" if device.fwmark else "off"


def _dump(device: WgDevice, lead: str) -> list[str]:
    lines = [f"{lead}{maybe_key(device.private_key)}\t{maybe_key(device.public_key)}\t"
             f"{device.listen_port or 0}\t{_fwmark(device)}\n"]
    for p in device.peers:
        ep = endpoint(p.endpoint) if p.endpoint is not None else "(none)"
        ips = ",".join(prefix(a) for a in p.allowed_ips) if p.allowed_ips else "(none)"
        lines.append(f"{lead}{key(p.public_key)}\t{maybe_key(p.preshared_key)}\t{ep}\t{ips}\t"
                     f"{p.last_handshake_time_sec}\t{p.rx_bytes}\t{p.tx_bytes}\t{_keepalive(p)}\n")
    return lines


def _peer_value(field: str, p: WgPeer) -> str:
    if field == "peers":
        return key(p.public_key)
    if field == "preshared-keys":
        return f"{key(p.public_key)}\t{maybe_key(p.preshared_key)}"
    if field == "endpoints":
        return f"{key(p.public_key)}\t{endpoint(p.endpoint) if p.endpoint is not None else '(none)'}"
    if field == "allowed-ips":
        ips = " ".join(prefix(a) for a in p.allowed_ips) if p.allowed_ips else "(none)"
        return f"{key(p.public_key)}\t{ips}"
    if field == "latest-handshakes":
        return f"{key(p.public_key)}\t{p.last_handshake_time_sec}"
    if field == "transfer":
        return f"{key(p.public_key)}\t{p.rx_bytes}\t{p.tx_bytes}"
    return f"{key(p.public_key)}\t{_keepalive(p)}"  # persistent-keepalive


_DEVICE_FIELDS = {
    "public-key": lambda d: maybe_key(d.public_key),
    "private-key": lambda d: maybe_key(d.private_key),
    "listen-port": lambda d: str(d.listen_port or 0),
    "fwmark": _fwmark,
}


def script(device: WgDevice, field: str, with_interface: bool) -> str | None:
    """The script ("ugly") form of one field; None if `field` is not one."""
    lead = f"{device.name}\t" if with_interface else ""
    if field in _DEVICE_FIELDS:
        return f"{lead}{_DEVICE_FIELDS[field](device)}\n"
    if field == "dump":
        return "".join(_dump(device, lead))
    if field not in FIELDS:
        return None
    return "".join(f"{lead}{_peer_value(field, p)}\n" for p in device.peers)


# --------------------------------------------------------------------------- command

def _usage(argv0: str, name: str) -> None:
    write_stderr(f"Usage: {argv0} {name} {USAGE_TAIL}\n")


def _invalid_field(argv0: str, name: str, field: str) -> int:
    write_stderr(f"Invalid parameter: `{field}'\n")
    _usage(argv0, name)
    return 1


def _show_all(argv0: str, name: str, field: str | None) -> int:
    interfaces = ipc.list_interfaces()
    status = 1 if interfaces else 0
    color = field is None and color_enabled()
    for index, ifname in enumerate(interfaces):
        try:
            device = ipc.get_device(ifname, listing=True)
        except WgError as e:
            report(e)
            continue
        if field is not None:
            text = script(device, field, True)
            if text is None:
                return _invalid_field(argv0, name, field)
            write_stdout(text)
        else:
            text = pretty(device)
            if index + 1 < len(interfaces):
                text += "\n"
            write_stdout(text if color else strip_ansi(text))
        status = 0
    return status


def _show_one(argv0: str, name: str, ifname: str, field: str | None) -> int:
    device = ipc.get_device(ifname)
    if field is None:
        text = pretty(device)
        write_stdout(text if color_enabled() else strip_ansi(text))
        return 0
    text = script(device, field, False)
    if text is None:
        return _invalid_field(argv0, name, field)
    write_stdout(text)
    return 0


def run(argv0: str, name: str, argv: list[str]) -> int:
    if len(argv) > 2:
        _usage(argv0, name)
        return 1
    try:
        if not argv or argv[0] == "all":
            return _show_all(argv0, name, argv[1] if len(argv) == 2 else None)
        if argv[0] == "interfaces":
            if len(argv) > 1:
                _usage(argv0, name)
                return 1
            interfaces = ipc.list_interfaces()
            if interfaces:
                write_stdout(" ".join(interfaces) + "\n")
            return 0
        if len(argv) == 1 and argv[0] in ("-h", "--help", "help"):
            _usage(argv0, name)
            return 0
        return _show_one(argv0, name, argv[0], argv[1] if len(argv) == 2 else None)
    except WgError as e:
        return report(e)
