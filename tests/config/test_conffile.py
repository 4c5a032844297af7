"""wg_py/config/conffile.py: bad files side by side with the real wg, the model, random and
good configs applied for real, and the round trip."""

from __future__ import annotations

from tests.support.configs import *  # noqa: F403 - the shared keys, tools and helpers
from wg_py.config import conffile


def parse_wg_config(text: str, append: bool = False, **kw):
    """The parser with the CLI's lookups (names and scoped addresses resolve as wg's do)."""
    kw.setdefault("lookup", SystemLookup())
    return conffile.parse_wg_config(text, append, **kw)


@pytest.fixture(autouse=True)
def no_resolution_retries(monkeypatch):
    """A service name getaddrinfo does not know is a *transient* error to wg (it retries for
    minutes by default); both tools, ours and the real one, read the variable from here."""
    monkeypatch.setenv("WG_ENDPOINT_RESOLUTION_RETRIES", "0")



# --- bad config files, side by side ----------------------------------------------------------

PEER = f"[Peer]\nPublicKey = {P}\n"
BAD_CONFIGS = [
    f"PrivateKey = {K}\n",                                   # key before any section
    "[Interface]\nAddress = 10.0.0.1/24\n",                  # wg-quick keys are not wg's
    "[Interface]\nDNS = 1.1.1.1\n",
    "[Interface]\nMTU = 1420\n",
    "[Interface]\nTable = off\n",
    "[Interface]\nPreUp = echo hi\n",
    "[Interface]\nPostDown = echo hi # bye\n",
    "[Interface]\nSaveConfig = true\n",
    "[Interface]\nListenPort =\n",                           # empty value: not a key line
    "[Interface]\nPrivateKey\n",
    "[Interface]\nListenPort = notaservice\n",
    "[Interface]\nListenPort = -1\n",
    "[Interface]\nFwMark = 0x\n",
    "[Interface]\nFwMark = 0x100000000\n",
    "[Interface]\nFwMark = 4294967296\n",
    "[Interface]\nFwMark = on\n",
    "[Interface]\nFwMark = 0X10\n",
    "[Interface]\nFwMark = 0x1g\n",
    "[Interface]\nPrivateKey = short\n",
    f"[Interface]\nPrivateKey = {NONCANON}\n",
    f"[Interface]\nPrivateKey = {K[:43]}A\n",
    f"[Interface]\nPrivateKey = {K}x\n",
    "[Peer]\nAllowedIPs = 10.0.0.0/8\n",                      # peer without a public key
    f"{PEER}[Peer]\nEndpoint = 192.0.2.1:5\n",
    PEER + "AllowedIPs = 10.0.0.1/33\n",
    PEER + "AllowedIPs = 10.0.0.256/32\n",
    PEER + "AllowedIPs = ::1/129\n",
    PEER + "AllowedIPs = 10.0.0.1/\n",
    PEER + "AllowedIPs = 10.0.0.1/+8\n",
    PEER + "AllowedIPs = 10.0.0.0/8,\n",
    PEER + "AllowedIPs = 10.0.0.1/24/5\n",
    PEER + "AllowedIPs = fe80::1%eth0/64\n",
    PEER + "AllowedIPs = 010.0.0.1/32\n",
    PEER + "AllowedIPs = 10.0.0.1/24\nAllowedIPs = 10.0.0.300\n",   # warning, then error
    PEER + "AllowedIPs =\n",
    PEER + "Endpoint = 192.0.2.1\n",
    PEER + "Endpoint = [::1]\n",
    PEER + "Endpoint = [::1:51820\n",
    PEER + "Endpoint = [::1]:\n",
    PEER + "Endpoint = 192.0.2.1:\n",
    PEER + "Endpoint = 192.0.2.1:notaport\n",
    PEER + "Endpoint = :5\n",
    PEER + "Endpoint = []:5\n",
    PEER + "Endpoint = no-such-host.invalid:51820\n",
    PEER + "PersistentKeepalive = 65536\n",
    PEER + "PersistentKeepalive = -1\n",
    PEER + "PersistentKeepalive = always\n",
    PEER + "PresharedKey = abc\n",
    PEER + "ListenPort = 5\n",                                 # interface key in a peer
    f"[Interface]\nPublicKey = {P}\n",                        # peer key in the interface
    "[Interfaces]\n",
    "[Interface]\nFoo = bar\n",
    "[Interface]\nListenPort = 51820\n[Interface]\nFwMark = nope\n",
    "[Interface]\nPrivate\u212aey = x\n",                   # Kelvin sign: not a K to strcasecmp
    "[\u0130nterface]\n",
    PEER + "PersistentKeepalive = \u2170ff\n",
]


