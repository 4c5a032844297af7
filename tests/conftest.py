"""Shared pytest set-up: markers that skip what this machine cannot run."""

from __future__ import annotations

import shutil

import pytest

from tests.support.netns import can_run_netns


def pytest_collection_modifyitems(config, items):
    skip_netns = pytest.mark.skip(reason="needs root, ip(8) and /dev/net/tun")
    skip_oracle = pytest.mark.skip(reason="needs Debian's wireguard-tools (/usr/bin/wg)")
    for item in items:
        if "netns" in item.keywords and not can_run_netns():
            item.add_marker(skip_netns)
        if "oracle" in item.keywords and not shutil.which("/usr/bin/wg"):
            item.add_marker(skip_oracle)
