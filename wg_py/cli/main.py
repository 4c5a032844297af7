"""`wg`: a table of subcommands and a dispatch, like wireguard-tools' wg.c. Stdlib only.

Each subcommand lives in its own module exposing `run(argv0, name, argv) -> int`, and is
imported only when called, so `wg genkey` never pays for typer, rich or pyroute2.
"""

from __future__ import annotations

import importlib
import sys

# name -> (module, one-line summary shown by `wg help`), in wg.c's order.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "show": ("wg_py.cli.show", "Shows the current configuration and device information"),
    "showconf": ("wg_py.cli.showconf", "Shows the current configuration of a given WireGuard interface, for use with `setconf'"),
    "set": ("wg_py.cli.set", "Change the current configuration, add peers, remove peers, or change peers"),
    "setconf": ("wg_py.cli.setconf", "Applies a configuration file to a WireGuard interface"),
    "addconf": ("wg_py.cli.setconf", "Appends a configuration file to a WireGuard interface"),
    "syncconf": ("wg_py.cli.setconf", "Synchronizes a configuration file to a WireGuard interface"),
    "genkey": ("wg_py.cli.genkey", "Generates a new private key and writes it to stdout"),
    "genpsk": ("wg_py.cli.genkey", "Generates a new preshared key and writes it to stdout"),
    "pubkey": ("wg_py.cli.pubkey", "Reads a private key from stdin and writes a public key to stdout"),
}

VERSION_LINE = "wireguard-tools v1.0.20210914 - https://git.zx2c4.com/wireguard-tools/\n"


def usage(argv0: str) -> str:
    lines = [f"Usage: {argv0} <cmd> [<args>]", "", "Available subcommands:"]
    lines += [f"  {name}: {summary}" for name, (_m, summary) in SUBCOMMANDS.items()]
    lines.append("You may pass `--help' to any of these subcommands to view usage.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv if argv is None else argv
    argv0 = args[0] if args else "wg"
    rest = args[1:]
    if len(rest) == 1 and rest[0] in ("-v", "--version", "version"):
        sys.stdout.write(VERSION_LINE)
        return 0
    if len(rest) == 1 and rest[0] in ("-h", "--help", "help"):
        sys.stdout.write(usage(argv0))
        return 0
    name, sub_args = (rest[0], rest[1:]) if rest else ("show", [])
    if name not in SUBCOMMANDS:
        sys.stderr.write(f"Invalid subcommand: `{name}'\n" + usage(argv0))
        return 1
    module_name, _summary = SUBCOMMANDS[name]
    return importlib.import_module(module_name).run(argv0, name, sub_args)


def entry() -> None:
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # A closed pipe (`wg show | head -1`) is not our error to report.
        code = 1
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
