"""wg_py/config.py side by side with the real tools.

- Bad config files: `/usr/bin/wg setconf <no such interface> FILE` parses the whole file
  before it talks to any interface, so its stderr and exit status for a bad file are the
  parser's alone; ours must be the same bytes (warnings, error line, trailer).
- Good config files: the real `wg setconf` applies them to a wireguard-go interface in a
  namespace; its `wg showconf` must describe what our model says.
- `wg set` arguments and key files: the same, through `/usr/bin/wg set`.
- wg-quick's view: `wg_text` against the real `wg-quick strip`, and every field against
  the variables the real script's own parse_options fills in.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wg_py import config
from wg_py.cli.errors import render
from wg_py.config import (
    QuickConfig,
    decode_config,
    parse_allowed_ips,
    parse_fwmark,
    parse_quick_config,
    parse_set_args,
    parse_wg_config,
    read_key_file,
    resolution_retries,
    resolve_endpoint,
)
from wg_py.errors import ConfigLineError, ConfigValueError, KeyFileError, QuickConfigError, WgError
from wg_py.keys import ZERO_KEY, key_from_base64, key_to_base64
from wg_py.model import Endpoint, WgAllowedIP, WgDevice, WgPeer
from tests.support import netns

REAL_WG = "/usr/bin/wg"
REAL_WG_QUICK = "/usr/bin/wg-quick"
NO_IFACE = "wgpyNoSuchIf0"  # setconf/set on it fail only after parsing

K = "mMpGjXv1vIguUUeLTTG0aw0YXM9omHTWx8gFbEK9NEA="   # a private key
P = "g4Yj8/vqgP06KTmk+J0Akj2nZ/tSmFjI8cZjcVlupwI="   # its public key
P2 = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="
P3 = "b57FW0GvcchunEQwxJfbSp8g1wnnMy06MZ35Gh1wyg8="
PSK = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="
NONCANON = P[:42] + "B="  # last quantum has non-zero unused bits

oracle = pytest.mark.oracle
# The real wg-quick re-executes itself through sudo unless it runs as root, even for `strip`.
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="the real wg-quick needs root, even to strip")


@pytest.fixture(autouse=True)
def no_resolution_retries(monkeypatch):
    """A service name getaddrinfo does not know is a *transient* error to wg (it retries for
    minutes by default); both tools, ours and the real one, read the variable from here."""
    monkeypatch.setenv("WG_ENDPOINT_RESOLUTION_RETRIES", "0")


# --- helpers -----------------------------------------------------------------------------


def ours_setconf(data: bytes, append: bool = False) -> tuple[bytes, int, object]:
    """What our parser prints (warnings, then the error) and its status; plus the model."""
    warnings: list[str] = []
    try:
        device = parse_wg_config(decode_config(data), append, warn=warnings.append)
    except WgError as e:
        text = "".join(w + "\n" for w in warnings) + render(e) + "\n"
        return text.encode("utf-8", "surrogateescape"), 1, None
    text = "".join(w + "\n" for w in warnings)
    return text.encode("utf-8", "surrogateescape"), 0, device


def real(*argv: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), capture_output=True, timeout=30,
                          env=None if env is None else {**os.environ, **env}, **kw)


def real_setconf(data: bytes, tmp_path: Path) -> subprocess.CompletedProcess:
    path = tmp_path / "c.conf"
    path.write_bytes(data)
    return real(REAL_WG, "setconf", NO_IFACE, str(path))


MODIFY_FAILED = b"Unable to modify interface: "


def assert_same_as_real_setconf(data: bytes, tmp_path: Path) -> None:
    r = real_setconf(data, tmp_path)
    out, status, _ = ours_setconf(data)
    if status == 0:
        # The real tool parsed it too and only failed to reach the (missing) interface.
        lines = r.stderr.splitlines(keepends=True)
        assert lines and lines[-1].startswith(MODIFY_FAILED), (data, r.stderr)
        assert b"".join(lines[:-1]) == out, data
    else:
        assert (r.stderr, r.returncode) == (out, status), data


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


def test_listen_port_uses_services_and_wraps_like_glibc():
    assert parse_wg_config("[Interface]\nListenPort = domain\n").listen_port == 53
    assert parse_wg_config("[Interface]\nListenPort = 65537\n").listen_port == 1


def test_fwmark_rules():
    assert [parse_fwmark(v) for v in ("off", "OFF", "0", "0x0", "0xffffffff", "4294967295", "017")] == \
        [0, 0, 0, 0, 0xFFFFFFFF, 0xFFFFFFFF, 17]
    for bad in ("", "0x", "x1", " 1", "+1", "1.0", "0xfffffffff", "٣"):
        with pytest.raises(ConfigValueError):
            parse_fwmark(bad)


def test_allowed_ips_rules():
    assert parse_allowed_ips("") == []
    assert [str(a) for a in parse_allowed_ips("0.0.0.0/0,::/0,::ffff:1.2.3.4")] == \
        ["0.0.0.0/0", "::/0", "::ffff:102:304/128"]
    with pytest.raises(ConfigValueError) as e:
        parse_allowed_ips("1.2.3.4/٣")
    assert e.value.kind == "allowed-ip"


# --- endpoint resolution ---------------------------------------------------------------------


class FlakyResolver:
    """getaddrinfo that fails `failures` times with `code`, then answers."""

    def __init__(self, failures: int, code: int = socket.EAI_AGAIN) -> None:
        self.failures, self.code, self.calls = failures, code, 0

    def __call__(self, host, port, *args):
        self.calls += 1
        if self.calls <= self.failures:
            raise socket.gaierror(self.code, "Temporary failure in name resolution")
        return [(socket.AF_INET, socket.SOCK_DGRAM, 17, "", ("192.0.2.9", int(port)))]


def test_resolution_retries_with_growing_delay():
    warnings, sleeps = [], []
    resolver = FlakyResolver(5)
    ep = resolve_endpoint("vpn.example:51820", warn=warnings.append, retries=15,
                          getaddrinfo=resolver, sleep=sleeps.append)
    assert str(ep) == "192.0.2.9:51820"
    assert sleeps == [1.0, 1.2, 1.44, 1.728, 2.0736]
    assert warnings[0] == ("Temporary failure in name resolution: `vpn.example:51820'. "
                           "Trying again in 1.00 seconds...")
    assert warnings[3].endswith("Trying again in 1.73 seconds...")


def test_resolution_gives_up_after_retries_and_on_permanent_errors():
    warnings: list[str] = []
    with pytest.raises(ConfigValueError) as e:
        resolve_endpoint("h:1", warn=warnings.append, retries=2, getaddrinfo=FlakyResolver(9),
                         sleep=lambda s: None)
    assert len(warnings) == 2 and render(e.value) == "Temporary failure in name resolution: `h:1'"
    resolver = FlakyResolver(9, socket.EAI_NONAME)
    with pytest.raises(ConfigValueError):
        resolve_endpoint("h:1", warn=warnings.append, retries=-1, getaddrinfo=resolver,
                         sleep=lambda s: None)
    assert resolver.calls == 1
    # The delay stops growing at 20 s.
    sleeps: list[float] = []
    resolve_endpoint("h:1", warn=lambda w: None, retries=-1, getaddrinfo=FlakyResolver(30),
                     sleep=sleeps.append)
    assert max(sleeps) == 20.0 and sleeps[-1] == 20.0


@oracle
@pytest.mark.parametrize("value", ["", "0", "5", " 7", "+3", "-0", "-1", "abc", "5x", "infinity",
                                   "Infinity", "2147483647", "2147483648", "99999999999999999999999"])
def test_retries_variable_parsed_like_real_wg(value, tmp_path):
    r = real(REAL_WG, "set", NO_IFACE, "peer", P, "endpoint", "192.0.2.1:5",
             env={"WG_ENDPOINT_RESOLUTION_RETRIES": value})
    try:
        resolution_retries({"WG_ENDPOINT_RESOLUTION_RETRIES": value})
    except ConfigValueError as e:
        assert r.stderr.decode() == render(e) + "\n"
    else:
        assert r.stderr.startswith(MODIFY_FAILED)


@oracle
@pytest.mark.netns
def test_transient_resolver_failure_same_messages_as_real_wg(tmp_path):
    """In a namespace with no route to any nameserver, lookups fail with EAI_AGAIN."""
    script = (f"import sys; sys.path.insert(0, {str(Path(__file__).parents[1])!r})\n"
              "from wg_py.config import resolve_endpoint\nfrom wg_py.cli.errors import render\n"
              "from wg_py.errors import WgError\n"
              "try:\n    resolve_endpoint(sys.argv[1])\nexcept WgError as e:\n"
              "    sys.stderr.write(render(e) + '\\n'); sys.exit(1)\n")
    host = "wgpy-no-such-host.example:51820"
    with netns.namespace() as ns:
        env = {**os.environ, "WG_ENDPOINT_RESOLUTION_RETRIES": "1"}
        r = ns.run(REAL_WG, "set", NO_IFACE, "peer", P, "endpoint", host, check=False, env=env)
        o = ns.run("python3", "-c", script, host, check=False, env=env)
    if "Temporary failure" not in r.stderr:
        pytest.skip(f"resolver in an empty namespace did not fail transiently: {r.stderr!r}")
    assert o.stderr == r.stderr and o.returncode == r.returncode == 1
    assert o.stderr.count("Trying again in 1.00 seconds...") == 1


# --- `wg set` arguments ----------------------------------------------------------------------

BAD_SET_ARGS = [
    ["listen-port", ""], ["listen-port"], ["bogus"], ["listen-port", "nope"],
    ["fwmark", "0x"], ["fwmark", "-1"], ["private-key", "/nonexistent/key"],
    ["peer"], ["peer", "bad"], ["peer", NONCANON], ["remove"],
    ["peer", P, "listen-port", "5"], ["peer", P, "fwmark", "1"], ["peer", P, "private-key", "/dev/null"],
    ["peer", P, "endpoint"], ["peer", P, "endpoint", ""], ["peer", P, "endpoint", "[::1]"],
    ["peer", P, "allowed-ips", "10.0.0.1/33"], ["peer", P, "allowed-ips", "10.0.0.1 /24, 1.2.3.4/99"],
    ["peer", P, "persistent-keepalive", "65536"], ["peer", P, "preshared-key", "/nonexistent"],
    ["peer", P, "remove", "bogus"], ["peer", P, "Endpoint", "192.0.2.1:5"],
]
GOOD_SET_ARGS = [
    ["listen-port", "51820", "fwmark", "0x10", "private-key", "/dev/null"],
    ["peer", P, "remove"], ["peer", P, "allowed-ips", ""], ["peer", P, "remove", "remove"],
    ["peer", P, "allowed-ips", " 10.0.0.1 /24 , fd00::1"],
    ["peer", P, "endpoint", "[::1]:5", "persistent-keepalive", "off", "peer", P2, "endpoint", "192.0.2.1:7"],
]


def ours_set(argv: list[str]) -> tuple[str, int]:
    warnings: list[str] = []
    try:
        parse_set_args(argv, warn=warnings.append)
    except WgError as e:
        return "".join(w + "\n" for w in warnings) + render(e) + "\n", 1
    return "".join(w + "\n" for w in warnings), 0


def assert_set_args_like_real_wg(argv: list[str]) -> None:
    """Our parse of `wg set` args against the real wg's on an interface that does not exist:
    the same errors and warnings; where ours parses, the real one gets as far as the device."""
    r = real(REAL_WG, "set", NO_IFACE, *argv)
    out, status = ours_set(argv)
    if status == 0:
        lines = r.stderr.decode().splitlines(keepends=True)
        assert lines[-1].startswith(MODIFY_FAILED.decode()) and "".join(lines[:-1]) == out, argv
    else:
        assert (r.stderr.decode(), r.returncode) == (out, 1), argv


@oracle
@pytest.mark.parametrize("argv", BAD_SET_ARGS + GOOD_SET_ARGS)
def test_set_args_same_as_real_wg(argv):
    assert_set_args_like_real_wg(argv)


_SET_TOKENS = ["listen-port", "fwmark", "private-key", "peer", "remove", "endpoint", "allowed-ips",
               "persistent-keepalive", "preshared-key", P, P2, "bad", "51820", "0x10", "off", "25",
               "/dev/null", "192.0.2.1:5", "[::1]:7", "10.0.0.0/8, fd00::/64", "", "10.0.0.1/40"]


@oracle
@settings(max_examples=80, deadline=None)
@given(argv=st.lists(st.sampled_from(_SET_TOKENS), min_size=1, max_size=8))
def test_random_set_args_same_as_real_wg(argv):
    assert_set_args_like_real_wg(argv)


def test_set_args_model():
    d = parse_set_args(["listen-port", "51820", "peer", P, "remove", "peer", P2,
                        "allowed-ips", "10.0.0.0/8", "persistent-keepalive", "25"])
    assert not d.replace_peers and d.private_key is None and d.listen_port == 51820
    assert d.peers[0].remove and not d.peers[0].replace_allowed_ips
    assert d.peers[1].replace_allowed_ips and d.peers[1].persistent_keepalive_interval == 25


# --- key files -------------------------------------------------------------------------------

KEY_FILES = {
    "good": K.encode() + b"\n",
    "good-spaces": K.encode() + b" \t\r\n\v\f  \n",
    "empty": b"",
    "short": K[:43].encode(),
    "trailing": K.encode() + b"\nx",
    "trailing-nul": K.encode() + b"\0",
    "trailing-high": K.encode() + b" \xe9",
    "nul-inside": K[:20].encode() + b"\0" + K[21:].encode(),
    "bad-format": b"!" * 44,
    "noncanonical": NONCANON.encode(),
}


def ours_key_file(path: str) -> tuple[bytes, int]:
    try:
        read_key_file(path)
    except WgError as e:
        return (render(e) + "\n").encode("utf-8", "surrogateescape"), 1
    return b"", 0


def assert_key_file_same(path: str, stdin=None) -> None:
    r = real(REAL_WG, "set", NO_IFACE, "private-key", path, stdin=stdin)
    out, status = ours_key_file(path)
    if status == 0:
        assert r.stderr.startswith(MODIFY_FAILED), (path, r.stderr)
    else:
        assert r.stderr == out, path


@oracle
@pytest.mark.parametrize("name", sorted(KEY_FILES))
def test_key_file_same_as_real_wg(name, tmp_path):
    path = tmp_path / name
    path.write_bytes(KEY_FILES[name])
    assert_key_file_same(str(path))


@oracle
@pytest.mark.parametrize("path", ["/dev/null", "/nonexistent/key", "/tmp"])
def test_special_key_paths_same_as_real_wg(path):
    assert_key_file_same(path)


@oracle
@pytest.mark.parametrize("content", [b"", K.encode() + b"\n", b"short"])
def test_key_file_from_a_fifo_same_as_real_wg(content, tmp_path):
    """Process substitution `<(echo KEY)`: a pipe, which cannot tell its offset."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    results = []
    for reader in ("real", "ours"):
        writer = subprocess.Popen(["sh", "-c", f"cat > {fifo}"], stdin=subprocess.PIPE)
        writer.stdin.write(content)
        writer.stdin.close()
        if reader == "real":
            r = real(REAL_WG, "set", NO_IFACE, "private-key", str(fifo))
            results.append(b"ok" if r.stderr.startswith(MODIFY_FAILED) else r.stderr)
        else:
            out, status = ours_key_file(str(fifo))
            results.append(b"ok" if status == 0 else out)
        writer.wait(timeout=5)
    assert results[0] == results[1]


