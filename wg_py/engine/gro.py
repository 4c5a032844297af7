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
    __slots__ = ("first", "parts", "hlen", "seg", "next_seq", "size", "last_flags", "count", "v6", "match")

    def __init__(self, packet, hlen: int, payload: int, seq: int, flags: int, v6: bool, match: tuple) -> None:
        self.first = packet
        self.parts = [memoryview(packet)[hlen:]]
        self.hlen, self.seg, self.v6, self.match = hlen, payload, v6, match
        self.next_seq = (seq + payload) & 0xFFFFFFFF
        self.size = len(packet)
        self.last_flags = flags
        self.count = 1


def coalesce(packets: list, pi_for) -> list[list]:
    """Turn decrypted packets into iovec lists for writev: [pi, vnet header, data...].

    `pi_for(packet)` gives the 4-byte packet-information header for a packet. The loop is
    written flat on purpose: it runs once per received packet.
    """
    out: list[list] = []
    runs: dict = {}
    for p in packets:
        n = len(p)
        b0 = p[0]
        # Eligibility and the fields a run must share (see the module docstring).
        if b0 == 0x45 and n > 40 and p[9] == 6 and not (p[6] & 0x3F or p[7]):
            t = 20
            v6 = False
            key = p[12:24]
        elif b0 >> 4 == 6 and n > 60 and p[6] == 6:
            t = 40
            v6 = True
            key = p[8:44]
        else:
            _write_alone(p, runs, out, pi_for)
            continue
        flags = p[t + 13]
        hlen = t + ((p[t + 12] >> 4) << 2)
        if flags & 0xE7 or not flags & _ACK or hlen < t + 20 or n <= hlen:
            _write_alone(p, runs, out, pi_for)
            continue
        # Shared: ACK number and data offset, window, urgent pointer and options, TOS/TTL
        # (v4) or traffic class, flow label and hop limit (v6). Flags are checked apart:
        # PSH may end a run.
        match = (p[t + 8:t + 13], p[t + 14:t + 16], p[t + 18:hlen],
                 (p[1] << 8 | p[8]) if not v6 else p[0:4] + p[7:8])
        payload = n - hlen
        seq = int.from_bytes(p[t + 4:t + 8], "big")
        run = runs.get(key)
        if run is not None:
            if (seq == run.next_seq and payload <= run.seg and match == run.match and not run.last_flags & _PSH
                    and run.count < MAX_SEGMENTS and run.size + payload <= MAX_SUPER
                    and (run.count == 1 or len(run.parts[-1]) == run.seg)):
                run.parts.append(memoryview(p)[hlen:])
                run.next_seq = (seq + payload) & 0xFFFFFFFF
                run.size += payload
                run.last_flags = flags
                run.count += 1
                continue
            out.append(_emit(run, pi_for))
        runs[key] = _Run(p, hlen, payload, seq, flags, v6, match)
    for run in runs.values():
        out.append(_emit(run, pi_for))
    return out


def _write_alone(p, runs: dict, out: list, pi_for) -> None:
    """A packet that does not merge: after the pending run of its flow, if any."""
    if runs:
        key = _flow_key(p)
        run = runs.pop(key, None) if key is not None else None
        if run is not None:
            out.append(_emit(run, pi_for))
    out.append([pi_for(p), VNET_NONE, p])


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
