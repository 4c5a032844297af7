"""Our UAPI server side by side with wireguard-go's, driven by the real /usr/bin/wg and by raw requests.

The same commands go to a wireguard-go interface and to ours in one namespace; `wg show`,
`wg showconf` and `wg show all dump` must print the same (peers compared as sets:
wireguard-go lists them in Go map order; times and counters are blanked).
"""

from __future__ import annotations

import re
import socket

import pytest

from tests.engine.helpers import WG, genkey, genpsk, socket_path, start
from tests.support.netns import namespace, unique_ifname

pytestmark = [pytest.mark.netns, pytest.mark.oracle]


class Two:
    """Two namespaces (ports must not collide), wg run in the one that holds the interface."""

    def __init__(self, ns_go, ns_py) -> None:
        self.ns_go, self.ns_py = ns_go, ns_py

    def run(self, *argv: str, **kw):
        return self.ns_go.run(*argv, **kw)

    def ns_for(self, ifname: str):
        return self.ns_py if ifname.startswith("op") else self.ns_go


@pytest.fixture(scope="module")
def pair():
    with namespace() as ns_go, namespace() as ns_py:
        go, py = unique_ifname("og"), unique_ifname("op")
        start("go", ns_go, go)
        start("py", ns_py, py)
        yield Two(ns_go, ns_py), go, py
        ns_go.run("ip", "link", "del", go, check=False)
        ns_py.run("ip", "link", "del", py, check=False)


def blocks(text: str, ifname: str, other: str) -> tuple[str, frozenset[str]]:
    """(interface part, set of peer parts), with the interface name unified."""
    text = re.sub(r"\n  transfer: [^\n]*", "", text.replace(other, ifname))
    parts = [part.strip("\n") for part in re.split(r"\n(?=\[Peer\]|peer: )", text.strip("\n"))]
    return parts[0], frozenset(parts[1:])


def dump_rows(text: str, ifname: str, other: str) -> tuple[str, frozenset]:
    rows = [line.split("\t") for line in text.replace(other, ifname).splitlines()]
    device = "\t".join(rows[0])
    peers = []
    for row in rows[1:]:
        if len(row) == 9:      # wg show IF dump: no interface column
            row[4:7] = ["T", "R", "X"]
        else:
            row[5:8] = ["T", "R", "X"]
        peers.append("\t".join(row))
    return device, frozenset(peers)


def wg(two, *args: str, check: bool = True, input: str | None = None):
    ifname = next((a for a in args if a.startswith(("og", "op"))), "og")
    return two.ns_for(ifname).run(WG, *args, check=check, input=input)


def assert_same(ns, go: str, py: str) -> None:
    show_go, show_py = wg(ns, "show", go).stdout, wg(ns, "show", py).stdout
    assert blocks(show_py, py, go) == blocks(show_go, py, go)
    conf_go, conf_py = wg(ns, "showconf", go).stdout, wg(ns, "showconf", py).stdout
    assert blocks(conf_py, py, go) == blocks(conf_go, py, go)
    dump_go, dump_py = wg(ns, "show", go, "dump").stdout, wg(ns, "show", py, "dump").stdout
    assert dump_rows(dump_py, py, go) == dump_rows(dump_go, py, go)
    for what in ("public-key", "private-key", "listen-port", "fwmark", "peers", "preshared-keys", "endpoints",
                 "allowed-ips", "persistent-keepalive"):
        a = wg(ns, "show", go, what).stdout.replace(go, py)
        b = wg(ns, "show", py, what).stdout
        assert sorted(a.splitlines()) == sorted(b.splitlines()), what


def both(ns, go: str, py: str, *args: str, input: str | None = None) -> None:
    r_go = wg(ns, *[go if a == "IF" else a for a in args], check=False, input=input)
    r_py = wg(ns, *[py if a == "IF" else a for a in args], check=False, input=input)
    assert (r_py.returncode, r_py.stderr.replace(py, go)) == (r_go.returncode, r_go.stderr), args


def write_conf(ns, name: str, text: str) -> str:
    path = f"/tmp/{name}.conf"
    ns.run("sh", "-c", f"umask 077; cat > {path}", input=text)
    return path


