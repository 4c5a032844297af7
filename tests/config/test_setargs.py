"""wg_py/config/setargs.py: `wg set` arguments side by side with the real wg."""

from __future__ import annotations

from tests.support.configs import *  # noqa: F403 - the shared keys, tools and helpers


@pytest.fixture(autouse=True)
def no_resolution_retries(monkeypatch):
    """A service name getaddrinfo does not know is a *transient* error to wg (it retries for
    minutes by default); both tools, ours and the real one, read the variable from here."""
    monkeypatch.setenv("WG_ENDPOINT_RESOLUTION_RETRIES", "0")



# --- `wg set` arguments ----------------------------------------------------------------------

BAD_SET_ARGS = [
    ["listen-port", ""], ["listen-port"], ["bogus"], ["listen-port", "nope"],
    ["fwmark", "0x"], ["fwmark", "-1"], ["private-key", "/nonexistent/key"],
    ["peer"], ["peer", "bad"], ["peer", NONCANON], ["remove"],
    ["peer", P, "listen-port", "5"], ["peer", P, "fwmark", "1"], ["peer", P, "private-key", "/dev/null"],
    ["peer", P, "endpoint"], ["peer", P, "endpoint", ""], ["peer", P, "endpoint", "[::1]"],
    ["peer", P, "allowed-ips", "10.0.0.1/33"], ["peer", P, "allowed-ips", "10.0.0.1 /24, 1.2.3.4/99"],
    ["peer", P, "persistent-keepalive", "65536"], ["peer", P, "preshared-key", "/nonexistent"],
    ["peer", P, "remove", "bogus"], ["peer", P, "Endpoint", "192.0.2.1:5"],
]
GOOD_SET_ARGS = [
    ["listen-port", "51820", "fwmark", "0x10", "private-key", "/dev/null"],
    ["peer", P, "remove"], ["peer", P, "allowed-ips", ""], ["peer", P, "remove", "remove"],
    ["peer", P, "allowed-ips", " 10.0.0.1 /24 , fd00::1"],
    ["peer", P, "endpoint", "[::1]:5", "persistent-keepalive", "off", "peer", P2, "endpoint", "192.0.2.1:7"],
]


def ours_set(argv: list[str]) -> tuple[str, int]:
    warnings: list[str] = []
    try:
        parse_set_args(argv, lookup=SystemLookup(warnings.append), warn=warnings.append)
    except WgError as e:
        return "".join(w + "\n" for w in warnings) + render(e) + "\n", 1
    return "".join(w + "\n" for w in warnings), 0


def assert_set_args_like_real_wg(argv: list[str]) -> None:
    """Our parse of `wg set` args against the real wg's on an interface that does not exist:
    the same errors and warnings; where ours parses, the real one gets as far as the device."""
    r = real(REAL_WG, "set", NO_IFACE, *argv)
    out, status = ours_set(argv)
    if status == 0:
        lines = r.stderr.decode().splitlines(keepends=True)
        assert lines[-1].startswith(MODIFY_FAILED.decode()) and "".join(lines[:-1]) == out, argv
    else:
        assert (r.stderr.decode(), r.returncode) == (out, 1), argv


@oracle
@pytest.mark.parametrize("argv", BAD_SET_ARGS + GOOD_SET_ARGS)
def test_set_args_same_as_real_wg(argv):
    assert_set_args_like_real_wg(argv)


_SET_TOKENS = ["listen-port", "fwmark", "private-key", "peer", "remove", "endpoint", "allowed-ips",
               "persistent-keepalive", "preshared-key", P, P2, "bad", "51820", "0x10", "off", "25",
               "/dev/null", "192.0.2.1:5", "[::1]:7", "10.0.0.0/8, fd00::/64", "", "10.0.0.1/40"]


@oracle
@settings(max_examples=80, deadline=None)
@given(argv=st.lists(st.sampled_from(_SET_TOKENS), min_size=1, max_size=8))
def test_random_set_args_same_as_real_wg(argv):
    assert_set_args_like_real_wg(argv)


def test_set_args_model():
    d = parse_set_args(lookup=SystemLookup(), argv=["listen-port", "51820", "peer", P, "remove", "peer", P2,
                        "allowed-ips", "10.0.0.0/8", "persistent-keepalive", "25"])
    assert not d.replace_peers and d.private_key is None and d.listen_port == 51820
    assert d.peers[0].remove and not d.peers[0].replace_allowed_ips
    assert d.peers[1].replace_allowed_ips and d.peers[1].persistent_keepalive_interval == 25


