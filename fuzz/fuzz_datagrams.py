"""Fuzz target: datagrams from the network into the sans-IO core (wg_py.protocol.device).

Alice and Bob have a session; the fuzzer picks a genuine message of each of the four types
(initiation, response, cookie reply, transport; captured once at start) or raw bytes, and
mutates it (flipped bytes, truncated, extended, repeated as a replay) before Bob or Alice
receives it, several to a batch. Nothing may raise; a packet Bob delivers must be one
Alice really sent (a forged or altered datagram never reaches the TUN); the configuration
never changes."""

import atheris

with atheris.instrument_imports():
    from common import run
    from tests.protocol.helpers import ADDR_A, ADDR_C, Pair
    from wg_py.protocol import configuration
    from wg_py.uapi.server import format_get


def capture() -> tuple[Pair, dict[str, list[bytes]], set[bytes]]:
    """A pair with a session, every datagram of its handshakes and data, and a cookie reply."""
    p = Pair()
    seen: list = []
    sent = set()

    def record(flight):
        seen.extend(data for _src, _dst, data in flight)
        return flight

    for i in range(3):
        payload = p.a_to_b(b"genuine %d" % i)
        sent.add(payload)
        p.alice.send_packets([payload])
        p.settle(record)
    p.bob.take_packets()
    # A cookie reply: Bob under load answers a fresh initiation with one.
    p.bob.under_load_threshold = 1
    p.alice.expire_current_keypairs(p.peer_of(p.alice))
    p.clock.advance(1)
    payload = p.a_to_b(b"after rekey")
    sent.add(payload)
    p.alice.send_packets([payload])
    initiations = [data for data, _dst in p.alice.take_datagrams()]
    seen.extend(initiations)
    p.bob.receive_datagrams([(data, ADDR_C) for data in initiations])
    seen.extend(data for data, _dst in p.bob.take_datagrams())
    p.bob.under_load_threshold = 10 ** 9
    kinds: dict[str, list[bytes]] = {}
    for data in seen:
        kinds.setdefault({1: "initiation", 2: "response", 3: "cookie", 4: "transport"}[data[0]], []).append(data)
    assert sorted(kinds) == ["cookie", "initiation", "response", "transport"], sorted(kinds)
    return p, kinds, sent


PAIR, KINDS, SENT = capture()
NAMES = sorted(KINDS)
CONFIG_B = format_get(configuration.snapshot(PAIR.bob))
CONFIG_A = format_get(configuration.snapshot(PAIR.alice))


def mutate(fdp, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(fdp.ConsumeIntInRange(0, 4)):
        if not out:
            break
        out[fdp.ConsumeIntInRange(0, len(out) - 1)] ^= fdp.ConsumeIntInRange(1, 255)
    how = fdp.ConsumeIntInRange(0, 3)
    if how == 1 and out:
        out = out[:fdp.ConsumeIntInRange(0, len(out) - 1)]
    elif how == 2:
        out += fdp.ConsumeBytes(fdp.ConsumeIntInRange(1, 64))
    return bytes(out)


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    batch_for_bob, batch_for_alice = [], []
    for _ in range(fdp.ConsumeIntInRange(1, 6)):
        choice = fdp.ConsumeIntInRange(0, len(NAMES))
        if choice == len(NAMES):
            datagram = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 200))
        else:
            pool = KINDS[NAMES[choice]]
            datagram = mutate(fdp, pool[fdp.ConsumeIntInRange(0, len(pool) - 1)])
        source = (ADDR_A, ADDR_C)[fdp.ConsumeIntInRange(0, 1)]
        (batch_for_alice if fdp.ConsumeBool() else batch_for_bob).append((datagram, source))
    PAIR.bob.receive_datagrams(batch_for_bob)
    PAIR.alice.receive_datagrams(batch_for_alice)
    for packet in PAIR.bob.take_packets():
        assert bytes(packet) in SENT, "a datagram nobody sent reached Bob's TUN"
    assert not PAIR.alice.take_packets(), "Bob never sent Alice data: nothing may reach her TUN"
    PAIR.bob.take_datagrams()
    PAIR.alice.take_datagrams()
    if fdp.ConsumeBool():
        PAIR.clock.advance(fdp.ConsumeIntInRange(0, 30))
        PAIR.bob.tick()
        PAIR.alice.tick()


def check_configuration() -> None:
    """Counters and handshake times change; the configuration part of `get` never does."""
    import re

    def strip(text: str) -> str:
        return re.sub(r"(last_handshake_time_n?sec|rx_bytes|tx_bytes|endpoint)=[^\n]*\n", "", text)

    assert strip(format_get(configuration.snapshot(PAIR.bob))) == strip(CONFIG_B)
    assert strip(format_get(configuration.snapshot(PAIR.alice))) == strip(CONFIG_A)


def test_and_check(data: bytes) -> None:
    test_one_input(data)
    check_configuration()


if __name__ == "__main__":
    run(test_and_check)
