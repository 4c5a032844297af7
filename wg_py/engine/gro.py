"""Coalescing decrypted TCP segments into super-packets for one TUN write (receive-side GRO).

Each TUN write costs a system call plus a pass through the kernel's TCP receive path, and
on this data path that, not crypto, is what a packet costs. The TUN is opened with
IFF_VNET_HDR, so a write may carry a virtio-net header that says "this is a TCP
super-packet, segment size S, checksum to be completed": the kernel then treats the run
of segments as one packet (as its own GRO would for a NIC). Newer wireguard-go does the
same (tun/offload_linux.go); this module is our version of that idea, written for a
Python loop: one dict lookup and a few slices per segment, the header work per run.

A segment joins the run of its flow (addresses + ports) when it continues the byte
stream exactly (seq = previous seq + previous length), carries the same ACK number,
window, TCP options, TOS/TTL (hop limit), only ACK (and PSH on the last segment), has the
run's segment size (only the last may be shorter), and the run stays under 64 KiB.
Anything else (SYN/FIN/RST, IP options or fragments, extension headers, non-TCP) is
written alone, after the run of its flow, so per-flow order is kept.
"""

from __future__ import annotations

import struct

VNET_HDR_LEN = 10
VIRTIO_NET_HDR_F_NEEDS_CSUM = 1
VIRTIO_NET_HDR_GSO_TCPV4 = 1
VIRTIO_NET_HDR_GSO_TCPV6 = 4
VNET_NONE = bytes(VNET_HDR_LEN)
MAX_SUPER = 65535 - 60            # IPv4 total length limit, with room for headers
MAX_SEGMENTS = 64

_VNET = struct.Struct("<BBHHHH")  # flags, gso_type, hdr_len, gso_size, csum_start, csum_offset
_IP4_WORDS = struct.Struct("!10H")
_ACK, _PSH = 0x10, 0x08


def _fold(total: int) -> int:
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def _sum16(data: bytes) -> int:
    """Ones'-complement sum of big-endian 16-bit words, folded (2**16 ≡ 1 mod 0xFFFF)."""
    if len(data) & 1:
        data += b"\0"
    total = int.from_bytes(data, "big") % 0xFFFF
    return total if total or not any(data) else 0xFFFF


class _Run:
    __slots__ = ("first", "parts", "hlen", "seg", "next_seq", "size", "last_flags", "count", "v6")

    def __init__(self, packet, hlen: int, payload: int, seq: int, flags: int, v6: bool) -> None:
        self.first = packet
        self.parts = [memoryview(packet)[hlen:]]
        self.hlen, self.seg, self.v6 = hlen, payload, v6
        self.next_seq = (seq + payload) & 0xFFFFFFFF
        self.size = len(packet)
        self.last_flags = flags
        self.count = 1


def _eligible(p) -> tuple | None:
    """(flow key, header length, payload length, seq, flags, is_v6, match bytes) or None."""
    n = len(p)
    b0 = p[0]
    if b0 == 0x45:
        if n < 40 or p[9] != 6 or p[6] & 0x3F or p[7]:
            return None
        doff = (p[32] >> 4) << 2
        hlen = 20 + doff
        flags = p[33]
        if doff < 20 or n <= hlen or flags & ~(_ACK | _PSH) or not flags & _ACK:
            return None
        key = p[12:24]
        match = p[1:2] + p[6:7] + p[8:9] + p[28:32] + p[34:36] + p[40:hlen]
        return key, hlen, n - hlen, int.from_bytes(p[24:28], "big"), flags, False, match
    if b0 >> 4 == 6:
        if n < 60 or p[6] != 6:
            return None
        doff = (p[52] >> 4) << 2
        hlen = 40 + doff
        flags = p[53]
        if doff < 20 or n <= hlen or flags & ~(_ACK | _PSH) or not flags & _ACK:
            return None
        key = p[8:44]
        match = p[0:4] + p[7:8] + p[48:52] + p[54:56] + p[60:hlen]
        return key, hlen, n - hlen, int.from_bytes(p[44:48], "big"), flags, True, match
    return None


def coalesce(packets: list, pi_for) -> list[list]:
    """Turn decrypted packets into iovec lists for writev: [pi, vnet header, data...].

    `pi_for(packet)` gives the 4-byte packet-information header for a packet.
    """
    out: list[list] = []
    runs: dict = {}
    matches: dict = {}
    for p in packets:
        info = _eligible(p)
        if info is None:
            if len(runs):
                key = _flow_key(p)
                run = runs.pop(key, None) if key is not None else None
                if run is not None:
                    out.append(_emit(run, pi_for))
            out.append([pi_for(p), VNET_NONE, p])
            continue
        key, hlen, payload, seq, flags, v6, match = info
        run = runs.get(key)
        if run is not None:
            if (seq == run.next_seq and payload <= run.seg and hlen == run.hlen and not run.last_flags & _PSH
                    and run.count < MAX_SEGMENTS and run.size + payload <= MAX_SUPER and matches[key] == match
                    and (run.count == 1 or len(run.parts[-1]) == run.seg)):
                run.parts.append(memoryview(p)[hlen:])
                run.next_seq = (seq + payload) & 0xFFFFFFFF
                run.size += payload
                run.last_flags = flags
                run.count += 1
                continue
            out.append(_emit(run, pi_for))
        runs[key] = _Run(p, hlen, payload, seq, flags, v6)
        matches[key] = match
    for run in runs.values():
        out.append(_emit(run, pi_for))
    return out


def _flow_key(p):
    n = len(p)
    if n >= 24 and p[0] >> 4 == 4:
        return p[12:24] if p[0] == 0x45 else None
    if n >= 44 and p[0] >> 4 == 6:
        return p[8:44]
    return None


def _emit(run: _Run, pi_for) -> list:
    first = run.first
    if run.count == 1:
        return [pi_for(first), VNET_NONE, first]
    hlen = run.hlen
    header = bytearray(first[:hlen])
    total = run.size
    flags = header[(40 if run.v6 else 20) + 13] | (run.last_flags & _PSH)
    if run.v6:
        tcp_len = total - 40
        header[4:6] = tcp_len.to_bytes(2, "big")
        header[53] = flags
        pseudo = _sum16(bytes(header[8:40])) + (tcp_len >> 16) + (tcp_len & 0xFFFF) + 6
        header[56:58] = _fold(pseudo).to_bytes(2, "big")
        vnet = _VNET.pack(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6, hlen, run.seg, 40, 16)
    else:
        tcp_len = total - 20
        header[2:4] = total.to_bytes(2, "big")
        header[10:12] = b"\0\0"
        header[33] = flags
        header[10:12] = (~_fold(sum(_IP4_WORDS.unpack_from(header))) & 0xFFFF).to_bytes(2, "big")
        pseudo = _sum16(bytes(header[12:20])) + tcp_len + 6
        header[36:38] = _fold(pseudo).to_bytes(2, "big")
        vnet = _VNET.pack(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, hlen, run.seg, 20, 16)
    return [pi_for(first), vnet, header, *run.parts]