@oracle
@pytest.mark.parametrize("text", BAD_CONFIGS)
def test_bad_config_same_error_as_real_wg(text, tmp_path):
    out, status, _ = ours_setconf(text.encode())
    assert status == 1
    assert_same_as_real_setconf(text.encode(), tmp_path)


@oracle
@pytest.mark.parametrize("data", [
    b"[Interface]\nListenPort = \xff\n",                       # bytes echoed unchanged
    b"[Interface]\nFoo\xc3\xa9 = 1\n",
    b"[Interface]\r\nListenPort = 5\rFwMark = 1\r\n",          # a lone CR is not a line break
    b"[Interface]\nPrivateKey = " + K.encode() + b"\0trailing garbage\n",   # NUL ends the line
    b"[Interface]\nFwMark = 1\0\n[Peer]\n",
])
def test_odd_bytes_same_as_real_wg(data, tmp_path):
    assert_same_as_real_setconf(data, tmp_path)


def test_errors_carry_line_numbers():
    with pytest.raises(ConfigLineError) as e:
        parse_wg_config("# c\n\n[Interface]\nAddress = 1\n")
    assert (e.value.line, e.value.lineno) == ("Address=1", 4)
    with pytest.raises(ConfigValueError) as v:
        parse_wg_config(f"[Interface]\nPrivateKey = {K}\n[Peer]\nPublicKey = nope\n")
    assert (v.value.kind, v.value.lineno) == ("key", 4)
    with pytest.raises(ConfigValueError) as m:
        parse_wg_config(f"[Peer]\nPublicKey = {P}\n\n[Peer]\nAllowedIPs = 10.0.0.0/8\n")
    assert (m.value.kind, m.value.lineno) == ("missing-public-key", 4)
    assert render(m.value) == "A peer is missing a public key\nInvalid configuration"


# --- the model -------------------------------------------------------------------------------


def test_setconf_model_defaults_and_flags():
    d = parse_wg_config(f"[Peer]\nPublicKey = {P}\n")
    assert d.replace_peers and d.private_key == ZERO_KEY and d.listen_port == 0 and d.fwmark == 0
    assert d.peers[0].replace_allowed_ips and d.peers[0].preshared_key is None
    assert d.peers[0].endpoint is None and d.peers[0].persistent_keepalive_interval is None
    a = parse_wg_config(f"[Peer]\nPublicKey = {P}\n", append=True)
    assert not a.replace_peers and a.private_key is None and a.listen_port is None and a.fwmark is None
    assert a.peers[0].replace_allowed_ips


def test_model_values_case_spacing_comments_repeats():
    text = (f"  [ interface ]  # the device\nprivatekey={K}\nLISTENPORT = 51 820\n"
            "FwMark = 0xCA6c\nfwmark = 0x10\n"
            f"[PEER]\npublickey = {P}   # peer one\nPresharedKey = {PSK}\n"
            "AllowedIPs = 10.0.0.1/24, fd00::/64\nallowedips=192.0.2.7\n"
            "Endpoint = [2001:db8::1]:51820\nendpoint = 192.0.2.1:51821\n"
            "PersistentKeepalive = OFF\npersistentkeepalive = 25\n"
            f"[Peer]\nPublicKey = {P2}\nEndpoint = [fe80::1%lo]:1\n")
    warnings: list[str] = []
    d = parse_wg_config(text, warn=warnings.append)
    assert warnings == ["Warning: AllowedIP has nonzero host part: 10.0.0.1/24"]
    assert d.private_key == key_from_base64(K) and d.listen_port == 51820 and d.fwmark == 0x10
    one, two = d.peers
    assert one.public_key == key_from_base64(P) and one.preshared_key == key_from_base64(PSK)
    assert [str(a) for a in one.allowed_ips] == ["10.0.0.0/24", "fd00::/64", "192.0.2.7/32"]
    assert str(one.endpoint) == "192.0.2.1:51821" and one.persistent_keepalive_interval == 25
    assert str(two.endpoint) == "[fe80::1%lo]:1"

