#!/usr/bin/env bash
# Set up this checkout for development and testing on Debian 12 (run as root): the Debian
# packages the tests use (the real wireguard-tools and wireguard-go are the oracle and the
# interop peer), and a virtual environment at .venv, made by Debian's python3, with wg-py
# installed editable and its test extra. scripts/test.sh runs the suite from it.
#
# Editable on purpose: the `wg`, `wg-quick` and `wireguard-py` in .venv/bin then run the code
# as it is in the tree. The editable finder costs every Python start ~14 ms, so
# bench/wg_scale.py times a regular install in a throwaway venv, as users run it (and
# scripts/install.sh is the regular install).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
checkout=$(dirname "$here")
# shellcheck source=lib.sh
source "$here/lib.sh"
cd "$checkout"
require_root

require_debian_python
apt_install wireguard-tools wireguard-go iproute2 iputils-ping iperf3 nftables procps psmisc \
	tcpdump iptables zsh fish tmux zbar-tools
# wg-quick's DNS= goes through resolvconf(8). openresolv only touches /etc/resolv.conf when
# called (the tests call it inside private mount namespaces); skip it where a resolvconf
# (Debian's, or systemd-resolved's shim) is installed already.
command -v resolvconf >/dev/null || apt_install openresolv

venv=${WG_PY_DEV_VENV:-$checkout/.venv}
make_venv "$venv"
step "installing wg-py (editable) and its test extra into $venv"
pip_install "$venv" -e "$checkout[test]"