def test_key_file_values(tmp_path):
    (tmp_path / "k").write_bytes(b"\n" if False else K.encode() + b"  \n")
    assert read_key_file(str(tmp_path / "k")) == key_from_base64(K)
    (tmp_path / "e").write_bytes(b"")
    assert read_key_file(str(tmp_path / "e")) == ZERO_KEY
    assert read_key_file("/dev/null") == ZERO_KEY
    r, w = os.pipe()
    os.write(w, K.encode() + b"\n")
    os.close(w)
    try:
        assert read_key_file(f"/dev/fd/{r}") == key_from_base64(K)
    finally:
        os.close(r)
    with pytest.raises(KeyFileError) as e:
        read_key_file(str(tmp_path / "missing"))
    assert render(e.value) == "fopen: No such file or directory"


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


# --- wg-quick's view -------------------------------------------------------------------------


def real_strip(data: bytes, tmp_path: Path) -> subprocess.CompletedProcess:
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir(exist_ok=True, mode=0o700)
    path = conf_dir / "wgq0.conf"
    path.write_bytes(data)
    path.chmod(0o600)
    return real(REAL_WG_QUICK, "strip", str(path))


# Fill the real script's own variables with its own parse_options, then print them.
_BASH_HARNESS = r"""
set -e -o pipefail
shopt -s extglob
export LC_ALL=C
PROGRAM=wg-quick
eval "$(sed -n '/^die() {/,/^}/p;/^parse_options() {/,/^}/p;/^read_bool() {/,/^}/p' "$2")"
WG_CONFIG=""; ADDRESSES=( ); MTU=""; DNS=( ); DNS_SEARCH=( ); TABLE=""
PRE_UP=( ); POST_UP=( ); PRE_DOWN=( ); POST_DOWN=( ); SAVE_CONFIG=0
parse_options "$1"
for v in "${ADDRESSES[@]}"; do printf 'addresses\t%s\0' "$v"; done
for v in "${DNS[@]}"; do printf 'dns\t%s\0' "$v"; done
for v in "${DNS_SEARCH[@]}"; do printf 'dns_search\t%s\0' "$v"; done
for v in "${PRE_UP[@]}"; do printf 'pre_up\t%s\0' "$v"; done
for v in "${POST_UP[@]}"; do printf 'post_up\t%s\0' "$v"; done
for v in "${PRE_DOWN[@]}"; do printf 'pre_down\t%s\0' "$v"; done
for v in "${POST_DOWN[@]}"; do printf 'post_down\t%s\0' "$v"; done
printf 'mtu\t%s\0table\t%s\0save_config\t%s\0wg_text\t%s\0' "$MTU" "$TABLE" "$SAVE_CONFIG" "$WG_CONFIG"
"""