# --- property tests against the real parser --------------------------------------------------

_FRAGMENTS = [
    "[Interface]", "[Peer]", "[interface]", "[ PEER ]", "[Interfaces]", "",
    f"PrivateKey = {K}", f"PublicKey = {P}", f"PublicKey={P2}", f"PresharedKey = {PSK}",
    "ListenPort = 51820", "ListenPort = domain", "ListenPort = 70000", "ListenPort = x",
    "FwMark = 0x10", "FwMark = off", "FwMark = 1e3", "AllowedIPs = 10.0.0.1/24, fd00::/64",
    "AllowedIPs = 0.0.0.0/0", "AllowedIPs = 300.0.0.0/8", "AllowedIPs = 10.0.0.0/8,,",
    "Endpoint = 192.0.2.1:51820", "Endpoint = [2001:db8::1]:51820", "Endpoint = [::1]",
    "PersistentKeepalive = 25", "PersistentKeepalive = off", "PersistentKeepalive = 1e2",
    "Address = 10.0.0.1/24", "DNS = 1.1.1.1", "PublicKey =", "just words", "= value",
]


@st.composite
def config_texts(draw) -> str:
    lines = []
    for fragment in draw(st.lists(st.sampled_from(_FRAGMENTS), max_size=10)):
        if draw(st.booleans()):
            fragment = "".join(c.upper() if draw(st.booleans()) else c.lower() for c in fragment)
        pad = draw(st.sampled_from(["", " ", "\t", "  \t", "\r", "\v"]))
        comment = draw(st.sampled_from(["", " # comment", "#", "# [Peer]"]))
        lines.append(pad + fragment + pad + comment)
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))


@oracle
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=config_texts())
def test_random_configs_parse_like_real_wg(text, tmp_path):
    assert_same_as_real_setconf(text.encode(), tmp_path)


# --- good configs applied for real: showconf must describe our model ------------------------

GOOD_CONFIGS = [
    f"""# a full device
[Interface]
PrivateKey = {K}
ListenPort = 51820
FwMark = 0xca6c

[Peer]   # one
PublicKey = {P2}
PresharedKey = {PSK}
AllowedIPs = 10.0.0.2/32, fd00::2/128
AllowedIPs = 10.1.0.9/16
Endpoint = 192.0.2.1:51821
PersistentKeepalive = 25

[peer]
publickey = {P3}
allowedips = 0.0.0.0/0, ::/0
endpoint = [2001:db8::1]:4500
""",
    "",
    f"[Interface]\nListen Port = 5 1 8 2 2\nFwMark = off\n[Peer]\nPublicKey = {P2}\nEndpoint = localhost:7\n",
    f"[Interface]\r\nPrivateKey = {K}\0junk\r\n[Peer]\r\nPublicKey = {P3}\r\nPersistentKeepalive = off\r\n",
]


def _normalise(device) -> dict:
    peers = {}
    for p in device.peers:
        peers[p.public_key] = (
            None if p.preshared_key in (None, ZERO_KEY) else p.preshared_key,
            str(p.endpoint) if p.endpoint else None,
            p.persistent_keepalive_interval or 0,
            sorted(str(a) for a in p.allowed_ips),
        )
    return {"private_key": None if device.private_key in (None, ZERO_KEY) else device.private_key,
            "fwmark": device.fwmark or 0, "peers": peers}


@oracle
@pytest.mark.netns
def test_good_configs_applied_by_real_wg_match_our_model(tmp_path):
    ifname = netns.unique_ifname()
    with netns.namespace() as ns:
        netns.start_wireguard_go(ns, ifname)
        try:
            for text in GOOD_CONFIGS:
                path = tmp_path / "good.conf"
                path.write_bytes(text.encode())
                r = real(REAL_WG, "setconf", ifname, str(path))
                assert r.returncode == 0, r.stderr
                shown = real(REAL_WG, "showconf", ifname).stdout.decode()
                ours = parse_wg_config(decode_config(text.encode()), warn=lambda w: None)
                theirs = parse_wg_config(shown, append=True)
                assert _normalise(theirs) == _normalise(ours), text
                if ours.listen_port:
                    assert theirs.listen_port == ours.listen_port
        finally:
            ns.run("ip", "link", "del", ifname, check=False)
            netns.remove_socket(ifname)


