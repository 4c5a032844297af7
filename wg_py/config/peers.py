"""A wg-quick server config as a text to edit, line by line (pure).

`wg-py peer add/remove/rename` change a server's config file the way a careful person with
an editor would: a peer is added as a block appended at the end, removed by taking out its
block, renamed by rewriting its `# Name = ...` line, and every other byte of the file stays
as it was (comments, blank lines, order, case, unknown keys).

Conventions kept in comment lines, so that wg and wg-quick ignore them:

- `# Name = laptop` inside a [Peer] section names the peer (wg-easy's and PiVPN's habit);
- `# ClientEndpoint = vpn.example.com:51820`, `# ClientDNS = 10.8.0.1`,
  `# ClientAllowedIPs = 0.0.0.0/0, ::/0` and `# ClientPersistentKeepalive = 25` in
  [Interface] are the defaults of new clients' configs, written there once given;
- `# ClientPrivateKey = ...` inside a [Peer] section is the client's private key, kept only
  when asked (`--keep-client-key`), so that `peer show` can print the client's config again.

Addresses: a new client gets, in each network of the server's `Address` lines (IPv4 and
IPv6), the lowest host address that neither the server nor any peer's AllowedIPs holds.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from wg_py.errors import PeerAdminError

NAME_KEY = "name"
CLIENT_KEY = "clientprivatekey"
DEFAULT_KEYS = {"endpoint": "ClientEndpoint", "dns": "ClientDNS", "allowed_ips": "ClientAllowedIPs",
                "keepalive": "ClientPersistentKeepalive"}
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@+-")
MAX_NAME = 63


def check_name(name: str) -> str:
    """A peer name: 1-63 letters, digits and `_ . @ + -`, not starting with `-` or `.` (it
    names the client's file too). Raises PeerAdminError("bad-name")."""
    if not name or len(name) > MAX_NAME or not set(name) <= _NAME_CHARS or name[0] in "-.":
        raise PeerAdminError("bad-name", name)
    return name


def _key_value(line: str) -> tuple[str, str] | None:
    """`Key = value  # comment` → (lower-case key without spaces, value); None otherwise."""
    body = line.split("#", 1)[0]
    key, eq, value = body.partition("=")
    if not eq:
        return None
    return "".join(key.split()).lower(), value.strip()


def _comment_value(line: str) -> tuple[str, str] | None:
    """`# Key = value` → (lower-case key, value); None for any other line."""
    text = line.strip()
    if not text.startswith("#"):
        return None
    key, eq, value = text.lstrip("#").partition("=")
    if not eq or not key.strip() or " " in key.strip():
        return None
    return key.strip().lower(), value.strip()


@dataclass
class Section:
    kind: str                  # "interface", "peer" or "" (lines before the first header)
    start: int                 # index of the header line
    end: int                   # one past its last non-blank line
    values: dict[str, list[str]] = field(default_factory=dict)    # key → values, file order
    notes: dict[str, tuple[int, str]] = field(default_factory=dict)  # comment key → (line, value)

    def first(self, key: str) -> str | None:
        found = self.values.get(key)
        return found[0] if found else None

    def listed(self, key: str) -> list[str]:
        """A comma-separated key's items over all its lines (Address, AllowedIPs, DNS)."""
        return [item.strip() for value in self.values.get(key, ()) for item in value.split(",") if item.strip()]


@dataclass
class ServerConfig:
    """A server config's text and what it says; edits return new text, never change this."""

    text: str
    lines: list[str]
    sections: list[Section]

    @property
    def interface(self) -> Section | None:
        return next((s for s in self.sections if s.kind == "interface"), None)

    @property
    def peers(self) -> list[Section]:
        return [s for s in self.sections if s.kind == "peer"]

    def peer_name(self, peer: Section) -> str | None:
        note = peer.notes.get(NAME_KEY)
        return note[1] if note and note[1] else None

    def find(self, name: str) -> Section | None:
        return next((p for p in self.peers if self.peer_name(p) == name), None)

    def default(self, what: str) -> str | None:
        interface = self.interface
        note = interface.notes.get(DEFAULT_KEYS[what].lower()) if interface else None
        return note[1] if note and note[1] else None

    # -- edits ------------------------------------------------------------------------------

    def with_peer(self, block: list[str]) -> str:
        """The text with `block` (lines without newlines) appended as a new section."""
        text = self.text
        if text and not text.endswith("\n"):
            text += "\n"
        if text.strip():
            text += "\n"
        return text + "".join(line + "\n" for line in block)

    def without(self, peer: Section) -> str:
        """The text without the peer's section and the one blank line that set it apart."""
        lines = list(self.lines)
        start, end = peer.start, peer.end
        if start > 0 and not lines[start - 1].strip():
            start -= 1
        elif end < len(lines) and not lines[end].strip():
            end += 1
        del lines[start:end]
        return "".join(lines)

    def renamed(self, peer: Section, name: str) -> str:
        """The text with the peer's `# Name =` line saying `name` (added after the header if
        it had none)."""
        lines = list(self.lines)
        note = peer.notes.get(NAME_KEY)
        if note:
            old = lines[note[0]]
            lines[note[0]] = old[:len(old) - len(old.lstrip())] + f"# Name = {name}" + _ending(old)
        else:
            lines.insert(peer.start + 1, f"# Name = {name}" + _ending(lines[peer.start]))
        return "".join(lines)

    def with_defaults(self, defaults: dict[str, str]) -> str:
        """The text with these client defaults (keys of DEFAULT_KEYS) stored in [Interface]:
        an existing line is rewritten, a new one goes after the section's last line."""
        interface = self.interface
        if interface is None or not defaults:
            return self.text
        lines = list(self.lines)
        insert_at = interface.end
        added = []
        for what, value in defaults.items():
            key = DEFAULT_KEYS[what]
            note = interface.notes.get(key.lower())
            if note:
                lines[note[0]] = f"# {key} = {value}" + _ending(lines[note[0]])
            else:
                added.append(f"# {key} = {value}\n")
        if added and insert_at > 0 and not lines[insert_at - 1].endswith("\n"):
            lines[insert_at - 1] += "\n"
        lines[insert_at:insert_at] = added
        return "".join(lines)


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")):]


def parse_server_config(text: str) -> ServerConfig:
    """Split a wg-quick config into sections (never raises: what wg-quick would refuse is
    for `wg-py lint` and `wg-quick` to say)."""
    lines = text.splitlines(keepends=True)
    sections = [Section("", 0, 0)]
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("["):
            header = "".join(stripped.split("#", 1)[0].split()).lower()
            kind = {"[interface]": "interface", "[peer]": "peer"}.get(header, "other")
            sections.append(Section(kind, index, index + 1))
            continue
        section = sections[-1]
        if stripped:
            section.end = index + 1
        note = _comment_value(line)
        if note is not None:
            section.notes.setdefault(note[0], (index, note[1]))
            continue
        pair = _key_value(line)
        if pair is not None:
            section.values.setdefault(pair[0], []).append(pair[1])
    for section in sections[1:]:
        section.end = _own_end(lines, section)
        section.notes = {key: note for key, note in section.notes.items() if note[0] < section.end}
    return ServerConfig(text, lines, sections[1:] if not sections[0].end else sections)


def _own_end(lines: list[str], section: Section) -> int:
    """Where a section's own lines end: a paragraph of comments after a blank line, just
    before the next header, introduces the next section (`# old friend` above its [Peer])."""
    end = section.end
    k = end
    while k > section.start + 1 and lines[k - 1].strip().startswith("#"):
        k -= 1
    if k < end and k > section.start + 1 and not lines[k - 1].strip():
        while k > section.start + 1 and not lines[k - 1].strip():
            k -= 1
        return k
    return end


# -- addresses ------------------------------------------------------------------------------

def server_networks(config: ServerConfig) -> list[ipaddress.IPv4Interface | ipaddress.IPv6Interface]:
    """The server's Address entries (`10.8.0.1/24`), in file order; PeerAdminError("no-address")
    when there is none, ("bad-address") for one that is not an address/prefix."""
    interface = config.interface
    items = interface.listed("address") if interface else []
    if not items:
        raise PeerAdminError("no-address")
    found = []
    for item in items:
        try:
            found.append(ipaddress.ip_interface(item))
        except ValueError:
            raise PeerAdminError("bad-address", item) from None
    return found


def taken_ranges(config: ServerConfig) -> list[tuple[int, int, int]]:
    """(version, first, last) of every address the server or a peer holds."""
    ranges = []
    interface = config.interface
    for item in (interface.listed("address") if interface else []):
        try:
            address = ipaddress.ip_interface(item).ip
        except ValueError:
            continue
        ranges.append((address.version, int(address), int(address)))
    for peer in config.peers:
        for item in peer.listed("allowedips"):
            try:
                network = ipaddress.ip_network(item, strict=False)
            except ValueError:
                continue
            ranges.append((network.version, int(network.network_address), int(network.broadcast_address)))
    return ranges


def next_free_addresses(config: ServerConfig) -> list[str]:
    """For each network of the server's Address lines, the lowest free host address, as a
    host prefix (`10.8.0.2/32`, `fd00::2/128`). PeerAdminError("full", network) when a
    network has none left."""
    taken = taken_ranges(config)
    chosen: list[str] = []
    seen_networks = set()
    for interface in server_networks(config):
        network = interface.network
        if network in seen_networks:
            continue
        seen_networks.add(network)
        address = _lowest_free(network, [(a, b) for v, a, b in taken if v == network.version])
        if address is None:
            raise PeerAdminError("full", str(network))
        taken.append((network.version, address, address))
        host = ipaddress.ip_address(address)
        chosen.append(f"{host}/{host.max_prefixlen}")
    return chosen


def _lowest_free(network, taken: list[tuple[int, int]]) -> int | None:
    first, last = int(network.network_address), int(network.broadcast_address)
    if network.prefixlen >= network.max_prefixlen - 1:
        return None                       # a /31, /32, /127 or /128 has no room for clients
    # IPv4: not the network or broadcast address; IPv6: not the subnet-router anycast (::0).
    low, high = first + 1, last - 1 if network.version == 4 else last
    candidate = low
    for a, b in sorted(taken):
        if b < candidate:
            continue
        if a > candidate:
            break
        candidate = b + 1
    return candidate if candidate <= high else None


# -- the client's file ----------------------------------------------------------------------

def peer_block(name: str, public_key: str, allowed_ips: list[str], preshared_key: str | None,
               client_private_key: str | None) -> list[str]:
    """The [Peer] section added to the server's config for a new client."""
    block = ["[Peer]", f"# Name = {name}"]
    if client_private_key:
        block.append(f"# ClientPrivateKey = {client_private_key}")
    block.append(f"PublicKey = {public_key}")
    if preshared_key:
        block.append(f"PresharedKey = {preshared_key}")
    block.append(f"AllowedIPs = {', '.join(allowed_ips)}")
    return block


def client_config(*, private_key: str, addresses: list[str], dns: str | None, server_public_key: str,
                  preshared_key: str | None, endpoint: str, allowed_ips: str, keepalive: int) -> str:
    """The client's wg-quick config."""
    lines = ["[Interface]", f"PrivateKey = {private_key}", f"Address = {', '.join(addresses)}"]
    if dns:
        lines.append(f"DNS = {dns}")
    lines += ["", "[Peer]", f"PublicKey = {server_public_key}"]
    if preshared_key:
        lines.append(f"PresharedKey = {preshared_key}")
    lines += [f"Endpoint = {endpoint}", f"AllowedIPs = {allowed_ips}"]
    if keepalive:
        lines.append(f"PersistentKeepalive = {keepalive}")
    return "\n".join(lines) + "\n"


def client_endpoint(endpoint: str, listen_port: str | None) -> str:
    """`host` → `host:ListenPort`; `host:port` and `[v6]:port` as given.
    PeerAdminError("no-port") when a port is needed and the server has no ListenPort."""
    has_port = endpoint.rsplit("]", 1)[-1].count(":") == 1 if endpoint.startswith("[") else endpoint.count(":") == 1
    if has_port:
        return endpoint
    if not listen_port:
        raise PeerAdminError("no-port", endpoint)
    host = f"[{endpoint}]" if ":" in endpoint and not endpoint.startswith("[") else endpoint
    return f"{host}:{listen_port}"
