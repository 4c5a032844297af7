"""`wg-py` and `wg_py.api` against real engines (ours and wireguard-go) in namespaces the
tests make: state set with `wg`, read back by the API, `show --json`, `top` and the
Prometheus exporter scraped over HTTP; traffic through the tunnel shows up as rates."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from tests.engine.helpers import REPO, Side, configure_pair, genkey, genpsk, ping, start, wg
from tests.support.netns import unique_ifname, veth_pair, wait_for
from wg_py import api

pytestmark = pytest.mark.netns

WG_PY = [sys.executable, "-m", "wg_py.app"]
KINDS = ["py"] + (["go"] if shutil.which("wireguard-go") else [])


class Tunnel:
    def __init__(self, a: Side, b: Side, psk: str, conf: str) -> None:
        self.a, self.b, self.psk, self.conf = a, b, psk, conf

    def wg_py(self, *args: str, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
        env = dict(os.environ, PYTHONPATH=str(REPO), COLUMNS="200")
        env.update(kw.pop("env", {}))
        return self.a.ns.run(*WG_PY, *args, env=env, timeout=timeout, check=False, **kw)

    def dump(self) -> list[list[str]]:
        return [line.split("\t") for line in wg(self.a.ns, "show", self.a.ifname, "dump").stdout.splitlines()]

    def secrets(self) -> list[str]:
        return [self.a.private, self.psk]


@pytest.fixture(scope="module", params=KINDS)
def tunnel(request, tmp_path_factory):
    kind = request.param
    with veth_pair() as (nsa, nsb):
        ka, kb = genkey(), genkey()
        a = Side(nsa, unique_ifname("wa"), kind, ka[0], ka[1], 51820, "192.0.2.1", "10.78.0.1", "fd78::1")
        b = Side(nsb, unique_ifname("wb"), kind, kb[0], kb[1], 51820, "192.0.2.2", "10.78.0.2", "fd78::2")
        start(kind, nsa, a.ifname)
        start(kind, nsb, b.ifname)
        psk = genpsk()
        configure_pair(a, b, psk=psk, keepalive=25)
        assert ping(nsa, b.inner4)
        conf = tmp_path_factory.mktemp("conf") / f"{a.ifname}.conf"
        conf.write_text(f"[Interface]\nPrivateKey = {a.private}\n\n[Peer]\n# Name = laptop\nPublicKey = {b.public}\n"
                        f"AllowedIPs = {b.inner4}/32\n")
        yield Tunnel(a, b, psk, str(conf))


def test_api_reads_what_wg_shows(tunnel):
    """Field by field against `wg show IF dump` (the API's process talks to the same socket)."""
    iface = api.get_interface(tunnel.a.ifname, open(tunnel.conf).read())
    device, peer_row = tunnel.dump()
    assert (iface.private_key, iface.public_key, iface.listen_port) == (device[0], device[1], int(device[2]))
    assert iface.fwmark is None and device[3] == "off"
    (peer,) = iface.peers
    assert peer.public_key == peer_row[0] and peer.preshared_key == peer_row[1] == tunnel.psk
    assert peer.endpoint == peer_row[2] and ",".join(peer.allowed_ips) == peer_row[3]
    assert int(peer.latest_handshake.timestamp()) == int(peer_row[4]) and peer.latest_handshake.tzinfo is not None
    assert peer.rx_bytes >= int(peer_row[5]) - 200 and peer.tx_bytes >= int(peer_row[6]) - 200
    assert peer.persistent_keepalive == int(peer_row[7]) == 25
    assert peer.name == "laptop" and iface.peer("laptop") is peer
    assert tunnel.a.ifname in api.list_interfaces()


def test_api_sync_keeps_the_session_and_changes_what_the_file_says(tunnel):
    before = api.get_interface(tunnel.a.ifname)
    text = (f"[Interface]\nPrivateKey = {tunnel.a.private}\nListenPort = 51820\n\n[Peer]\nPublicKey = {tunnel.b.public}\n"
            f"PresharedKey = {tunnel.psk}\nAllowedIPs = {tunnel.b.inner4}/32,{tunnel.b.inner6}/128,10.78.9.0/24\n"
            f"PersistentKeepalive = 25\nEndpoint = {tunnel.b.underlay}:{tunnel.b.port}\n")
    api.sync(tunnel.a.ifname, text)
    after = api.get_interface(tunnel.a.ifname)
    assert "10.78.9.0/24" in after.peers[0].allowed_ips
    assert after.peers[0].latest_handshake == before.peers[0].latest_handshake   # no new handshake needed
    assert tunnel.a.ns.run("ping", "-c", "1", "-W", "2", tunnel.b.inner4, check=False).returncode == 0
    with pytest.raises(api.WgError) as bad:
        api.sync(tunnel.a.ifname, "[Interface]\nListenPort = x y\n")
    assert api.describe(bad.value) == "Servname not supported for ai_socktype: `xy'\nConfiguration parsing error"
    assert api.get_interface(tunnel.a.ifname).peers[0].allowed_ips == after.peers[0].allowed_ips   # nothing applied


def test_api_keys():
    private = api.generate_private_key()
    assert len(private) == 44 and len(api.public_key(private)) == 44
    assert api.public_key("yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=") == "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="
    assert len(base64.b64decode(api.generate_preshared_key())) == 32


@pytest.mark.skipif(not os.path.exists("/usr/bin/wg-quick"), reason="needs wireguard-tools' wg-quick")
def test_api_strip_is_wg_quick_strip(tmp_path):
    """What the real `wg-quick strip` prints, less the newline its final echo adds."""
    conf = tmp_path / "wg9.conf"
    conf.write_text("[Interface]\n  Address = 10.0.0.1/24 # server\nPrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n"
                    "DNS = 1.1.1.1\nPostUp = echo %i >&2\nMTU = 1420\n\n[Peer]\n# Name = phone\n"
                    "PublicKey = HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=\nAllowedIPs = 10.0.0.2/32\nAddress = kept\n")
    conf.chmod(0o600)
    real = subprocess.run(["/usr/bin/wg-quick", "strip", str(conf)], capture_output=True, text=True, check=True)
    assert api.strip(conf.read_text()) + "\n" == real.stdout


def test_show_json_matches_the_dump_and_hides_keys(tunnel):
    result = tunnel.wg_py("show", tunnel.a.ifname, "--json", "--config", tunnel.conf)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["schema_version"] == 1
    (iface,) = doc["interfaces"]
    device, peer_row = tunnel.dump()
    assert iface["name"] == tunnel.a.ifname and iface["public_key"] == device[1]
    assert iface["private_key"] == "(hidden)" and iface["listen_port"] == int(device[2]) and iface["fwmark"] is None
    (peer,) = iface["peers"]
    assert peer["public_key"] == peer_row[0] and peer["preshared_key"] == "(hidden)" and peer["name"] == "laptop"
    assert peer["endpoint"] == peer_row[2] and peer["allowed_ips"] == peer_row[3].split(",")
    assert peer["latest_handshake_unix"] == int(peer_row[4]) and 0 <= peer["latest_handshake_age_seconds"] < 200
    assert isinstance(peer["rx_bytes"], int) and isinstance(peer["tx_bytes"], int)
    assert peer["persistent_keepalive_seconds"] == 25
    for secret in tunnel.secrets():
        assert secret not in result.stdout
    shown = json.loads(tunnel.wg_py("show", tunnel.a.ifname, "--json", "--show-keys").stdout)["interfaces"][0]
    assert shown["private_key"] == device[0] and shown["peers"][0]["preshared_key"] == tunnel.psk
    never = json.loads(tunnel.wg_py("show", "all", "--json", env={"WG_HIDE_KEYS": "never"}).stdout)
    assert any(i["private_key"] == device[0] for i in never["interfaces"])


def test_show_table_and_errors(tunnel):
    table = tunnel.wg_py("show", tunnel.a.ifname, "--config", tunnel.conf)
    assert table.returncode == 0 and "laptop" in table.stdout and tunnel.b.underlay in table.stdout
    assert all(secret not in table.stdout for secret in tunnel.secrets())
    missing = tunnel.wg_py("show", "wgnosuch0", "--json")
    assert missing.returncode == 1 and missing.stderr == "wg-py: Unable to access interface: Protocol not supported\n"
    assert "Traceback" not in missing.stderr


RATE = re.compile(r"(?:[1-9]\d*B|\d+(?:\.\d)?[KMGT])/s")


def test_top_frames_show_rates_while_traffic_flows(tunnel):
    flood = tunnel.a.ns.popen("ping", "-f", "-s", "1000", "-w", "8", tunnel.b.inner4)
    try:
        time.sleep(0.3)
        result = tunnel.wg_py("top", tunnel.a.ifname, "--frames", "2", "--interval", "0.7", "--config", tunnel.conf)
    finally:
        flood.kill()
        flood.wait()
    assert result.returncode == 0, result.stderr
    frames = [f for f in result.stdout.split(tunnel.a.ifname + "  1 peer  ") if f.strip()]
    assert len(frames) == 2, result.stdout
    for text in frames:
        assert "laptop" in text and len(RATE.findall(text)) >= 2, text   # rx/s and tx/s both moving
    assert all(secret not in result.stdout for secret in tunnel.secrets())


def test_exporter_scraped_over_http(tunnel):
    port = 19586 + os.getpid() % 1000
    conf_dir = os.path.dirname(tunnel.conf)
    server = tunnel.a.ns.popen(*WG_PY, "exporter", "--listen", f"127.0.0.1:{port}", "--config-dir", conf_dir,
                               env=dict(os.environ, PYTHONPATH=str(REPO)), text=True)
    try:
        scrape = ("import sys, urllib.request; "
                  f"sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:{port}/metrics', timeout=5).read().decode())")
        assert wait_for(lambda: tunnel.a.ns.run(sys.executable, "-c", scrape, check=False).returncode == 0, 15)
        text = tunnel.a.ns.run(sys.executable, "-c", scrape).stdout
        transfer = wg(tunnel.a.ns, "show", tunnel.a.ifname, "transfer").stdout.split()
        handshake = wg(tunnel.a.ns, "show", tunnel.a.ifname, "latest-handshakes").stdout.split()
        allowed = wg(tunnel.a.ns, "show", tunnel.a.ifname, "allowed-ips").stdout.split()[1:]
    finally:
        server.terminate()
        server.wait(10)
    assert server.returncode == 0
    from prometheus_client.parser import text_string_to_metric_families

    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.labels.get("interface") == tunnel.a.ifname:
                samples[sample.name] = sample
    sent, received = samples["wireguard_sent_bytes_total"], samples["wireguard_received_bytes_total"]
    assert sent.labels == {"interface": tunnel.a.ifname, "public_key": tunnel.b.public,
                           "allowed_ips": ",".join(allowed), "friendly_name": "laptop"}
    # The keepalive may tick between scrape and `wg show`: equal within one keepalive.
    assert abs(received.value - int(transfer[1])) <= 64 and abs(sent.value - int(transfer[2])) <= 64
    assert samples["wireguard_latest_handshake_seconds"].value == int(handshake[1])
    assert samples["wireguard_peers"].value == 1
    for secret in tunnel.secrets():
        assert secret not in text and base64.b64decode(secret).hex() not in text


def test_exporter_refuses_a_bad_listen_address(tunnel):
    result = tunnel.wg_py("exporter", "--listen", "localhost")
    assert result.returncode == 2 and result.stderr.startswith("wg-py: --listen wants ADDRESS:PORT")


@pytest.mark.skipif(not shutil.which("tmux"), reason="needs tmux (a real terminal)")
def test_top_full_screen_in_a_real_terminal_and_q_restores_it(tunnel):
    """80×24, as over ssh: the view is drawn on the alternate screen, `q` leaves, and the
    terminal shows what it showed before."""
    sock = f"wgpy-top-{os.getpid()}"
    tmux = ["tmux", "-L", sock]
    command = (f"echo BEFORE-TOP; env PYTHONPATH={REPO} ip netns exec {tunnel.a.ns.name} {sys.executable} -m wg_py.app "
               f"top {tunnel.a.ifname} --interval 0.3 --config {tunnel.conf}; echo EXITED $?; sleep 30")
    subprocess.run([*tmux, "new-session", "-d", "-x", "80", "-y", "24", "bash", "-c", command], check=True, timeout=10)

    def screen() -> str:
        return subprocess.run([*tmux, "capture-pane", "-p"], capture_output=True, text=True, timeout=10).stdout

    try:
        assert wait_for(lambda: "laptop" in screen(), 20), screen()
        drawn = screen()
        assert "BEFORE-TOP" not in drawn                       # the alternate screen
        assert all(len(line) <= 80 for line in drawn.splitlines())
        assert "rx/s" in drawn and "tx/s" in drawn and tunnel.a.ifname in drawn and tunnel.b.underlay in drawn
        subprocess.run([*tmux, "send-keys", "q"], check=True, timeout=10)
        assert wait_for(lambda: "EXITED 0" in screen(), 10), screen()
        after = screen()
        assert "BEFORE-TOP" in after and "laptop" not in after   # the old screen is back
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True, timeout=10)
