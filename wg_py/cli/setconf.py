"""`wg setconf`, `wg addconf` and `wg syncconf <interface> <file>`.

- setconf: the file becomes the whole configuration (replace_peers; private key, port and
  fwmark sent even when the file leaves them out).
- addconf: only what the file says, added to what runs.
- syncconf: like setconf, but peers that stay are updated in place instead of being
  removed and re-added, so their sessions survive; running peers missing from the file are
  removed. A preshared key or persistent keepalive that runs but is absent from the file is
  cleared (the behaviour of wireguard-tools 1.0.20260223; 1.0.20210914 left them set).
"""

from __future__ import annotations

from wg_py import ipc
from wg_py.cli.errors import report, usage_error
from wg_py.config.conffile import decode_config, parse_wg_config
from wg_py.config.sync import sync_change
from wg_py.errors import ConfigRetrieveError, InterfaceAccessError, KeyFileError, WgError
from wg_py.hostio import SystemLookup, stderr_warn
from wg_py.ipc.prefetch import KeysPrefetch


def read_config_file(path: str) -> str:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except IsADirectoryError:
        # fopen(3) opens a directory and getline then fails at once: wg sees an empty file.
        return ""
    except OSError as e:
        # Rendered as the C tool's perror("fopen").
        raise KeyFileError("open", path, e.errno or 0) from None
    return decode_config(data)


def run(argv0: str, name: str, argv: list[str]) -> int:
    if len(argv) != 2:
        return usage_error(argv0, name, "<interface> <configuration filename>")
    ifname, path = argv
    pending: list[KeysPrefetch] = []

    def start_get() -> None:
        pending.append(KeysPrefetch(ifname))

    try:
        text = read_config_file(path)
        # syncconf reads the running configuration only for a file with peers, as wg does;
        # the read starts at the first [Peer] and goes on (in a child process) while the rest
        # of the file is parsed.
        change = parse_wg_config(text, append=(name == "addconf"), warn=stderr_warn,
                                 lookup=SystemLookup(stderr_warn),
                                 on_first_peer=start_get if name == "syncconf" else None)
        if pending:
            try:
                running = pending.pop().result()
            except InterfaceAccessError as e:
                raise ConfigRetrieveError(ifname, e.errno) from None
            change = sync_change(change, running)
        ipc.set_device(change, ifname)
    except WgError as e:
        return report(e)
    finally:
        for get in pending:  # the file failed after its first peer: let the read finish
            get.wait()
    return 0
