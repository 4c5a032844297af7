#compdef wg
# zsh completion for wg (wg-py). Install: copy to a directory in $fpath as `_wg`
# (e.g. /usr/share/zsh/vendor-completions/_wg), then run `compinit`.

_wg_py_interfaces() {
	local -a ifaces
	ifaces=( ${(s: :)"$(wg show interfaces 2>/dev/null)"} )
	_describe -t interfaces 'interface' ifaces
}

_wg() {
	local -a subcommands show_fields set_device_options set_peer_options
	subcommands=(
		'show:Shows the current configuration and device information'
		'showconf:Shows the current configuration of a given WireGuard interface'
		'set:Change the current configuration, add peers, remove peers, or change peers'
		'setconf:Applies a configuration file to a WireGuard interface'
		'addconf:Appends a configuration file to a WireGuard interface'
		'syncconf:Synchronizes a configuration file to a WireGuard interface'
		'genkey:Generates a new private key and writes it to stdout'
		'genpsk:Generates a new preshared key and writes it to stdout'
		'pubkey:Reads a private key from stdin and writes a public key to stdout'
	)
	show_fields=(public-key private-key listen-port fwmark peers preshared-keys endpoints
		allowed-ips latest-handshakes transfer persistent-keepalive dump)
	set_device_options=(listen-port fwmark private-key peer)
	set_peer_options=(peer remove preshared-key endpoint persistent-keepalive allowed-ips)

	if (( CURRENT == 2 )); then
		_describe -t commands 'wg subcommand' subcommands
		return
	fi
	case $words[2] in
	show)
		if (( CURRENT == 3 )); then
			_alternative 'special:special:(all interfaces)' 'interfaces:interface:_wg_py_interfaces'
		elif (( CURRENT == 4 )) && [[ $words[3] != interfaces ]]; then
			_values 'field' $show_fields
		fi
		;;
	showconf)
		(( CURRENT == 3 )) && _wg_py_interfaces
		;;
	setconf|addconf|syncconf)
		if (( CURRENT == 3 )); then _wg_py_interfaces
		elif (( CURRENT == 4 )); then _files
		fi
		;;
	set)
		if (( CURRENT == 3 )); then
			_wg_py_interfaces
			return
		fi
		case $words[CURRENT-1] in
		private-key|preshared-key) _files; return ;;
		listen-port|fwmark|endpoint|persistent-keepalive|allowed-ips|peer) return ;;
		esac
		if (( ${words[(I)peer]} > 0 && ${words[(I)peer]} < CURRENT )); then
			_values 'peer option' $set_peer_options
		else
			_values 'device option' $set_device_options
		fi
		;;
	esac
}

_wg "$@"
