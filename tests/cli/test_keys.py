"""`wg genkey`, `wg genpsk`, `wg pubkey` side by side with /usr/bin/wg.

Ours runs in-process with real file descriptors 0/1/2 swapped in (fast enough for property
tests over hundreds of inputs); a few runs go through a real process too. The real tool is
run with argv[0] = "wg" so that its messages name the program as ours do.
"""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wg_py.cli.main import main
from wg_py.keys import clamp
from tests.support.fdio import run_with_fds

REAL_WG = "/usr/bin/wg"
REPO = Path(__file__).resolve().parents[2]
oracle = pytest.mark.oracle

# Recorded once from the real `wg pubkey` (REFERENCE.md §1.9).
KNOWN_PRIVATE = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
KNOWN_PUBLIC = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="


def run_ours(argv: list[str], stdin: bytes = b"", stdout_path: str | None = None) -> tuple[bytes, bytes, int]:
    return run_with_fds(lambda: main(["wg", *argv]), stdin, stdout_path)


def run_real(argv: list[str], stdin: bytes = b"", stdout=subprocess.PIPE) -> tuple[bytes, bytes, int]:
    r = subprocess.run(["wg", *argv], executable=REAL_WG, input=stdin, stdout=stdout,
                       stderr=subprocess.PIPE, timeout=10)
    return r.stdout or b"", r.stderr, r.returncode


def b64_key(raw: bytes) -> bytes:
    return base64.b64encode(raw)


# --- genkey / genpsk ---------------------------------------------------------------------------


def test_genkey_is_a_clamped_base64_key_and_newline():
    for _ in range(20):
        out, err, status = run_ours(["genkey"])
        assert (err, status) == (b"", 0) and len(out) == 45 and out.endswith(b"\n")
        raw = base64.b64decode(out[:44], validate=True)
        assert clamp(raw) == raw


def test_genpsk_is_not_clamped_and_keys_differ():
    keys = set()
    unclamped = 0
    for _ in range(40):
        out, _err, status = run_ours(["genpsk"])
        assert status == 0 and len(out) == 45
        raw = base64.b64decode(out[:44], validate=True)
        keys.add(raw)
        unclamped += clamp(raw) != raw
    assert len(keys) == 40
    assert unclamped > 0  # a random key looks clamped with probability 1/32


@oracle
@pytest.mark.parametrize("argv", [["genkey", "x"], ["genpsk", "a", "b"], ["pubkey", "x"],
                                  ["genkey", "--help"], ["pubkey", ""]])
def test_usage_errors_same_as_real(argv):
    assert run_ours(argv) == run_real(argv)


@oracle
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o644, 0o604, 0o602, 0o601, 0o666, 0o700, 0o707])
@pytest.mark.parametrize("name", ["genkey", "genpsk"])
def test_world_accessible_warning_same_as_real(name, mode, tmp_path):
    ours_file, real_file = tmp_path / "ours", tmp_path / "real"
    for path in (ours_file, real_file):
        path.touch()
        path.chmod(mode)
    _out, ours_err, ours_status = run_ours([name], stdout_path=str(ours_file))
    with open(real_file, "ab") as f:
        _o, real_err, real_status = run_real([name], stdout=f)
    assert (ours_err, ours_status) == (real_err, real_status)
    assert bool(mode & stat.S_IRWXO) == (b"world accessible" in ours_err)
    assert len(ours_file.read_bytes()) == len(real_file.read_bytes()) == 45


def test_no_warning_for_a_pipe_or_a_device():
    r = subprocess.run([sys.executable, "-m", "wg_py", "genkey"], capture_output=True, cwd=REPO, timeout=30)
    assert r.stderr == b"" and len(r.stdout) == 45
    with open("/dev/null", "wb") as devnull:
        r = subprocess.run([sys.executable, "-m", "wg_py", "genpsk"], stdout=devnull,
                           stderr=subprocess.PIPE, cwd=REPO, timeout=30)
    assert r.stderr == b"" and r.returncode == 0


def test_genkey_into_a_closed_pipe_dies_of_sigpipe_like_real():
    # `true` has exited long before the interpreter has started, so the write meets a closed
    # pipe: the C tool dies of SIGPIPE (status 141 in bash); ours must too, not a traceback.
    cmd = f"'{sys.executable}' -m wg_py genkey | true; echo ${{PIPESTATUS[0]}}"
    ours = subprocess.run(["bash", "-c", cmd], capture_output=True, cwd=REPO, timeout=30)
    assert ours.stdout.strip() in (b"141", b"0") and ours.stderr == b""


