# fish completion for wg (wg-py). Install: copy to ~/.config/fish/completions/wg.fish
# or /usr/share/fish/vendor_completions.d/wg.fish.

function __wg_py_interfaces
    wg show interfaces 2>/dev/null | string split ' '
end

function __wg_py_in_peer
    contains -- peer (commandline -opc)
end

set -l subcommands show showconf set setconf addconf syncconf genkey genpsk pubkey
complete -c wg -f
complete -c wg -n "not __fish_seen_subcommand_from $subcommands" -a show -d 'Show configuration and device information'
complete -c wg -n "not __fish_seen_subcommand_from $subcommands" -a showconf -d 'Show the configuration, for use with setconf'
complete -c wg -n "not __fish_seen_subcommand_from $subcommands" -a set -d 'Change the configuration, add, remove or change peers'
complete -c wg -n "not __fish_seen_subcommand_from $subcommands" -a setconf -d 'Apply a configuration file'
complete -c wg -n "not __fish_seen_subcommand_from $subcommands" -a addconf -d 'Append a configuration file'
complete -c wg -n "not __fish_seen_subcommand_from $subcommands" -a syncconf -d 'Synchronize to a configuration file'
complete -c wg -n "not __fish_seen_subcommand_from $subcommands" -a genkey -d 'Generate a private key'
complete -c wg -n "not __fish_seen_subcommand_from $subcommands" -a genpsk -d 'Generate a preshared key'
complete -c wg -n "not __fish_seen_subcommand_from $subcommands" -a pubkey -d 'Derive a public key from stdin'

# show [all | interfaces | IF] [field]
complete -c wg -n "__fish_seen_subcommand_from show; and test (count (commandline -opc)) -eq 2" -a "all interfaces (__wg_py_interfaces)"
complete -c wg -n "__fish_seen_subcommand_from show; and test (count (commandline -opc)) -eq 3; and not __fish_seen_subcommand_from interfaces" \
    -a "public-key private-key listen-port fwmark peers preshared-keys endpoints allowed-ips latest-handshakes transfer persistent-keepalive dump"

# showconf IF; setconf/addconf/syncconf IF FILE
complete -c wg -n "__fish_seen_subcommand_from showconf setconf addconf syncconf set; and test (count (commandline -opc)) -eq 2" -a "(__wg_py_interfaces)"
complete -c wg -n "__fish_seen_subcommand_from setconf addconf syncconf; and test (count (commandline -opc)) -eq 3" -F

# set IF [device options] [peer KEY [peer options]]...
complete -c wg -n "__fish_seen_subcommand_from set; and test (count (commandline -opc)) -ge 3; and not __wg_py_in_peer" -a "listen-port fwmark private-key peer"
complete -c wg -n "__fish_seen_subcommand_from set; and __wg_py_in_peer" -a "peer remove preshared-key endpoint persistent-keepalive allowed-ips"
complete -c wg -n "__fish_seen_subcommand_from set; and __fish_prev_arg_in private-key preshared-key" -F
