"""Configuration of a `Device`: a UAPI `set` applied whole or not at all, and `get`.

The engine calls `apply(device, change)` for a `set` and `snapshot(device)` for a `get`.
They are kept apart from the data path because they speak the model's language
(wg_py.model.WgDevice/WgPeer used as a change) and run once per `wg set`, not per packet.
They change the device only through its documented surface (settings and the peer
lifecycle: `add_peer`, `remove_peer`, `start_peer`, `send_keepalive`, `send_staged`,
`expire_current_keypairs`, `set_identity`, `set_listen_port`); the device never calls back.
Rules kept (wireguard-go's device/uapi.go):
- `validate` checks everything first and raises UapiError(EINVAL) before any change:
  key and value sizes and ranges, allowed-IP types, and the peer count (MAX_PEERS)
  after the change, counting `replace_peers`, `remove` and `update_only`;
- a new private key drops the peer that has its public key, recomputes every peer's
  static-static DH and expires their current keypairs (wireguard-go SetPrivateKey);
- a peer with our own public key is ignored; `update_only` never creates a peer;
- on an up device a changed peer starts, sends a keepalive when persistent keepalive
  just turned on, and flushes its staged packets.
Peer lifecycle (start, stop, remove, keepalive, staged packets) stays in `Device`.
"""

from __future__ import annotations

import errno
import ipaddress

from wg_py.errors import UapiError
from wg_py.model import WgAllowedIP, WgDevice, WgPeer, endpoint_from_sockaddr, endpoint_to_sockaddr
from wg_py.protocol.constants import MAX_PEERS
from wg_py.protocol.device import Device
from wg_py.protocol.handshake import StaticIdentity
from wg_py.protocol.peer import Peer

_KEY_LEN = 32


def apply(device: Device, change: WgDevice) -> None:
    """Apply a UAPI `set` whole, or raise UapiError(errno) having changed nothing."""
    identity = validate(device, change)
    if identity is not None:
        _set_identity(device, identity)
    if change.listen_port is not None and change.listen_port != device.listen_port:
        device.set_listen_port(change.listen_port)
    if change.fwmark is not None:
        device.fwmark = change.fwmark
    if change.replace_peers:
        for peer in list(device.peers.values()):
            device.remove_peer(peer)
    for peer_change in change.peers:
        _apply_peer(device, peer_change)


def validate(device: Device, change: WgDevice) -> StaticIdentity | None:
    """Raise UapiError(EINVAL) if any part of `change` is invalid; change nothing.

    Returns the identity a new private key makes (derived here once), or None."""
    def bad(reason: str) -> UapiError:
        return UapiError(errno.EINVAL, reason)

    if change.private_key is not None and len(change.private_key) != _KEY_LEN:
        raise bad("private_key")
    if change.listen_port is not None and not 0 <= change.listen_port <= 0xFFFF:
        raise bad("listen_port")
    if change.fwmark is not None and not 0 <= change.fwmark <= 0xFFFFFFFF:
        raise bad("fwmark")
    own = device.identity.public
    identity = None
    if change.private_key is not None:
        identity = StaticIdentity.from_private_bytes(change.private_key)
        own = identity.public
    keys = set() if change.replace_peers else {k for k in device.peers if k != own}
    for p in change.peers:
        if len(p.public_key) != _KEY_LEN:
            raise bad("public_key")
        if p.preshared_key is not None and len(p.preshared_key) != _KEY_LEN:
            raise bad("preshared_key")
        if p.persistent_keepalive_interval is not None and not 0 <= p.persistent_keepalive_interval <= 0xFFFF:
            raise bad("persistent_keepalive_interval")
        if p.protocol_version not in (1, None):
            raise bad("protocol_version")
        for a in p.allowed_ips:
            if not isinstance(a.network, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
                raise bad("allowed_ip")
        if p.public_key == own:
            continue
        if p.remove:
            keys.discard(p.public_key)
        elif not (p.update_only and p.public_key not in keys):
            keys.add(p.public_key)
    if len(keys) > MAX_PEERS:
        raise bad("too many peers")
    return identity


def _set_identity(device: Device, identity: StaticIdentity) -> None:
    if identity.private_bytes == device.identity.private_bytes:
        return
    if identity.public is not None:
        same = device.peers.get(identity.public)
        if same is not None:
            device.remove_peer(same)
    device.set_identity(identity)
    for peer in device.peers.values():
        peer.handshake.precomputed_static_static = identity.static_static(peer.public_key)
        device.expire_current_keypairs(peer)


def _apply_peer(device: Device, change: WgPeer) -> None:
    if change.public_key == device.identity.public:
        return  # a peer with our own public key is ignored, as by wireguard-go
    peer = device.peers.get(change.public_key)
    if change.remove:
        if peer is not None:
            device.remove_peer(peer)
        return
    if peer is None:
        if change.update_only:
            return
        peer = device.add_peer(change.public_key)
    if change.preshared_key is not None:
        peer.handshake.preshared_key = change.preshared_key
    if change.endpoint is not None:
        peer.endpoint = endpoint_to_sockaddr(change.endpoint)
    keepalive_turned_on = False
    if change.persistent_keepalive_interval is not None:
        old = peer.persistent_keepalive_interval
        peer.persistent_keepalive_interval = change.persistent_keepalive_interval
        keepalive_turned_on = old == 0 and change.persistent_keepalive_interval != 0
    if change.replace_allowed_ips:
        device.allowed_ips.remove_by_owner(peer)
    for allowed in change.allowed_ips:
        if allowed.remove:
            device.allowed_ips.remove(allowed.network, peer)
        else:
            device.allowed_ips.insert(allowed.network, peer)
    if device.up:
        device.start_peer(peer)
        if keepalive_turned_on:
            device.send_keepalive(peer)
        device.send_staged(peer)


def snapshot(device: Device) -> WgDevice:
    """Everything UAPI `get` reports; peers in the order they were added."""
    return WgDevice(
        private_key=device.identity.private_bytes,
        public_key=device.identity.public,
        listen_port=device.bound_port,
        fwmark=device.fwmark,
        peers=[_peer_snapshot(device, p) for p in device.peers.values()],
    )


def _peer_snapshot(device: Device, peer: Peer) -> WgPeer:
    secs, nsecs = divmod(peer.last_handshake_ns, 1_000_000_000)
    return WgPeer(
        public_key=peer.public_key,
        preshared_key=peer.handshake.preshared_key,
        endpoint=endpoint_from_sockaddr(peer.endpoint) if peer.endpoint is not None else None,
        persistent_keepalive_interval=peer.persistent_keepalive_interval,
        allowed_ips=[WgAllowedIP(n) for n in device.allowed_ips.entries_for(peer)],
        last_handshake_time_sec=secs,
        last_handshake_time_nsec=nsecs,
        rx_bytes=peer.rx_bytes,
        tx_bytes=peer.tx_bytes,
    )