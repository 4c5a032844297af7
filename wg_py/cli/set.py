"""`wg set <interface> [options] [peer <key> [peer options]]...`: one change, sent at once.

The arguments are parsed completely (key files read, endpoints resolved) before the device
is touched, so a bad argument never leaves a half-applied change behind. Stdlib only.
"""

from __future__ import annotations

from wg_py import ipc
from wg_py.cli.errors import report, usage_error
from wg_py.config.setargs import parse_set_args
from wg_py.errors import WgError
from wg_py.hostio import SystemLookup, stderr_warn

USAGE_TAIL = ("<interface> [listen-port <port>] [fwmark <mark>] [private-key <file path>] "
              "[peer <base64 public key> [remove] [preshared-key <file path>] "
              "[endpoint <ip>:<port>] [persistent-keepalive <interval seconds>] "
              "[allowed-ips <ip1>/<cidr1>[,<ip2>/<cidr2>]...] ]...")


def run(argv0: str, name: str, argv: list[str]) -> int:
    if len(argv) < 2:
        return usage_error(argv0, name, USAGE_TAIL)
    try:
        change = parse_set_args(argv[1:], lookup=SystemLookup(stderr_warn), warn=stderr_warn)
        ipc.set_device(change, argv[0])
    except WgError as e:
        return report(e)
    return 0
