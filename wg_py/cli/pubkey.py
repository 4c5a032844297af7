"""`wg pubkey`: a base64 private key on stdin → its public key on stdout.

As pubkey.c reads it: exactly 44 characters, then only NUL bytes and whitespace until EOF.
A short read or a bad key is `<argv0>: Key is not the correct length or format`; anything
else after the key is `<argv0>: Trailing characters found after key`. Both exit 1.
"""

from __future__ import annotations

import os

from wg_py.cli.errors import usage_error, write_stderr, write_stdout
from wg_py.keys import KEY_B64_LEN, is_base64_key, key_from_base64, key_to_base64, public_key

# char_is_space (wireguard-tools ctype.h) plus NUL, which pubkey.c also skips.
_TOLERATED = frozenset(b" \t\n\v\f\r\0")


def _read_exactly(fd: int, n: int) -> bytes:
    data = b""
    while len(data) < n:
        try:
            chunk = os.read(fd, n - len(data))
        except InterruptedError:
            continue
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data


def _only_tolerated_until_eof(fd: int) -> bool:
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return True  # getc() returning EOF on a read error ends the loop the same way
        if not chunk:
            return True
        if not _TOLERATED.issuperset(chunk):
            return False


def run(argv0: str, name: str, argv: list[str]) -> int:
    if argv:
        return usage_error(argv0, name)
    text = _read_exactly(0, KEY_B64_LEN)
    if len(text) != KEY_B64_LEN:
        write_stderr(f"{argv0}: Key is not the correct length or format\n")
        return 1
    if not _only_tolerated_until_eof(0):
        write_stderr(f"{argv0}: Trailing characters found after key\n")
        return 1
    if not is_base64_key(text):
        write_stderr(f"{argv0}: Key is not the correct length or format\n")
        return 1
    write_stdout(key_to_base64(public_key(key_from_base64(text.decode("ascii")))) + "\n")
    return 0
