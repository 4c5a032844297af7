"""Bad input, side by side with /usr/bin/wg: the same message on stderr and the same status.

Each row is one invocation; `{fake}` is a scripted interface that accepts everything, `{d}`
a directory with prepared files. Two rows differ on purpose and say so: interface names
with `/` or of 16+ characters are refused up front (EINVAL / ENAMETOOLONG, as newer
wireguard-tools do), where the installed 1.0.20210914 asks the kernel and reports
"Protocol not supported" on this module-less machine.
"""

from __future__ import annotations

import os
import socket
import subprocess

import pytest

from tests.support.nobody import skip_unless_nobody_reaches_the_checkout
from tests.cli.sidebyside import REAL_WG, ours, real
from tests.support.fake_uapi import FakeUapi
from tests.support.netns import SOCKET_DIR, unique_ifname
from wg_py import keys

pytestmark = pytest.mark.oracle

K = keys.key_to_base64(keys.clamp(bytes([3]) * 32))
FILES = {
    "short": "YWJj\n",
    "trailing": K + " x\n",
    "badkey": "!" * 44,
    "address.conf": "[Interface]\nAddress = 10.0.0.1/24\n",
    "nopub.conf": f"[Interface]\n[Peer]\nAllowedIPs = 10.0.0.0/8\n",
    "badkey.conf": "[Interface]\nPrivateKey = abc\n",
    "beforesection.conf": f"PrivateKey = {K}\n",
    "badport.conf": "[Interface]\nListenPort = 70000x\n",
    "badfwmark.conf": "[Interface]\nFwMark = 0x100000000\n",
    "badkeepalive.conf": f"[Interface]\n[Peer]\nPublicKey = {K}\nPersistentKeepalive = 99999\n",
    "badendpoint.conf": f"[Interface]\n[Peer]\nPublicKey = {K}\nEndpoint = [::1\n",
    "badallowed.conf": f"[Interface]\n[Peer]\nPublicKey = {K}\nAllowedIPs = 10.0.0.0/40\n",
    "peers.conf": f"[Interface]\n[Peer]\nPublicKey = {K}\n",
    "emptyvalue.conf": "[Interface]\nPrivateKey =\n",
    "unknownkey.conf": "[Interface]\nFoo = bar\n",
}