def real_quick_fields(data: bytes, tmp_path: Path) -> tuple[dict, subprocess.CompletedProcess]:
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir(exist_ok=True, mode=0o700)
    path = conf_dir / "wgq0.conf"
    path.write_bytes(data)
    path.chmod(0o600)
    empty = tmp_path / "cwd"
    empty.mkdir(exist_ok=True)  # unquoted words are globbed against the cwd: keep it empty
    r = subprocess.run(["bash", "-c", _BASH_HARNESS, "harness", str(path), REAL_WG_QUICK],
                       capture_output=True, cwd=empty, timeout=30)
    fields: dict = {k: [] for k in ("addresses", "dns", "dns_search", "pre_up", "post_up",
                                    "pre_down", "post_down")}
    for record in r.stdout.split(b"\0")[:-1]:
        name, _, value = record.decode("utf-8", "surrogateescape").partition("\t")
        if isinstance(fields.get(name), list):
            fields[name].append(value)
        else:
            fields[name] = value
    return fields, r


def ours_quick_fields(q: QuickConfig) -> dict:
    return {"addresses": q.addresses, "dns": q.dns, "dns_search": q.dns_search, "pre_up": q.pre_up,
            "post_up": q.post_up, "pre_down": q.pre_down, "post_down": q.post_down,
            "mtu": "" if q.mtu is None else str(q.mtu), "table": q.table or "",
            "save_config": "1" if q.save_config else "0", "wg_text": q.wg_text}


