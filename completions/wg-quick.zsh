#compdef wg-quick
# zsh completion for wg-py's wg-quick.
# Install: copy as _wg-quick into a directory on $fpath (e.g. /usr/local/share/zsh/site-functions).

_wg_quick_configs() {
  local -a names
  names=(/etc/wireguard/*.conf(N:t:r))
  _describe -t configs 'configuration' names
}

_wg_quick_running() {
  local -a names
  names=(${(s: :)"$(wg show interfaces 2>/dev/null)"})
  _describe -t interfaces 'running interface' names
}

_wg-quick() {
  if (( CURRENT == 2 )); then
    local -a commands
    commands=(
      'up:bring an interface up from its configuration'
      'down:take an interface down'
      'save:write the running configuration back to the file'
      'strip:print the configuration without wg-quick keys'
      'help:show usage'
    )
    _describe -t commands 'wg-quick command' commands
  elif (( CURRENT == 3 )); then
    case $words[2] in
      up|strip) _alternative 'configs:configuration:_wg_quick_configs' 'files:config file:_files -g "*.conf"' ;;
      down|save) _wg_quick_running ;;
    esac
  fi
}

_wg-quick "$@"