def test_wg_set_setconf_addconf_syncconf_show_the_same(pair):
    ns, go, py = pair
    priv, _pub = genkey()
    peers = [genkey()[1] for _ in range(4)]
    psk = genpsk()
    both(ns, go, py, "set", "IF", "private-key", "/dev/stdin", "listen-port", "43210", "fwmark", "0x1234",
         "peer", peers[0], "allowed-ips", "10.0.0.0/8,fd00::/8,192.168.1.7/32", "endpoint", "192.0.2.9:51820",
         "persistent-keepalive", "25", input=priv + "\n")
    assert_same(ns, go, py)
    both(ns, go, py, "set", "IF", "peer", peers[1], "endpoint", "[2001:db8::7]:4", "allowed-ips", "10.1.0.0/16",
         "peer", peers[0], "allowed-ips", "10.2.0.0/16")   # 10.2/16 replaces peer 0's list
    assert_same(ns, go, py)
    both(ns, go, py, "set", "IF", "peer", peers[1], "remove", "peer", peers[2], "allowed-ips", "10.1.0.0/16")
    assert_same(ns, go, py)
    conf = (f"[Interface]\nPrivateKey = {priv}\nListenPort = 43211\n\n"
            f"[Peer]\nPublicKey = {peers[2]}\nPresharedKey = {psk}\nAllowedIPs = 10.9.0.0/24, ::/0\n"
            f"Endpoint = 192.0.2.10:1\nPersistentKeepalive = 5\n\n"
            f"[Peer]\nPublicKey = {peers[3]}\nAllowedIPs = 10.10.0.1/32\n")
    path = write_conf(ns, "oracle-a", conf)
    both(ns, go, py, "setconf", "IF", path)
    assert_same(ns, go, py)
    more = f"[Peer]\nPublicKey = {peers[0]}\nAllowedIPs = 10.11.0.0/16\nEndpoint = 192.0.2.11:2\n"
    both(ns, go, py, "addconf", "IF", write_conf(ns, "oracle-b", more))
    assert_same(ns, go, py)
    sync = (f"[Interface]\nPrivateKey = {priv}\nListenPort = 43212\n\n"
            f"[Peer]\nPublicKey = {peers[3]}\nAllowedIPs = 10.12.0.0/16\n")
    both(ns, go, py, "syncconf", "IF", write_conf(ns, "oracle-c", sync))
    assert_same(ns, go, py)
    # Errors travel back the same way.
    both(ns, go, py, "set", "IF", "peer", peers[0], "allowed-ips", "10.0.0.0/33")
    both(ns, go, py, "set", "IF", "listen-port", "70000")
    ns.run("rm", "-f", "/tmp/oracle-a.conf", "/tmp/oracle-b.conf", "/tmp/oracle-c.conf")


