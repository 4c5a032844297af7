"""Shared pytest set-up: markers that skip what this machine cannot run."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.support.netns import can_run_netns

# The real tools are the oracle. Where wg-py is installed system-wide (scripts/install.sh links
# its `wg` into /usr/local/bin, ahead of /usr/bin on a Debian PATH), the real wg-quick would
# call our `wg`: the system directories go first for every process the tests start.
_SYSTEM_DIRS = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
os.environ["PATH"] = os.pathsep.join(
    _SYSTEM_DIRS + [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and d not in _SYSTEM_DIRS])


def pytest_collection_modifyitems(config, items):
    skip_netns = pytest.mark.skip(reason="needs root, ip(8) and /dev/net/tun")
    skip_oracle = pytest.mark.skip(reason="needs Debian's wireguard-tools (/usr/bin/wg)")
    for item in items:
        if "netns" in item.keywords and not can_run_netns():
            item.add_marker(skip_netns)
        if "oracle" in item.keywords and not shutil.which("/usr/bin/wg"):
            item.add_marker(skip_oracle)
