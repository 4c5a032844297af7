"""Our wg-quick and the real one on the same configs, each in its own fresh namespace (both
with wireguard-go as the userspace implementation): the same `[#]` lines, the same addresses,
routes, rules, nftables ruleset, device config, DNS and hook effects after `up`, and nothing
left after `down`."""

from __future__ import annotations

import shutil

import pytest

from tests.quick.corpus import PRIV, PSK, PUB
from tests.quick.sidebyside import normalise, side_by_side

PUB2 = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="
PUB3 = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0="

# An uplink (veth: this kernel has no dummy driver) with MTU 1400: endpoints behind it make
# the auto MTU 1320. No link-local addresses on it: they appear at a moment of their own.
UPLINK = """
ip link add up0 type veth peer name up1
ip link set up0 addrgenmode none
ip link set up1 addrgenmode none
ip link set up1 up
ip link set up0 mtu 1400 up
ip addr add 192.0.2.1/24 dev up0
ip addr add 2001:db8::1/64 dev up0 nodad
"""

# PATH without /usr/sbin, where nft lives; the other tools from there come back as links.
HIDE_NFT = """
mkdir -p "$T/sbin"
for t in ip sysctl resolvconf iptables ip6tables iptables-save ip6tables-save iptables-restore ip6tables-restore; do
    ln -sf /usr/sbin/$t "$T/sbin/$t"
done
export PATH="/usr/bin:/bin:$T/sbin"
"""

IFACE = f"[Interface]\nPrivateKey = {PRIV}\nListenPort = 51999\n"

CASES = {
    "split-auto-mtu": (IFACE + f"""Address = 10.70.0.1/24, fd70::1/64
[Peer]
PublicKey = {PUB}
PresharedKey = {PSK}
AllowedIPs = 10.70.0.0/24, 10.71.0.0/16, 192.168.77.7/32, fd71::/64, 10.70.0.9/32
Endpoint = 192.0.2.2:51820
[Peer]
PublicKey = {PUB2}
AllowedIPs = 10.72.0.0/16, fd72::/48
Endpoint = [2001:db8::2]:51820
PersistentKeepalive = 25
""", UPLINK),
    "explicit-mtu": (IFACE + f"""Address = 10.70.0.1/32
MTU = 1280
[Peer]
PublicKey = {PUB}
AllowedIPs = 10.70.0.2/32
""", ""),
    "default-route-mtu": (IFACE + f"""Address = 10.70.0.1/24
[Peer]
PublicKey = {PUB}
AllowedIPs = 10.80.0.0/16
""", UPLINK + "ip route add default via 192.0.2.254 dev up0 mtu 1300\n"),
    "table-off": (IFACE + f"""Address = 10.70.0.1/24
Table = off
[Peer]
PublicKey = {PUB}
AllowedIPs = 10.71.0.0/16, fd71::/64, 0.0.0.0/0
Endpoint = 192.0.2.2:51820
""", UPLINK),
    "table-number": (IFACE + f"""Address = 10.70.0.1/24, fd70::1/64
Table = 1234
[Peer]
PublicKey = {PUB}
AllowedIPs = 10.71.0.0/16, fd71::/64, 0.0.0.0/0
Endpoint = 192.0.2.2:51820
""", UPLINK),
    "table-named": (IFACE + f"""Address = 10.70.0.1/24
Table = main
[Peer]
PublicKey = {PUB}
AllowedIPs = 10.71.0.0/16, 10.72.0.0/24
""", ""),
    "full-tunnel": (IFACE + f"""Address = 10.70.0.2/32, fd70::2/128
[Peer]
PublicKey = {PUB}
AllowedIPs = 0.0.0.0/0, ::/0
Endpoint = 192.0.2.2:51820
""", UPLINK),
    "full-tunnel-table-taken": (IFACE + f"""Address = 10.70.0.2/32
[Peer]
PublicKey = {PUB}
AllowedIPs = 0.0.0.0/0, 10.99.0.0/16
Endpoint = 192.0.2.2:51820
""", UPLINK + "ip route add 203.0.113.0/24 dev up0 table 51820\n"),
    "full-tunnel-fwmark-v6": (IFACE + f"""FwMark = 0x1234
Address = fd70::2/128
[Peer]
PublicKey = {PUB}
AllowedIPs = ::/0
Endpoint = [2001:db8::2]:51820
""", UPLINK),
    "dns": (IFACE + f"""Address = 10.70.0.1/24
DNS = 10.70.0.53, fd70::53, example.com, corp.example
[Peer]
PublicKey = {PUB}
AllowedIPs = 10.70.0.0/24
""", ""),
    "hooks": (IFACE + f"""Address = 10.70.0.1/24
PreUp = echo pre-up %i >> {{T}}/marker-a
PostUp = echo post-up %i >> {{T}}/marker-a; ip link show %i >/dev/null && touch {{T}}/marker-%i
PreDown = echo pre-down %i >> {{T}}/marker-a
PostDown = echo post-down %i >> {{T}}/marker-a # a comment
PostDown = test ! -e /sys/class/net/%i && echo gone >> {{T}}/marker-a
[Peer]
PublicKey = {PUB}
AllowedIPs = 10.70.0.0/24
""", ""),
    "saveconfig": (IFACE + f"""Address = 10.70.0.1/24, fd70::1/64
DNS = 10.70.0.53, example.com
MTU = 1300
Table = auto
SaveConfig = true
PostUp = true %i
PreDown = true
[Peer]
PublicKey = {PUB}
AllowedIPs = 10.70.0.0/24
""", "", 'wg set "$IF" peer ' + PUB3 + ' allowed-ips 10.75.0.0/24 endpoint 192.0.2.9:4444\n'
     'wg set "$IF" listen-port 52000\n'),
    "save-command": (IFACE + f"""Address = 10.70.0.1/24
[Peer]
PublicKey = {PUB}
AllowedIPs = 10.70.0.0/24
""", "", 'wg set "$IF" peer ' + PUB3 + ' allowed-ips 10.76.0.0/24\n'
     'tool save "$CONF" 2>"$T/save.err"; st=$?; echo "@@save-status"; echo $st; grep "^\\[#\\]" "$T/save.err"\n'),
    # nft not installed: the firewall goes through iptables-restore (here iptables-nft).
    "iptables-full-tunnel": (IFACE + f"""Address = 10.70.0.2/32, fd70::2/128
[Peer]
PublicKey = {PUB}
AllowedIPs = 0.0.0.0/0, ::/0
Endpoint = 192.0.2.2:51820
""", UPLINK + HIDE_NFT),
    # Failures: the same steps, then the same tear-down, the same status, nothing left.
    "fail-postup": (IFACE + f"""Address = 10.70.0.2/32, fd70::2/128
DNS = 10.70.0.53
PostUp = echo about to fail; exit 7
[Peer]
PublicKey = {PUB}
AllowedIPs = 0.0.0.0/0, ::/0
Endpoint = 192.0.2.2:51820
""", UPLINK),
    "fail-duplicate-address": (IFACE + f"""Address = 10.70.0.1/24, 10.70.0.1/24
[Peer]
PublicKey = {PUB}
AllowedIPs = 10.70.0.0/24
""", ""),
    "fail-resolvconf-missing": (IFACE + f"""Address = 10.70.0.1/24
DNS = 10.70.0.53
[Peer]
PublicKey = {PUB}
AllowedIPs = 10.70.0.0/24
""", 'mount --bind /bin/false "$(command -v resolvconf)"\n'),
}

