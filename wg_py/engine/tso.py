"""Reading offloaded packets from the TUN: checksum completion and TCP segmentation (TSO).

With TUNSETOFFLOAD (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6; see OFFLOADS) the kernel hands us TCP
super-packets of up to 64 KiB with a virtio-net header, and leaves checksums to us
(VIRTIO_NET_HDR_F_NEEDS_CSUM). Its own TCP then sends 64 KiB per skb instead of one
MTU's worth, and the TUN's 500-entry queue holds megabytes instead of 700 KB, which
took the inner TCP's drops and retransmits down here. We cut each super-packet into
`gso_size` segments with their own IP length/ID/checksum and TCP sequence number,
flags and checksum, exactly what the kernel's software GSO would have produced, so any
peer (kernel, wireguard-go, ours) gets ordinary, fully checksummed packets.

Checksums use the identity that a ones'-complement sum of 16-bit words is the number
mod 0xFFFF (2**16 ≡ 1): `int.from_bytes(data, "big") % 0xFFFF` does it in C.
"""

from __future__ import annotations

import os
import struct

VIRTIO_NET_HDR_F_NEEDS_CSUM = 1
VIRTIO_NET_HDR_GSO_NONE = 0
VIRTIO_NET_HDR_GSO_TCPV4 = 1
VIRTIO_NET_HDR_GSO_TCPV6 = 4

TUNSETOFFLOAD = 0x400454D0
TUN_F_CSUM = 0x01
TUN_F_TSO4 = 0x02
TUN_F_TSO6 = 0x04
# Off by default, measured: on this 2-core machine py<->py iperf3 moved ~440 Mbit/s with
# TSO (Python segmentation and checksums cost ~5 us per segment and the engine became the
# bottleneck) against 700-1300 Mbit/s reading plain packets. WG_PY_TSO=1 turns it on.
OFFLOADS = (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) if os.environ.get("WG_PY_TSO") == "1" else 0

_VNET = struct.Struct("<BBHHHH")
_IP4_WORDS = struct.Struct("!10H")
_FIN, _PSH, _CWR = 0x01, 0x08, 0x80


def _csum(data) -> int:
    """Folded ones'-complement sum of `data` (big-endian words, odd length zero-padded)."""
    if len(data) & 1:
        value = int.from_bytes(data, "big") << 8
    else:
        value = int.from_bytes(data, "big")
    total = value % 0xFFFF
    if total == 0 and value:
        return 0xFFFF
    return total


def _fold(total: int) -> int:
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def complete_checksum(packet, csum_start: int, csum_offset: int) -> None:
    """NEEDS_CSUM on a single packet: the field holds the pseudo-header sum; finish it in place."""
    end = csum_start + csum_offset + 2
    if end > len(packet):
        return
    total = _csum(packet[csum_start:])
    packet[csum_start + csum_offset:end] = (~total & 0xFFFF).to_bytes(2, "big")


def expand(packet, vnet) -> list:
    """Packets to encrypt for one TUN read with a non-empty virtio-net header.

    `packet` is a writable view past the headers; returns a list of packets (views or bytes).
    """
    flags, gso_type, _hdr_len, gso_size, csum_start, csum_offset = _VNET.unpack(vnet)
    gso_type &= 0x7F
    if gso_type == VIRTIO_NET_HDR_GSO_NONE or gso_size == 0:
        if flags & VIRTIO_NET_HDR_F_NEEDS_CSUM:
            complete_checksum(packet, csum_start, csum_offset)
        return [packet]
    if gso_type == VIRTIO_NET_HDR_GSO_TCPV4:
        return _segment(packet, gso_size, csum_start, v6=False)
    if gso_type == VIRTIO_NET_HDR_GSO_TCPV6:
        return _segment(packet, gso_size, csum_start, v6=True)
    return []   # not asked for (no UFO/USO offered): drop


_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")


def _segment(packet, mss: int, tcp_off: int, v6: bool) -> list:
    """Cut a TCP super-packet into `mss`-byte segments (the hot path: sums kept incremental)."""
    if len(packet) < tcp_off + 20:
        return []
    doff = (packet[tcp_off + 12] >> 4) << 2
    hlen = tcp_off + doff
    payload = packet[hlen:]
    size = len(payload)
    header = bytearray(packet[:hlen])
    seq0 = int.from_bytes(header[tcp_off + 4:tcp_off + 8], "big")
    flags0 = header[tcp_off + 13]
    # Zero what changes per segment; the sums of the rest are constant.
    header[tcp_off + 4:tcp_off + 8] = b"\0\0\0\0"
    header[tcp_off + 13] = 0
    header[tcp_off + 16:tcp_off + 18] = b"\0\0"
    if v6:
        tcp_base = _csum(header[8:40]) + 6 + _csum(header[tcp_off:hlen])
        ip_base = ip_id0 = 0
    else:
        tcp_base = _csum(header[12:20]) + 6 + _csum(header[tcp_off:hlen])
        ip_id0 = int.from_bytes(header[4:6], "big")
        header[2:6] = b"\0\0\0\0"
        header[10:12] = b"\0\0"
        ip_base = sum(_IP4_WORDS.unpack_from(header))
    pack16, pack32 = _U16.pack_into, _U32.pack_into
    seq_at, flags_at, csum_at = tcp_off + 4, tcp_off + 13, tcp_off + 16
    last = (size - 1) // mss
    out = []
    append = out.append
    for i in range(last + 1):
        off = i * mss
        chunk = payload[off:off + mss]
        n = len(chunk)
        seq = (seq0 + off) & 0xFFFFFFFF
        f = flags0 if i == last else flags0 & ~(_FIN | _PSH)
        if i:
            f &= ~_CWR
        value = int.from_bytes(chunk, "big")
        if n & 1:
            value <<= 8
        # ones'-complement fold of a positive sum s is ((s - 1) % 0xFFFF) + 1
        total = tcp_base + (seq >> 16) + (seq & 0xFFFF) + f + doff + n + value % 0xFFFF
        pack32(header, seq_at, seq)
        header[flags_at] = f
        pack16(header, csum_at, 0xFFFF - ((total - 1) % 0xFFFF + 1))
        if v6:
            pack16(header, 4, hlen - 40 + n)
        else:
            ip_id = (ip_id0 + i) & 0xFFFF
            pack16(header, 2, hlen + n)
            pack16(header, 4, ip_id)
            pack16(header, 10, 0xFFFF - ((ip_base + hlen + n + ip_id - 1) % 0xFFFF + 1))
        append(bytes(header) + chunk)
    return out
