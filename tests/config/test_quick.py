"""wg_py/config/quick.py: wg-quick's view of a config, side by side with the real
wg-quick's parse_options and strip."""

from __future__ import annotations

from tests.support.configs import *  # noqa: F403 - the shared keys, tools and helpers

from wg_py.config.quick import QuickConfig, parse_quick_config

@pytest.fixture(autouse=True)
def no_resolution_retries(monkeypatch):
    """A service name getaddrinfo does not know is a *transient* error to wg (it retries for
    minutes by default); both tools, ours and the real one, read the variable from here."""
    monkeypatch.setenv("WG_ENDPOINT_RESOLUTION_RETRIES", "0")



# --- wg-quick's view -------------------------------------------------------------------------


def real_strip(data: bytes, tmp_path: Path) -> subprocess.CompletedProcess:
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir(exist_ok=True, mode=0o700)
    path = conf_dir / "wgq0.conf"
    path.write_bytes(data)
    path.chmod(0o600)
    return real(REAL_WG_QUICK, "strip", str(path))


# Fill the real script's own variables with its own parse_options, then print them.
_BASH_HARNESS = r"""
set -e -o pipefail
shopt -s extglob
export LC_ALL=C
PROGRAM=wg-quick
eval "$(sed -n '/^die() {/,/^}/p;/^parse_options() {/,/^}/p;/^read_bool() {/,/^}/p' "$2")"
WG_CONFIG=""; ADDRESSES=( ); MTU=""; DNS=( ); DNS_SEARCH=( ); TABLE=""
PRE_UP=( ); POST_UP=( ); PRE_DOWN=( ); POST_DOWN=( ); SAVE_CONFIG=0
parse_options "$1"
for v in "${ADDRESSES[@]}"; do printf 'addresses\t%s\0' "$v"; done
for v in "${DNS[@]}"; do printf 'dns\t%s\0' "$v"; done
for v in "${DNS_SEARCH[@]}"; do printf 'dns_search\t%s\0' "$v"; done
for v in "${PRE_UP[@]}"; do printf 'pre_up\t%s\0' "$v"; done
for v in "${POST_UP[@]}"; do printf 'post_up\t%s\0' "$v"; done
for v in "${PRE_DOWN[@]}"; do printf 'pre_down\t%s\0' "$v"; done
for v in "${POST_DOWN[@]}"; do printf 'post_down\t%s\0' "$v"; done
printf 'mtu\t%s\0table\t%s\0save_config\t%s\0wg_text\t%s\0' "$MTU" "$TABLE" "$SAVE_CONFIG" "$WG_CONFIG"
"""


def real_quick_fields(data: bytes, tmp_path: Path) -> tuple[dict, subprocess.CompletedProcess]:
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir(exist_ok=True, mode=0o700)
    path = conf_dir / "wgq0.conf"
    path.write_bytes(data)
    path.chmod(0o600)
    empty = tmp_path / "cwd"
    empty.mkdir(exist_ok=True)  # unquoted words are globbed against the cwd: keep it empty
    r = subprocess.run(["bash", "-c", _BASH_HARNESS, "harness", str(path), REAL_WG_QUICK],
                       capture_output=True, cwd=empty, timeout=30)
    fields: dict = {k: [] for k in ("addresses", "dns", "dns_search", "pre_up", "post_up",
                                    "pre_down", "post_down")}
    for record in r.stdout.split(b"\0")[:-1]:
        name, _, value = record.decode("utf-8", "surrogateescape").partition("\t")
        if isinstance(fields.get(name), list):
            fields[name].append(value)
        else:
            fields[name] = value
    return fields, r


def ours_quick_fields(q: QuickConfig) -> dict:
    return {"addresses": q.addresses, "dns": q.dns, "dns_search": q.dns_search, "pre_up": q.pre_up,
            "post_up": q.post_up, "pre_down": q.pre_down, "post_down": q.post_down,
            "mtu": "" if q.mtu is None else str(q.mtu), "table": q.table or "",
            "save_config": "1" if q.save_config else "0", "wg_text": q.wg_text}


QUICK_CONFIGS = [
    f"""[Interface]
Address = 10.0.0.1/24, fd00::1/64
address=10.0.1.1/24 10.0.2.1/24
DNS = 1.1.1.1, 2606:4700::1111, example.com,corp.example
MTU = 1420
Table = off
PreUp = echo pre %i # gone
PostUp = iptables -A FORWARD -i %i -j ACCEPT; echo a=b
PreDown = true
PostDown = echo down
SaveConfig = true
PrivateKey = {K}
ListenPort = 51820

[Peer]
PublicKey = {P}
Address = 10.9.9.9/32
AllowedIPs = 10.0.0.2/32
""",
    "\t [INTERFACE] \t\n  MTU=1280  \nsaveconfig = FALSE\r\ntable=1234\r\n  # comment  \n\n[Peer]\r\nDNS=1.1.1.1\n  tail  ",
    "MTU = 1420\n[Interface]\nDns = 9.9.9.9\n[Peer]\n[Interface]\nAddress = 1.2.3.4\nTable =\nMTU =\n",
    "[Interface]\nAddress\nDNS\n=\n   =  \n[Interface]x\nPostUp = \\\\ back\\slash\\\n",
    "[Interface]\nPrivate\0Key = x\nAddress = 10.0.0.1/24\0\n",
    "[Interface]\nAddress = 10.0.0.1/24\nDNS=1.1.1.1,\u212a.example\n\u212aey = v\n",
]


