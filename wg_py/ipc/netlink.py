"""Kernel WireGuard over netlink, through pyroute2.

Only imported when the kernel has WireGuard (`wg_py.ipc` looks for /sys/module/wireguard
first, the test wg-quick uses): pyroute2 costs ~140 ms to import, more than a whole `wg show`
of a userspace interface may take, so machines without the module never load it.

Two conversations, as wireguard-tools' ipc-linux.h has them:
- rtnetlink link dump (pyroute2's IPRoute) → names of links whose kind is "wireguard";
- generic netlink family "wireguard" (pyroute2's GenericNetlinkSocket with `WgMsg`):
  WG_CMD_GET_DEVICE, a dump whose peers may be split over several messages (joined here),
  and WG_CMD_SET_DEVICE, split into messages of at most MESSAGE_BUDGET bytes as wg splits
  them (a peer's allowed IPs continued in the next message, only its first piece carrying
  its other attributes and flags).

The model ↔ message conversion (`set_device_messages`, `device_from_messages`,
`wireguard_link_names`) is pure and tested in tests/cli/test_netlink.py by encoding and
decoding with pyroute2's classes. `WgMsg` is pyroute2's `wgmsg` with two fixes the kernel
needs: WGALLOWEDIP_A_FLAGS (removing one allowed IP) and `sin6_scope_id` in host order, as
struct sockaddr_in6 holds it (pyroute2 writes it big-endian).
Failures are OSError(errno), the errno the kernel sent; a missing family is EPROTONOSUPPORT,
what wg reports when the module is not loaded.
"""

from __future__ import annotations

import errno as _errno
import ipaddress
import os
import struct
import socket
from base64 import b64decode, b64encode

from pyroute2 import IPRoute
from pyroute2.netlink import NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST
from pyroute2.netlink.exceptions import NetlinkError
from pyroute2.netlink.generic import GenericNetlinkSocket
from pyroute2.netlink.generic.wireguard import wgmsg

from wg_py.model import Endpoint, WgAllowedIP, WgDevice, WgPeer

# linux/wireguard.h
WG_GENL_NAME, WG_GENL_VERSION = "wireguard", 1
WG_CMD_GET_DEVICE, WG_CMD_SET_DEVICE = 0, 1
WGDEVICE_F_REPLACE_PEERS = 1
WGPEER_F_REMOVE_ME, WGPEER_F_REPLACE_ALLOWEDIPS, WGPEER_F_UPDATE_ONLY = 1, 2, 4
WGALLOWEDIP_F_REMOVE_ME = 1

# wg sizes its messages by libmnl's ideal buffer (a page, at most 8 KiB).
MESSAGE_BUDGET = min(os.sysconf("SC_PAGE_SIZE"), 8192)


class _AllowedIP(wgmsg.wgdevice_peer.wgpeer_allowedip):
    nla_map = wgmsg.wgdevice_peer.wgpeer_allowedip.nla_map + (("WGALLOWEDIP_A_FLAGS", "uint32"),)


class _Endpoint6(wgmsg.wgdevice_peer.endpoint_ipv6):
    fields = (("family", "H"), ("port", ">H"), ("flowinfo", ">I"), ("addr", "16s"), ("scope_id", "I"))


class _Peer(wgmsg.wgdevice_peer):
    endpoint_ipv6 = _Endpoint6
    wgpeer_allowedip = _AllowedIP


class WgMsg(wgmsg):
    """pyroute2's wireguard message, with allowed-IP flags and a host-order scope id."""

    wgdevice_peer = _Peer


# --------------------------------------------------------------------------- sizes
# The encoded size of each attribute, to split SET_DEVICE as wg does (by bytes, not counts).

_NLMSGHDR, _GENLHDR, _NLA = 16, 4, 4


def _nla(payload: int) -> int:
    return _NLA + ((payload + 3) & ~3)


_KEY = _nla(32)
_U16, _U32 = _nla(2), _nla(4)
_SOCKADDR = {4: _nla(16), 6: _nla(28)}
_ALLOWED_IP = {4: _NLA + _U16 + _nla(4) + _nla(1), 6: _NLA + _U16 + _nla(16) + _nla(1)}


# --------------------------------------------------------------------------- SET_DEVICE

def _key_value(key: bytes) -> bytes:
    return b64encode(key)  # pyroute2's key attributes take base64


