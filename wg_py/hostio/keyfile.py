"""Key files, as the C tool reads them for `wg set private-key FILE` / `preshared-key FILE`."""

from __future__ import annotations

import os

from wg_py.config.values import C_SPACE, parse_key
from wg_py.errors import KeyFileError
from wg_py.keys import KEY_B64_LEN, ZERO_KEY


def read_key_file(path: str) -> bytes:
    """A `private-key`/`preshared-key` file: 44 base64 characters, then only whitespace.

    An empty regular file or /dev/null is the all-zero key (it removes the key). Works on
    pipes and FIFOs (`<(echo KEY)`, /dev/stdin): the file is read as a stream, never sought.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as e:
        raise KeyFileError("open", errno=e.errno or 0) from None
    try:
        head, failed = _read_upto(fd, KEY_B64_LEN)
        if len(head) < KEY_B64_LEN:
            if not failed and head == b"" and _at_offset_zero(fd):
                return ZERO_KEY
            raise KeyFileError("length")
        while True:
            chunk, failed = _read_upto(fd, 4096)
            if failed:
                raise KeyFileError("read", errno=failed)
            if not chunk:
                break
            for byte in chunk:
                if chr(byte) not in C_SPACE:
                    raise KeyFileError("trailing", bytes([byte]).decode("utf-8", "surrogateescape"))
    finally:
        os.close(fd)
    # The C tool reads the key as a C string: a NUL ends it early (and it then fails).
    text = head.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
    return parse_key(text)


def _read_upto(fd: int, n: int) -> tuple[bytes, int]:
    """Read until n bytes or EOF; returns (data, errno of a failed read or 0).

    Raw os.read, not a file object: like fopen(3), this must accept a directory and fail
    only when reading it (EISDIR), which the C tool reports as a short key.
    """
    data = b""
    while len(data) < n:
        try:
            chunk = os.read(fd, n - len(data))
        except OSError as e:
            return data, e.errno or 1
        if not chunk:
            break
        data += chunk
    return data, 0


def _at_offset_zero(fd: int) -> bool:
    # ftell() == 0: true for an empty file or /dev/null; a pipe cannot tell (ESPIPE).
    try:
        return os.lseek(fd, 0, os.SEEK_CUR) == 0
    except OSError:
        return False
