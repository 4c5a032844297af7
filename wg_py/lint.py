"""`wg-py lint`: what `wg setconf` and `wg-quick up` would reject, all at once, and what they
accept but users regret (behind `wg_py.api`).

Errors use the real tools' words where they have them (wg's `Line unrecognized: ...`, `Key is
not the correct length or format: ...`, wg-quick's `... is neither true nor false`); each
finding has the file's line and column (1-based; the column of the key, or of the value when
the value is what is wrong). Severities: "error" (the tools refuse the file), "warning" (they
take it, and it is very likely not what was meant), "hint" (worth a look).

What only the host knows (does a name resolve, is there a resolvconf or systemd-resolved, does
the host route IPv6) is asked of a `Host`, so that the rules are tested exactly; `SystemHost`
asks the real machine.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import socket
import stat
from dataclasses import asdict, dataclass, field

from wg_py import keys
from wg_py.config.conffile import config_lines, parse_wg_config
from wg_py.config.values import NumericLookup, numeric_endpoint, split_endpoint
from wg_py.errors import ConfigLineError, ConfigValueError, KeyFormatError, WgError

SCHEMA_VERSION = 1
QUICK_KEYS = {"address", "dns", "mtu", "table", "preup", "postup", "predown", "postdown", "saveconfig"}
HOOK_KEYS = {"preup", "postup", "predown", "postdown"}
_IFNAME = re.compile(r"^[a-zA-Z0-9_=+.-]{1,15}$")


@dataclass(frozen=True)
class Finding:
    line: int
    column: int
    severity: str      # "error", "warning", "hint"
    code: str          # stable, for scripts (see man wg-py)
    message: str


@dataclass
class Report:
    path: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity == "warning" for f in self.findings)

    def as_dict(self) -> dict:
        return {"path": self.path, "findings": [asdict(f) for f in self.findings]}


class Host:
    """What the rules ask of the machine (the defaults: a machine that has everything)."""

    def resolves(self, host: str, port: str) -> str | None:
        """None when `host` resolves, else the resolver's words."""
        return None

    def has_dns_manager(self) -> bool:
        return True

    def routes_ipv6(self) -> bool:
        return False


class SystemHost(Host):
    def resolves(self, host: str, port: str) -> str | None:
        try:
            socket.getaddrinfo(host, port, socket.AF_UNSPEC, socket.SOCK_DGRAM)
        except socket.gaierror as e:
            return e.strerror or "does not resolve"
        except (OSError, UnicodeError, ValueError) as e:
            return str(e) or "does not resolve"
        return None

    def has_dns_manager(self) -> bool:
        return bool(shutil.which("resolvconf") or shutil.which("resolvectl"))

    def routes_ipv6(self) -> bool:
        try:
            with open("/proc/net/ipv6_route") as f:
                # A default route: destination ::/0, not the unreachable `lo` placeholder.
                return any(line.split()[0] == "0" * 32 and line.split()[1] == "00" and line.split()[-1] != "lo"
                           for line in f if line.strip())
        except OSError:
            return False


class _LintLookup(NumericLookup):
    """Numeric values as the parser takes them; hostnames are left to the Host (a name that
    does not resolve is a warning: it may resolve where the file is used)."""

    def __init__(self, host: Host, unresolved: list) -> None:
        self.host, self.unresolved = host, unresolved

    def endpoint(self, text: str):
        name, port = split_endpoint(text)
        found = numeric_endpoint(name, port)
        if found is not None:
            return found
        why = self.host.resolves(name, port)
        if why:
            self.unresolved.append((text, why))
        return None

    def port(self, text: str) -> int:
        if text.isdigit():
            return int(text) & 0xFFFF          # glibc's getaddrinfo keeps 16 bits: 70000 is 4464
        from wg_py.hostio.resolve import resolve_port

        return resolve_port(text)


def lint_file(path: str, host: Host | None = None) -> Report:
    """Read and lint one file (its mode too); a file that cannot be read is one error."""
    try:
        with open(path, "rb") as f:
            data = f.read()
        mode = os.stat(path).st_mode
    except OSError as e:
        return Report(path, [Finding(0, 0, "error", "unreadable", f"cannot read: {os.strerror(e.errno or 0)}")])
    return lint_text(data.decode("utf-8", "surrogateescape"), path=path, mode=mode, host=host or SystemHost())


