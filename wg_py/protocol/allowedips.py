"""Cryptokey routing: the allowed-IPs table (whitepaper §2), one owner per prefix.

Rules kept:
- a prefix is stored masked and belongs to exactly one peer; inserting it for another
  peer moves it there ("stealing", as wireguard-go and the kernel do), and inserting it
  again moves it to the end of its owner's list (wireguard-go's `EntriesForPeer` order);
- lookups return the owner of the longest matching prefix, or None.

Structure: per address family, a dict per prefix length mapping the masked address
(as an int shifted right to its prefix bits) to the owner, probed from the longest
length present. Per-address results are memoized (`cache4`/`_cache6`, keyed by the raw
address bytes) so the data path pays one dict lookup per packet; any change clears them.
Owners are opaque objects (the device uses its `Peer`s).
"""

from __future__ import annotations

import ipaddress
from typing import Any, Iterator

# What a cache lookup returns for an address it has no entry for: never a peer, nor None
# (the cached answer "no route"). Callers test `is MISS`.
MISS = object()
_CACHE_LIMIT = 1 << 16

Prefix = tuple[int, int, int]  # (version, masked address int, prefix length)


class AllowedIPs:
    def __init__(self) -> None:
        self._tables: dict[int, dict[int, dict[int, Any]]] = {4: {}, 6: {}}
        self._lengths: dict[int, list[int]] = {4: [], 6: []}
        self._by_owner: dict[int, dict[Prefix, None]] = {}  # id(owner) -> ordered prefixes
        self.cache4: dict[bytes, Any] = {}
        self._cache6: dict[bytes, Any] = {}

    # -- changes -------------------------------------------------------------------------
    def insert(self, network: ipaddress.IPv4Network | ipaddress.IPv6Network, owner: Any) -> None:
        version, bits = network.version, network.max_prefixlen
        plen = network.prefixlen
        key = int(network.network_address) >> (bits - plen)
        table = self._tables[version].get(plen)
        if table is None:
            table = self._tables[version][plen] = {}
            self._lengths[version] = sorted(self._tables[version], reverse=True)
        prefix = (version, key, plen)
        previous = table.get(key)
        if previous is not None:
            self._by_owner[id(previous)].pop(prefix, None)
        table[key] = owner
        self._by_owner.setdefault(id(owner), {})[prefix] = None
        self._invalidate()

    def remove(self, network: ipaddress.IPv4Network | ipaddress.IPv6Network, owner: Any) -> None:
        """Remove one prefix if `owner` holds it (the `-prefix` UAPI form); otherwise nothing."""
        version, bits, plen = network.version, network.max_prefixlen, network.prefixlen
        key = int(network.network_address) >> (bits - plen)
        table = self._tables[version].get(plen)
        if table is None or table.get(key) is not owner:
            return
        self._drop((version, key, plen))
        self._by_owner[id(owner)].pop((version, key, plen), None)
        self._invalidate()

    def remove_by_owner(self, owner: Any) -> None:
        for prefix in self._by_owner.pop(id(owner), {}):
            self._drop(prefix)
        self._invalidate()

    def _drop(self, prefix: Prefix) -> None:
        version, key, plen = prefix
        table = self._tables[version][plen]
        del table[key]
        if not table:
            del self._tables[version][plen]
            self._lengths[version] = sorted(self._tables[version], reverse=True)

    def _invalidate(self) -> None:
        self.cache4.clear()
        self._cache6.clear()

    # -- queries -------------------------------------------------------------------------
    def entries_for(self, owner: Any) -> Iterator[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """The owner's prefixes in insertion order, as networks."""
        for version, key, plen in self._by_owner.get(id(owner), {}):
            if version == 4:
                yield ipaddress.IPv4Network((key << (32 - plen), plen))
            else:
                yield ipaddress.IPv6Network((key << (128 - plen), plen))

    def lookup4(self, address: bytes) -> Any:
        """Owner of the longest prefix containing this 4-byte address, or None. Hot path."""
        owner = self.cache4.get(address, MISS)
        if owner is MISS:
            owner = self._search(4, 32, int.from_bytes(address, "big"))
            if len(self.cache4) >= _CACHE_LIMIT:
                self.cache4.clear()
            self.cache4[bytes(address)] = owner
        return owner

    def lookup6(self, address: bytes) -> Any:
        """Owner of the longest prefix containing this 16-byte address, or None. Hot path."""
        owner = self._cache6.get(address, MISS)
        if owner is MISS:
            owner = self._search(6, 128, int.from_bytes(address, "big"))
            if len(self._cache6) >= _CACHE_LIMIT:
                self._cache6.clear()
            self._cache6[bytes(address)] = owner
        return owner

    def lookup(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> Any:
        if address.version == 4:
            return self.lookup4(address.packed)
        return self.lookup6(address.packed)

    def _search(self, version: int, bits: int, value: int) -> Any:
        tables = self._tables[version]
        for plen in self._lengths[version]:
            owner = tables[plen].get(value >> (bits - plen))
            if owner is not None:
                return owner
        return None