CASES = [
    ("show-missing", ["show", "nosuchif0"]),
    ("show-bad-field", ["show", "{fake}", "bogus"]),
    ("show-all-bad-field", ["show", "all", "bogus"]),
    ("show-too-many", ["show", "a", "b", "c"]),
    ("show-interfaces-extra", ["show", "interfaces", "x"]),
    ("show-help", ["show", "--help"]),
    ("show-help-extra", ["show", "-h", "dump"]),
    ("showconf-no-args", ["showconf"]),
    ("showconf-two-args", ["showconf", "a", "b"]),
    ("showconf-missing", ["showconf", "nosuchif0"]),
    ("set-no-args", ["set"]),
    ("set-only-interface", ["set", "{fake}"]),
    ("set-unknown-option", ["set", "{fake}", "bogus"]),
    ("set-peer-without-key", ["set", "{fake}", "peer"]),
    ("set-option-without-value", ["set", "{fake}", "listen-port"]),
    ("set-bad-port", ["set", "{fake}", "listen-port", "notaport"]),
    ("set-empty-port", ["set", "{fake}", "listen-port", ""]),
    ("set-big-fwmark", ["set", "{fake}", "fwmark", "0x1ffffffff"]),
    ("set-word-fwmark", ["set", "{fake}", "fwmark", "x1"]),
    ("set-missing-key-file", ["set", "{fake}", "private-key", "{d}/nonexistent"]),
    ("set-short-key-file", ["set", "{fake}", "private-key", "{d}/short"]),
    ("set-trailing-key-file", ["set", "{fake}", "private-key", "{d}/trailing"]),
    ("set-bad-key-file", ["set", "{fake}", "private-key", "{d}/badkey"]),
    ("set-key-file-directory", ["set", "{fake}", "private-key", "{d}"]),
    ("set-bad-peer-key", ["set", "{fake}", "peer", "notakey"]),
    ("set-peer-key-noncanonical", ["set", "{fake}", "peer", K[:42] + "B="]),
    ("set-endpoint-no-port", ["set", "{fake}", "peer", K, "endpoint", "192.0.2.1"]),
    ("set-endpoint-brace", ["set", "{fake}", "peer", K, "endpoint", "[::1:5"]),
    ("set-endpoint-empty", ["set", "{fake}", "peer", K, "endpoint", ""]),
    ("set-endpoint-bad-v6-port", ["set", "{fake}", "peer", K, "endpoint", "[::1]5"]),
    ("set-keepalive-big", ["set", "{fake}", "peer", K, "persistent-keepalive", "65536"]),
    ("set-keepalive-word", ["set", "{fake}", "peer", K, "persistent-keepalive", "sometimes"]),
    ("set-allowed-cidr", ["set", "{fake}", "peer", K, "allowed-ips", "10.0.0.0/33"]),
    ("set-allowed-ip", ["set", "{fake}", "peer", K, "allowed-ips", "banana"]),
    ("set-allowed-v6-cidr", ["set", "{fake}", "peer", K, "allowed-ips", "fd00::/129"]),
    ("set-psk-missing-file", ["set", "{fake}", "peer", K, "preshared-key", "{d}/nonexistent"]),
    ("set-device-option-after-peer", ["set", "{fake}", "listen-port", "1", "peer", K, "fwmark", "1"]),
    ("set-missing-interface", ["set", "nosuchif0", "listen-port", "1"]),
    ("setconf-one-arg", ["setconf", "{fake}"]),
    ("setconf-missing-file", ["setconf", "{fake}", "{d}/nonexistent"]),
    ("setconf-wg-quick-key", ["setconf", "{fake}", "{d}/address.conf"]),
    ("setconf-peer-without-key", ["setconf", "{fake}", "{d}/nopub.conf"]),
    ("setconf-bad-key", ["setconf", "{fake}", "{d}/badkey.conf"]),
    ("setconf-key-before-section", ["setconf", "{fake}", "{d}/beforesection.conf"]),
    ("setconf-bad-port", ["setconf", "{fake}", "{d}/badport.conf"]),
    ("setconf-bad-fwmark", ["setconf", "{fake}", "{d}/badfwmark.conf"]),
    ("setconf-bad-keepalive", ["setconf", "{fake}", "{d}/badkeepalive.conf"]),
    ("setconf-bad-endpoint", ["setconf", "{fake}", "{d}/badendpoint.conf"]),
    ("setconf-bad-allowed-ips", ["setconf", "{fake}", "{d}/badallowed.conf"]),
    ("setconf-empty-value", ["setconf", "{fake}", "{d}/emptyvalue.conf"]),
    ("setconf-unknown-key", ["setconf", "{fake}", "{d}/unknownkey.conf"]),
    ("setconf-missing-interface", ["setconf", "nosuchif0", "{d}/peers.conf"]),
    ("addconf-bad-port", ["addconf", "{fake}", "{d}/badport.conf"]),
    ("addconf-three-args", ["addconf", "a", "b", "c"]),
    ("syncconf-missing-interface", ["syncconf", "nosuchif0", "{d}/peers.conf"]),
    ("syncconf-bad-file", ["syncconf", "{fake}", "{d}/address.conf"]),
    ("setconf-directory", ["setconf", "{fake}", "{d}"]),
    ("unknown-subcommand", ["frobnicate"]),
    ("subcommand-help", ["set", "--help"]),
]

DIFFERENT = [
    ("show-slash", ["show", "a/b"], b"Unable to access interface: Invalid argument\n"),
    ("show-long-name", ["show", "x" * 16], b"Unable to access interface: File name too long\n"),
]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    for name, text in FILES.items():
        (d / name).write_text(text)
    with FakeUapi() as fake:
        yield {"fake": fake.name, "d": str(d)}