def lint_text(text: str, *, path: str = "wg0.conf", mode: int | None = None, host: Host | None = None) -> Report:
    host = host or Host()
    report = Report(path)
    add = report.findings.append
    lines = config_lines(text)
    ifname = os.path.basename(path)[:-5] if path.endswith(".conf") else None

    if path.endswith(".conf") and not _IFNAME.match(ifname or ""):
        add(Finding(0, 0, "error", "bad-file-name",
                    "wg-quick: The config file must be a valid interface name, followed by .conf"))
    if mode is not None and stat.S_IMODE(mode) & 0o007:
        add(Finding(0, 0, "warning", "world-accessible", f"Warning: `{path}' is world accessible"))

    # wg-quick's own keys of [Interface] are checked here and blanked for wg's grammar, so
    # that its line numbers stay the file's.
    wg_lines: list[str] = []
    section = None
    quick: dict[str, list[tuple[int, int, str]]] = {}
    private_key_line = 0
    for lineno, raw in enumerate(lines, start=1):
        body = raw.split("#", 1)[0]
        key_text, eq, value = body.partition("=")
        key = "".join(key_text.split()).lower()
        if key.startswith("["):
            section = key
        if section == "[interface]" and eq and key in QUICK_KEYS:
            quick.setdefault(key, []).append((lineno, _value_column(raw), value.strip()))
            wg_lines.append("")
            continue
        if section == "[interface]" and eq and key == "privatekey":
            private_key_line = lineno
        wg_lines.append(raw)

    errors: list[WgError] = []
    unresolved: list[tuple[str, str]] = []
    device = parse_wg_config("\n".join(wg_lines), errors=errors, lookup=_LintLookup(host, unresolved))
    headers = _peer_lines(lines) + [len(lines) + 1]
    for error in errors:
        if isinstance(error, ConfigValueError) and error.kind == "missing-public-key":
            # Not also "missing" when the peer's PublicKey line is there but bad.
            following = next(h for h in headers if h > error.lineno)
            if any(isinstance(e, ConfigValueError) and e.kind == "key" and error.lineno < e.lineno < following
                   for e in errors):
                continue
        add(_finding_for(error, lines))

    _check_quick_keys(quick, ifname, add)
    _check_device(text, lines, device, quick, host, add, unresolved)
    if private_key_line and mode is not None and stat.S_IMODE(mode) & 0o044 and not stat.S_IMODE(mode) & 0o007:
        add(Finding(private_key_line, 1, "warning", "private-key-readable",
                    "the file holds a PrivateKey and its group can read it (chmod 600)"))
    report.findings.sort(key=lambda f: (f.line, f.column, f.severity != "error"))
    return report


def _value_column(raw: str) -> int:
    eq = raw.find("=")
    if eq < 0:
        return len(raw) - len(raw.lstrip()) + 1
    rest = raw[eq + 1:]
    return eq + 2 + (len(rest) - len(rest.lstrip()))


def _key_column(raw: str) -> int:
    return len(raw) - len(raw.lstrip()) + 1


def _finding_for(error: WgError, lines: list[str]) -> Finding:
    from wg_py.cli.errors import render

    lineno = getattr(error, "lineno", 0)
    raw = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    message = "; ".join(line for line in render(error).splitlines() if line != "Configuration parsing error")
    if isinstance(error, ConfigLineError):
        return Finding(lineno, _key_column(raw), "error", "line-unrecognized", message)
    if isinstance(error, ConfigValueError) and error.kind == "missing-public-key":
        return Finding(lineno, _key_column(raw), "error", "missing-public-key", message)
    return Finding(lineno, _value_column(raw), "error", f"bad-{getattr(error, 'kind', 'value')}", message)


def _check_quick_keys(quick: dict, ifname: str | None, add) -> None:
    for lineno, column, value in quick.get("saveconfig", []):
        if value.lower() not in ("true", "false"):
            add(Finding(lineno, column, "error", "bad-saveconfig", f"wg-quick: `{value}' is neither true nor false"))
    for lineno, column, value in quick.get("mtu", []):
        if value and not re.fullmatch(r"0[xX][0-9a-fA-F]+|[0-9]+", value):
            add(Finding(lineno, column, "error", "bad-mtu", f"wg-quick: `{value}' is not a valid MTU"))
        elif value.isdigit() and not 1280 <= int(value) <= 65535:
            add(Finding(lineno, column, "warning", "mtu-range",
                        f"MTU {value} is outside 1280-65535: the link refuses it, or IPv6 cannot run on it"))
    for lineno, column, value in quick.get("address", []):
        for item in [i for i in value.replace(",", " ").split() if i]:
            try:
                ipaddress.ip_interface(item)
            except ValueError:
                add(Finding(lineno, column, "error", "bad-address",
                            f"Address `{item}' is not an IP address with an optional /prefix (ip address add refuses it)"))
    for key in HOOK_KEYS:
        for lineno, column, value in quick.get(key, []):
            if ifname and re.search(rf"(?<![\w.-]){re.escape(ifname)}(?![\w.-])", value):
                add(Finding(lineno, column, "warning", "hook-literal-name",
                            f"the hook names the interface `{ifname}' literally: use %i, so that the "
                            "file still works under another name"))


