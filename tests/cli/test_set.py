"""`wg set` side by side with /usr/bin/wg.

1. Against a scripted UAPI endpoint: the exact `set=1` request each tool sends (bytes and
   order of keys), its stdout/stderr and exit status, for every option.
2. Against two wireguard-go instances (one per namespace, same starting config): the same
   `set` applied by ours to one and by the real tool to the other leaves both devices with
   the same configuration (read back with the real tool).
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys

import pytest

from tests.cli.sidebyside import REAL_WG, both, pretty_blocks, real
from tests.support.fake_uapi import FakeUapi
from tests.support.netns import namespace, start_wireguard_go, unique_ifname
from wg_py import keys

pytestmark = pytest.mark.oracle

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def b64(i: int) -> str:
    return keys.key_to_base64(keys.clamp(bytes([i]) * 32))


PEER_A, PEER_B, PEER_C = b64(31), b64(32), b64(33)


@pytest.fixture(scope="module")
def keyfiles(tmp_path_factory):
    d = tmp_path_factory.mktemp("keys")
    files = {"priv": d / "priv", "psk": d / "psk", "trailing": d / "trail", "empty": d / "empty"}
    files["priv"].write_text(b64(40) + "\n")
    files["psk"].write_text(b64(41))
    files["trailing"].write_text(b64(42) + "  \n\t\n")
    files["empty"].write_text("")
    return {k: str(v) for k, v in files.items()}


def set_cases(k):
    return {
        "listen-port": ["listen-port", "51820"],
        "listen-port-service": ["listen-port", "domain"],
        "listen-port-zero": ["listen-port", "0"],
        "fwmark-hex": ["fwmark", "0x1234"],
        "fwmark-dec": ["fwmark", "4660"],
        "fwmark-off": ["fwmark", "off"],
        "private-key": ["private-key", k["priv"]],
        "private-key-trailing-space": ["private-key", k["trailing"]],
        "private-key-devnull": ["private-key", "/dev/null"],
        "private-key-empty-file": ["private-key", k["empty"]],
        "device-all": ["listen-port", "1234", "fwmark", "7", "private-key", k["priv"]],
        "peer-only": ["peer", PEER_A],
        "peer-remove": ["peer", PEER_A, "remove"],
        "peer-psk": ["peer", PEER_A, "preshared-key", k["psk"]],
        "peer-psk-devnull": ["peer", PEER_A, "preshared-key", "/dev/null"],
        "peer-endpoint-v4": ["peer", PEER_A, "endpoint", "192.0.2.1:51820"],
        "peer-endpoint-v6": ["peer", PEER_A, "endpoint", "[2001:db8::1]:443"],
        "peer-endpoint-name": ["peer", PEER_A, "endpoint", "localhost:5"],
        "peer-endpoint-mapped": ["peer", PEER_A, "endpoint", "[::ffff:192.0.2.3]:7"],
        "peer-keepalive": ["peer", PEER_A, "persistent-keepalive", "25"],
        "peer-keepalive-off": ["peer", PEER_A, "persistent-keepalive", "off"],
        "peer-keepalive-zero": ["peer", PEER_A, "persistent-keepalive", "0"],
        "peer-allowed-ips": ["peer", PEER_A, "allowed-ips", "10.0.0.0/8,fd00::/8"],
        "peer-allowed-ips-spaces": ["peer", PEER_A, "allowed-ips", " 10.1.0.1 , 10.1.0.2/32 "],
        "peer-allowed-ips-empty": ["peer", PEER_A, "allowed-ips", ""],
        "peer-allowed-ips-host-bits": ["peer", PEER_A, "allowed-ips", "10.2.0.1/24,fd00::1/64"],
        "peer-allowed-ips-default": ["peer", PEER_A, "allowed-ips", "0.0.0.0/0,::/0"],
        "peers-several": ["peer", PEER_A, "endpoint", "192.0.2.1:1", "peer", PEER_B, "remove",
                          "peer", PEER_C, "allowed-ips", "10.3.0.0/16", "persistent-keepalive", "5"],
        "everything": ["listen-port", "4000", "fwmark", "0x10", "private-key", k["priv"],
                       "peer", PEER_A, "preshared-key", k["psk"], "endpoint", "[2001:db8::2]:9",
                       "persistent-keepalive", "15", "allowed-ips", "10.4.0.0/24", "peer", PEER_B],
        "peer-remove-then-options": ["peer", PEER_A, "remove", "endpoint", "192.0.2.1:1"],
    }


CASES = list(set_cases({"priv": "", "psk": "", "trailing": "", "empty": ""}))


@pytest.mark.parametrize("case", CASES)
def test_set_request_matches(keyfiles, case):
    argv = set_cases(keyfiles)[case]
    with FakeUapi() as fake:
        mine, theirs = both("set", fake.name, *argv)
        assert mine == theirs
        assert len(fake.requests) == 2
        assert fake.requests[0] == masked(fake.requests[1]), case


def masked(request: str) -> str:
    """The real tool sends a prefix with host bits as typed (`10.2.0.1/24`, after warning);
    ours sends it masked (`10.2.0.0/24`), which is what every device stores anyway."""
    lines = []
    for line in request.split("\n"):
        if line.startswith("allowed_ip="):
            net = ipaddress.ip_network(line.partition("=")[2], strict=False)
            line = f"allowed_ip={net}"
        lines.append(line)
    return "\n".join(lines)


def test_set_key_from_stdin(keyfiles):
    with FakeUapi() as fake:
        stdin = (b64(50) + "\n").encode()
        mine, theirs = both("set", fake.name, "private-key", "/dev/stdin", "peer", PEER_A,
                            "preshared-key", keyfiles["psk"], stdin=stdin)
        assert mine == theirs and mine.status == 0
        assert fake.requests[0] == fake.requests[1]
        assert f"private_key={keys.key_from_base64(b64(50)).hex()}\n" in fake.requests[0]


def test_set_key_from_process_substitution():
    """`private-key <(echo KEY)`: the file is a pipe, /dev/fd/N, as the man page shows."""
    with FakeUapi() as fake:
        for tool in (f"{sys.executable} -m wg_py", REAL_WG):
            script = f"{tool} set {fake.name} private-key <(echo {b64(51)}) peer {PEER_A} preshared-key <(printf %s {b64(52)})"
            proc = subprocess.run(["bash", "-c", script], capture_output=True, cwd=REPO, timeout=60,
                                  env=dict(os.environ, PYTHONPATH=REPO))
            assert (proc.returncode, proc.stderr) == (0, b"")
        assert fake.requests[0] == fake.requests[1]
        assert keys.key_from_base64(b64(52)).hex() in fake.requests[0]


def test_set_errno_reply_is_reported_like_wg():
    for reply in ("errno=-98\n\n", "errno=98\n\n", "errno=-22\n\n", "nonsense\n\n", ""):
        with FakeUapi(set_reply=reply) as fake:
            mine, theirs = both("set", fake.name, "listen-port", "1")
            assert mine == theirs, reply
            assert mine.status == 1


# --------------------------------------------------------------------------- wireguard-go

BASE = """[Interface]
PrivateKey = {priv}
ListenPort = 45000

