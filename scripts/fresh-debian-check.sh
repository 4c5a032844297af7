#!/usr/bin/env bash
# The newcomer's check: a clean Debian 12 (bookworm) root made by debootstrap, a fresh clone of
# this checkout inside it, and the two commands at the top of README.md run there exactly as
# written, with nothing but what Debian ships (its python3 refuses pip outside a venv). Prints
# how long each took; exits non-zero if either fails. Needs root and the Debian mirror; the
# root is kept in DIR (default /var/tmp/wgpy-fresh-debian) and made again with --new.
#
#   bash scripts/fresh-debian-check.sh [--new] [DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
checkout=$(dirname "$here")
# shellcheck source=lib.sh
source "$here/lib.sh"
require_root

new=0
[[ ${1:-} != --new ]] || { new=1; shift; }
root=${1:-/var/tmp/wgpy-fresh-debian}
mirror=${WG_PY_DEBIAN_MIRROR:-http://deb.debian.org/debian}

# The README's commands: the lines of its first ```sh block, without their comments.
mapfile -t commands < <(awk '/^```sh$/ {inside=1; next} inside && /^```/ {exit} inside' "$checkout/README.md" |
	sed 's/[[:space:]]*#.*$//' | grep -v '^[[:space:]]*$')
[[ ${#commands[@]} -eq 2 ]] || die "README.md's first sh block should hold two commands, not ${#commands[@]}"

apt_install debootstrap git
if [[ $new -eq 1 || ! -x $root/usr/bin/apt-get ]]; then
	rm -rf -- "$root"
	step "debootstrap bookworm into $root"
	start=$SECONDS
	quietly "Is the Debian mirror ($mirror) reachable?" debootstrap --variant=minbase bookworm "$root" "$mirror"
	step "debootstrap took $((SECONDS - start)) s"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
# Where this machine reaches PyPI through a TLS proxy that its own CA bundle trusts (PIP_CERT),
# the clean root gets that bundle too; a user's machine needs nothing of the kind.
cert_env=()
if [[ -n ${PIP_CERT:-} && -f $PIP_CERT ]]; then
	install -D -m 644 "$PIP_CERT" "$root/etc/ssl/host-ca.crt"
	cert_env=(PIP_CERT=/etc/ssl/host-ca.crt)
fi
rm -rf -- "$root/root/wg-py"
git clone -q "$checkout" "$root/root/wg-py"
step "running the README's commands in the clean root: ${commands[*]}"

# A private mount namespace, so nothing mounted for the chroot outlives this script.
export root cert_env_text="${cert_env[*]}"
status=0
for command in "${commands[@]}"; do
	start=$SECONDS
	unshare -m --propagation private bash -euc '
		# The root must be a mount point of its own: ip-netns remounts / inside it.
		mount --bind "$root" "$root"
		mount --rbind /dev "$root/dev"
		mount -t proc proc "$root/proc"
		mount --rbind /sys "$root/sys"
		mount -t tmpfs tmpfs "$root/run"
		mount -t tmpfs tmpfs "$root/tmp"
		exec chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 $cert_env_text \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			bash -c "cd /root/wg-py && $1"' fresh "$command" || status=$?
	step "\`$command\` exited $status after $((SECONDS - start)) s"
	[[ $status -eq 0 ]] || break
done
exit "$status"
