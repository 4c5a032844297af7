"""The four WireGuard messages on the wire (whitepaper §5.4): exact sizes, little-endian fields.

`unpack_*` take the whole UDP payload and return None when the size or the type field
(type byte plus three zero reserved bytes, read as one little-endian u32) is wrong;
`pack_*` produce the exact bytes. Handshake messages are small dataclasses; transport
data is packed by the device with the `TRANSPORT_HEADER` Struct on the hot path.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from wg_py.protocol.constants import (
    COOKIE_REPLY_SIZE, INITIATION_SIZE, MESSAGE_COOKIE_REPLY, MESSAGE_INITIATION,
    MESSAGE_RESPONSE, MESSAGE_TRANSPORT, RESPONSE_SIZE,
)

_INITIATION = struct.Struct("<II32s48s28s16s16s")
_RESPONSE = struct.Struct("<III32s16s16s16s")
_COOKIE_REPLY = struct.Struct("<II24s32s")
TRANSPORT_HEADER = struct.Struct("<IIQ")  # type, receiver index, counter
MESSAGE_TYPE = struct.Struct("<I")
assert _INITIATION.size == INITIATION_SIZE and _RESPONSE.size == RESPONSE_SIZE
assert _COOKIE_REPLY.size == COOKIE_REPLY_SIZE

EMPTY_MAC = bytes(16)


@dataclass
class Initiation:
    sender: int
    ephemeral: bytes        # 32
    encrypted_static: bytes  # 32 + 16
    encrypted_timestamp: bytes  # 12 + 16
    mac1: bytes = EMPTY_MAC
    mac2: bytes = EMPTY_MAC


@dataclass
class Response:
    sender: int
    receiver: int
    ephemeral: bytes     # 32
    encrypted_nothing: bytes  # 0 + 16
    mac1: bytes = EMPTY_MAC
    mac2: bytes = EMPTY_MAC


@dataclass
class CookieReply:
    receiver: int
    nonce: bytes             # 24
    encrypted_cookie: bytes  # 16 + 16


def message_type(data: bytes) -> int:
    """The u32 type field, or 0 if the datagram is shorter than 4 bytes."""
    if len(data) < 4:
        return 0
    return MESSAGE_TYPE.unpack_from(data)[0]


def pack_initiation(m: Initiation) -> bytes:
    return _INITIATION.pack(MESSAGE_INITIATION, m.sender, m.ephemeral, m.encrypted_static,
                            m.encrypted_timestamp, m.mac1, m.mac2)


def unpack_initiation(data: bytes) -> Initiation | None:
    if len(data) != INITIATION_SIZE:
        return None
    mtype, *fields = _INITIATION.unpack(data)
    if mtype != MESSAGE_INITIATION:
        return None
    return Initiation(*fields)


def pack_response(m: Response) -> bytes:
    return _RESPONSE.pack(MESSAGE_RESPONSE, m.sender, m.receiver, m.ephemeral,
                          m.encrypted_nothing, m.mac1, m.mac2)


def unpack_response(data: bytes) -> Response | None:
    if len(data) != RESPONSE_SIZE:
        return None
    mtype, *fields = _RESPONSE.unpack(data)
    if mtype != MESSAGE_RESPONSE:
        return None
    return Response(*fields)


def pack_cookie_reply(m: CookieReply) -> bytes:
    return _COOKIE_REPLY.pack(MESSAGE_COOKIE_REPLY, m.receiver, m.nonce, m.encrypted_cookie)


def unpack_cookie_reply(data: bytes) -> CookieReply | None:
    if len(data) != COOKIE_REPLY_SIZE:
        return None
    mtype, *fields = _COOKIE_REPLY.unpack(data)
    if mtype != MESSAGE_COOKIE_REPLY:
        return None
    return CookieReply(*fields)


def pack_transport_header(receiver: int, counter: int) -> bytes:
    return TRANSPORT_HEADER.pack(MESSAGE_TRANSPORT, receiver, counter)
