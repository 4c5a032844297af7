"""Cryptokey routing table (wg_py/protocol/allowedips.py) vs wireguard-go behaviour and a brute-force model."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from wg_py.protocol.allowedips import AllowedIPs

net = ipaddress.ip_network
addr = ipaddress.ip_address


def test_longest_prefix_wins_in_both_families():
    t = AllowedIPs()
    a, b, c = "a", "b", "c"
    t.insert(net("0.0.0.0/0"), a)
    t.insert(net("10.0.0.0/8"), b)
    t.insert(net("10.1.2.3/32"), c)
    t.insert(net("::/0"), a)
    t.insert(net("fd00::/64"), b)
    assert t.lookup(addr("10.1.2.3")) == c
    assert t.lookup(addr("10.1.2.4")) == b
    assert t.lookup(addr("192.168.0.1")) == a
    assert t.lookup(addr("fd00::1")) == b
    assert t.lookup(addr("fd01::1")) == a
    assert t.lookup4(bytes([10, 1, 2, 3])) == c
    assert t.lookup6(addr("fd00::5").packed) == b


def test_prefixes_are_masked_and_listed_in_insertion_order():
    t = AllowedIPs()
    t.insert(net("10.0.0.7/24", strict=False), "p")
    t.insert(net("fd00::1/64", strict=False), "p")
    t.insert(net("192.0.2.1/32"), "p")
    assert [str(n) for n in t.entries_for("p")] == ["10.0.0.0/24", "fd00::/64", "192.0.2.1/32"]
    # Inserting an existing prefix again moves it to the end (wireguard-go EntriesForPeer).
    t.insert(net("10.0.0.0/24"), "p")
    assert [str(n) for n in t.entries_for("p")] == ["fd00::/64", "192.0.2.1/32", "10.0.0.0/24"]


def test_inserting_a_prefix_for_another_peer_steals_it():
    t = AllowedIPs()
    t.insert(net("10.0.0.0/24"), "a")
    t.insert(net("10.0.1.0/24"), "a")
    t.insert(net("10.0.0.0/24"), "b")
    assert t.lookup(addr("10.0.0.9")) == "b"
    assert [str(n) for n in t.entries_for("a")] == ["10.0.1.0/24"]
    assert [str(n) for n in t.entries_for("b")] == ["10.0.0.0/24"]


def test_remove_by_owner_and_single_remove():
    t = AllowedIPs()
    t.insert(net("10.0.0.0/24"), "a")
    t.insert(net("10.0.0.0/16"), "b")
    assert t.lookup(addr("10.0.0.1")) == "a"
    t.remove_by_owner("a")
    assert t.lookup(addr("10.0.0.1")) == "b"
    t.remove(net("10.0.0.0/16"), "a")  # not a's: nothing happens
    assert t.lookup(addr("10.0.0.1")) == "b"
    t.remove(net("10.0.0.0/16"), "b")
    assert t.lookup(addr("10.0.0.1")) is None
    assert list(t.entries_for("b")) == []


def test_cached_lookups_see_later_changes():
    t = AllowedIPs()
    t.insert(net("10.0.0.0/8"), "a")
    assert t.lookup4(bytes([10, 0, 0, 1])) == "a"
    t.insert(net("10.0.0.1/32"), "b")
    assert t.lookup4(bytes([10, 0, 0, 1])) == "b"
    t.remove_by_owner("b")
    assert t.lookup4(bytes([10, 0, 0, 1])) == "a"


class Model:
    """Brute force: a list of (network, owner); lookup scans for the longest match."""

    def __init__(self) -> None:
        self.entries: dict[ipaddress._BaseNetwork, str] = {}

    def insert(self, network, owner):
        self.entries.pop(network, None)
        self.entries[network] = owner

    def remove_by_owner(self, owner):
        self.entries = {n: o for n, o in self.entries.items() if o != owner}

    def lookup(self, address):
        best = None
        for network, owner in self.entries.items():
            if network.version == address.version and address in network:
                if best is None or network.prefixlen > best[0]:
                    best = (network.prefixlen, owner)
        return best[1] if best else None

    def entries_for(self, owner):
        return [n for n, o in self.entries.items() if o == owner]


# Small address spaces so that random prefixes overlap often.
v4_prefix = st.builds(lambda a, n: ipaddress.IPv4Network((a, n), strict=False),
                      st.integers(0, 2**32 - 1).map(lambda x: x & 0xFF0000FF | 0x0A000000), st.integers(0, 32))
v6_prefix = st.builds(lambda a, n: ipaddress.IPv6Network((a, n), strict=False),
                      st.integers(0, 2**128 - 1).map(lambda x: (0xFD << 120) | (x & 0xFFFF)), st.integers(0, 128))
operation = st.one_of(
    st.tuples(st.just("insert"), st.one_of(v4_prefix, v6_prefix), st.sampled_from("abc")),
    st.tuples(st.just("remove_by_owner"), st.none(), st.sampled_from("abc")),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(operation, max_size=40), st.lists(st.integers(0, 2**32 - 1), max_size=20),
       st.lists(st.integers(0, 2**16 - 1), max_size=10))
def test_matches_brute_force_model(ops, probes4, probes6):
    table, model = AllowedIPs(), Model()
    for op, network, owner in ops:
        getattr(table, op)(*((network, owner) if network is not None else (owner,)))
        getattr(model, op)(*((network, owner) if network is not None else (owner,)))
    probes = [ipaddress.IPv4Address(p & 0xFF0000FF | 0x0A000000) for p in probes4]
    probes += [ipaddress.IPv6Address((0xFD << 120) | p) for p in probes6]
    probes += [n.network_address for n in model.entries]
    for probe in probes:
        assert table.lookup(probe) == model.lookup(probe), probe
    for owner in "abc":
        assert list(table.entries_for(owner)) == model.entries_for(owner)
