#!/usr/bin/env bash
# Install everything wg-py needs on a fresh Debian machine (run as root):
# the real wireguard-tools and wireguard-go (our oracle and interop peer), the network
# tools the tests and the demo use, and wg-py itself with its test extra.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    wireguard-tools wireguard-go iproute2 iputils-ping iperf3 nftables procps psmisc \
    tcpdump python3-venv iptables zsh fish >/dev/null
# wg-quick's DNS= goes through resolvconf(8). openresolv only touches /etc/resolv.conf when
# called (the tests call it inside private mount namespaces); skip it where a resolvconf
# (Debian's, or systemd-resolved's shim) is installed already.
command -v resolvconf >/dev/null || apt-get install -y -qq --no-install-recommends openresolv >/dev/null

python3 -m pip install -q --upgrade pip >/dev/null 2>&1 || true
# Editable on purpose: this is a development checkout. The `wg`, `wg-quick` and
# `wireguard-py` console scripts (wg-quick finds the engine by `command -v wireguard-py`)
# then run the code as it is in the tree; a regular install would keep running the copy made
# at install time. The editable finder costs every Python start here ~14 ms, so
# bench/wg_scale.py times a regular install in a throwaway venv, as users run it.
python3 -m pip install -q -e '.[test]'
