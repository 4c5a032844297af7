# bash completion for wg-py's wg-quick.
# Install: copy to /usr/share/bash-completion/completions/wg-quick (or source it from ~/.bashrc).

_wg_quick_configs() {
	local f
	for f in /etc/wireguard/*.conf; do
		[[ -f $f ]] || continue
		f=${f##*/}
		printf '%s\n' "${f%.conf}"
	done
}

_wg_quick_running() {
	wg show interfaces 2>/dev/null | tr ' ' '\n'
}

_wg_quick() {
	local cur=${COMP_WORDS[COMP_CWORD]} words
	COMPREPLY=()
	if [[ $COMP_CWORD -eq 1 ]]; then
		mapfile -t COMPREPLY < <(compgen -W "up down save strip help" -- "$cur")
		return
	fi
	[[ $COMP_CWORD -eq 2 ]] || return
	case ${COMP_WORDS[1]} in
	up)
		# Interfaces with a config that are not running, and any .conf file.
		local running
		running=" $(_wg_quick_running | tr '\n' ' ') "
		words=$(_wg_quick_configs | while read -r i; do [[ $running == *" $i "* ]] || echo "$i"; done)
		;;
	down|save)
		words=$(_wg_quick_running)
		;;
	strip)
		words=$(_wg_quick_configs)
		;;
	*) return ;;
	esac
	mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
	if [[ ${COMP_WORDS[1]} == up || ${COMP_WORDS[1]} == strip ]]; then
		local files
		mapfile -t files < <(compgen -f -X '!*.conf' -- "$cur"; compgen -d -- "$cur")
		COMPREPLY+=("${files[@]}")
		compopt -o filenames 2>/dev/null
	fi
}

complete -F _wg_quick wg-quick