QUICK_CONFIGS = [
    f"""[Interface]
Address = 10.0.0.1/24, fd00::1/64
address=10.0.1.1/24 10.0.2.1/24
DNS = 1.1.1.1, 2606:4700::1111, example.com,corp.example
MTU = 1420
Table = off
PreUp = echo pre %i # gone
PostUp = iptables -A FORWARD -i %i -j ACCEPT; echo a=b
PreDown = true
PostDown = echo down
SaveConfig = true
PrivateKey = {K}
ListenPort = 51820

[Peer]
PublicKey = {P}
Address = 10.9.9.9/32
AllowedIPs = 10.0.0.2/32
""",
    "\t [INTERFACE] \t\n  MTU=1280  \nsaveconfig = FALSE\r\ntable=1234\r\n  # comment  \n\n[Peer]\r\nDNS=1.1.1.1\n  tail  ",
    "MTU = 1420\n[Interface]\nDns = 9.9.9.9\n[Peer]\n[Interface]\nAddress = 1.2.3.4\nTable =\nMTU =\n",
    "[Interface]\nAddress\nDNS\n=\n   =  \n[Interface]x\nPostUp = \\\\ back\\slash\\\n",
    "[Interface]\nPrivate\0Key = x\nAddress = 10.0.0.1/24\0\n",
    "[Interface]\nAddress = 10.0.0.1/24\nDNS=1.1.1.1,\u212a.example\n\u212aey = v\n",
]


