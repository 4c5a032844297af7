"""`wg-quick [ up | down | save | strip ] [ CONFIG_FILE | INTERFACE ]`: the dispatch.

Stdlib only at start-up: `strip` must stay cheap in shell loops, so pyroute2 is imported
only by the subcommands that change the network (through net.py).
"""

from __future__ import annotations

import importlib
import os
import signal
import sys

from wg_quick_py import proc

COMMANDS = ("up", "down", "save", "strip")

USAGE = """\
Usage: {prog} [ up | down | save | strip ] [ CONFIG_FILE | INTERFACE ]

  CONFIG_FILE names a configuration file whose base name is the interface name
  plus `.conf'; a bare INTERFACE means /etc/wireguard/INTERFACE.conf. The file
  is in the format of wg(8)'s `setconf' sub-command, and its [Interface]
  section may also hold these keys, which {prog} handles itself:

  - Address: one or more IP addresses, each with an optional CIDR mask, for
    the interface; the key may repeat.
  - DNS: DNS servers (and search domains) to use while the interface is up.
  - MTU: the interface's MTU; computed from the route to the peers when absent.
  - Table: the routing table for the peers' allowed IPs; absent or `auto'
    means the main table, `off' means add no routes.
  - PreUp, PostUp, PreDown, PostDown: bash(1) snippets run before and after
    the interface goes up or down (for DNS, firewall rules, ...); `%i' in
    them becomes INTERFACE.
  - SaveConfig: `true' to write the interface's running state back to the
    file when it is taken down.

See wg-quick(8) for more info and examples.
"""


def program_name(argv0: str) -> str:
    name = os.path.basename(argv0)
    return "wg-quick" if name in ("", "__main__.py", "-c") else name


def prepare_environment(argv0: str) -> None:
    """As the real tool: C locale, and our own directory first in PATH, so hooks and the
    userspace implementation find the `wg` and `wireguard-py` installed beside us."""
    os.environ["LC_ALL"] = "C"
    # Bytes of the config that are not UTF-8 are kept as surrogates: print them as the bytes
    # they were (the bash tool echoes them raw), not as `\udcff`.
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="surrogateescape")
    if os.path.basename(argv0) not in ("", "__main__.py", "-c") and os.path.isfile(argv0):
        here = os.path.dirname(os.path.realpath(argv0))
        os.environ["PATH"] = here + os.pathsep + os.environ.get("PATH", "")


def become_root(prog: str) -> None:
    """Re-run ourselves through sudo when not root (all four commands need it, even strip)."""
    if os.geteuid() == 0:
        return
    prompt = f"{prog} must be run as root. Please enter the password for %u to continue: "
    argv = ["sudo", "-p", prompt, "--", sys.executable, *sys.orig_argv[1:]]
    try:
        os.execvp("sudo", argv)
    except OSError as e:
        sys.stderr.write(f"{prog}: sudo: {e.strerror}\n")
        sys.exit(1)


def _terminate(signum, _frame):
    # SIGTERM, like ^C, must unwind `up` through its clean-up.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv if argv is None else argv
    prog = program_name(argv[0] if argv else "wg-quick")
    proc.PROGRAM = prog
    args = argv[1:]
    if len(args) == 1 and args[0] in ("--help", "-h", "help"):
        sys.stderr.write(USAGE.format(prog=prog))
        return 0
    if len(args) != 2 or args[0] not in COMMANDS:
        sys.stderr.write(USAGE.format(prog=prog))
        return 1
    become_root(prog)
    prepare_environment(argv[0])
    signal.signal(signal.SIGTERM, _terminate)
    return dispatch(args[0], args[1])


def dispatch(command: str, target: str) -> int:
    from wg_py.errors import WgError

    from wg_quick_py.conffile import load
    from wg_quick_py.errors import QuickError

    try:
        ctx = load(target)
        module = importlib.import_module(f"wg_quick_py.{command}")
        return module.run(ctx)
    except QuickError as e:
        proc.report(e)
        return e.status
    except WgError as e:
        # wg_py's own errors, e.g. a SaveConfig that is neither true nor false (read with the
        # file) or an MTU that is not a number (read by `up`): one renderer for their words.
        from wg_py.cli.errors import render

        sys.stderr.write(f"{proc.PROGRAM}: {render(e)}\n")
        return 1


def entry() -> None:
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        code = 1
    except KeyboardInterrupt:
        code = 130
    except Exception as e:  # the last net under every subcommand (wg_py/crash.py)
        from wg_py import crash

        code = crash.report(proc.PROGRAM, e)
    sys.exit(code)