def _endpoint_value(endpoint: Endpoint) -> dict:
    host = endpoint.host
    if host.version == 4:
        return {"addr": str(host), "port": endpoint.port}
    scope = host.scope_id
    scope_id = 0
    if scope:
        scope_id = int(scope) if scope.isdigit() else socket.if_nametoindex(scope)
    return {"addr": socket.inet_ntop(socket.AF_INET6, host.packed), "port": endpoint.port,
            "flowinfo": 0, "scope_id": scope_id}


def _allowed_ip_nla(aip: WgAllowedIP) -> tuple[dict, int]:
    version, address, prefixlen = aip.parts
    family = socket.AF_INET if version == 4 else socket.AF_INET6
    attrs = [["WGALLOWEDIP_A_FAMILY", family],
             ["WGALLOWEDIP_A_IPADDR", address.to_bytes(4 if version == 4 else 16, "big")],
             ["WGALLOWEDIP_A_CIDR_MASK", prefixlen]]
    size = _ALLOWED_IP[version]
    if aip.remove:
        attrs.append(["WGALLOWEDIP_A_FLAGS", WGALLOWEDIP_F_REMOVE_ME])
        size += _U32
    return {"attrs": attrs}, size


def _peer_head(peer: WgPeer, first_piece: bool) -> tuple[list, int]:
    """A peer's attributes other than allowed IPs, and their size; a continuation only
    names the peer (and keeps REMOVE_ME, which is never split)."""
    attrs: list = [["WGPEER_A_PUBLIC_KEY", _key_value(peer.public_key)]]
    size = _NLA + _KEY
    flags = WGPEER_F_REMOVE_ME if peer.remove else 0
    if first_piece:
        if peer.replace_allowed_ips:
            flags |= WGPEER_F_REPLACE_ALLOWEDIPS
        if peer.update_only:
            flags |= WGPEER_F_UPDATE_ONLY
        if peer.preshared_key is not None:
            attrs.append(["WGPEER_A_PRESHARED_KEY", _key_value(peer.preshared_key)])
            size += _KEY
        if peer.endpoint is not None:
            attrs.append(["WGPEER_A_ENDPOINT", _endpoint_value(peer.endpoint)])
            size += _SOCKADDR[peer.endpoint.host.version]
        if peer.persistent_keepalive_interval is not None:
            attrs.append(["WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL", peer.persistent_keepalive_interval])
            size += _U16
    if flags:
        attrs.append(["WGPEER_A_FLAGS", flags])
        size += _U32
    return attrs, size


def _device_head(change: WgDevice) -> tuple[list, int]:
    attrs: list = []
    size = 0
    if change.private_key is not None:
        attrs.append(["WGDEVICE_A_PRIVATE_KEY", _key_value(change.private_key)])
        size += _KEY
    if change.listen_port is not None:
        attrs.append(["WGDEVICE_A_LISTEN_PORT", change.listen_port])
        size += _U16
    if change.fwmark is not None:
        attrs.append(["WGDEVICE_A_FWMARK", change.fwmark])
        size += _U32
    if change.replace_peers:
        attrs.append(["WGDEVICE_A_FLAGS", WGDEVICE_F_REPLACE_PEERS])
        size += _U32
    return attrs, size


class _Builder:
    """Fills SET_DEVICE messages up to the budget, starting a new one when full."""

    def __init__(self, name: str, budget: int) -> None:
        self.name, self.budget = name, budget
        self.messages: list[WgMsg] = []
        self.fixed: list | None = None
        self.peers: list[dict] = []
        self.used = 0

    def start(self, head: tuple[list, int] = ([], 0)) -> None:
        self.flush()
        attrs, size = head
        self.fixed = [["WGDEVICE_A_IFNAME", self.name], *attrs]
        self.peers = []
        # The peers nest's own header is counted from the start, as wg reserves it.
        self.used = _NLMSGHDR + _GENLHDR + _nla(len(self.name.encode()) + 1) + size + _NLA

    def fits(self, size: int) -> bool:
        return self.used + size <= self.budget

    def add_peer(self, peer: dict, size: int) -> None:
        self.peers.append(peer)
        self.used += size

    def flush(self) -> None:
        if self.fixed is None:
            return
        msg = WgMsg()
        msg["cmd"] = WG_CMD_SET_DEVICE
        msg["version"] = WG_GENL_VERSION
        msg["attrs"] = self.fixed + ([["WGDEVICE_A_PEERS", self.peers]] if self.peers else [])
        self.messages.append(msg)
        self.fixed = None


