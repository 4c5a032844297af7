"""Fuzz target: decoding kernel WireGuard netlink replies (wg_py.ipc.netlink): a malformed
message may be refused with one of netlink.MALFORMED (kernel_get_device turns them into
EPROTO, `wg` into `Unable to access interface: Protocol error`), never anything else."""

import struct

import atheris

with atheris.instrument_imports():
    from common import run
    from wg_py.ipc.netlink import MALFORMED, WgMsg, device_from_messages


NESTED = {8: {"*": {9: {"*": {}}}}}   # WGDEVICE_A_PEERS -> peers -> WGPEER_A_ALLOWEDIPS -> entries


def framed(data: bytes, nested: dict) -> bool:
    """Attributes as the kernel always frames them: every nla_len at least 4 and inside its
    parent, each padded to 4 bytes, nested ones framed too, nothing left over. pyroute2 cannot decode unframed bytes (a zero nla_len
    makes it loop until memory runs out); only the kernel writes to this socket, so the
    target fuzzes what a kernel could send: framed attributes with any contents."""
    offset = 0
    while offset + 4 <= len(data):
        length, kind = struct.unpack_from("=HH", data, offset)
        if length < 4 or offset + length > len(data):
            return False
        inner = nested.get("*", nested.get(kind & 0x3FFF))
        if inner is not None and not framed(data[offset + 4:offset + length], inner):
            return False
        offset += (length + 3) & ~3
    return offset == len(data)          # the kernel pads each attribute to 4 bytes


def test_one_input(data: bytes) -> None:
    if not framed(data, NESTED):
        return
    # A genetlink header (the decoder reads the length from the first 4 bytes) and payload.
    packet = struct.pack("=IHHII", 16 + 4 + len(data), 0x1c, 2, 0, 0) + b"\x00\x01\x00\x00" + data
    msg = WgMsg(packet)
    try:
        msg.decode()
        device_from_messages([msg])
    except MALFORMED:
        pass


if __name__ == "__main__":
    run(test_one_input)