# Expected `up` status where it is not 0 (the failing command's own, as `set -e` passes it on).
FAILING = {"fail-postup": "7", "fail-duplicate-address": "2", "fail-resolvconf-missing": "1"}

# Lines that show a case really exercises what it is named for (on both tools).
EXPECTED_LINE = {
    "split-auto-mtu": "[#] ip link set mtu 1320 up dev $IF",         # 1400 on the uplink - 80
    "default-route-mtu": "[#] ip link set mtu 1220 up dev $IF",      # default route's mtu 1300
    "explicit-mtu": "[#] ip link set mtu 1280 up dev $IF",
    "full-tunnel-table-taken": "[#] ip -4 route add 0.0.0.0/0 dev $IF table 51821",
    "full-tunnel-fwmark-v6": "[#] ip -6 route add ::/0 dev $IF table 4660",
    "table-number": "[#] ip -4 route add 0.0.0.0/0 dev $IF table 1234",
    "iptables-full-tunnel": "[#] ip6tables-restore -n",
    "dns": "[#] resolvconf -a $IF -m 0 -x",
}

COMPARED = ("up-status", "addr", "route4", "route6", "rule4", "rule6", "nft", "iptables", "resolv", "markers",
            "showconf", "saved", "down-status", "after", "file", "filemeta", "save-status")


@pytest.mark.netns
@pytest.mark.oracle
@pytest.mark.parametrize("case", sorted(CASES))
def test_side_by_side(tmp_path, case):
    conf, setup, *between = CASES[case]
    if "DNS" in conf and shutil.which("resolvconf") is None:
        pytest.skip("needs resolvconf (scripts/setup.sh installs openresolv)")
    if case.startswith("iptables") and shutil.which("iptables-restore") is None:
        pytest.skip("needs iptables (scripts/setup.sh installs it)")
    real, ours = side_by_side(tmp_path, conf, setup, between[0] if between else "")
    assert real.sections["up-status"] == FAILING.get(case, "0"), real.up_err
    if case in EXPECTED_LINE:
        assert EXPECTED_LINE[case] in real.commands("up")
    assert ours.commands("up") == real.commands("up"), ours.up_err
    assert ours.commands("down") == real.commands("down"), ours.down_err
    for name in COMPARED:
        if name in real.sections:
            mine, theirs = normalise(ours.sections[name]), normalise(real.sections[name])
            if name.startswith("route"):
                # The kernel orders routes by address; with link-locals made alike, by chance.
                mine, theirs = sorted(mine.splitlines()), sorted(theirs.splitlines())
            assert mine == theirs, name
    after = real.sections["after"]
    assert "$IF" not in after and "wg-quick" not in after and "socket-left" not in after
    assert "nameserver 192.0.2.53" in after