def set_device_messages(change: WgDevice, name: str, budget: int = MESSAGE_BUDGET) -> list[WgMsg]:
    """The WG_CMD_SET_DEVICE message(s) for `change`, each at most `budget` bytes encoded.

    Only the first carries the device attributes; the netlink header (family id, flags) is
    filled in when sent.
    """
    builder = _Builder(name, budget)
    builder.start(_device_head(change))
    for peer in change.peers:
        _add_peer(builder, peer)
    builder.flush()
    return builder.messages


def _add_peer(builder: _Builder, peer: WgPeer) -> None:
    first = True
    pending = [] if peer.remove else [_allowed_ip_nla(a) for a in peer.allowed_ips]
    while True:
        head, head_size = _peer_head(peer, first)
        if not builder.fits(head_size + 2 * _NLA):
            builder.start()
        taken: list[dict] = []
        size = head_size + (_NLA if pending else 0)
        while pending and (builder.fits(size + pending[0][1]) or not taken and not builder.peers):
            # (An allowed IP always goes into an otherwise empty message, so this ends.)
            nla, nla_size = pending.pop(0)
            size += nla_size
            taken.append(nla)
        attrs = head + ([["WGPEER_A_ALLOWEDIPS", taken]] if taken else [])
        builder.add_peer({"attrs": attrs}, size)
        first = False
        if not pending:
            return
        builder.start()


# --------------------------------------------------------------------------- GET_DEVICE

def get_device_message(name: str) -> WgMsg:
    msg = WgMsg()
    msg["cmd"] = WG_CMD_GET_DEVICE
    msg["version"] = WG_GENL_VERSION
    msg["attrs"] = [["WGDEVICE_A_IFNAME", name]]
    return msg


def device_from_messages(messages, name: str = "") -> WgDevice:
    """The decoded messages of a GET_DEVICE dump → one snapshot."""
    device = WgDevice(name=name, listen_port=0, fwmark=0)
    for msg in messages:
        ifname = msg.get_attr("WGDEVICE_A_IFNAME")
        if ifname is not None:
            device.name = ifname
        private_key = msg.get_attr("WGDEVICE_A_PRIVATE_KEY")
        if private_key is not None:
            device.private_key = b64decode(private_key)
        public_key = msg.get_attr("WGDEVICE_A_PUBLIC_KEY")
        if public_key is not None:
            device.public_key = b64decode(public_key)
        listen_port = msg.get_attr("WGDEVICE_A_LISTEN_PORT")
        if listen_port is not None:
            device.listen_port = listen_port
        fwmark = msg.get_attr("WGDEVICE_A_FWMARK")
        if fwmark is not None:
            device.fwmark = fwmark
        device.peers.extend(_peer_from_nla(p) for p in msg.get_attr("WGDEVICE_A_PEERS") or ())
    device.peers = _join_split_peers(device.peers)
    return device


def _signed64(value: int) -> int:
    # struct __kernel_timespec holds s64 fields; pyroute2 reads them unsigned.
    return value - (1 << 64) if value >= 1 << 63 else value


def _peer_from_nla(nla) -> WgPeer:
    public_key = nla.get_attr("WGPEER_A_PUBLIC_KEY")
    if public_key is None:
        raise ValueError("peer without public key")
    peer = WgPeer(public_key=b64decode(public_key), persistent_keepalive_interval=0)
    psk = nla.get_attr("WGPEER_A_PRESHARED_KEY")
    if psk is not None:
        raw = b64decode(psk)
        peer.preshared_key = None if raw == bytes(32) else raw
    endpoint = nla.get_attr("WGPEER_A_ENDPOINT")
    if endpoint is not None:
        peer.endpoint = _endpoint_from_nla(endpoint)
    keepalive = nla.get_attr("WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL")
    if keepalive is not None:
        peer.persistent_keepalive_interval = keepalive
    handshake = nla.get_attr("WGPEER_A_LAST_HANDSHAKE_TIME")
    if handshake is not None:
        peer.last_handshake_time_sec = _signed64(handshake["tv_sec"])
        peer.last_handshake_time_nsec = _signed64(handshake["tv_nsec"])
    for attr, field in (("WGPEER_A_RX_BYTES", "rx_bytes"), ("WGPEER_A_TX_BYTES", "tx_bytes"),
                        ("WGPEER_A_PROTOCOL_VERSION", "protocol_version")):
        value = nla.get_attr(attr)
        if value is not None:
            setattr(peer, field, value)
    peer.allowed_ips.extend(_allowed_ip_from_nla(a) for a in nla.get_attr("WGPEER_A_ALLOWEDIPS") or ())
    return peer


