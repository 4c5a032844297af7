"""syncconf's semantics, pure: the change that makes a device match a config file while the
peers that stay keep their sessions.

Peers that stay are updated in place instead of being removed and re-added; running peers
missing from the file are removed. A preshared key or persistent keepalive that runs but is
absent from the file is cleared (the behaviour of wireguard-tools 1.0.20260223; 1.0.20210914
left them set). Used by `wg syncconf` and by `wg_py.api.sync`.
"""

from __future__ import annotations

from wg_py.keys import ZERO_KEY
from wg_py.model import WgDevice, WgPeer


def sync_change(change: WgDevice, running: WgDevice) -> WgDevice:
    """Turn a setconf change into the syncconf one, given the running configuration."""
    if not change.peers or not running.peers:
        return change
    change.replace_peers = False
    wanted = {peer.public_key: peer for peer in change.peers}
    removals = []
    for peer in running.peers:
        target = wanted.get(peer.public_key)
        if target is None:
            removals.append(WgPeer(public_key=peer.public_key, remove=True))
            continue
        if peer.preshared_key is not None and target.preshared_key is None:
            target.preshared_key = ZERO_KEY
        if peer.persistent_keepalive_interval and target.persistent_keepalive_interval is None:
            target.persistent_keepalive_interval = 0
    # wg prepends each removal while walking the peers in ascending key order, so removals
    # go out in descending key order; kept for byte-identical requests.
    removals.sort(key=lambda peer: peer.public_key, reverse=True)
    change.peers = removals + change.peers
    return change
