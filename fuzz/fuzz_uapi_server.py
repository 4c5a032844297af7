"""Fuzz target: the engine's side of the UAPI (wg_py.uapi.server + protocol.configuration).

A request is fed line by line to a live connection object, as the socket would; a `set`
that fails must leave the device exactly as it was (no half-applied configuration), and
only UapiError may come out of applying a parsed change."""

import atheris

with atheris.instrument_imports():
    from common import run
    from tests.protocol.helpers import KEY_A, KEY_B, ADDR_B, peer_change
    from tests.support.fakes import FakeClock, seeded_rng
    from wg_py.errors import UapiError
    from wg_py.model import WgDevice
    from wg_py.protocol import configuration
    from wg_py.protocol.device import Device
    from wg_py.uapi.server import SetParser, format_get


def fresh() -> Device:
    device = Device(FakeClock(), seeded_rng(3))
    configuration.apply(device, WgDevice(private_key=KEY_A, listen_port=51820, peers=[
        peer_change(KEY_B, ["10.0.0.2/32", "fd00::/64"], ADDR_B, persistent_keepalive_interval=25)]))
    return device


BASE = fresh()
BEFORE = format_get(configuration.snapshot(BASE))


def test_one_input(data: bytes) -> None:
    parser = SetParser()
    for line in data.decode("latin-1").split("\n"):
        if not line:
            break
        parser.feed(line)
    if parser.error is not None:
        return
    device = fresh()
    before = format_get(configuration.snapshot(device))
    try:
        configuration.apply(device, parser.change)
    except UapiError:
        assert format_get(configuration.snapshot(device)) == before, "half-applied"
    format_get(configuration.snapshot(device))


if __name__ == "__main__":
    run(test_one_input)