def _endpoint_from_nla(nla) -> Endpoint | None:
    family = nla["family"]
    if family == socket.AF_INET:
        return Endpoint(ipaddress.IPv4Address(nla["addr"]), nla["port"])
    if family != socket.AF_INET6:
        return None
    host = nla["addr"]
    if nla["scope_id"]:
        try:
            scope = socket.if_indextoname(nla["scope_id"])
        except OSError:
            scope = str(nla["scope_id"])
        host = f"{host}%{scope}"
    return Endpoint(ipaddress.IPv6Address(host), nla["port"])


def _allowed_ip_from_nla(nla) -> WgAllowedIP:
    family = nla.get_attr("WGALLOWEDIP_A_FAMILY")
    raw = bytes.fromhex((nla.get_attr("WGALLOWEDIP_A_IPADDR") or "").replace(":", ""))
    cidr = nla.get_attr("WGALLOWEDIP_A_CIDR_MASK")
    bits = {socket.AF_INET: 32, socket.AF_INET6: 128}.get(family)
    if bits is None or len(raw) * 8 != bits or cidr is None or cidr > bits:
        raise ValueError("bad allowed IP")
    full = (1 << bits) - 1
    address = int.from_bytes(raw, "big") & (full ^ (full >> cidr))
    return WgAllowedIP.from_int(4 if bits == 32 else 6, address, cidr)


def _join_split_peers(peers: list[WgPeer]) -> list[WgPeer]:
    """A peer split across dump messages arrives as consecutive entries with one key."""
    out: list[WgPeer] = []
    for peer in peers:
        if out and out[-1].public_key == peer.public_key:
            out[-1].allowed_ips.extend(peer.allowed_ips)
        else:
            out.append(peer)
    return out


# --------------------------------------------------------------------------- rtnetlink listing

def wireguard_link_names(links) -> list[str]:
    """The names of the decoded RTM_NEWLINK messages whose link kind is "wireguard"."""
    names = []
    for link in links:
        info = link.get_attr("IFLA_LINKINFO")
        if info is not None and info.get_attr("IFLA_INFO_KIND") == WG_GENL_NAME:
            names.append(link.get_attr("IFLA_IFNAME"))
    return names


# --------------------------------------------------------------------------- sockets

def _open_genl() -> GenericNetlinkSocket:
    sock = GenericNetlinkSocket()
    # pyroute2 logs a missing family at error level; wg reports it in its own words.
    sock.asyncore.module_err_level = "debug"
    try:
        sock.bind(WG_GENL_NAME, WgMsg)
    except NetlinkError as e:
        sock.close()
        if e.code == _errno.ENOENT:
            # What libmnl leaves for wg to print when the module is absent.
            raise OSError(_errno.EPROTONOSUPPORT, os.strerror(_errno.EPROTONOSUPPORT)) from None
        raise OSError(e.code, os.strerror(e.code)) from None
    return sock


def kernel_list_interfaces() -> list[str]:
    try:
        with IPRoute() as ipr:
            return wireguard_link_names(ipr.get_links())
    except NetlinkError as e:
        raise OSError(e.code, os.strerror(e.code)) from None


# What decoding a malformed reply can raise (pyroute2's decoder and ours; fuzz/fuzz_netlink.py):
# the reply is then refused as a protocol error, never a traceback.
MALFORMED = (ValueError, IndexError, KeyError, TypeError, AttributeError, UnicodeError, struct.error)


def kernel_get_device(name: str) -> WgDevice:
    sock = _open_genl()
    try:
        replies = sock.nlm_request(get_device_message(name), msg_type=sock.prid,
                                   msg_flags=NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP)
        return device_from_messages([m for m in replies if isinstance(m, wgmsg)], name)
    except NetlinkError as e:
        raise OSError(e.code, os.strerror(e.code)) from None
    except MALFORMED:
        raise OSError(_errno.EPROTO, os.strerror(_errno.EPROTO)) from None
    finally:
        sock.close()


def kernel_set_device(change: WgDevice, name: str) -> None:
    """Sends each message and waits for its acknowledgement before the next, as wg does."""
    sock = _open_genl()
    try:
        for msg in set_device_messages(change, name):
            tuple(sock.nlm_request(msg, msg_type=sock.prid, msg_flags=NLM_F_REQUEST | NLM_F_ACK))
    except NetlinkError as e:
        raise OSError(e.code, os.strerror(e.code)) from None
    finally:
        sock.close()