[Peer]
PublicKey = {a}
AllowedIPs = 10.50.0.1/32
Endpoint = 192.0.2.50:50

[Peer]
PublicKey = {b}
PresharedKey = {psk}
PersistentKeepalive = 9
"""


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """Two wireguard-go devices with the same starting config: (ours_ifname, real_ifname)."""
    with namespace("wgcset") as ns1, namespace("wgcset") as ns2:
        mine, theirs = unique_ifname("wsa"), unique_ifname("wsb")
        start_wireguard_go(ns1, mine)
        start_wireguard_go(ns2, theirs)
        conf = tmp_path_factory.mktemp("pair") / "base.conf"
        conf.write_text(BASE.format(priv=b64(60), a=PEER_A, b=PEER_B, psk=b64(61)))
        for name in (mine, theirs):
            assert real("setconf", name, str(conf)).status == 0
        yield mine, theirs


@pytest.mark.netns
@pytest.mark.parametrize("case", [c for c in CASES if c not in ("listen-port-zero",)])
def test_set_applies_like_wg_on_wireguard_go(pair, keyfiles, case):
    mine_if, real_if = pair
    argv = set_cases(keyfiles)[case]
    from tests.cli.sidebyside import ours
    mine = ours("set", mine_if, *argv)
    theirs = real("set", real_if, *argv)
    assert (mine.stdout, mine.stderr, mine.status) == (theirs.stdout, theirs.stderr, theirs.status)
    a, b = real("showconf", mine_if), real("showconf", real_if)
    assert pretty_blocks(a.stdout) == pretty_blocks(b.stdout)
