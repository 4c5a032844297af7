"""`wg-py lint` on a corpus of bad and suspicious configs, each with its exact findings; the
errors checked against the real `wg setconf` and `wg-quick` (the oracle), the command's output,
JSON and exit statuses through the real `wg-py`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.engine.helpers import REPO
from wg_py import keys
from wg_py.lint import Host, SystemHost, exit_status, lint_file, lint_text

PRIV = keys.key_to_base64(keys.clamp(bytes(range(1, 33))))
OWN = keys.key_to_base64(keys.public_key(keys.key_from_base64(PRIV)))
K1 = keys.key_to_base64(keys.public_key(keys.clamp(bytes(range(2, 34)))))
K2 = keys.key_to_base64(keys.public_key(keys.clamp(bytes(range(3, 35)))))
IFACE = f"[Interface]\nPrivateKey = {PRIV}\n"


class Facts(Host):
    """A host whose answers the case states (resolution, resolvconf, an IPv6 default route)."""

    def __init__(self, unresolvable=(), dns_manager=True, ipv6=False):
        self.unresolvable, self.dns_manager, self.ipv6 = set(unresolvable), dns_manager, ipv6

    def resolves(self, host, port):
        return "Name or service not known" if host in self.unresolvable else None

    def has_dns_manager(self):
        return self.dns_manager

    def routes_ipv6(self):
        return self.ipv6


# name: (text, host facts, [(line, column, severity, code)])
CORPUS = {
    "clean-server": (IFACE + f"ListenPort = 51820\nAddress = 10.0.0.1/24\n\n[Peer]\nPublicKey = {K1}\n"
                     "AllowedIPs = 10.0.0.2/32\n", Host(), []),
    "clean-client": (IFACE + f"Address = 10.0.0.2/32\n[Peer]\nPublicKey = {K1}\nEndpoint = 192.0.2.1:51820\n"
                     "AllowedIPs = 0.0.0.0/0, ::/0\nPersistentKeepalive = 25\n", Host(), []),
    "unknown-key": (IFACE + "Bogus = 1\n", Host(), [(3, 1, "error", "line-unrecognized")]),
    "key-before-section": ("ListenPort = 1\n" + IFACE, Host(), [(1, 1, "error", "line-unrecognized")]),
    "unknown-section": (IFACE + "[Peers]\n", Host(), [(3, 1, "error", "line-unrecognized")]),
    "empty-value": (IFACE + "ListenPort =\n", Host(), [(3, 1, "error", "line-unrecognized")]),
    "bad-private-key": ("[Interface]\nPrivateKey = abc\n", Host(), [(2, 14, "error", "bad-key")]),
    "bad-public-key": (IFACE + "[Peer]\nPublicKey = short\n", Host(),
                       [(4, 13, "error", "bad-key")]),      # not also "missing": it is there, and bad
    "missing-public-key": (IFACE + "[Peer]\nAllowedIPs = 10.0.0.2/32\n", Host(),
                           [(3, 1, "error", "missing-public-key")]),
    "bad-allowed-ip": (IFACE + f"[Peer]\nPublicKey = {K1}\nAllowedIPs = 10.0.0.300/32\n", Host(),
                       [(5, 14, "error", "bad-ip")]),
    "bad-prefix-length": (IFACE + f"[Peer]\nPublicKey = {K1}\nAllowedIPs = fd00::/129\n", Host(),
                          [(5, 14, "error", "bad-allowed-ip")]),
    "bad-keepalive": (IFACE + f"[Peer]\nPublicKey = {K1}\nPersistentKeepalive = 70000\n", Host(),
                      [(5, 23, "error", "bad-keepalive")]),
    "bad-fwmark": (IFACE + "FwMark = nope\n", Host(), [(3, 10, "error", "bad-fwmark")]),
    "bad-listen-port": (IFACE + "ListenPort = no-such-service\n", Host(), [(3, 14, "error", "bad-port-resolve")]),
    "endpoint-without-port": (IFACE + f"[Peer]\nPublicKey = {K1}\nEndpoint = 192.0.2.1\n"
                              "PersistentKeepalive = 25\n", Host(), [(5, 12, "error", "bad-endpoint-port")]),
    "endpoint-unclosed-bracket": (IFACE + f"[Peer]\nPublicKey = {K1}\nEndpoint = [2001:db8::1:51820\n"
                                  "PersistentKeepalive = 25\n", Host(), [(5, 12, "error", "bad-endpoint-brace")]),
    "several-errors-at-once": (IFACE + "ListenPort = x1\nBogus = 2\n[Peer]\nPublicKey = bad\n", Host(),
                               [(3, 14, "error", "bad-port-resolve"), (4, 1, "error", "line-unrecognized"),
                                (6, 13, "error", "bad-key")]),
    "saveconfig-not-bool": (IFACE + "SaveConfig = yes\n", Host(), [(3, 14, "error", "bad-saveconfig")]),
    "mtu-not-number": (IFACE + "MTU = 1500b\n", Host(), [(3, 7, "error", "bad-mtu")]),
    "mtu-too-small": (IFACE + "MTU = 576\n", Host(), [(3, 7, "warning", "mtu-range")]),
    "bad-address": (IFACE + "Address = 10.0.0.1/24, 10.0.0.999\n", Host(), [(3, 11, "error", "bad-address")]),
    "address-in-peer": (IFACE + f"[Peer]\nPublicKey = {K1}\nAddress = 10.0.0.2/32\n", Host(),
                        [(5, 1, "error", "line-unrecognized")]),
    "listen-port-wraps": (IFACE + "ListenPort = 70000\n", Host(), [(3, 14, "warning", "port-wraps")]),
    "allowed-ips-stolen": (IFACE + f"[Peer]\nPublicKey = {K1}\nAllowedIPs = 10.0.0.2/32\n\n"
                           f"[Peer]\nPublicKey = {K2}\nAllowedIPs = 10.0.0.2/32\n", Host(),
                           [(7, 1, "warning", "allowed-ips-stolen")]),
    "allowed-ips-overlap": (IFACE + f"[Peer]\nPublicKey = {K1}\nAllowedIPs = 10.0.0.0/24\n"
                            f"[Peer]\nPublicKey = {K2}\nAllowedIPs = 10.0.0.7/32\n", Host(),
                            [(6, 1, "hint", "allowed-ips-overlap")]),
    "duplicate-public-key": (IFACE + f"[Peer]\nPublicKey = {K1}\nAllowedIPs = 10.0.0.2/32\n"
                             f"[Peer]\nPublicKey = {K1}\nAllowedIPs = 10.0.0.2/32\n", Host(),
                             [(6, 1, "warning", "duplicate-public-key")]),
    "own-public-key": (IFACE + f"[Peer]\nPublicKey = {OWN}\n", Host(), [(3, 1, "warning", "own-public-key")]),
    "ipv6-leak-address": (IFACE + f"Address = 10.0.0.2/32, fd00::2/128\n[Peer]\nPublicKey = {K1}\n"
                          "AllowedIPs = 0.0.0.0/0\nEndpoint = 192.0.2.1:1\nPersistentKeepalive = 25\n", Host(),
                          [(6, 1, "warning", "ipv6-leak")]),
    "ipv6-leak-host-route": (IFACE + f"Address = 10.0.0.2/32\n[Peer]\nPublicKey = {K1}\n"
                             "AllowedIPs = 0.0.0.0/0\n", Facts(ipv6=True), [(6, 1, "warning", "ipv6-leak")]),
    "no-leak-without-ipv6": (IFACE + f"Address = 10.0.0.2/32\n[Peer]\nPublicKey = {K1}\nAllowedIPs = 0.0.0.0/0\n",
                             Facts(ipv6=False), []),
    "dns-without-resolver": (IFACE + "DNS = 1.1.1.1\n", Facts(dns_manager=False),
                             [(3, 7, "warning", "dns-no-resolver")]),
    "endpoint-unresolved": (IFACE + f"[Peer]\nPublicKey = {K1}\nEndpoint = vpn.example.invalid:51820\n"
                            "PersistentKeepalive = 25\n", Facts(unresolvable={"vpn.example.invalid"}), [(5, 12, "warning", "endpoint-unresolved")]),
    "client-without-keepalive": (IFACE + f"[Peer]\nPublicKey = {K1}\nEndpoint = 192.0.2.1:51820\n"
                                 "AllowedIPs = 10.0.0.0/24\n", Host(), [(3, 1, "hint", "no-keepalive")]),
    "hook-names-interface": (IFACE + "PostUp = iptables -A FORWARD -i wg0 -j ACCEPT\n"
                             "PostDown = iptables -D FORWARD -i %i -j ACCEPT\n", Host(),
                             [(3, 10, "warning", "hook-literal-name")]),
    "comments-and-case": ("# server\n[INTERFACE]  # main\nprivatekey=" + PRIV + "  # secret\nLISTENPORT = 1\n",
                          Host(), []),
    # wg counts CR as white space, and wg-quick hands it the lines: CRLF files are fine.
    "crlf-line-endings": (IFACE.replace("\n", "\r\n") + "ListenPort = 1\r\n", Host(), []),
}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_corpus(case):
    text, host, expected = CORPUS[case]
    report = lint_text(text, path="wg0.conf", host=host)
    assert [(f.line, f.column, f.severity, f.code) for f in report.findings] == expected


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 30
    assert sum(1 for _t, _h, e in CORPUS.values() if any(s == "error" for _l, _c, s, _k in e)) >= 15


def test_wordings_are_the_tools_own():
    text = IFACE + "ListenPort = x1\nBogus = 2\nSaveConfig = maybe\n[Peer]\nPublicKey = bad\n"
    messages = [f.message for f in lint_text(text, host=Host()).findings]
    assert messages == ["Servname not supported for ai_socktype: `x1'", "Line unrecognized: `Bogus=2'",
        "wg-quick: `maybe' is neither true nor false", "Key is not the correct length or format: `bad'"]
    assert lint_text(IFACE + "[Peer]\n", host=Host()).findings[0].message == (
        "A peer is missing a public key; Invalid configuration")


WG = "/usr/bin/wg"


@pytest.mark.skipif(not os.path.exists(WG) or not shutil.which("wg-quick"), reason="needs the real wg and wg-quick")
@pytest.mark.parametrize("case", sorted(c for c, (_t, _h, e) in CORPUS.items()
                                        if any(s == "error" for _l, _co, s, _k in e)))
def test_errors_are_what_the_real_tools_refuse(case, tmp_path):
    """The oracle: the real wg-quick strip | real wg setconf refuses every file with errors,
    with the words of our first finding of wg's grammar (wg stops at its first)."""
    text, host, _expected = CORPUS[case]
    report = lint_text(text, path="wg0.conf", host=host)
    conf = tmp_path / "wgl0.conf"
    conf.write_text(text)
    conf.chmod(0o600)
    strip = subprocess.run(["/usr/bin/wg-quick", "strip", str(conf)], capture_output=True, text=True, timeout=30)
    quick_errors = [f for f in report.findings if f.code in ("bad-saveconfig", "bad-mtu", "bad-address")]
    if strip.returncode != 0:
        assert quick_errors and quick_errors[0].message in strip.stderr
        return
    real = subprocess.run([WG, "setconf", "wgl-nonexistent0", "/dev/stdin"], input=strip.stdout,
                          capture_output=True, text=True, timeout=30)
    wg_errors = [f for f in report.findings if f.severity == "error" and f not in quick_errors]
    if wg_errors:
        words = "; ".join(line for line in real.stderr.splitlines() if line != "Configuration parsing error")
        assert real.returncode == 1 and words == wg_errors[0].message, real.stderr
    else:
        # Only wg-quick's own keys are wrong (MTU, Address): wg takes the rest.
        assert "Unable to modify interface" in real.stderr and quick_errors


