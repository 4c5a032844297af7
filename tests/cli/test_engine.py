"""Our `wg` against our engine (wireguard-py), side by side with /usr/bin/wg.

The same checks as against wireguard-go: every `show` form, `showconf`, each `set` option
and a setconf/addconf/syncconf sequence, now with wg-py's own daemon behind the socket.
"""

from __future__ import annotations

import re

import pytest

from tests.cli.sidebyside import both, ours, pretty_blocks, real, sorted_lines
from tests.cli.test_set import BASE, PEER_A, PEER_B, CASES as SET_CASES, b64 as set_b64, keyfiles, set_cases  # noqa: F401
from tests.cli.test_setconf import SEQUENCE
from tests.cli.test_show import FIELDS, LIVE_CONF, _key
from tests.engine.helpers import start_engine
from tests.support.netns import namespace, unique_ifname
from wg_py import keys

pytestmark = [pytest.mark.oracle, pytest.mark.netns]


@pytest.fixture(scope="module")
def engine_pair(tmp_path_factory):
    """Two wireguard-py devices in two namespaces, both set up with the same config."""
    with namespace("wgcen") as ns1, namespace("wgcen") as ns2:
        a, b = unique_ifname("wea"), unique_ifname("web")
        start_engine(ns1, a)
        start_engine(ns2, b)
        values = {"priv": keys.key_to_base64(_key(20)), "port": 43211, "psk": keys.key_to_base64(_key(21)),
                  **{f"pub{i}": keys.key_to_base64(keys.public_key(_key(21 + i))) for i in (1, 2, 3)}}
        conf = tmp_path_factory.mktemp("engine") / "wg.conf"
        conf.write_text(LIVE_CONF.format(**values))
        for name in (a, b):
            assert real("setconf", name, str(conf)).status == 0
        yield a, b


@pytest.mark.parametrize("field", FIELDS)
def test_engine_field_matches_sorted(engine_pair, field):
    mine, theirs = both("show", engine_pair[0], field)
    assert (sorted_lines(mine.stdout), mine.stderr, mine.status) == \
        (sorted_lines(theirs.stdout), theirs.stderr, theirs.status)


@pytest.mark.parametrize("env", [{"WG_COLOR_MODE": "never"}, {"WG_COLOR_MODE": "always", "WG_HIDE_KEYS": "never"}])
def test_engine_pretty_and_showconf(engine_pair, env):
    mine, theirs = both("show", engine_pair[0], env=env)
    assert pretty_blocks(mine.stdout) == pretty_blocks(theirs.stdout) and mine.status == theirs.status == 0
    mine, theirs = both("showconf", engine_pair[0])
    assert pretty_blocks(mine.stdout) == pretty_blocks(theirs.stdout)


@pytest.mark.parametrize("case", [c for c in SET_CASES if c != "listen-port-zero"])
def test_engine_set_applies_like_wg(engine_pair, keyfiles, case):  # noqa: F811
    a, b = engine_pair
    argv = set_cases(keyfiles)[case]
    mine, theirs = ours("set", a, *argv), real("set", b, *argv)
    assert (mine.stderr, mine.status) == (theirs.stderr, theirs.status)
    assert pretty_blocks(real("showconf", a).stdout) == pretty_blocks(real("showconf", b).stdout)


def test_engine_setconf_sequence(engine_pair, tmp_path):
    a, b = engine_pair
    for step, (command, text) in enumerate(SEQUENCE):
        path = tmp_path / f"step{step}.conf"
        path.write_text(text)
        mine, theirs = ours(command, a, str(path)), real(command, b, str(path))
        assert mine == theirs, (step, command)
        x, y = real("showconf", a).stdout, real("showconf", b).stdout
        if "listenport" not in text.lower():
            x, y = (re.sub(rb"ListenPort = \d+", b"ListenPort = *", v) for v in (x, y))
        assert pretty_blocks(x) == pretty_blocks(y), (step, command)
