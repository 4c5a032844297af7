"""What the config tests share: keys, the real tools' paths, and running both parsers.

The tests side by side with the real tools (tests/config, tests/hostio, tests/quick):
- bad config files: `/usr/bin/wg setconf <no such interface> FILE` parses the whole file
  before it talks to any interface, so its stderr and exit status for a bad file are the
  parser's alone; ours must be the same bytes (warnings, error line, trailer);
- good config files: the real `wg setconf` applies them to a wireguard-go interface in a
  namespace; its `wg showconf` must describe what our model says;
- `wg set` arguments and key files: the same, through `/usr/bin/wg set`;
- wg-quick's view: `wg_text` against the real `wg-quick strip`, and every field against
  the variables the real script's own parse_options fills in.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wg_py.cli.errors import render
from wg_py.config.conffile import decode_config, parse_wg_config
from wg_py.config.setargs import parse_set_args
from wg_py.config.values import parse_allowed_ips, parse_fwmark
from wg_py.hostio import SystemLookup
from wg_py.hostio.keyfile import read_key_file
from wg_py.hostio.resolve import endpoint_from_sockaddr, resolution_retries, resolve_endpoint
from wg_py.errors import ConfigLineError, ConfigValueError, KeyFileError, QuickConfigError, WgError
from wg_py.keys import ZERO_KEY, key_from_base64, key_to_base64
from wg_py.model import Endpoint, WgAllowedIP, WgDevice, WgPeer
from tests.support import netns

REAL_WG = "/usr/bin/wg"
REAL_WG_QUICK = "/usr/bin/wg-quick"
NO_IFACE = "wgpyNoSuchIf0"  # setconf/set on it fail only after parsing

K = "mMpGjXv1vIguUUeLTTG0aw0YXM9omHTWx8gFbEK9NEA="   # a private key
P = "g4Yj8/vqgP06KTmk+J0Akj2nZ/tSmFjI8cZjcVlupwI="   # its public key
P2 = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="
P3 = "b57FW0GvcchunEQwxJfbSp8g1wnnMy06MZ35Gh1wyg8="
PSK = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="
NONCANON = P[:42] + "B="  # last quantum has non-zero unused bits

oracle = pytest.mark.oracle
# The real wg-quick re-executes itself through sudo unless it runs as root, even for `strip`.
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="the real wg-quick needs root, even to strip")



# --- helpers -----------------------------------------------------------------------------


def ours_setconf(data: bytes, append: bool = False) -> tuple[bytes, int, object]:
    """What our parser prints (warnings, then the error) and its status; plus the model."""
    warnings: list[str] = []
    try:
        device = parse_wg_config(decode_config(data), append, warn=warnings.append,
                                 lookup=SystemLookup(warnings.append))
    except WgError as e:
        text = "".join(w + "\n" for w in warnings) + render(e) + "\n"
        return text.encode("utf-8", "surrogateescape"), 1, None
    text = "".join(w + "\n" for w in warnings)
    return text.encode("utf-8", "surrogateescape"), 0, device


def real(*argv: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), capture_output=True, timeout=30,
                          env=None if env is None else {**os.environ, **env}, **kw)


def real_setconf(data: bytes, tmp_path: Path) -> subprocess.CompletedProcess:
    path = tmp_path / "c.conf"
    path.write_bytes(data)
    return real(REAL_WG, "setconf", NO_IFACE, str(path))


MODIFY_FAILED = b"Unable to modify interface: "


def assert_same_as_real_setconf(data: bytes, tmp_path: Path) -> None:
    r = real_setconf(data, tmp_path)
    out, status, _ = ours_setconf(data)
    if status == 0:
        # The real tool parsed it too and only failed to reach the (missing) interface.
        lines = r.stderr.splitlines(keepends=True)
        assert lines and lines[-1].startswith(MODIFY_FAILED), (data, r.stderr)
        assert b"".join(lines[:-1]) == out, data
    else:
        assert (r.stderr, r.returncode) == (out, status), data


