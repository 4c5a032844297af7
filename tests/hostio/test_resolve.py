"""wg_py/hostio/resolve.py: endpoint and port resolution, the retry loop, side by side with
the real wg."""

from __future__ import annotations

from tests.support.configs import *  # noqa: F403 - the shared keys, tools and helpers


@pytest.fixture(autouse=True)
def no_resolution_retries(monkeypatch):
    """A service name getaddrinfo does not know is a *transient* error to wg (it retries for
    minutes by default); both tools, ours and the real one, read the variable from here."""
    monkeypatch.setenv("WG_ENDPOINT_RESOLUTION_RETRIES", "0")



def test_listen_port_uses_services_and_wraps_like_glibc():
    assert parse_wg_config("[Interface]\nListenPort = domain\n", lookup=SystemLookup()).listen_port == 53
    assert parse_wg_config("[Interface]\nListenPort = 65537\n", lookup=SystemLookup()).listen_port == 1

# --- endpoint resolution ---------------------------------------------------------------------


class FlakyResolver:
    """getaddrinfo that fails `failures` times with `code`, then answers."""

    def __init__(self, failures: int, code: int = socket.EAI_AGAIN) -> None:
        self.failures, self.code, self.calls = failures, code, 0

    def __call__(self, host, port, *args):
        self.calls += 1
        if self.calls <= self.failures:
            raise socket.gaierror(self.code, "Temporary failure in name resolution")
        return [(socket.AF_INET, socket.SOCK_DGRAM, 17, "", ("192.0.2.9", int(port)))]


def test_resolution_retries_with_growing_delay():
    warnings, sleeps = [], []
    resolver = FlakyResolver(5)
    ep = resolve_endpoint("vpn.example:51820", warn=warnings.append, retries=15,
                          getaddrinfo=resolver, sleep=sleeps.append)
    assert str(ep) == "192.0.2.9:51820"
    assert sleeps == [1.0, 1.2, 1.44, 1.728, 2.0736]
    assert warnings[0] == ("Temporary failure in name resolution: `vpn.example:51820'. "
                           "Trying again in 1.00 seconds...")
    assert warnings[3].endswith("Trying again in 1.73 seconds...")


def test_resolution_gives_up_after_retries_and_on_permanent_errors():
    warnings: list[str] = []
    with pytest.raises(ConfigValueError) as e:
        resolve_endpoint("h:1", warn=warnings.append, retries=2, getaddrinfo=FlakyResolver(9),
                         sleep=lambda s: None)
    assert len(warnings) == 2 and render(e.value) == "Temporary failure in name resolution: `h:1'"
    resolver = FlakyResolver(9, socket.EAI_NONAME)
    with pytest.raises(ConfigValueError):
        resolve_endpoint("h:1", warn=warnings.append, retries=-1, getaddrinfo=resolver,
                         sleep=lambda s: None)
    assert resolver.calls == 1
    # The delay stops growing at 20 s.
    sleeps: list[float] = []
    resolve_endpoint("h:1", warn=lambda w: None, retries=-1, getaddrinfo=FlakyResolver(30),
                     sleep=sleeps.append)
    assert max(sleeps) == 20.0 and sleeps[-1] == 20.0


@oracle
@pytest.mark.parametrize("value", ["", "0", "5", " 7", "+3", "-0", "-1", "abc", "5x", "infinity",
                                   "Infinity", "2147483647", "2147483648", "99999999999999999999999"])
def test_retries_variable_parsed_like_real_wg(value, tmp_path):
    r = real(REAL_WG, "set", NO_IFACE, "peer", P, "endpoint", "192.0.2.1:5",
             env={"WG_ENDPOINT_RESOLUTION_RETRIES": value})
    try:
        resolution_retries({"WG_ENDPOINT_RESOLUTION_RETRIES": value})
    except ConfigValueError as e:
        assert r.stderr.decode() == render(e) + "\n"
    else:
        assert r.stderr.startswith(MODIFY_FAILED)


@oracle
@pytest.mark.netns
def test_transient_resolver_failure_same_messages_as_real_wg(tmp_path):
    """In a namespace with no route to any nameserver, lookups fail with EAI_AGAIN."""
    script = (f"import sys; sys.path.insert(0, {str(Path(__file__).parents[1])!r})\n"
              "from wg_py.hostio.resolve import resolve_endpoint\nfrom wg_py.cli.errors import render\n"
              "from wg_py.errors import WgError\n"
              "try:\n    resolve_endpoint(sys.argv[1])\nexcept WgError as e:\n"
              "    sys.stderr.write(render(e) + '\\n'); sys.exit(1)\n")
    host = "wgpy-no-such-host.example:51820"
    with netns.namespace() as ns:
        env = {**os.environ, "WG_ENDPOINT_RESOLUTION_RETRIES": "1"}
        r = ns.run(REAL_WG, "set", NO_IFACE, "peer", P, "endpoint", host, check=False, env=env)
        o = ns.run("python3", "-c", script, host, check=False, env=env)
    if "Temporary failure" not in r.stderr:
        pytest.skip(f"resolver in an empty namespace did not fail transiently: {r.stderr!r}")
    assert o.stderr == r.stderr and o.returncode == r.returncode == 1
    assert o.stderr.count("Trying again in 1.00 seconds...") == 1


@settings(max_examples=300)
@given(st.one_of(st.integers(0, 2**32 - 1).map(lambda n: str(ipaddress.IPv4Address(n))),
                 st.integers(0, 2**128 - 1).map(lambda n: f"[{ipaddress.IPv6Address(n)}]")),
       st.integers(0, 65535), st.sampled_from(["", "0", "00"]))
def test_numeric_endpoints_skip_the_resolver_with_its_answer(host, port, zeros):
    # What getaddrinfo gives for a numeric address is what the fast path gives without it.
    text = f"{host}:{zeros}{port}"
    calls = []

    def resolver(*args):
        calls.append(args)
        return socket.getaddrinfo(*args)

    fast = resolve_endpoint(text, retries=0, getaddrinfo=resolver)
    assert calls == []
    bare = host.strip("[]")
    family, _t, _p, _n, sockaddr = socket.getaddrinfo(bare, str(port), socket.AF_UNSPEC, socket.SOCK_DGRAM,
                                                      socket.IPPROTO_UDP)[0]
    assert fast == endpoint_from_sockaddr(family, sockaddr)


@pytest.mark.parametrize("text", ["127.1:5", "0x7f.0.0.1:5", "1.2.3.4:+5", "1.2.3.4:65536", "1.2.3.4:domain",
                                  "[fe80::1%lo]:5", "[1.2.3.4]:5", "localhost:5", "1.2.3.4:٣"])
def test_other_endpoints_still_go_to_getaddrinfo(text):
    calls = []

    def resolver(*args):
        calls.append(args)
        return socket.getaddrinfo(*args)

    try:
        resolve_endpoint(text, retries=0, getaddrinfo=resolver)
    except ConfigValueError:
        pass
    if text != "[1.2.3.4]:5":
        assert len(calls) == 1
    else:
        assert calls == []  # bracketed IPv4 is numeric too; getaddrinfo would say the same
        assert resolve_endpoint(text, retries=0) == resolve_endpoint("1.2.3.4:5", retries=0)

