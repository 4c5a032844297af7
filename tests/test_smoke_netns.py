"""The test infrastructure itself: namespaces joined by veth really pass traffic."""

import pytest

from tests.support.netns import veth_pair

pytestmark = pytest.mark.netns


def test_veth_pair_pings_both_families():
    with veth_pair() as (a, b):
        assert a.run("ping", "-c1", "-W2", "192.0.2.2").returncode == 0
        assert b.run("ping", "-c1", "-W2", "2001:db8::1").returncode == 0
