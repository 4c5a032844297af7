"""WireGuard interfaces from Python: what `wg` shows and does, as values instead of text.

    from wg_py import api

    for name in api.list_interfaces():
        iface = api.get_interface(name)
        for peer in iface.peers:
            age = peer.handshake_age_seconds()
            print(peer.name or peer.public_key[:8], peer.endpoint, peer.rx_bytes, peer.tx_bytes,
                  "never" if age is None else f"{age:.0f} s ago")
    with open("/etc/wireguard/wg0.conf") as f:              # `wg syncconf wg0 <(wg-quick strip wg0)`:
        api.sync("wg0", api.strip(f.read()))                 # the file applied, sessions kept

It reaches userspace engines (wireguard-py, wireguard-go: their UAPI sockets) and kernel
interfaces (generic netlink) exactly as `wg` does, through the same code. Keys cross this API
as base64 text, as `wg` prints them; counters are ints (bytes), times are timezone-aware UTC
datetimes, and "never" / "off" / "none" are None.

Errors: everything raised on purpose is a `wg_py.errors.WgError`; `describe(error)` gives the
words `wg` itself would print for it. `list_interfaces` raises InterfaceListError,
`get_interface`/`get_device` InterfaceAccessError (with `.errno`), `set_device`/`set_config`/
`sync` InterfaceModifyError, or ConfigLineError/ConfigValueError for a bad configuration
(with `.lineno`), before anything is changed.

Clients of a server (`wg-py peer ...`): `add_peer`, `list_peers`, `client_config_of`,
`rename_peer`, `remove_peer` change the server's wg-quick config file safely and apply it live
with syncconf semantics (`wg_py.manage`); they raise PeerAdminError, with nothing written.
`reresolve` points peers whose Endpoint is a hostname at its current address. `lint_file` /
`lint_text` report what wg and wg-quick would refuse in a config and what they take but users
regret (`wg_py.lint`); they never raise for a bad file.
"""

from __future__ import annotations

import datetime as _dt
import time
from dataclasses import dataclass

from wg_py import ipc, keys
from wg_py.config.conffile import parse_wg_config
from wg_py.config.quick import parse_quick_config
from wg_py.errors import WgError
from wg_py.hostio import SystemLookup
from wg_py.config.peers import check_name as check_peer_name
from wg_py.lint import SCHEMA_VERSION as LINT_SCHEMA_VERSION, Finding, Report, lint_file, lint_text
from wg_py.lint import exit_status as lint_exit_status
from wg_py.manage import (
    NewClient, PeerEntry, Reresolved, add_peer, client_config_of, list_peers, remove_peer, rename_peer, reresolve,
)
from wg_py.model import WgDevice
from wg_py.uapi.text import format_endpoint, format_prefix

__all__ = ["add_peer", "check_peer_name", "client_config_of", "describe", "Finding",
           "generate_preshared_key", "generate_private_key", "get_device", "get_interface", "Interface",
           "lint_exit_status", "lint_file", "LINT_SCHEMA_VERSION", "lint_text", "list_interfaces",
           "list_peers", "NewClient", "Peer", "peer_names", "PeerEntry", "public_key", "remove_peer",
           "rename_peer", "Report", "reresolve", "Reresolved", "set_config", "set_device", "strip", "sync",
           "WgError"]

CONFIG_DIR = "/etc/wireguard"


@dataclass(frozen=True)
class Peer:
    """One peer as `wg show` knows it."""

    public_key: str                         # base64
    preshared_key: str | None               # base64; None when there is none
    endpoint: str | None                    # `ip:port` / `[ip6]:port`, as `wg` prints it
    allowed_ips: tuple[str, ...]            # `prefix/length`, in the device's order
    latest_handshake: _dt.datetime | None   # UTC; None: never
    rx_bytes: int
    tx_bytes: int
    persistent_keepalive: int | None        # seconds; None: off
    name: str | None = None                 # from a `# Name = ...` line of the config file

    def handshake_age_seconds(self, now: float | None = None) -> float | None:
        """Seconds since the latest handshake (None: never); `now` is a Unix time."""
        if self.latest_handshake is None:
            return None
        return (time.time() if now is None else now) - self.latest_handshake.timestamp()


@dataclass(frozen=True)
class Interface:
    """One interface as `wg show` knows it."""

    name: str
    public_key: str | None                  # base64; None without a private key
    private_key: str | None                 # base64; None when there is none
    listen_port: int | None                 # None: not listening
    fwmark: int | None                      # None: off
    peers: tuple[Peer, ...]

    def peer(self, key_or_name: str) -> Peer | None:
        """The peer with this public key or friendly name, if any."""
        for peer in self.peers:
            if key_or_name in (peer.public_key, peer.name):
                return peer
        return None


