#!/usr/bin/env bash
# wg-py's main job, on a fresh Debian machine, as root:
#   installs wg-py (scripts/install.sh: /opt/wg-py, commands linked into /usr/local/bin),
#   makes two network namespaces joined by a veth pair,
#   brings up a WireGuard tunnel between them with wg-py's wg-quick and wg-py's userspace
#   engine, pings across it both ways, prints `wg show` for both ends, and tears everything
#   down again. Exits non-zero if a ping fails or anything is left behind.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib.sh
require_root
prefix=${WG_PY_PREFIX:-/opt/wg-py}
if [[ ${WG_DEMO_SKIP_SETUP:-0} != 1 ]]; then
	bash scripts/install.sh --prefix "$prefix"
	apt_install iputils-ping
fi
[[ -x $prefix/bin/wg ]] || die "wg-py is not installed in $prefix (run scripts/install.sh)"

# Always the installed wg-py, whatever else is on PATH (Debian's wireguard-tools may be too).
WG=("$prefix/bin/wg")
WG_QUICK=("$prefix/bin/wg-quick")
unset WG_QUICK_USERSPACE_IMPLEMENTATION   # the default: wg-py's engine, wireguard-py

tag=$(printf '%04x' $((RANDOM % 65536)))
ns_a="wgpy-demo-a-$tag" ns_b="wgpy-demo-b-$tag"
if_a="wgdemo${tag}a" if_b="wgdemo${tag}b"
work=$(mktemp -d)
chmod 700 "$work"

cleanup() {
	set +e
	[[ -e /var/run/netns/$ns_a ]] && ip netns exec "$ns_a" "${WG_QUICK[@]}" down "$work/$if_a.conf" >/dev/null 2>&1
	[[ -e /var/run/netns/$ns_b ]] && ip netns exec "$ns_b" "${WG_QUICK[@]}" down "$work/$if_b.conf" >/dev/null 2>&1
	for ns in "$ns_a" "$ns_b"; do
		[[ -e /var/run/netns/$ns ]] || continue
		pids=$(ip netns pids "$ns")
		[[ -z $pids ]] || kill $pids 2>/dev/null
		ip netns del "$ns"
	done
	rm -f "/var/run/wireguard/$if_a.sock" "/var/run/wireguard/$if_b.sock"
	rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

step "Two namespaces, $ns_a and $ns_b, joined by veth (192.0.2.1 <-> 192.0.2.2)"
ip netns add "$ns_a"
ip netns add "$ns_b"
ip link add "va$tag" netns "$ns_a" type veth peer name "vb$tag" netns "$ns_b"
ip -n "$ns_a" addr add 192.0.2.1/24 dev "va$tag"
ip -n "$ns_b" addr add 192.0.2.2/24 dev "vb$tag"
for ns in "$ns_a" "$ns_b"; do ip -n "$ns" link set lo up; done
ip -n "$ns_a" link set "va$tag" up
ip -n "$ns_b" link set "vb$tag" up

step "Keys (wg genkey | wg pubkey) and one config file per end"
priv_a=$("${WG[@]}" genkey) priv_b=$("${WG[@]}" genkey)
pub_a=$("${WG[@]}" pubkey <<<"$priv_a") pub_b=$("${WG[@]}" pubkey <<<"$priv_b")
cat >"$work/$if_a.conf" <<CONF
[Interface]
PrivateKey = $priv_a
ListenPort = 51820
Address = 10.200.0.1/24

[Peer]
# Name = demo-b
PublicKey = $pub_b
Endpoint = 192.0.2.2:51820
AllowedIPs = 10.200.0.2/32
CONF
cat >"$work/$if_b.conf" <<CONF
[Interface]
PrivateKey = $priv_b
ListenPort = 51820
Address = 10.200.0.2/24

[Peer]
PublicKey = $pub_a
Endpoint = 192.0.2.1:51820
AllowedIPs = 10.200.0.1/32
CONF
chmod 600 "$work"/*.conf
sed "s/^PrivateKey = .*/PrivateKey = (hidden)/" "$work/$if_a.conf"

step "wg-quick up, in each namespace"
ip netns exec "$ns_a" "${WG_QUICK[@]}" up "$work/$if_a.conf"
ip netns exec "$ns_b" "${WG_QUICK[@]}" up "$work/$if_b.conf"

step "ping through the tunnel, both ways"
status=0
ip netns exec "$ns_a" ping -c 3 -i 0.2 -W 2 10.200.0.2 || status=1
ip netns exec "$ns_b" ping -c 3 -i 0.2 -W 2 10.200.0.1 || status=1

step "wg show"
ip netns exec "$ns_a" "${WG[@]}" show "$if_a" || status=1
echo
ip netns exec "$ns_b" "${WG[@]}" show "$if_b" || status=1

step "wg-py, the new command: a table with peer names, JSON, one frame of the live view"
WG_PY=("$prefix/bin/wg-py")
ip netns exec "$ns_a" "${WG_PY[@]}" show "$if_a" --config "$work/$if_a.conf" || status=1
ip netns exec "$ns_a" "${WG_PY[@]}" show "$if_a" --json --config "$work/$if_a.conf" || status=1
COLUMNS=80 ip netns exec "$ns_a" "${WG_PY[@]}" top "$if_a" --once --config "$work/$if_a.conf" || status=1

step "wg-quick down, and a check that nothing is left"
ip netns exec "$ns_a" "${WG_QUICK[@]}" down "$work/$if_a.conf"
ip netns exec "$ns_b" "${WG_QUICK[@]}" down "$work/$if_b.conf"
for pair in "$ns_a:$if_a" "$ns_b:$if_b"; do
	ns=${pair%%:*} ifname=${pair#*:}
	if ip -n "$ns" link show "$ifname" >/dev/null 2>&1 || [[ -e /var/run/wireguard/$ifname.sock ]]; then
		echo "left behind: $ifname in $ns" >&2
		status=1
	fi
done
trap - EXIT
cleanup
for ns in "$ns_a" "$ns_b"; do
	[[ ! -e /var/run/netns/$ns ]] || { echo "left behind: namespace $ns" >&2; status=1; }
done

if [[ $status -eq 0 ]]; then
	step "OK: the tunnel carried pings both ways, and everything is gone again"
else
	step "FAILED (see above)"
fi
exit $status
