"""`wg help|--help|-h`, `wg --version|-v|version`, `wg <unknown>`: same bytes, stream and
status as /usr/bin/wg, with argv[0] shown as typed; and argv[0] of the console script."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.support.fdio import run_with_fds
from wg_py.cli.main import main, program_name

REAL_WG = "/usr/bin/wg"
oracle = pytest.mark.oracle

CASES = [
    ["help"], ["--help"], ["-h"], ["--version"], ["-v"], ["version"],
    ["nope"], [""], ["HELP"], ["-V"], ["--help", "x"], ["version", "x"], ["help", "help"],
    ["genkeys"], ["show-all"], ["--"],
]


@oracle
@pytest.mark.parametrize("argv0", ["wg", "/usr/bin/wg", "./wg", "x y"])
@pytest.mark.parametrize("argv", CASES)
def test_top_level_same_as_real(argv0, argv):
    ours = run_with_fds(lambda: main([argv0, *argv]))
    r = subprocess.run([argv0, *argv], executable=REAL_WG, capture_output=True, timeout=10)
    assert ours == (r.stdout, r.stderr, r.returncode)


def test_help_lists_every_subcommand_in_wg_c_order():
    out, err, status = run_with_fds(lambda: main(["wg", "help"]))
    names = [line.split(":")[0].strip() for line in out.decode().splitlines()[3:-1]]
    assert names == ["show", "showconf", "set", "setconf", "addconf", "syncconf", "genkey", "genpsk", "pubkey"]
    assert (err, status) == (b"", 0)


def test_program_name(tmp_path, monkeypatch):
    script = tmp_path / "bin" / "wg"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    other = tmp_path / "other"
    other.mkdir()
    (other / "wg").write_text("#!/bin/sh\n")
    (other / "wg").chmod(0o755)
    monkeypatch.setenv("PATH", f"{script.parent}:{other}")
    assert program_name(str(script)) == "wg"            # typed as `wg`, found by PATH
    assert program_name("wg") == "wg"
    assert program_name(str(other / "wg")) == str(other / "wg")   # PATH finds another wg first
    assert program_name("/work/main/wg_py/__main__.py") == "wg"   # python -m wg_py
    monkeypatch.setenv("PATH", str(other))
    assert program_name(str(script)) == str(script)


def _console_script() -> Path | None:
    script = Path(sysconfig.get_path("scripts")) / "wg"
    if script.is_file() and b"wg_py" in script.read_bytes()[:1000]:
        return script
    return None


@oracle
@pytest.mark.skipif(_console_script() is None, reason="wg-py's `wg` console script is not installed")
def test_console_script_shows_argv0_as_typed():
    script = _console_script()
    env = dict(os.environ, PATH=f"{script.parent}:/usr/bin:/bin")
    typed = subprocess.run(["wg", "genkey", "x"], env=env, capture_output=True, timeout=30)
    assert (typed.stderr, typed.returncode) == (b"Usage: wg genkey\n", 1)
    # Run by a path that PATH lookup would not give: the path is what was typed.
    env = dict(os.environ, PATH="/usr/bin:/bin")
    full = subprocess.run([str(script), "genpsk", "x"], env=env, capture_output=True, timeout=30)
    real = subprocess.run([str(script), "genpsk", "x"], executable=REAL_WG, capture_output=True, timeout=10)
    assert (full.stderr, full.returncode) == (real.stderr, real.returncode)
    help_ = subprocess.run(["wg", "--help"], env=dict(os.environ, PATH=f"{script.parent}:/usr/bin:/bin"),
                           capture_output=True, timeout=30)
    real_help = subprocess.run(["wg", "--help"], executable=REAL_WG, capture_output=True, timeout=10)
    assert help_.stdout == real_help.stdout and help_.returncode == 0


def test_python_dash_m_names_itself_wg():
    r = subprocess.run([sys.executable, "-m", "wg_py", "genkey", "extra"], capture_output=True,
                       cwd=Path(__file__).resolve().parents[2], timeout=30)
    assert (r.stderr, r.returncode) == (b"Usage: wg genkey\n", 1)
