# Shared by setup.sh, install.sh, demo.sh and test.sh: announce each step, keep apt and pip
# quiet when they succeed and show their whole output when they fail.
# shellcheck shell=bash

# Debian's own interpreter, whatever else is first on PATH: it is the one a stock Debian 12
# has, and the one that refuses `pip install` outside a virtual environment (PEP 668). Using
# it here is what makes CI fail where the README would fail for a user.
DEBIAN_PYTHON=${WG_PY_PYTHON:-/usr/bin/python3}
# And a stock Debian root's PATH, so that nothing here can reach another interpreter or pip
# (a build machine's pyenv, say) by accident: a bare `python3 -m pip install` fails here as
# it fails for every Debian user.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

step() { printf '==> %s\n' "$*"; }

die() { printf '%s: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# quietly HINT CMD...: run CMD with its output in a log; on failure print the log, then HINT.
quietly() {
	local hint=$1 log status
	shift
	log=$(mktemp)
	if "$@" >"$log" 2>&1; then
		rm -f "$log"
		return 0
	else
		status=$?
	fi
	cat "$log" >&2
	rm -f "$log"
	printf '%s: `%s` failed (exit status %d). %s\n' "${0##*/}" "$*" "$status" "$hint" >&2
	exit "$status"
}

require_root() {
	[[ $EUID -eq 0 ]] || die "run as root (it installs Debian packages and makes network namespaces)"
}

_apt_updated=0
# apt_install PKG...: install the Debian packages that are missing, announcing which.
apt_install() {
	local missing=() pkg
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
	done
	[[ ${#missing[@]} -gt 0 ]] || return 0
	step "installing Debian packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if [[ $_apt_updated -eq 0 ]]; then
		quietly "Check the network and /etc/apt/sources.list, then run this again." apt-get update
		_apt_updated=1
	fi
	quietly "Fix the apt error above (see /var/log/apt/term.log), then run this again." \
		apt-get install -y --no-install-recommends "${missing[@]}"
}

# The Debian packages a Python venv needs: python3 itself and its venv module (ensurepip).
require_debian_python() {
	apt_install python3 python3-venv
	[[ -x $DEBIAN_PYTHON ]] || die "$DEBIAN_PYTHON is missing after installing python3"
	"$DEBIAN_PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
		die "wg-py needs Python 3.11 or newer; $DEBIAN_PYTHON is $("$DEBIAN_PYTHON" -V 2>&1)"
}

# make_venv DIR: a virtual environment made by Debian's python3 (kept if it is one already).
make_venv() {
	local dir=$1
	if [[ -x $dir/bin/python ]] && "$dir/bin/python" -c 'import sys; sys.exit(sys.prefix == sys.base_prefix)'; then
		return 0
	fi
	step "creating $dir (a virtual environment of $DEBIAN_PYTHON)"
	quietly "Is python3-venv installed? Remove $dir if it is a broken environment, then run this again." \
		"$DEBIAN_PYTHON" -m venv "$dir"
}

# pip_install DIR ARGS...: pip of the venv DIR, quiet unless it fails.
pip_install() {
	local dir=$1
	shift
	quietly "Check that PyPI is reachable (pip's error is above), then run this again." \
		"$dir/bin/python" -m pip install --disable-pip-version-check --no-input "$@"
}