def _check_device(text, lines, device, quick, host: Host, add, unresolved) -> None:
    interface_public = None
    if device.private_key and not keys.is_zero_key(device.private_key):
        try:
            interface_public = keys.public_key(device.private_key)
        except (KeyFormatError, ValueError):
            interface_public = None
    where = _peer_lines(lines)

    # ListenPort above 65535: glibc wraps it; the tool takes the wrapped port silently.
    for lineno, raw in enumerate(lines, start=1):
        key, eq, value = raw.split("#", 1)[0].partition("=")
        if eq and "".join(key.split()).lower() == "listenport":
            value = "".join(value.split())
            if value.isdigit() and int(value) > 65535:
                add(Finding(lineno, _value_column(raw), "warning", "port-wraps",
                            f"ListenPort {value} is above 65535: wg takes it as {int(value) & 0xFFFF}"))

    for text_, why in unresolved:
        lineno = next((n for n, raw in enumerate(lines, 1) if text_ in "".join(raw.split("#", 1)[0].split())), 0)
        add(Finding(lineno, _value_column(lines[lineno - 1]) if lineno else 0, "warning", "endpoint-unresolved",
                    f"Endpoint `{text_}' does not resolve here ({why}): wg setconf and wg-quick up fail with it"))

    seen_keys: dict[bytes, int] = {}
    owners: dict[tuple[int, int, int], tuple[int, bytes]] = {}   # prefix → (header line, key)
    networks: list[tuple] = []     # (network, line of its peer's header)
    routes_v4_all = routes_v6_all = False
    for index, peer in enumerate(device.peers):
        header = where[index] if index < len(where) else 0
        if peer.public_key:
            if peer.public_key in seen_keys:
                add(Finding(header, 1, "warning", "duplicate-public-key",
                            f"this peer's PublicKey is also the peer's of line {seen_keys[peer.public_key]}: wg merges "
                            "them into one peer, the later lines winning"))
            else:
                seen_keys[peer.public_key] = header
            if interface_public is not None and keys.keys_equal(peer.public_key, interface_public):
                add(Finding(header, 1, "warning", "own-public-key",
                            "this peer's PublicKey is the interface's own: the peer is ignored"))
        for allowed in peer.allowed_ips:
            network = allowed.network
            ident = (network.version, int(network.network_address), network.prefixlen)
            if network.prefixlen == 0:
                routes_v4_all |= network.version == 4
                routes_v6_all |= network.version == 6
            if ident in owners and owners[ident][1] != peer.public_key:
                add(Finding(header, 1, "warning", "allowed-ips-stolen",
                            f"AllowedIPs {network} is also the peer's of line {owners[ident][0]}: the later peer takes "
                            "it and the earlier one silently loses it"))
            elif ident not in owners:
                owners[ident] = (header, peer.public_key)
                for other, other_header in networks:
                    if other_header != header and other.version == network.version and other != network and (
                            network.subnet_of(other) or other.subnet_of(network)) and other.prefixlen and network.prefixlen:
                        add(Finding(header, 1, "hint", "allowed-ips-overlap",
                                    f"AllowedIPs {network} overlaps {other} of the peer of line {other_header}: "
                                    "packets go to the longer prefix"))
                        break
                networks.append((network, header))

    has_v6_address = any(":" in item for _l, _c, value in quick.get("address", [])
                         for item in value.replace(",", " ").split())
    if routes_v4_all and not routes_v6_all and (has_v6_address or host.routes_ipv6()):
        line = next((n for n, raw in enumerate(lines, 1) if "0.0.0.0/0" in raw.replace(" ", "")), 0)
        add(Finding(line, 1, "warning", "ipv6-leak",
                    "AllowedIPs has 0.0.0.0/0 but not ::/0 while " +
                    ("the interface has an IPv6 Address" if has_v6_address else "this host routes IPv6") +
                    ": IPv6 traffic leaves outside the tunnel (add ::/0)"))

    if quick.get("dns") and not host.has_dns_manager():
        lineno, column, _v = quick["dns"][0]
        add(Finding(lineno, column, "warning", "dns-no-resolver",
                    "DNS is set but neither resolvconf nor systemd-resolved is here: wg-quick up fails "
                    "(`resolvconf: command not found`)"))

    is_client = not device.listen_port and any(p.endpoint is not None or _has_endpoint(lines, h)
                                               for p, h in zip(device.peers, where))
    if is_client:
        for peer, header in zip(device.peers, where):
            if _has_endpoint(lines, header) and not peer.persistent_keepalive_interval:
                add(Finding(header, 1, "hint", "no-keepalive",
                            "a client (no ListenPort) without PersistentKeepalive: behind NAT the server cannot "
                            "reach it once the mapping expires (PersistentKeepalive = 25 keeps it open)"))


def _peer_lines(lines: list[str]) -> list[int]:
    return [n for n, raw in enumerate(lines, 1) if "".join(raw.split("#", 1)[0].split()).lower() == "[peer]"]


def _has_endpoint(lines: list[str], header: int) -> bool:
    for raw in lines[header:]:
        key = "".join(raw.split("#", 1)[0].partition("=")[0].split()).lower()
        if key.startswith("["):
            return False
        if key == "endpoint" and "=" in raw:
            return True
    return False


def exit_status(reports: list[Report], strict: bool) -> int:
    """2 with errors; 1 with warnings when strict; 0 otherwise."""
    if any(r.errors for r in reports):
        return 2
    if strict and any(r.warnings for r in reports):
        return 1
    return 0

