"""wg_py/engine/tun.py on a real TUN device in a namespace the test makes: creation and its
flags, MTU, and packets both ways with their PI and virtio-net headers (no engine, no peer)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from tests.engine.helpers import REPO
from tests.support.netns import namespace, unique_ifname

pytestmark = pytest.mark.netns

SCRIPT = textwrap.dedent('''
    import os, select, socket, struct, subprocess, sys
    from wg_py.engine import tun
    from tests.protocol.helpers import ipv4, checksum

    fd, name = tun.create_tun(sys.argv[1], 1400)
    assert name == sys.argv[1], name
    flags = tun.tun_flags(fd, name)
    assert flags & tun.IFF_TUN and flags & tun.IFF_VNET_HDR and not flags & tun.IFF_NO_PI, hex(flags)
    assert tun.get_mtu(name) == 1400
    tun.set_mtu(name, 1380)
    assert tun.get_mtu(name) == 1380 and tun.get_ifindex(name) > 0
    assert not tun.link_flags(name) & tun.IFF_UP
    subprocess.run(["ip", "addr", "add", "10.72.0.1/24", "dev", name], check=True)
    subprocess.run(["ip", "link", "set", name, "up"], check=True)
    assert tun.link_flags(name) & tun.IFF_UP

    # Out of the kernel: a UDP datagram routed to the TUN arrives as PI + virtio-net + IPv4.
    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    out.sendto(b"through the tun", ("10.72.0.2", 9))
    while True:
        ready, _, _ = select.select([fd], [], [], 5)
        assert ready, "nothing read from the TUN"
        frame = os.read(fd, 65536)
        pi_flags, proto = struct.unpack_from("!HH", frame)
        packet = frame[tun.HEADROOM:]
        if proto == 0x0800 and packet[9] == 17:
            break
    assert packet[16:20] == socket.inet_aton("10.72.0.2") and packet.endswith(b"through the tun")

    # Into the kernel: an IPv4 UDP datagram written with its headers reaches a local socket.
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("10.72.0.1", 9999))
    sink.settimeout(5)
    payload = b"from the tun"
    udp = struct.pack("!HHHH", 40000, 9999, 8 + len(payload), 0) + payload
    pseudo = socket.inet_aton("10.72.0.2") + socket.inet_aton("10.72.0.1") + struct.pack("!BBH", 0, 17, len(udp))
    udp = udp[:6] + struct.pack("!H", checksum(pseudo + udp) or 0xFFFF) + udp[8:]
    packet = ipv4("10.72.0.2", "10.72.0.1", udp, proto=17)
    os.write(fd, tun.PI_IPV4 + bytes(tun.VNET_HDR_LEN) + packet)
    data, addr = sink.recvfrom(100)
    assert data == payload and addr == ("10.72.0.2", 40000), (data, addr)
    os.close(fd)
    print("ok")
''')


def test_tun_device_flags_mtu_and_packets_both_ways():
    with namespace("wgtn") as ns:
        ns.run("ip", "link", "set", "lo", "up")
        name = unique_ifname("wgtn")
        result = ns.run(sys.executable, "-c", SCRIPT, name, env=dict(os.environ, PYTHONPATH=str(REPO)),
                        check=False, timeout=30)
        assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
        # The device went with its last file descriptor.
        assert ns.run("ip", "link", "show", name, check=False).returncode != 0
