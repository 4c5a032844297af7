"""Every fuzz target in fuzz/ runs for a bounded number of inputs (seconds, not minutes),
from its seeds, and finds nothing; the inputs earlier runs crashed on stay fixed."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FUZZ = REPO / "fuzz"
TARGETS = sorted(p.stem.removeprefix("fuzz_") for p in FUZZ.glob("fuzz_*.py"))

pytest.importorskip("atheris", reason="needs atheris (the test extra installs it)")


def test_every_parser_that_faces_input_has_a_target():
    assert TARGETS == ["conffile", "datagrams", "netlink", "quick", "setargs", "uapi_client", "uapi_server"]


@pytest.mark.parametrize("target", TARGETS)
def test_target_runs_clean(target, tmp_path):
    corpus = tmp_path / "corpus"
    seeds = FUZZ / "seeds" / target
    if seeds.is_dir():
        shutil.copytree(seeds, corpus)            # libFuzzer adds to its corpus: never to the repo's
    else:
        corpus.mkdir()
    proc = subprocess.run([sys.executable, str(FUZZ / f"fuzz_{target}.py"), "-runs=3000", "-seed=1",
                           f"-artifact_prefix={tmp_path}/", str(corpus)],
                          capture_output=True, text=True, timeout=240, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Done 3000 runs" in proc.stderr
    assert not list(tmp_path.glob("crash-*"))


def test_netlink_reply_with_a_flat_peers_attribute_is_refused_not_a_traceback():
    """Found by fuzz/fuzz_netlink.py: WGDEVICE_A_PEERS that is not a nested list made
    device_from_messages raise AttributeError; the reply is now a protocol error."""
    from wg_py.ipc.netlink import MALFORMED, WgMsg, device_from_messages

    data = bytes.fromhex("0803080000")
    packet = struct.pack("=IHHII", 16 + 4 + len(data), 0x1c, 2, 0, 0) + b"\x00\x01\x00\x00" + data
    msg = WgMsg(packet)
    with pytest.raises(MALFORMED):
        msg.decode()
        device_from_messages([msg])


def test_netlink_reply_with_a_peer_without_public_key_is_refused_not_a_traceback():
    """Found by a 1,000,000-input run of fuzz/fuzz_netlink.py: a peer nest with no
    WGPEER_A_PUBLIC_KEY raised OSError(EINVAL) past the decoder's contract; it is now
    malformed (a protocol error), like every other reply the kernel could not have sent."""
    from wg_py.ipc.netlink import MALFORMED, WgMsg, device_from_messages

    data = bytes.fromhex("4400080004000400040004000400000404000400040004080400040004000400"
                         "0400040004000400040004000400000404000400040004000400040004000400"
                         "0400000404000408040004000600000000000000040004000400040004000400"
                         "040004000400000004000400")
    packet = struct.pack("=IHHII", 16 + 4 + len(data), 0x1c, 2, 0, 0) + b"\x00\x01\x00\x00" + data
    msg = WgMsg(packet)
    with pytest.raises(MALFORMED):
        msg.decode()
        device_from_messages([msg])
