"""The UAPI: the `get=1` / `set=1` text protocol of userspace WireGuard engines, and where
their sockets live.

- `wg_py.uapi.text`: the value forms both sides share (addresses as inet_ntop writes them,
  endpoints, prefixes, keys, numbers, limits);
- `wg_py.uapi.client`: what `wg` sends and how it reads the replies, with the C client's
  strictness;
- `wg_py.uapi.server`: how an engine reads a request and writes its replies, with
  wireguard-go's acceptance rules and errno values.

This module itself only knows the socket directory: `/var/run/wireguard`, or `WG_SOCKET_DIR`
where that is set (for the engine and both tools alike: a long-standing request of
wireguard-tools#21 and wireguard-go#89, for unprivileged and containerised set-ups). It
imports nothing but `os`, so every command may ask it.
"""

from __future__ import annotations

import os

DEFAULT_SOCKET_DIR = "/var/run/wireguard"
SOCKET_DIR_ENV = "WG_SOCKET_DIR"
SOCKET_SUFFIX = ".sock"


def socket_dir() -> str:
    """Where UAPI sockets are: `$WG_SOCKET_DIR` when set and not empty, else /var/run/wireguard."""
    return os.environ.get(SOCKET_DIR_ENV) or DEFAULT_SOCKET_DIR


def socket_path(ifname: str) -> str:
    """The UAPI socket of interface `ifname`."""
    return f"{socket_dir()}/{ifname}{SOCKET_SUFFIX}"