def test_file_checks_and_real_host(tmp_path):
    conf = tmp_path / "wg0.conf"
    conf.write_text(IFACE + f"[Peer]\nPublicKey = {K1}\nEndpoint = localhost:51820\n"
                    f"[Peer]\nPublicKey = {K2}\nEndpoint = nothing.invalid:1\n")
    conf.chmod(0o644)
    found = [(f.line, f.severity, f.code) for f in lint_file(str(conf), SystemHost()).findings]
    assert found == [(0, "warning", "world-accessible"), (3, "hint", "no-keepalive"), (6, "hint", "no-keepalive"),
                     (8, "warning", "endpoint-unresolved")]          # localhost (line 5) resolves
    conf.chmod(0o640)
    def not_hints(path):
        return [(f.line, f.code) for f in lint_file(str(path), Host()).findings if f.severity != "hint"]

    assert not_hints(conf) == [(2, "private-key-readable")]
    conf.chmod(0o600)
    assert not_hints(conf) == []
    bad_name = tmp_path / "this-name-is-far-too-long.conf"
    bad_name.write_text(IFACE)
    bad_name.chmod(0o600)
    assert [f.message for f in lint_file(str(bad_name), Host()).findings] == [
        "wg-quick: The config file must be a valid interface name, followed by .conf"]
    assert lint_file(str(tmp_path / "missing.conf")).findings[0].code == "unreadable"


