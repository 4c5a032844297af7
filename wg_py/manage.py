"""Clients of a WireGuard server: add, list, show, rename, remove (behind `wg_py.api`).

Each change is made to the server's wg-quick config file (`/etc/wireguard/IFACE.conf` or
another path) under a lock, written atomically (`wg_py.hostio.files`), and then applied to
the running interface with syncconf semantics (`wg syncconf IFACE <(wg-quick strip IFACE)`):
the other peers keep their sessions. Where the interface is not up, the file alone changes.

What the file holds beyond wg-quick's keys (peer names, client defaults, a kept client key)
is in comment lines; see `wg_py.config.peers`. The client's private key is written to the
client's config file and nowhere else, unless `keep_client_key` is asked for.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from dataclasses import dataclass

from wg_py import ipc, keys
from wg_py.config.conffile import parse_wg_config
from wg_py.config.peers import (
    CLIENT_KEY, ServerConfig, Section, check_name, client_config, client_endpoint, next_free_addresses,
    parse_server_config, peer_block, server_networks,
)
from wg_py.config.quick import parse_quick_config
from wg_py.config.values import numeric_endpoint, split_endpoint
from wg_py.errors import KeyFormatError, PeerAdminError, WgError
from wg_py.hostio import SystemLookup
from wg_py.hostio.files import locked_edit, write_new_private
from wg_py.model import WgDevice, WgPeer
from wg_py.uapi.text import format_endpoint

CONFIG_DIR = "/etc/wireguard"
DEFAULT_CLIENT_ALLOWED_IPS = "0.0.0.0/0, ::/0"
DEFAULT_KEEPALIVE = 25


@dataclass(frozen=True)
class NewClient:
    """What `add_peer` made."""

    name: str
    public_key: str
    addresses: tuple[str, ...]      # the peer's AllowedIPs on the server, the client's Address
    config: str                     # the client's wg-quick config (holds its private key)
    config_path: str | None         # where it was written (None: not written)
    applied: bool                   # the running interface has the new peer


@dataclass(frozen=True)
class PeerEntry:
    """One [Peer] of the server file, with the running interface's view of it when it is up."""

    name: str | None
    public_key: str | None
    allowed_ips: tuple[str, ...]
    latest_handshake: _dt.datetime | None
    rx_bytes: int | None            # None: the interface is not up, or does not have this peer
    tx_bytes: int | None
    endpoint: str | None


def config_path_for(interface: str, config_path: str | None) -> str:
    return config_path or f"{CONFIG_DIR}/{interface}.conf"


def add_peer(name: str, *, interface: str = "wg0", config_path: str | None = None,
             endpoint: str | None = None, dns: str | None = None, allowed_ips: str | None = None,
             keepalive: int | None = None, preshared_key: bool = True, keep_client_key: bool = False,
             client_path: str | None = None) -> NewClient:
    """Add a client: keys, the next free addresses, a [Peer] in the server file, the client's
    config (written to `client_path`, mode 0600, which must not exist), applied live.

    `endpoint`, `dns`, `allowed_ips` and `keepalive` given here are stored in the server
    file as the defaults of later clients; `endpoint` is needed once (a host without a port
    gets the server's ListenPort). Raises PeerAdminError (nothing written), or
    PeerAdminError("apply") when the file was written but the interface refused the change.
    """
    check_name(name)
    path = config_path_for(interface, config_path)
    given = {"endpoint": endpoint, "dns": dns, "allowed_ips": allowed_ips,
             "keepalive": None if keepalive is None else str(keepalive)}
    with locked_edit(path) as edit:
        server = parse_server_config(edit.text)
        if server.find(name) is not None:
            raise PeerAdminError("exists", name)
        server_public = _server_public_key(server)
        addresses = next_free_addresses(server)
        chosen = {what: value if value is not None else server.default(what) for what, value in given.items()}
        if not chosen["endpoint"]:
            raise PeerAdminError("no-endpoint")
        full_endpoint = client_endpoint(chosen["endpoint"], server.interface.first("listenport"))
        stored = {what: value for what, value in given.items() if value is not None and value != server.default(what)}

        private = keys.generate_private_key()
        public = keys.key_to_base64(keys.public_key(private))
        psk = keys.key_to_base64(keys.generate_preshared_key()) if preshared_key else None
        private_text = keys.key_to_base64(private)
        block = peer_block(name, public, addresses, psk, private_text if keep_client_key else None)
        new_text = parse_server_config(server.with_defaults(stored)).with_peer(block)
        text = client_config(private_key=private_text, addresses=addresses, dns=chosen["dns"],
                             server_public_key=server_public, preshared_key=psk, endpoint=full_endpoint,
                             allowed_ips=chosen["allowed_ips"] or DEFAULT_CLIENT_ALLOWED_IPS,
                             keepalive=_keepalive(chosen["keepalive"]))
        if client_path is not None:
            write_new_private(client_path, text)
        try:
            edit.commit(new_text)
        except BaseException:
            if client_path is not None:
                os.unlink(client_path)
            raise
        applied = _apply(interface, new_text)
    return NewClient(name, public, tuple(addresses), text, client_path, applied)