@as_root
@oracle
@pytest.mark.parametrize("text", QUICK_CONFIGS)
def test_quick_config_fields_same_as_real_parse_options(text, tmp_path):
    data = text.encode()
    fields, r = real_quick_fields(data, tmp_path)
    assert r.returncode == 0, r.stderr
    assert ours_quick_fields(parse_quick_config(decode_config(data))) == fields
    strip = real_strip(data, tmp_path)
    assert strip.stdout == (parse_quick_config(decode_config(data)).wg_text + "\n").encode()


def test_quick_config_values():
    q = parse_quick_config(QUICK_CONFIGS[0])
    assert q.addresses == ["10.0.0.1/24", "fd00::1/64", "10.0.1.1/24", "10.0.2.1/24"]
    assert q.dns == ["1.1.1.1", "2606:4700::1111"] and q.dns_search == ["example.com", "corp.example"]
    assert (q.mtu, q.table, q.save_config) == (1420, "off", True)
    assert q.pre_up == ["echo pre %i"] and q.post_up == ["iptables -A FORWARD -i %i -j ACCEPT; echo a=b"]
    assert "Address = 10.9.9.9/32" in q.wg_text and "MTU" not in q.wg_text
    with pytest.raises(ConfigLineError) as e:  # wg-quick keys count only in [Interface]
        parse_wg_config(q.wg_text)
    assert (e.value.line, e.value.lineno) == ("Address=10.9.9.9/32", 7)
    assert parse_quick_config("[Interface]\nMTU = 0x500\n").mtu == 1280


