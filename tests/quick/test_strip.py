"""`wg-quick strip` and the file checks, side by side with the real /usr/bin/wg-quick."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.quick.corpus import CORPUS

REPO = Path(__file__).resolve().parents[2]
REAL = "/usr/bin/wg-quick"
OURS = [sys.executable, "-m", "wg_quick_py"]
ENV = dict(os.environ, PYTHONPATH=str(REPO))

pytestmark = pytest.mark.skipif(not os.path.exists(REAL) or os.geteuid() != 0,
                                reason="needs root and the real wg-quick")


def run(argv: list[str]) -> tuple[int, bytes, bytes]:
    proc = subprocess.run(argv, capture_output=True, env=ENV, timeout=20)
    return proc.returncode, proc.stdout, proc.stderr


def both(*args: str) -> tuple[tuple, tuple]:
    return run([REAL, *args]), run([*OURS, *args])


@pytest.fixture
def confdir(tmp_path):
    tmp_path.chmod(0o700)
    return tmp_path


@pytest.mark.oracle
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_strip_matches_real(confdir, name):
    path = confdir / f"{name}.conf"
    path.write_bytes(CORPUS[name])
    path.chmod(0o600)
    real, ours = both("strip", str(path))
    assert real[0] == 0
    assert ours == real


@pytest.mark.oracle
def test_world_accessible_warning(tmp_path):
    tmp_path.chmod(0o755)
    path = tmp_path / "warn0.conf"
    path.write_bytes(CORPUS["minimal"])
    path.chmod(0o644)
    real, ours = both("strip", str(path))
    assert b"is world accessible" in real[2]
    assert ours == real
    # Only when the directory grants "other" something too.
    tmp_path.chmod(0o750)
    real, ours = both("strip", str(path))
    assert real[2] == b""
    assert ours == real


@pytest.mark.oracle
def test_symlink_takes_name_from_link(confdir):
    target = confdir / "target.conf"
    target.write_bytes(CORPUS["everykey"])
    target.chmod(0o600)
    link = confdir / "linked0.conf"
    link.symlink_to(target)
    assert both("strip", str(link))[1] == both("strip", str(link))[0]


@pytest.mark.oracle
@pytest.mark.parametrize("args", [
    ("strip", "/nonexistent/wg0.conf"),
    ("strip", "wgpy-nothere"),                # a bare name: /etc/wireguard/wgpy-nothere.conf
    ("strip", "bad name!"),
    ("up", "/nonexistent/dir/x.conf"),
    ("down", "/nonexistent/dir/x.conf"),
    ("save", "/nonexistent/dir/x.conf"),
])
def test_missing_file_errors(args):
    real, ours = both(*args)
    assert real[0] == 1
    assert ours == real


@pytest.mark.oracle
def test_bad_file_name(confdir):
    for name in ("noext", "toolonginterfacename.conf", "sp ace.conf", "x.config"):
        path = confdir / name
        path.write_bytes(CORPUS["minimal"])
        path.chmod(0o600)
        real, ours = both("strip", str(path))
        assert real[2].startswith(b"wg-quick: The config file must be a valid interface name")
        assert ours == real


@pytest.mark.oracle
@pytest.mark.parametrize("value", ["maybe", "yes", "1", "TRUE", "False"])
def test_saveconfig_values(confdir, value):
    path = confdir / "save0.conf"
    path.write_text(f"[Interface]\nSaveConfig = {value}\n")
    path.chmod(0o600)
    real, ours = both("strip", str(path))
    assert ours == real


@pytest.mark.oracle
@pytest.mark.parametrize("args", [(), ("up",), ("bogus", "wg0"), ("up", "a", "b"), ("strip", "a", "b"),
                                  ("--help",), ("-h",), ("help",), ("help", "me")])
def test_usage_shape(args):
    real, ours = both(*args)
    assert ours[0] == real[0]
    assert ours[1] == real[1] == b""
    # Our usage is in our own words; its first line and stream match.
    assert ours[2].splitlines()[0] == real[2].splitlines()[0]