@pytest.mark.parametrize("case", [c[0] for c in CASES])
def test_bad_input_matches_wg(env, case):
    args = [a.format(**env) for a in dict(CASES)[case]]
    mine, theirs = ours(*args), real(*args)
    assert (mine.stderr, mine.status) == (theirs.stderr, theirs.status), args
    assert mine.stdout == theirs.stdout


@pytest.mark.parametrize("case", [c[0] for c in DIFFERENT])
def test_names_refused_up_front(case):
    args, expected = {c[0]: (c[1], c[2]) for c in DIFFERENT}[case]
    mine, theirs = ours(*args), real(*args)
    assert (mine.stderr, mine.status) == (expected, 1)
    assert (theirs.stderr, theirs.status) == (b"Unable to access interface: Protocol not supported\n", 1)


@pytest.mark.parametrize("reply", ["errno=-98\n\n", "errno=98\n\n", "errno=-1\n\n", "garbage\n\n"])
def test_set_refused_by_device(reply):
    with FakeUapi(set_reply=reply) as fake:
        mine, theirs = ours("set", fake.name, "fwmark", "1"), real("set", fake.name, "fwmark", "1")
    assert mine == theirs and mine.status == 1


@pytest.mark.parametrize("reply", ["errno=19\n\n", "listen_port=1\n\n", "listen_port=x\nerrno=0\n\n",
                                   "errno=-22\n\n", "private_key=zz\nerrno=0\n\n", "noequals\nerrno=0\n\n",
                                   "public_key=" + "0" * 64 + "\nallowed_ip=10.0.0.1/33\nerrno=0\n\n",
                                   "errno=0\n", "unknown_key=1\nerrno=0\n\n"])
def test_get_reply_strictness(reply):
    with FakeUapi(get_reply=reply) as fake:
        for args in (["show", fake.name], ["showconf", fake.name], ["show", fake.name, "dump"]):
            mine, theirs = ours(*args), real(*args)
            assert mine == theirs, (reply, args)


def test_stale_socket_is_unlinked_like_wg():
    for tool in (ours, real):
        name = unique_ifname("stl")
        path = str(SOCKET_DIR / f"{name}.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.close()  # the file stays; nobody listens: connect() is refused
        result = tool("show", name)
        assert result.stderr == b"Unable to access interface: Protocol not supported\n"
        assert not os.path.exists(path)


def test_regular_file_is_not_an_interface():
    name = unique_ifname("reg")
    path = SOCKET_DIR / f"{name}.sock"
    path.write_text("")
    try:
        assert ours("show", name) == real("show", name)
        assert path.exists()
    finally:
        path.unlink()


def test_permission_denied_for_non_root():
    """As nobody, the root-only socket refuses the connection: both print EACCES."""
    skip_unless_nobody_reaches_the_checkout()
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    with FakeUapi() as fake:
        os.chmod(fake.path, 0o700)
        runs = [subprocess.run(drop + cmd, capture_output=True, timeout=30, cwd=repo,
                               env={"PATH": "/usr/bin:/bin", "PYTHONPATH": repo})
                for cmd in (["/usr/bin/python3", "-m", "wg_py", "show", fake.name], [REAL_WG, "show", fake.name])]
    mine, theirs = runs
    assert (mine.stderr, mine.returncode) == (theirs.stderr, theirs.returncode)
    assert theirs.stderr == b"Unable to access interface: Permission denied\n"


def test_show_all_reports_an_inaccessible_interface_and_goes_on():
    with FakeUapi(get_reply="errno=19\n\n") as broken, FakeUapi() as fine:
        for args in (["show", "all", "dump"], ["show", "all"], ["show"]):
            for _ in range(3):
                mine, theirs = ours(*args, env={"WG_COLOR_MODE": "never"}), real("show", "all", *args[2:])
                line = f"Unable to access interface {broken.name}: No such device\n".encode()
                if line in mine.stderr and line in theirs.stderr and mine.status == theirs.status:
                    break
            else:
                raise AssertionError(args)
            assert f"interface: {fine.name}".encode() in mine.stdout or fine.name.encode() + b"\t" in mine.stdout
