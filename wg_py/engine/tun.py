"""The TUN device: created like wireguard-go 0.0.20220316 creates it on Linux.

wireguard-go opens `/dev/net/tun` with IFF_TUN and *without* IFF_NO_PI (its source calls
this the "TUN status hack"), so every packet read or written carries the 4-byte
packet-information header (`flags`, `proto`); so do we. The link gets MTU 1420
(`device.DefaultMTU`) and keeps the kernel's defaults otherwise (txqueuelen 500,
POINTOPOINT,MULTICAST,NOARP, down until someone sets it up).

One deliberate difference: we add IFF_VNET_HDR (`ip -d link` says `vnet_hdr on` where
0.0.20220316 says `off`; wireguard-go ≥ 0.0.20230223 says `on` too). After the PI header
every packet carries a 10-byte virtio-net header, which lets one write hand the kernel a
whole run of TCP segments (engine/gro.py), and reads may be TCP super-packets or packets
with checksums left to us (TUNSETOFFLOAD; engine/tso.py).
"""

from __future__ import annotations

import fcntl
import os
import socket
import struct

from wg_py.engine.tso import OFFLOADS, TUNSETOFFLOAD

DEFAULT_MTU = 1420          # wireguard-go device.DefaultMTU: 1500 - 80 bytes of overhead
PI_LEN = 4                  # struct tun_pi: __u16 flags, __be16 proto

TUNSETIFF = 0x400454CA
TUNGETIFF = 0x800454D2
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
IFF_VNET_HDR = 0x4000
VNET_HDR_LEN = 10           # struct virtio_net_hdr, after the PI header on every read/write
HEADROOM = PI_LEN + VNET_HDR_LEN
SIOCGIFMTU = 0x8921
SIOCSIFMTU = 0x8922
SIOCGIFINDEX = 0x8933
SIOCGIFFLAGS = 0x8913
IFF_UP = 0x1
IFNAMSIZ = 16

# Packet-information headers for writes, by IP version nibble (proto is big-endian).
PI_IPV4 = struct.pack("!HH", 0, 0x0800)
PI_IPV6 = struct.pack("!HH", 0, 0x86DD)


class TunError(OSError):
    """Creating or configuring the TUN device failed (carries the OS errno)."""


def _ifreq(name: str, fmt: str = "", *values) -> bytes:
    return struct.pack(f"{IFNAMSIZ}s{fmt}", name.encode(), *values).ljust(40, b"\0")


def create_tun(name: str, mtu: int = DEFAULT_MTU) -> tuple[int, str]:
    """Create (or attach to) TUN `name`, set its MTU; returns (fd, the name the kernel gave).

    The fd is non-blocking and close-on-exec. Raises OSError from the kernel as is
    (EBUSY when another process holds a TUN of that name in this namespace).
    """
    if len(name.encode()) >= IFNAMSIZ or not name:
        raise OSError(22, "Invalid argument")
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        result = fcntl.ioctl(fd, TUNSETIFF, _ifreq(name, "H", IFF_TUN | IFF_VNET_HDR))
        real_name = result[:IFNAMSIZ].split(b"\0", 1)[0].decode()
        # Checksum and TCP segmentation offload, if enabled (engine/tso.py, off by default):
        # reads may then be 64 KiB TCP super-packets that tso.expand cuts up.
        if OFFLOADS:
            fcntl.ioctl(fd, TUNSETOFFLOAD, OFFLOADS)
        set_mtu(real_name, mtu)
    except OSError:
        os.close(fd)
        raise
    return fd, real_name


def adopt_tun(fd: int) -> str:
    """Adopt an inherited TUN fd (WG_TUN_FD); make it non-blocking; return its name."""
    os.set_blocking(fd, False)
    os.set_inheritable(fd, False)
    return tun_name(fd)


def tun_flags(fd: int, name: str) -> int:
    """IFF_* flags the TUN was set up with (IFF_NO_PI, IFF_VNET_HDR matter for framing).

    Read from sysfs: TUNGETIFF cannot tell IFF_NO_PI apart, since it reports "no socket
    filter" with the same bit (IFF_NOFILTER = 0x1000). Without sysfs, the ioctl's other
    bits and our own default (with PI) are used.
    """
    try:
        with open(f"/sys/class/net/{name}/tun_flags") as f:
            return int(f.read().strip(), 16)
    except (OSError, ValueError):
        result = fcntl.ioctl(fd, TUNGETIFF, bytes(40))
        return struct.unpack_from("H", result, IFNAMSIZ)[0] & ~IFF_NO_PI


def tun_name(fd: int) -> str:
    """The interface name a TUN fd is attached to; raises OSError (EBADFD) once it is gone."""
    result = fcntl.ioctl(fd, TUNGETIFF, bytes(40))
    return result[:IFNAMSIZ].split(b"\0", 1)[0].decode()


def _ioctl_sock(name: str, request: int, fmt: str, *values) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        return fcntl.ioctl(s.fileno(), request, _ifreq(name, fmt, *values))


def set_mtu(name: str, mtu: int) -> None:
    _ioctl_sock(name, SIOCSIFMTU, "i", mtu)


def get_mtu(name: str) -> int:
    return struct.unpack_from("i", _ioctl_sock(name, SIOCGIFMTU, "i", 0), IFNAMSIZ)[0]


def get_ifindex(name: str) -> int:
    return struct.unpack_from("i", _ioctl_sock(name, SIOCGIFINDEX, "i", 0), IFNAMSIZ)[0]


def link_flags(name: str) -> int:
    return struct.unpack_from("H", _ioctl_sock(name, SIOCGIFFLAGS, "H", 0), IFNAMSIZ)[0]