def remove_peer(name: str, *, interface: str = "wg0", config_path: str | None = None) -> bool:
    """Take the named peer out of the server file and the running interface (True when it
    was up). PeerAdminError("missing") when no peer has that name."""
    with locked_edit(config_path_for(interface, config_path)) as edit:
        server = parse_server_config(edit.text)
        peer = _named(server, name)
        new_text = server.without(peer)
        edit.commit(new_text)
        return _apply(interface, new_text)


def rename_peer(old: str, new: str, *, interface: str = "wg0", config_path: str | None = None) -> None:
    """Give the peer named `old` the name `new` (the file only: names are not on the wire)."""
    check_name(new)
    with locked_edit(config_path_for(interface, config_path)) as edit:
        server = parse_server_config(edit.text)
        peer = _named(server, old)
        if new != old and server.find(new) is not None:
            raise PeerAdminError("exists", new)
        edit.commit(server.renamed(peer, new))


def list_peers(*, interface: str = "wg0", config_path: str | None = None) -> list[PeerEntry]:
    """The server file's peers in file order, with live counters where the interface is up."""
    server = parse_server_config(_read(config_path_for(interface, config_path)))
    live = {}
    if _is_up(interface):
        try:
            device = ipc.get_device(interface)
        except WgError:
            device = None
        for p in device.peers if device else ():
            live[keys.key_to_base64(p.public_key)] = p
    entries = []
    for section in server.peers:
        public = section.first("publickey")
        p = live.get(public or "")
        when = None
        if p is not None and p.last_handshake_time_sec:
            when = _dt.datetime.fromtimestamp(p.last_handshake_time_sec, _dt.timezone.utc)
        entries.append(PeerEntry(server.peer_name(section), public, tuple(section.listed("allowedips")), when,
                                 None if p is None else p.rx_bytes, None if p is None else p.tx_bytes,
                                 None if p is None or p.endpoint is None else format_endpoint(p.endpoint)))
    return entries


def client_config_of(name: str, *, interface: str = "wg0", config_path: str | None = None) -> str:
    """The named client's config again, from the server file: possible only when its private
    key was kept (`keep_client_key`); PeerAdminError("no-client-key") otherwise."""
    server = parse_server_config(_read(config_path_for(interface, config_path)))
    peer = _named(server, name)
    note = peer.notes.get(CLIENT_KEY)
    if not note or not note[1]:
        raise PeerAdminError("no-client-key", name)
    endpoint = server.default("endpoint")
    if not endpoint:
        raise PeerAdminError("no-endpoint")
    networks = [n.network for n in server_networks(server)]
    addresses = [a for a in peer.listed("allowedips") if _host_in(a, networks)]
    return client_config(private_key=note[1], addresses=addresses, dns=server.default("dns"),
                         server_public_key=_server_public_key(server), preshared_key=peer.first("presharedkey"),
                         endpoint=client_endpoint(endpoint, server.interface.first("listenport")),
                         allowed_ips=server.default("allowed_ips") or DEFAULT_CLIENT_ALLOWED_IPS,
                         keepalive=_keepalive(server.default("keepalive")))


# -- endpoints that follow DNS ----------------------------------------------------------------

STALE_AFTER = 135   # seconds: REKEY_AFTER_TIME + REKEY_TIMEOUT + ... as contrib/reresolve-dns uses


@dataclass(frozen=True)
class Reresolved:
    """One peer `reresolve` looked at: its name (or key), the Endpoint of the file, the
    address it resolved to (None: not resolved), and what was done."""

    peer: str
    endpoint: str
    address: str | None
    outcome: str        # "updated", "unchanged", "fresh" (handshake < 135 s: left alone), "failed: WHY"


def stale_hostname_peers(server: ServerConfig, running: WgDevice, now: float,
                         stale_after: int = STALE_AFTER) -> list[tuple[Section, str, bool]]:
    """The config's peers whose Endpoint is a hostname and that the interface has, as
    (section, endpoint, stale): stale when the latest handshake is older than `stale_after`
    seconds or there was none (contrib/reresolve-dns's rule)."""
    live = {keys.key_to_base64(p.public_key): p for p in running.peers}
    found = []
    for section in server.peers:
        public, endpoint = section.first("publickey"), section.first("endpoint")
        if not public or not endpoint or public not in live:
            continue
        try:
            host, port = split_endpoint(endpoint)
        except WgError:
            continue
        if numeric_endpoint(host, port) is not None:
            continue                    # an address needs no resolving
        seen = live[public].last_handshake_time_sec
        found.append((section, endpoint, not seen or now - seen > stale_after))
    return found