def run_lint(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "wg_py.app", "lint", *args], capture_output=True, text=True,
                          timeout=60, cwd=cwd, env=dict(os.environ, PYTHONPATH=str(REPO)))


def test_command_output_json_and_exit_statuses(tmp_path):
    good, warn, bad = tmp_path / "good.conf", tmp_path / "warn.conf", tmp_path / "bad.conf"
    good.write_text(CORPUS["clean-server"][0])
    warn.write_text(CORPUS["listen-port-wraps"][0])
    bad.write_text(CORPUS["unknown-key"][0])
    for f in (good, warn, bad):
        f.chmod(0o600)
    assert run_lint(str(good)).returncode == 0
    assert run_lint(str(warn)).returncode == 0
    strict = run_lint("--strict", str(warn))
    assert strict.returncode == 1
    assert strict.stdout == f"{warn}:3:14: warning: ListenPort 70000 is above 65535: wg takes it as 4464 [port-wraps]\n"
    assert strict.stderr == "0 errors, 1 warning in 1 file\n"
    both = run_lint("--json", str(good), str(bad))
    assert both.returncode == 2
    document = json.loads(both.stdout)
    assert document["schema_version"] == 1
    assert document["files"] == [
        {"path": str(good), "findings": []},
        {"path": str(bad), "findings": [{"line": 3, "column": 1, "severity": "error", "code": "line-unrecognized",
                                         "message": "Line unrecognized: `Bogus=1'"}]}]
    assert PRIV not in both.stdout + both.stderr       # no key material in findings


def test_exit_status_rules():
    clean = lint_text(CORPUS["clean-server"][0], host=Host())
    warned = lint_text(CORPUS["listen-port-wraps"][0], host=Host())
    failed = lint_text(CORPUS["unknown-key"][0], host=Host())
    assert exit_status([clean, warned], strict=False) == 0
    assert exit_status([clean, warned], strict=True) == 1
    assert exit_status([warned, failed], strict=False) == 2