def uapi(ifname: str, request: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(str(socket_path(ifname)))
        s.sendall(request)
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def normalized_get(reply: bytes) -> list[tuple[bytes, frozenset]]:
    text = re.sub(rb"(last_handshake_time_n?sec|tx_bytes|rx_bytes)=\d+", rb"\1=N", reply)
    assert text.endswith(b"errno=0\n\n")
    replies = []
    for one in text.split(b"errno=0\n\n")[:-1]:
        head, *peers = re.split(rb"\n(?=public_key=)", one.strip(b"\n"))
        replies.append((head, frozenset(p.strip(b"\n") for p in peers)))
    return replies


def test_raw_requests_get_the_same_replies(pair):
    ns, go, py = pair
    import base64
    keys = [base64.b64decode(genkey()[1]).hex() for _ in range(3)]
    requests = [
        b"get=1\n\n",
        b"set=1\nreplace_peers=true\n\n",
        f"set=1\npublic_key={keys[0]}\nallowed_ip=10.20.0.0/16\nendpoint=192.0.2.1:7\n\n".encode(),
        f"set=1\npublic_key={keys[1]}\nupdate_only=true\nallowed_ip=10.21.0.0/16\n\n".encode(),
        f"set=1\npublic_key={keys[0]}\nupdate_only=true\npersistent_keepalive_interval=7\n\n".encode(),
        f"set=1\npublic_key={keys[2]}\nallowed_ip=10.20.0.0/16\nreplace_allowed_ips=true\nallowed_ip=10.22.0.1/32\n\n".encode(),
        f"set=1\npublic_key={keys[1]}\nremove=true\n\n".encode(),
        f"set=1\npublic_key={keys[0]}\nprotocol_version=1\npreshared_key={'ab' * 32}\n\n".encode(),
        b"set=1\nlisten_port=43999\nfwmark=0\n\n",
        b"get=1\n\n",
        # IPv4-mapped IPv6: written back with the dotted tail, as netip does.
        f"set=1\npublic_key={keys[2]}\nendpoint=[::ffff:192.0.2.9]:5\nallowed_ip=::ffff:10.9.0.0/120\n\n".encode(),
        b"get=1\n\n",
        # Faults: each reply must carry wireguard-go's errno.
        b"set=1\nlisten_port=99999\n\n",
        b"set=1\nfwmark=-1\n\n",
        b"set=1\nno_equals_sign\n\n",
        b"set=1\nprivate_key=zz\n\n",
        f"set=1\npublic_key={keys[0]}\nendpoint=nohost\n\n".encode(),
        f"set=1\npublic_key={keys[0]}\nallowed_ip=-10.20.0.0/16\n\n".encode(),
        f"set=1\npublic_key={keys[0]}\nprotocol_version=2\n\n".encode(),
        f"set=1\npublic_key={keys[0]}\nlisten_port=1\n\n".encode(),
        b"set=1\nallowed_ip=10.0.0.0/8\n\n",
        b"get=1\nx\n",
        b"bogus=1\n\n",
        b"get=1\n\nget=1\n\n",
    ]
    for request in requests:
        got_go, got_py = uapi(go, request), uapi(py, request)
        if request.startswith(b"get=1\n\n"):
            assert normalized_get(got_py) == normalized_get(got_go), request
        else:
            assert got_py == got_go, request


def test_mapped_addresses_read_back_through_the_real_wg(pair):
    """`wg show` (the real one) prints the engine's IPv4-mapped endpoint and allowed IP as
    it prints wireguard-go's: the engine writes them in the same form."""
    ns, go, py = pair
    public = genkey()[1]
    for ifname in (go, py):
        ns.ns_for(ifname).run(WG, "set", ifname, "peer", public, "endpoint", "[::ffff:192.0.2.77]:51820",
                              "allowed-ips", "::ffff:10.77.0.0/120")
    shown = {ifname: ns.ns_for(ifname).run(WG, "show", ifname, "endpoints").stdout +
             ns.ns_for(ifname).run(WG, "show", ifname, "allowed-ips").stdout for ifname in (go, py)}
    mine = sorted(line for line in shown[py].splitlines() if line.startswith(public))
    theirs = sorted(line for line in shown[go].splitlines() if line.startswith(public))
    assert mine == theirs
    assert f"{public}\t[::ffff:192.0.2.77]:51820" in mine and f"{public}\t::ffff:10.77.0.0/120" in mine
    for ifname in (go, py):
        ns.ns_for(ifname).run(WG, "set", ifname, "peer", public, "remove")


def test_unclamped_private_key_and_the_largest_fwmark(pair):
    """Two conformance fixes, side by side with wireguard-go: a private key is clamped when set
    (`/…` reads back as `+…`: its first byte's three low bits cleared), and fwmark 0xffffffff
    (a u32 the kernel takes, beyond a signed int) is accepted."""
    ns, go, py = pair
    priv, _pub = genkey()
    unclamped = "/" + priv[1:]
    both(ns, go, py, "set", "IF", "private-key", "/dev/stdin", "fwmark", "0xffffffff", input=unclamped + "\n")
    shown = wg(ns, "show", py, "private-key").stdout.strip()
    assert shown == "+" + priv[1:]
    assert wg(ns, "show", py, "fwmark").stdout.strip() == "0xffffffff"
    assert_same(ns, go, py)
    both(ns, go, py, "set", "IF", "fwmark", "0")