# --- round trip: any model written as a config file parses back to itself ---------------------

_keys = st.binary(min_size=32, max_size=32)
_v4_nets = st.builds(lambda a, n: ipaddress.ip_network((a, n), strict=False),
                     st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address), st.integers(0, 32))
_v6_nets = st.builds(lambda a, n: ipaddress.ip_network((a, n), strict=False),
                     st.integers(0, 2**128 - 1).map(ipaddress.IPv6Address), st.integers(0, 128))
_endpoints = st.one_of(
    st.builds(Endpoint, st.integers(1, 2**32 - 1).map(ipaddress.IPv4Address), st.integers(0, 65535)),
    st.builds(Endpoint, st.integers(1, 2**128 - 1).map(ipaddress.IPv6Address), st.integers(0, 65535)))
_peers = st.builds(
    lambda key, psk, ep, ka, ips: WgPeer(public_key=key, preshared_key=psk, endpoint=ep,
                                         persistent_keepalive_interval=ka,
                                         allowed_ips=[WgAllowedIP(n) for n in ips], replace_allowed_ips=True),
    _keys, st.none() | _keys, st.none() | _endpoints, st.none() | st.integers(0, 65535),
    st.lists(_v4_nets | _v6_nets, max_size=4))
_devices = st.builds(
    lambda key, port, mark, peers: WgDevice(private_key=key, listen_port=port, fwmark=mark, peers=peers,
                                            replace_peers=True),
    _keys, st.integers(0, 65535), st.integers(0, 2**32 - 1), st.lists(_peers, max_size=3))


def _as_config(device: WgDevice, style: int) -> str:
    """A config file for `device`, in one of a few spellings (case, spacing, hex, comments)."""
    k = key_to_base64
    cased = (lambda s: s) if style % 2 == 0 else (lambda s: s.upper())
    lines = [cased("[Interface]"), f"{cased('PrivateKey')} = {k(device.private_key)}",
             f"{cased('ListenPort')}={device.listen_port}",
             f"FwMark = {hex(device.fwmark) if style % 3 else device.fwmark}   # mark"]
    for peer in device.peers:
        lines += ["", cased("[Peer]"), f"\tPublicKey = {k(peer.public_key)}"]
        if peer.preshared_key is not None:
            lines.append(f"PresharedKey = {k(peer.preshared_key)}")
        for ip in peer.allowed_ips:  # one per line: repeated keys accumulate
            lines.append(f"AllowedIPs = {ip}")
        if peer.endpoint is not None:
            lines.append(f"Endpoint = {peer.endpoint}")
        if peer.persistent_keepalive_interval is not None:
            ka = peer.persistent_keepalive_interval
            lines.append(f"PersistentKeepalive = {'off' if ka == 0 and style % 2 else ka}")
    return ("\r\n" if style % 5 == 0 else "\n").join(lines) + "\n"


@settings(max_examples=150, deadline=None)
@given(device=_devices, style=st.integers(0, 29))
def test_any_model_written_as_config_parses_back(device, style):
    assert parse_wg_config(_as_config(device, style), warn=pytest.fail) == device


# --- fast paths (kept exact) ----------------------------------------------------------------


@pytest.mark.parametrize("line, port", [("\tListenPort\t=\t1", 1), ("Listen\x0bPort=1\x0c", 1), ("ListenPort=1\r", 1),
                                        ("ListenPort = 1 # c", 1), ("Listen\u00a0Port=1", None),
                                        ("\x1cListenPort=1", None), ("Listen\x85Port=1", None)])
def test_line_whitespace_is_the_c_tools(line, port):
    # Only the six C spaces are removed, not NBSP, \x1c or \x85 (which str.split would drop).
    if port is None:
        with pytest.raises(ConfigLineError):
            parse_wg_config(f"[Interface]\n{line}\n")
    else:
        assert parse_wg_config(f"[Interface]\n{line}\n").listen_port == port