# --- pubkey ------------------------------------------------------------------------------------


def test_pubkey_known_answer():
    assert run_ours(["pubkey"], KNOWN_PRIVATE.encode() + b"\n") == (KNOWN_PUBLIC.encode() + b"\n", b"", 0)


def test_genkey_pipe_pubkey_through_processes():
    gen = subprocess.run([sys.executable, "-m", "wg_py", "genkey"], capture_output=True, cwd=REPO, timeout=30)
    ours = subprocess.run([sys.executable, "-m", "wg_py", "pubkey"], input=gen.stdout, capture_output=True,
                          cwd=REPO, timeout=30)
    real = subprocess.run([REAL_WG, "pubkey"], input=gen.stdout, capture_output=True, timeout=10)
    assert ours.stdout == real.stdout and len(ours.stdout) == 45 and ours.returncode == 0


PUBKEY_CASES = [
    b"",
    b"\n",
    KNOWN_PRIVATE.encode(),                       # no newline at all
    KNOWN_PRIVATE.encode() + b"\n\n\n",
    KNOWN_PRIVATE.encode() + b" \t\r\n\v\f",
    KNOWN_PRIVATE.encode() + b"\0\0\0\n\0",
    KNOWN_PRIVATE.encode() + b"\nx",
    KNOWN_PRIVATE.encode() + b"=",
    KNOWN_PRIVATE.encode() + b"\xff",
    KNOWN_PRIVATE.encode()[:43],
    KNOWN_PRIVATE.encode()[:43] + b"\n",
    b" " + KNOWN_PRIVATE.encode(),               # leading whitespace is not skipped
    KNOWN_PRIVATE.encode()[:42] + b"B=",          # non-canonical last quantum
    KNOWN_PRIVATE.encode()[:43] + b"A",           # no padding
    KNOWN_PRIVATE.encode()[:20] + b"\0" + KNOWN_PRIVATE.encode()[21:],
    b"!" * 44,
    b"A" * 43 + b"=",
    b"/" * 43 + b"=",                             # '/' carries non-zero low bits: non-canonical
    b"A" * 100,
    b"garbage\n",
]


@oracle
@pytest.mark.parametrize("data", PUBKEY_CASES)
def test_pubkey_same_as_real(data):
    assert run_ours(["pubkey"], data) == run_real(["pubkey"], data)


_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_TAIL = b" \t\r\n\v\f\0x=A\xff"


@st.composite
def pubkey_inputs(draw) -> bytes:
    raw = draw(st.binary(min_size=32, max_size=32))
    key = bytearray(b64_key(raw))
    for _ in range(draw(st.integers(0, 2))):  # a few single-character mutations
        key[draw(st.integers(0, 43))] = draw(st.sampled_from(_B64 + b"\0 \n-_"))
    cut = draw(st.integers(38, 44))
    tail = draw(st.binary(max_size=6).map(lambda b: bytes(_TAIL[c % len(_TAIL)] for c in b)))
    return bytes(key[:cut]) + tail


@oracle
@settings(max_examples=150, deadline=None)
@given(data=pubkey_inputs())
def test_pubkey_same_as_real_on_random_inputs(data):
    assert run_ours(["pubkey"], data) == run_real(["pubkey"], data)


@oracle
@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=80))
def test_pubkey_same_as_real_on_arbitrary_bytes(data):
    assert run_ours(["pubkey"], data) == run_real(["pubkey"], data)


@oracle
@settings(max_examples=60, deadline=None)
@given(raw=st.binary(min_size=32, max_size=32))
def test_pubkey_of_any_32_bytes_same_as_real(raw):
    data = b64_key(raw) + b"\n"
    ours = run_ours(["pubkey"], data)
    assert ours == run_real(["pubkey"], data) and ours[2] == 0


@oracle
@pytest.mark.parametrize("redirect", [">&-", ">/dev/full", "2>&- <&-"])
@pytest.mark.parametrize("name", ["genkey", "pubkey"])
def test_closed_or_full_streams_same_status_as_real(name, redirect):
    feed = f"echo {KNOWN_PRIVATE} | " if name == "pubkey" and "<&-" not in redirect else ""
    ours = subprocess.run(["bash", "-c", f"{feed}'{sys.executable}' -m wg_py {name} {redirect}"],
                          capture_output=True, cwd=REPO, timeout=30)
    real = subprocess.run(["bash", "-c", f"{feed}{REAL_WG} {name} {redirect}"], capture_output=True, timeout=10)
    assert ours.returncode == real.returncode and b"Traceback" not in ours.stderr
