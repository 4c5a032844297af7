"""The engine's event loop (TUN, UDP, UAPI, timers) against the protocol core itself as the
peer: no wireguard-go, no second engine. A script in a namespace the test makes holds a sans-IO
`Device` on a plain UDP socket; the engine runs beside it; a ping goes through the tunnel to
the kernel and its reply comes back, decrypted by the script.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from tests.engine.helpers import REPO, genkey, start_engine, wg
from tests.support.netns import namespace, unique_ifname

pytestmark = pytest.mark.netns

PEER_SCRIPT = textwrap.dedent('''
    import ipaddress, os, random, select, socket, sys, time
    sys.path.insert(0, sys.argv[1])
    from tests.protocol.helpers import icmp_echo, parse_icmp
    from wg_py.engine.loop import OsRng, SystemClock
    from wg_py.model import Endpoint, WgAllowedIP, WgDevice, WgPeer
    from wg_py.protocol import configuration
    from wg_py.protocol.device import Device

    private, engine_public, engine_port = bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3]), int(sys.argv[4])
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    sys.stdin.readline()   # the engine knows us now: no first initiation lost to the race
    device = Device(SystemClock(), OsRng())
    configuration.apply(device, WgDevice(private_key=private, peers=[WgPeer(
        engine_public, endpoint=Endpoint.parse(f"127.0.0.1:{engine_port}"),
        allowed_ips=[WgAllowedIP(ipaddress.ip_network("10.71.0.0/24"))])]))
    device.set_up(True)
    replies = 0
    deadline = time.monotonic() + 20
    seq = 0
    while replies < 3 and time.monotonic() < deadline:
        seq += 1
        device.send_packets([icmp_echo("10.71.0.2", "10.71.0.1", 7, seq)])
        until = time.monotonic() + 0.5
        while time.monotonic() < until:
            for data, addr in device.take_datagrams():
                sock.sendto(data, addr)
            ready, _, _ = select.select([sock], [], [], 0.05)
            if ready:
                data, addr = sock.recvfrom(65536)
                device.receive_datagrams([(data, addr)])
            for packet in device.take_packets():
                parsed = parse_icmp(packet)
                if parsed and parsed[0] == "10.71.0.1" and parsed[2] == 0 and parsed[3] == 7:
                    replies += 1
            if device.next_deadline() is not None and device.next_deadline() <= time.monotonic():
                device.tick()
    print(replies, dict(device.stats), flush=True)
''')


def test_ping_through_the_engine_to_the_protocol_core(tmp_path):
    with namespace("wglp") as ns:
        ns.run("ip", "link", "set", "lo", "up")
        name = unique_ifname("wglp")
        assert start_engine(ns, name).returncode == 0
        engine_private, engine_public = genkey()
        peer_private, peer_public = genkey()
        key_file = tmp_path / "key"
        key_file.write_text(engine_private + "\n")
        wg(ns, "set", name, "private-key", str(key_file), "listen-port", "51771")
        import base64
        script = ns.popen(sys.executable, "-c", PEER_SCRIPT, str(REPO), base64.b64decode(peer_private).hex(),
                          base64.b64decode(engine_public).hex(), "51771", stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
        try:
            peer_port = script.stdout.readline().strip()
            wg(ns, "set", name, "peer", peer_public, "endpoint", f"127.0.0.1:{peer_port}",
               "allowed-ips", "10.71.0.2/32")
            ns.run("ip", "addr", "add", "10.71.0.1/24", "dev", name)
            ns.run("ip", "link", "set", name, "up")
            out, _ = script.communicate("go\n", timeout=40)
        finally:
            if script.poll() is None:
                script.kill()
                script.wait()
        replies = int(out.split()[0])
        assert replies == 3, out
        dump = wg(ns, "show", name, "dump").stdout.splitlines()[1].split("\t")
        assert int(dump[4]) > 0 and int(dump[5]) > 0 and int(dump[6]) > 0   # handshake, rx, tx