@as_root
@oracle
@pytest.mark.parametrize("text", QUICK_CONFIGS)
def test_quick_config_fields_same_as_real_parse_options(text, tmp_path):
    data = text.encode()
    fields, r = real_quick_fields(data, tmp_path)
    assert r.returncode == 0, r.stderr
    assert ours_quick_fields(parse_quick_config(decode_config(data))) == fields
    strip = real_strip(data, tmp_path)
    assert strip.stdout == (parse_quick_config(decode_config(data)).wg_text + "\n").encode()


def test_quick_config_values():
    q = parse_quick_config(QUICK_CONFIGS[0])
    assert q.addresses == ["10.0.0.1/24", "fd00::1/64", "10.0.1.1/24", "10.0.2.1/24"]
    assert q.dns == ["1.1.1.1", "2606:4700::1111"] and q.dns_search == ["example.com", "corp.example"]
    assert (q.mtu, q.table, q.save_config) == (1420, "off", True)
    assert q.pre_up == ["echo pre %i"] and q.post_up == ["iptables -A FORWARD -i %i -j ACCEPT; echo a=b"]
    assert "Address = 10.9.9.9/32" in q.wg_text and "MTU" not in q.wg_text
    with pytest.raises(ConfigLineError) as e:  # wg-quick keys count only in [Interface]
        parse_wg_config(q.wg_text)
    assert (e.value.line, e.value.lineno) == ("Address=10.9.9.9/32", 7)
    assert parse_quick_config("[Interface]\nMTU = 0x500\n").mtu == 1280


@as_root
@oracle
@pytest.mark.parametrize("value", ["yes", "1", "on", "", "true false", "tru"])
def test_quick_bad_bool_same_as_real(value, tmp_path):
    data = f"[Interface]\nSaveConfig = {value}\n".encode()
    r = real_strip(data, tmp_path)
    with pytest.raises(QuickConfigError) as e:
        parse_quick_config(data.decode())
    assert r.returncode == 1 and r.stderr.decode() == f"wg-quick: {render(e.value)}\n"


def test_quick_bad_mtu_is_a_typed_error_when_read():
    # Parsing keeps the raw value (the real `strip` passes it through); reading it fails.
    quick = parse_quick_config("[Interface]\nMTU = big\n")
    assert quick.mtu_text == "big"
    with pytest.raises(QuickConfigError) as e:
        quick.mtu
    assert render(e.value) == "`big' is not a valid MTU"


_QUICK_FRAGMENTS = [
    "[Interface]", "[Peer]", "[interface]", "[Interface ]", "Address = 10.0.0.1/24,fd00::1/64",
    "Address=10.0.0.2/24 10.0.0.3/24", "DNS = 1.1.1.1, example.com", "DNS=fd00::53,a.b",
    "MTU = 1420", "MTU=", "Table = off", "Table=main", "PreUp = echo %i", "PostUp = a=b # c",
    "PreDown = x", "PostDown=y", "SaveConfig = true", "SaveConfig=False", f"PrivateKey = {K}",
    f"PublicKey = {P}", "AllowedIPs = 0.0.0.0/0", "# comment = x", "", "junk", "=",
]


@st.composite
def quick_texts(draw) -> bytes:
    lines = []
    for fragment in draw(st.lists(st.sampled_from(_QUICK_FRAGMENTS), max_size=10)):
        if draw(st.booleans()):
            fragment = fragment.upper()
        lead = draw(st.sampled_from(["", " ", "\t", " \t ", "\v"]))
        trail = draw(st.sampled_from(["", " ", "\t", "\r", " \r", "\0", " # x"]))
        lines.append(lead + fragment + trail)
    return ("\n".join(lines) + draw(st.sampled_from(["", "\n", " ", "\n\n"]))).encode()


@oracle
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=quick_texts())
def test_random_quick_configs_same_as_real(data, tmp_path):
    fields, r = real_quick_fields(data, tmp_path)
    try:
        ours = ours_quick_fields(parse_quick_config(decode_config(data)))
    except QuickConfigError as e:
        assert r.returncode == 1 and r.stderr.decode() == f"wg-quick: {render(e)}\n"
        return
    assert r.returncode == 0, r.stderr
    assert ours == fields


