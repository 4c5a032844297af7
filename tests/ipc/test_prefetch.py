"""wg_py/ipc/prefetch.py (syncconf's KeysPrefetch, a forked reader) and the kernel gate of
wg_py/ipc/__init__.py.

The prefetch runs `get` in a child process; what comes back must be what get_device would
give for the fields syncconf compares, and every failure must come back as the same error.
"""

from __future__ import annotations

import errno
import ipaddress
import os

import pytest

from tests.support.fake_uapi import FakeUapi
from wg_py import ipc, keys
from wg_py.ipc.prefetch import KeysPrefetch
from wg_py.uapi import server as uapi_server
from wg_py.errors import InterfaceAccessError
from wg_py.model import Endpoint, WgAllowedIP, WgDevice, WgPeer


def kb(i: int) -> bytes:
    return keys.clamp(bytes([i]) * 32)


RUNNING = WgDevice(private_key=kb(1), public_key=keys.public_key(kb(1)), listen_port=51820, fwmark=0, peers=[
    WgPeer(kb(2), preshared_key=kb(3), endpoint=Endpoint(ipaddress.ip_address("192.0.2.1"), 1),
           persistent_keepalive_interval=25, allowed_ips=[WgAllowedIP(ipaddress.ip_network("10.0.0.0/8"))]),
    WgPeer(kb(4), persistent_keepalive_interval=0,
           allowed_ips=[WgAllowedIP(ipaddress.ip_network(f"10.{i}.0.0/16")) for i in range(50)]),
])


def fields(device: WgDevice) -> list[tuple]:
    return [(p.public_key, p.preshared_key, p.persistent_keepalive_interval) for p in device.peers]


def test_prefetch_gives_what_get_device_gives():
    with FakeUapi(get_reply=uapi_server.format_get(RUNNING)) as fake:
        prefetched = KeysPrefetch(fake.name).result()
        direct = ipc.get_device(fake.name, keys_only=True)
    assert prefetched.name == fake.name
    assert fields(prefetched) == fields(direct) == fields(RUNNING)


@pytest.mark.parametrize("reply, code", [("errno=5\n\n", errno.EIO), ("garbage", errno.EPROTO),
                                         (f"public_key={kb(2).hex()}\nallowed_ip=1.2.3.4/40\nerrno=0\n\n",
                                          errno.EPROTO)])
def test_prefetch_failures_are_get_devices(reply, code):
    with FakeUapi(get_reply=reply) as fake:
        with pytest.raises(InterfaceAccessError) as prefetched:
            KeysPrefetch(fake.name).result()
        with pytest.raises(InterfaceAccessError) as direct:
            ipc.get_device(fake.name, keys_only=True)
    assert prefetched.value.errno == direct.value.errno == code


def test_prefetch_of_a_name_without_socket_goes_to_the_kernel_gate(monkeypatch, tmp_path):
    monkeypatch.setattr(ipc, "KERNEL_MODULE_DIR", str(tmp_path / "absent"))
    with pytest.raises(InterfaceAccessError) as info:
        KeysPrefetch("wgnosuch0").result()
    assert info.value.errno == errno.EPROTONOSUPPORT


def test_prefetch_child_that_dies_or_crashes(monkeypatch):
    with FakeUapi(get_reply=uapi_server.format_get(RUNNING)) as fake:
        monkeypatch.setattr(ipc, "parse_reply", lambda *a: os._exit(3))
        with pytest.raises(InterfaceAccessError) as info:
            KeysPrefetch(fake.name).result()
        assert info.value.errno == errno.EIO

        def bug(*args):
            raise KeyError("a bug")

        monkeypatch.setattr(ipc, "parse_reply", bug)
        with pytest.raises(RuntimeError, match="KeyError: 'a bug'"):
            KeysPrefetch(fake.name).result()


def test_prefetch_wait_reaps_the_child():
    with FakeUapi(get_reply=uapi_server.format_get(RUNNING)) as fake:
        prefetch = KeysPrefetch(fake.name)
        prefetch.wait()
    with pytest.raises(ChildProcessError):
        os.waitpid(prefetch._pid, os.WNOHANG)
