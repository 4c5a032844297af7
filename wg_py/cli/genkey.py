"""`wg genkey` and `wg genpsk`: 32 random bytes (clamped for genkey), base64, newline.

Stdlib and `wg_py.keys` only: these commands run in shell loops, so start-up is the cost.
"""

from __future__ import annotations

import os
import stat

from wg_py.cli.errors import usage_error, write_stdout
from wg_py.keys import generate_preshared_key, generate_private_key, key_to_base64

WORLD_ACCESSIBLE_WARNING = (
    "Warning: writing to world accessible file.\n"
    "Consider setting the umask to 077 and trying again.\n"
)


def warns_world_accessible(fd: int = 1) -> bool:
    """True if `fd` is a regular file that others may read, write or run (genkey.c's test)."""
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode) and bool(mode & stat.S_IRWXO)


def run(argv0: str, name: str, argv: list[str]) -> int:
    if argv:
        return usage_error(argv0, name)
    if warns_world_accessible():
        os.write(2, WORLD_ACCESSIBLE_WARNING.encode())
    key = generate_private_key() if name == "genkey" else generate_preshared_key()
    write_stdout(key_to_base64(key) + "\n")
    return 0
