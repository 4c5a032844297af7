"""`wg`: a table of subcommands and a dispatch, like wireguard-tools' wg.c. Stdlib only
(plus `wg_py.cli.errors`, whose writers put text on fds 1/2 as the C tool's stdio does).

Each subcommand lives in its own module exposing `run(argv0, name, argv) -> int`, and is
imported only when called, so `wg genkey` never pays for typer, rich or pyroute2.
"""

from __future__ import annotations

import gc
import os
import sys

from wg_py.cli.errors import write_stderr, write_stdout

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


def program_name(argv0: str) -> str:
    """What the C tool would print as argv[0] had the user typed the same thing.

    A console script sees the full path the shell found (`/usr/local/bin/wg`) where the C
    tool sees what was typed (`wg`). If looking the bare name up in PATH finds this very
    file, the user most likely typed the bare name; anything else is kept as it is.
    `python -m wg_py` is shown as `wg`.
    """
    base = argv0.rpartition("/")[2]
    if base == "__main__.py":
        return "wg"
    if "/" not in argv0 or not base:
        return argv0
    for directory in os.environ.get("PATH", "").split(":"):
        candidate = os.path.join(directory or ".", base)
        if os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
            try:
                return base if os.path.samefile(candidate, argv0) else argv0
            except OSError:
                return argv0
    return argv0


def main(argv: list[str] | None = None) -> int:
    """`argv` is the whole vector, argv[0] included; None means sys.argv."""
    args = sys.argv if argv is None else argv
    argv0 = args[0] if args else "wg"
    if argv is None:
        argv0 = program_name(argv0)
    rest = args[1:]
    if len(rest) == 1 and rest[0] in ("-v", "--version", "version"):
        write_stdout(VERSION_LINE)
        return 0
    if len(rest) == 1 and rest[0] in ("-h", "--help", "help"):
        write_stdout(usage(argv0))
        return 0
    name, sub_args = (rest[0], rest[1:]) if rest else ("show", [])
    if name not in SUBCOMMANDS:
        write_stderr(f"Invalid subcommand: `{name}'\n" + usage(argv0))
        return 1
    module_name, _summary = SUBCOMMANDS[name]
    # __import__ rather than importlib.import_module: it takes the C import path, which is
    # also what `python -X importtime` reports (tests/test_startup.py reads that).
    module = __import__(module_name, fromlist=["run"])
    return module.run(argv0, name, sub_args)


def entry() -> None:
    # `wg` is short-lived and makes no garbage cycles worth collecting; without the cyclic
    # collector, reading a 10,000-peer configuration is ~10% faster.
    gc.disable()
    try:
        code = main()
        if sys.stdout is not None:  # None when started with fd 1 closed (`wg genkey >&-`)
            sys.stdout.flush()
    except BrokenPipeError:
        # A closed pipe (`wg show | head -1`) is not our error to report.
        code = 1
    except KeyboardInterrupt:
        code = 130
    except Exception as e:  # the last net under every subcommand (wg_py/crash.py)
        from wg_py import crash

        code = crash.report("wg", e)
    if sys.stderr is not None:
        try:
            sys.stderr.flush()
        except OSError:
            pass
    # Everything is written and wg registers no exit handlers: leave without freeing every
    # object one by one, which takes ~25 ms after a 10,000-peer syncconf.
    os._exit(code)