@as_root
@oracle
@pytest.mark.parametrize("value", ["yes", "1", "on", "", "true false", "tru"])
def test_quick_bad_bool_same_as_real(value, tmp_path):
    data = f"[Interface]\nSaveConfig = {value}\n".encode()
    r = real_strip(data, tmp_path)
    with pytest.raises(QuickConfigError) as e:
        parse_quick_config(data.decode())
    assert r.returncode == 1 and r.stderr.decode() == f"wg-quick: {render(e.value)}\n"


def test_quick_bad_mtu_is_a_typed_error_when_read():
    # Parsing keeps the raw value (the real `strip` passes it through); reading it fails.
    quick = parse_quick_config("[Interface]\nMTU = big\n")
    assert quick.mtu_text == "big"
    with pytest.raises(QuickConfigError) as e:
        quick.mtu
    assert render(e.value) == "`big' is not a valid MTU"


_QUICK_FRAGMENTS = [
    "[Interface]", "[Peer]", "[interface]", "[Interface ]", "Address = 10.0.0.1/24,fd00::1/64",
    "Address=10.0.0.2/24 10.0.0.3/24", "DNS = 1.1.1.1, example.com", "DNS=fd00::53,a.b",
    "MTU = 1420", "MTU=", "Table = off", "Table=main", "PreUp = echo %i", "PostUp = a=b # c",
    "PreDown = x", "PostDown=y", "SaveConfig = true", "SaveConfig=False", f"PrivateKey = {K}",
    f"PublicKey = {P}", "AllowedIPs = 0.0.0.0/0", "# comment = x", "", "junk", "=",
]


