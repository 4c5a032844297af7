"""Finding, checking and reading the config file (the real tool's parse_options).

`wg0` means /etc/wireguard/wg0.conf; a path must end in `<interface name>.conf`. The
interface name is taken from the path as given, before symlinks are resolved; the path used
afterwards (warnings, `save`) is the resolved one.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from dataclasses import dataclass

from wg_quick_py.errors import BadConfigName, ConfigMissing, ConfigUnreadable
from wg_py.config.quick import QuickConfig, parse_quick_config

CONFIG_DIR = "/etc/wireguard"
_NAME = r"[a-zA-Z0-9_=+.-]{1,15}"
_BARE_NAME = re.compile(rf"{_NAME}\Z")
_PATH_NAME = re.compile(rf"(?:^|/)({_NAME})\.conf\Z")


@dataclass
class Context:
    """One run's subject: the interface, its (resolved) config file and what it says."""

    interface: str
    path: str
    config: QuickConfig


def resolve(arg: str) -> tuple[str, str]:
    """CONFIG_FILE or INTERFACE → (resolved path, interface name); raises the real tool's dies."""
    path = f"{CONFIG_DIR}/{arg}.conf" if _BARE_NAME.match(arg) else arg
    if not os.path.exists(path):
        raise ConfigMissing(path)
    match = _PATH_NAME.search(path)
    if match is None:
        raise BadConfigName()
    return os.path.realpath(path), match.group(1)


def world_accessible(path: str) -> bool:
    """True when both the file and its directory grant "other" some permission bit."""
    file_mode = stat.S_IMODE(os.stat(path).st_mode)
    dir_mode = stat.S_IMODE(os.stat(os.path.dirname(path) or "/").st_mode)
    return (file_mode & dir_mode & 0o007) != 0


def load(arg: str) -> Context:
    path, interface = resolve(arg)
    if world_accessible(path):
        sys.stderr.write(f"Warning: `{path}' is world accessible\n")
        sys.stderr.flush()
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ConfigUnreadable(path, e.errno or 5) from None
    # Bytes that are not UTF-8 survive the round trip to `strip`'s output unchanged.
    text = data.decode("utf-8", "surrogateescape")
    return Context(interface, path, parse_quick_config(text))