def describe(error: WgError) -> str:
    """What `wg` prints for `error`, in its exact words (a parse error has two lines); for
    what `add_peer` and the other client functions refuse, one line of wg-py's."""
    from wg_py.cli.errors import render
    from wg_py.errors import PeerAdminError

    if isinstance(error, PeerAdminError):
        from wg_py import manage

        return manage.describe(error)

    return render(error)


def list_interfaces() -> list[str]:
    """Names of the WireGuard interfaces, kernel ones first, as `wg show interfaces` lists them."""
    return ipc.list_interfaces()


def get_device(name: str) -> WgDevice:
    """The interface's state as the model (`wg_py.model.WgDevice`: raw 32-byte keys)."""
    return ipc.get_device(name)


def get_interface(name: str, config: str | None = None) -> Interface:
    """The interface's state. Peer names come from `config` (a config file's text) or, when
    it is None, from /etc/wireguard/NAME.conf if that can be read."""
    device = ipc.get_device(name)
    if config is None:
        config = _read_config(name)
    return interface_from_model(device, peer_names(config) if config else {})


def interface_from_model(device: WgDevice, names: dict[str, str] | None = None) -> Interface:
    """An `Interface` for a model snapshot (names: public key → friendly name)."""
    names = names or {}
    peers = []
    for p in device.peers:
        public = keys.key_to_base64(p.public_key)
        when = None
        if p.last_handshake_time_sec:
            when = _dt.datetime.fromtimestamp(p.last_handshake_time_sec + p.last_handshake_time_nsec / 1e9,
                                              _dt.timezone.utc)
        peers.append(Peer(
            public_key=public,
            preshared_key=None if keys.is_zero_key(p.preshared_key) else keys.key_to_base64(p.preshared_key),
            endpoint=None if p.endpoint is None else format_endpoint(p.endpoint),
            allowed_ips=tuple(format_prefix(a) for a in p.allowed_ips),
            latest_handshake=when,
            rx_bytes=p.rx_bytes, tx_bytes=p.tx_bytes,
            persistent_keepalive=p.persistent_keepalive_interval or None,
            name=names.get(public)))
    private = None if keys.is_zero_key(device.private_key) else keys.key_to_base64(device.private_key)
    public = None if device.public_key is None or private is None else keys.key_to_base64(device.public_key)
    return Interface(name=device.name, public_key=public, private_key=private,
                     listen_port=device.listen_port or None, fwmark=device.fwmark or None, peers=tuple(peers))


def set_device(name: str, change: WgDevice) -> None:
    """Apply a change (the model `wg set` builds), all of it or nothing."""
    ipc.set_device(change, name)


def set_config(name: str, text: str, append: bool = False) -> None:
    """`wg setconf NAME FILE` with the file's text (`addconf` with `append`)."""
    ipc.set_device(_parse(text, append), name)


def sync(name: str, text: str) -> None:
    """`wg syncconf NAME FILE` with the file's text: the device ends up as the file says,
    and the peers that stay keep their sessions."""
    ipc.sync_device(_parse(text, append=False), name)


def strip(text: str) -> str:
    """`wg-quick strip`: a wg-quick config's text without wg-quick's own keys (Address, DNS,
    MTU, Table, hooks, SaveConfig), ready for set_config or sync. Never raises."""
    return parse_quick_config(text).wg_text


def generate_private_key() -> str:
    """A new private key, base64 (`wg genkey`)."""
    return keys.key_to_base64(keys.generate_private_key())


def generate_preshared_key() -> str:
    """A new preshared key, base64 (`wg genpsk`)."""
    return keys.key_to_base64(keys.generate_preshared_key())


def public_key(private_key: str) -> str:
    """The public key of a base64 private key (`wg pubkey`); KeyFormatError if it is not one."""
    return keys.key_to_base64(keys.public_key(keys.key_from_base64(private_key.strip())))


def peer_names(config: str) -> dict[str, str]:
    """Public key → friendly name, from `# Name = NAME` comment lines inside [Peer] sections
    (the convention wg-easy and PiVPN use). Peers without such a line are left out."""
    names: dict[str, str] = {}
    in_peer, key, name = False, None, None

    def close() -> None:
        if in_peer and key and name:
            names[key] = name

    for raw in config.splitlines():
        line = raw.strip()
        lower = line.lower()
        if line.startswith("["):
            close()
            in_peer, key, name = lower.replace(" ", "") == "[peer]", None, None
        elif in_peer and line.startswith("#"):
            label, eq, value = line[1:].partition("=")
            if eq and label.strip().lower() == "name" and value.strip():
                name = value.strip()
        elif in_peer and lower.replace(" ", "").startswith("publickey="):
            key = line.split("=", 1)[1].split("#", 1)[0].strip()
    close()
    return names


def _parse(text: str, append: bool) -> WgDevice:
    return parse_wg_config(text, append, lookup=SystemLookup())


def _read_config(name: str) -> str | None:
    try:
        with open(f"{CONFIG_DIR}/{name}.conf", encoding="utf-8", errors="surrogateescape") as f:
            return f.read()
    except OSError:
        return None