@st.composite
def quick_texts(draw) -> bytes:
    lines = []
    for fragment in draw(st.lists(st.sampled_from(_QUICK_FRAGMENTS), max_size=10)):
        if draw(st.booleans()):
            fragment = fragment.upper()
        lead = draw(st.sampled_from(["", " ", "\t", " \t ", "\v"]))
        trail = draw(st.sampled_from(["", " ", "\t", "\r", " \r", "\0", " # x"]))
        lines.append(lead + fragment + trail)
    return ("\n".join(lines) + draw(st.sampled_from(["", "\n", " ", "\n\n"]))).encode()


@oracle
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=quick_texts())
def test_random_quick_configs_same_as_real(data, tmp_path):
    fields, r = real_quick_fields(data, tmp_path)
    try:
        ours = ours_quick_fields(parse_quick_config(decode_config(data)))
    except QuickConfigError as e:
        assert r.returncode == 1 and r.stderr.decode() == f"wg-quick: {render(e)}\n"
        return
    assert r.returncode == 0, r.stderr
    assert ours == fields


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


@settings(max_examples=300)
@given(st.one_of(st.integers(0, 2**32 - 1).map(lambda n: str(ipaddress.IPv4Address(n))),
                 st.integers(0, 2**128 - 1).map(lambda n: f"[{ipaddress.IPv6Address(n)}]")),
       st.integers(0, 65535), st.sampled_from(["", "0", "00"]))
def test_numeric_endpoints_skip_the_resolver_with_its_answer(host, port, zeros):
    # What getaddrinfo gives for a numeric address is what the fast path gives without it.
    text = f"{host}:{zeros}{port}"
    calls = []

    def resolver(*args):
        calls.append(args)
        return socket.getaddrinfo(*args)

    fast = resolve_endpoint(text, retries=0, getaddrinfo=resolver)
    assert calls == []
    bare = host.strip("[]")
    family, _t, _p, _n, sockaddr = socket.getaddrinfo(bare, str(port), socket.AF_UNSPEC, socket.SOCK_DGRAM,
                                                      socket.IPPROTO_UDP)[0]
    assert fast == config._endpoint_from_sockaddr(family, sockaddr)


@pytest.mark.parametrize("text", ["127.1:5", "0x7f.0.0.1:5", "1.2.3.4:+5", "1.2.3.4:65536", "1.2.3.4:domain",
                                  "[fe80::1%lo]:5", "[1.2.3.4]:5", "localhost:5", "1.2.3.4:٣"])
def test_other_endpoints_still_go_to_getaddrinfo(text):
    calls = []

    def resolver(*args):
        calls.append(args)
        return socket.getaddrinfo(*args)

    try:
        resolve_endpoint(text, retries=0, getaddrinfo=resolver)
    except ConfigValueError:
        pass
    if text != "[1.2.3.4]:5":
        assert len(calls) == 1
    else:
        assert calls == []  # bracketed IPv4 is numeric too; getaddrinfo would say the same
        assert resolve_endpoint(text, retries=0) == resolve_endpoint("1.2.3.4:5", retries=0)


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
