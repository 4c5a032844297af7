# bash completion for wg (wg-py). Install: copy to /usr/share/bash-completion/completions/wg
# or source it from ~/.bashrc.

_wg_py_interfaces() {
	wg show interfaces 2>/dev/null
}

_wg_py_completion() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local -a words=("${COMP_WORDS[@]}")

	if [[ $COMP_CWORD -eq 1 ]]; then
		COMPREPLY=( $(compgen -W "show showconf set setconf addconf syncconf genkey genpsk pubkey help --help --version" -- "$cur") )
		return
	fi

	case ${words[1]} in
	show)
		if [[ $COMP_CWORD -eq 2 ]]; then
			COMPREPLY=( $(compgen -W "all interfaces $(_wg_py_interfaces)" -- "$cur") )
		elif [[ $COMP_CWORD -eq 3 && ${words[2]} != interfaces ]]; then
			COMPREPLY=( $(compgen -W "public-key private-key listen-port fwmark peers preshared-keys endpoints allowed-ips latest-handshakes transfer persistent-keepalive dump" -- "$cur") )
		fi
		;;
	showconf)
		[[ $COMP_CWORD -eq 2 ]] && COMPREPLY=( $(compgen -W "$(_wg_py_interfaces)" -- "$cur") )
		;;
	setconf|addconf|syncconf)
		if [[ $COMP_CWORD -eq 2 ]]; then
			COMPREPLY=( $(compgen -W "$(_wg_py_interfaces)" -- "$cur") )
		elif [[ $COMP_CWORD -eq 3 ]]; then
			compopt -o filenames
			COMPREPLY=( $(compgen -f -- "$cur") )
		fi
		;;
	set)
		if [[ $COMP_CWORD -eq 2 ]]; then
			COMPREPLY=( $(compgen -W "$(_wg_py_interfaces)" -- "$cur") )
			return
		fi
		case $prev in
		private-key|preshared-key)
			compopt -o filenames
			COMPREPLY=( $(compgen -f -- "$cur") )
			return
			;;
		peer)
			COMPREPLY=( $(compgen -W "$(wg show "${words[2]}" peers 2>/dev/null)" -- "$cur") )
			return
			;;
		listen-port|fwmark|endpoint|persistent-keepalive|allowed-ips)
			return
			;;
		esac
		local word in_peer=0
		for word in "${words[@]:3:COMP_CWORD-3}"; do
			[[ $word == peer ]] && in_peer=1
		done
		if [[ $in_peer -eq 1 ]]; then
			COMPREPLY=( $(compgen -W "peer remove preshared-key endpoint persistent-keepalive allowed-ips" -- "$cur") )
		else
			COMPREPLY=( $(compgen -W "listen-port fwmark private-key peer" -- "$cur") )
		fi
		;;
	esac
}

complete -F _wg_py_completion wg
