# fish completion for wg-py's wg-quick.
# Install: copy to ~/.config/fish/completions/wg-quick.fish (or /usr/share/fish/vendor_completions.d/).

function __wg_quick_configs
    for f in /etc/wireguard/*.conf
        basename $f .conf
    end
end

function __wg_quick_running
    wg show interfaces 2>/dev/null | string split ' '
end

set -l cmds up down save strip help
complete -c wg-quick -f
complete -c wg-quick -n "not __fish_seen_subcommand_from $cmds" -a up -d 'Bring an interface up from its configuration'
complete -c wg-quick -n "not __fish_seen_subcommand_from $cmds" -a down -d 'Take an interface down'
complete -c wg-quick -n "not __fish_seen_subcommand_from $cmds" -a save -d 'Write the running configuration back to the file'
complete -c wg-quick -n "not __fish_seen_subcommand_from $cmds" -a strip -d 'Print the configuration without wg-quick keys'
complete -c wg-quick -n "not __fish_seen_subcommand_from $cmds" -a help -d 'Show usage'
complete -c wg-quick -n "__fish_seen_subcommand_from up strip" -a "(__wg_quick_configs)" -d configuration
complete -c wg-quick -n "__fish_seen_subcommand_from up strip" -F -a "(__fish_complete_suffix .conf)"
complete -c wg-quick -n "__fish_seen_subcommand_from down save" -a "(__wg_quick_running)" -d 'running interface'
