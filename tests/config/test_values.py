"""wg_py/config/values.py: single values by the C tool's rules."""

from __future__ import annotations

from tests.support.configs import *  # noqa: F403 - the shared keys, tools and helpers


@pytest.fixture(autouse=True)
def no_resolution_retries(monkeypatch):
    """A service name getaddrinfo does not know is a *transient* error to wg (it retries for
    minutes by default); both tools, ours and the real one, read the variable from here."""
    monkeypatch.setenv("WG_ENDPOINT_RESOLUTION_RETRIES", "0")



def test_fwmark_rules():
    assert [parse_fwmark(v) for v in ("off", "OFF", "0", "0x0", "0xffffffff", "4294967295", "017")] == \
        [0, 0, 0, 0, 0xFFFFFFFF, 0xFFFFFFFF, 17]
    for bad in ("", "0x", "x1", " 1", "+1", "1.0", "0xfffffffff", "٣"):
        with pytest.raises(ConfigValueError):
            parse_fwmark(bad)


def test_allowed_ips_rules():
    assert parse_allowed_ips("") == []
    assert [str(a) for a in parse_allowed_ips("0.0.0.0/0,::/0,::ffff:1.2.3.4")] == \
        ["0.0.0.0/0", "::/0", "::ffff:1.2.3.4/128"]   # as inet_ntop (and `wg show`) write it
    with pytest.raises(ConfigValueError) as e:
        parse_allowed_ips("1.2.3.4/٣")
    assert e.value.kind == "allowed-ip"


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 2**128 - 1), st.integers(0, 128)), min_size=1, max_size=5))
def test_allowed_ips_as_integers_equal_ipaddress_networks(entries):
    texts, expected, warned = [], [], []
    for v6, number, cidr in entries:
        if v6:
            address: ipaddress._BaseAddress = ipaddress.IPv6Address(number)
        else:
            address, cidr = ipaddress.IPv4Address(number % 2**32), cidr % 33
        texts.append(f"{address}/{cidr}")
        network = ipaddress.ip_network((address, cidr), strict=False)
        expected.append(network)
        if network.network_address != address:
            warned.append(f"Warning: AllowedIP has nonzero host part: {address}/{cidr}")
    warnings: list[str] = []
    parsed = parse_allowed_ips(",".join(texts), warnings.append)
    assert [a.network for a in parsed] == expected and warnings == warned
    assert [a.parts for a in parsed] == [(n.version, int(n.network_address), n.prefixlen) for n in expected]

