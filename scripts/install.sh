#!/usr/bin/env bash
# Install wg-py from this checkout the way a Python application is installed on Debian:
# into its own virtual environment (made by Debian's python3), with the commands linked into
# /usr/local/bin, plus the man pages, shell completions and systemd units in the system's
# standard places. Every file put outside the virtual environment is listed in a manifest,
# and `install.sh --uninstall` removes exactly those and the environment.
#
#   bash scripts/install.sh [--prefix DIR] [--root DIR] [--no-apt] [--venv-only]
#   bash scripts/install.sh --uninstall [--prefix DIR] [--root DIR]
#
#   --prefix DIR   the virtual environment (default /opt/wg-py)
#   --root DIR     install the system files under DIR instead of / (for packaging and tests)
#   --no-apt       do not install Debian packages (they must be there already)
#   --venv-only    only the virtual environment: no links, man pages, completions or units
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
checkout=$(dirname "$here")
# shellcheck source=lib.sh
source "$here/lib.sh"

prefix=/opt/wg-py root="" apt=1 system=1 uninstall=0
while [[ $# -gt 0 ]]; do
	case $1 in
	--prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
	--root) root=${2:?--root needs a directory}; shift 2 ;;
	--no-apt) apt=0; shift ;;
	--venv-only) system=0; shift ;;
	--uninstall) uninstall=1; shift ;;
	-h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
done
[[ $prefix == /* ]] || prefix=$PWD/$prefix
[[ -z $root || $root == /* ]] || root=$PWD/$root
manifest=$prefix/share/wg-py/installed-files

COMMANDS=(wg wg-quick wireguard-py wg-py)

uninstall() {
	[[ -d $prefix ]] || die "nothing to uninstall: $prefix does not exist"
	if [[ -f $manifest ]]; then
		step "removing the files listed in $manifest"
		local file
		while IFS= read -r file; do
			[[ -n $file ]] || continue
			if [[ -L $file || -f $file ]]; then
				rm -f -- "$file"
			fi
		done <"$manifest"
	fi
	step "removing $prefix"
	rm -rf -- "$prefix"
	if [[ -z $root ]] && command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
		systemctl daemon-reload || true
	fi
	step "wg-py is uninstalled"
}

# put SRC DEST MODE: install one file and record it.
put() {
	install -D -m "$3" "$1" "$2"
	printf '%s\n' "$2" >>"$manifest.new"
}

install_system_files() {
	local bindir=$root/usr/local/bin mandir=$root/usr/local/share/man/man8 cmd page
	step "linking ${COMMANDS[*]} into $bindir"
	mkdir -p "$bindir"
	for cmd in "${COMMANDS[@]}"; do
		[[ -e $prefix/bin/$cmd ]] || continue
		ln -sfn "$prefix/bin/$cmd" "$bindir/$cmd"
		printf '%s\n' "$bindir/$cmd" >>"$manifest.new"
	done

	step "installing man pages into $mandir"
	for page in "$checkout"/man/*.8; do
		put "$page" "$mandir/${page##*/}" 644
	done

	step "installing bash, zsh and fish completions"
	local name
	for file in "$checkout"/completions/*.bash; do
		name=${file##*/}
		put "$file" "$root/usr/share/bash-completion/completions/${name%.bash}" 644
	done
	for file in "$checkout"/completions/*.zsh; do
		name=${file##*/}
		put "$file" "$root/usr/local/share/zsh/site-functions/_${name%.zsh}" 644
	done
	for file in "$checkout"/completions/*.fish; do
		put "$file" "$root/usr/share/fish/vendor_completions.d/${file##*/}" 644
	done

	step "installing systemd units into $root/etc/systemd/system"
	local unit tmp
	tmp=$(mktemp)
	for unit in "$checkout"/systemd/*; do
		# The units name the commands by the path this install made.
		sed "s|/opt/wg-py/|$prefix/|g" "$unit" >"$tmp"
		put "$tmp" "$root/etc/systemd/system/${unit##*/}" 644
	done
	rm -f "$tmp"
	if [[ -z $root ]] && command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
		systemctl daemon-reload || true
	fi
}

if [[ $uninstall -eq 1 ]]; then
	uninstall
	exit 0
fi

[[ $apt -eq 0 ]] || { require_root; require_debian_python; apt_install iproute2 nftables; }
make_venv "$prefix"
step "installing wg-py into $prefix"
pip_install "$prefix" --upgrade "$checkout"
mkdir -p "$(dirname "$manifest")"
: >"$manifest.new"
[[ $system -eq 0 ]] || install_system_files
# Keep what an earlier install recorded, so that --uninstall still finds all of it.
[[ ! -f $manifest ]] || cat "$manifest" >>"$manifest.new"
sort -u "$manifest.new" >"$manifest"
rm -f "$manifest.new"
step "wg-py $("$prefix/bin/python" -c 'from importlib.metadata import version; print(version("wg-py"))') is installed in $prefix"