def reresolve(*, interface: str = "wg0", config_path: str | None = None,
              now: float | None = None) -> list[Reresolved]:
    """Resolve again every hostname Endpoint of the interface's config file and point the
    peers with no handshake for 135 s at the new address (only the endpoint changes:
    sessions, keys and counters stay). InterfaceAccessError when the interface is not up."""
    server = parse_server_config(_read(config_path_for(interface, config_path)))
    running = ipc.get_device(interface)
    current = {keys.key_to_base64(p.public_key): p.endpoint for p in running.peers}
    lookup = SystemLookup(warn=lambda text: None)
    report, changes = [], []
    for section, endpoint, stale in stale_hostname_peers(server, running, time.time() if now is None else now):
        public = section.first("publickey")
        label = server.peer_name(section) or public
        if not stale:
            report.append(Reresolved(label, endpoint, None, "fresh"))
            continue
        try:
            address = lookup.endpoint(endpoint)
        except WgError as e:
            from wg_py.cli.errors import render

            report.append(Reresolved(label, endpoint, None, "failed: " + render(e).splitlines()[0]))
            continue
        text = format_endpoint(address)
        if address == current.get(public):
            report.append(Reresolved(label, endpoint, text, "unchanged"))
            continue
        changes.append(WgPeer(public_key=keys.key_from_base64(public), endpoint=address, update_only=True))
        report.append(Reresolved(label, endpoint, text, "updated"))
    if changes:
        ipc.set_device(WgDevice(peers=changes), interface)
    return report


def describe(error: PeerAdminError) -> str:
    """One line saying what was refused and what to do."""
    v = error.value
    return {
        "bad-name": f"`{v}' is not a peer name: use 1-63 letters, digits and _ . @ + - "
                    "(not starting with - or .)",
        "exists": f"a peer named `{v}' exists already",
        "missing": f"no peer is named `{v}'",
        "no-address": "the server's [Interface] has no Address, so there is no network to give clients "
                      "addresses from",
        "bad-address": f"the server's Address `{v}' is not an address/prefix",
        "full": f"no address is free in {v}",
        "no-endpoint": "clients need the server's public address: give --endpoint HOST[:PORT] once "
                       "(it is kept in the server's config)",
        "no-port": f"`{v}' has no port and the server has no ListenPort: give --endpoint HOST:PORT",
        "no-private-key": "the server's [Interface] has no valid PrivateKey to derive its public key from",
        "no-client-key": f"the private key of `{v}' was not kept (peer add --keep-client-key keeps it); "
                         "only the config written by peer add has it",
        "changed": f"{v} changed while wg-py was editing it; nothing was written, try again",
        "client-exists": f"{v} exists; give another --out path, or remove it first",
        "io": f"{v}: {os.strerror(error.errno) if error.errno else 'cannot be written'}",
        "apply": f"the config file is saved, but applying it to the interface failed: {v}",
    }.get(error.kind, error.kind)


def _named(server: ServerConfig, name: str) -> Section:
    peer = server.find(name)
    if peer is None:
        raise PeerAdminError("missing", name)
    return peer


def _server_public_key(server: ServerConfig) -> str:
    private = server.interface.first("privatekey") if server.interface else None
    try:
        return keys.key_to_base64(keys.public_key(keys.key_from_base64(private or "")))
    except KeyFormatError:
        raise PeerAdminError("no-private-key") from None


def _keepalive(value: str | None) -> int:
    try:
        return DEFAULT_KEEPALIVE if value is None else int(value)
    except ValueError:
        return DEFAULT_KEEPALIVE


def _host_in(prefix: str, networks) -> bool:
    import ipaddress

    try:
        network = ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        return False
    return network.prefixlen == network.max_prefixlen and any(
        network.version == n.version and network.subnet_of(n) for n in networks)


def _is_up(interface: str) -> bool:
    try:
        return interface in ipc.list_interfaces()
    except WgError:
        return False


def _apply(interface: str, text: str) -> bool:
    """`wg syncconf IFACE <(wg-quick strip FILE)` when the interface is up."""
    if not _is_up(interface):
        return False
    from wg_py.cli.errors import render

    try:
        ipc.sync_device(parse_wg_config(parse_quick_config(text).wg_text, lookup=SystemLookup()), interface)
    except WgError as e:
        raise PeerAdminError("apply", render(e).replace("\n", ": ")) from None
    return True


def _read(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "surrogateescape")
    except OSError as e:
        raise PeerAdminError("io", path, e.errno) from None
