"""wg-py's committed completions (typer's scripts, which ask `wg-py` itself), driven in real
bash and fish, and zsh's checked for syntax."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ENV = dict(os.environ, PATH=f"{BIN}:/usr/bin:/bin", PYTHONPATH=str(REPO))
pytestmark = pytest.mark.skipif(not (BIN / "wg-py").exists(), reason="needs the wg-py console script")


def bash_complete(words: list[str]) -> list[str]:
    quoted = " ".join(f"'{w}'" for w in words)
    script = (f"source {REPO / 'completions/wg-py.bash'}\nCOMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}\n"
              "_wg_py_completion wg-py; printf '%s\\n' \"${COMPREPLY[@]}\"")
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30, check=True, env=ENV)
    return sorted(w for w in out.stdout.split("\n") if w)


def test_bash_completes_commands_and_options():
    assert bash_complete(["wg-py", "s"]) == ["show"]
    assert set(bash_complete(["wg-py", ""])) >= {"show", "top", "exporter"}
    assert "--json" in bash_complete(["wg-py", "show", "--"])
    assert "--interval" in bash_complete(["wg-py", "top", "--"])


def test_fish_completes_commands():
    if not shutil.which("fish"):
        pytest.skip("fish not installed")
    script = f"source {REPO / 'completions/wg-py.fish'}; complete -C'wg-py '"
    out = subprocess.run(["fish", "-c", script], capture_output=True, text=True, timeout=30, check=True, env=ENV)
    names = {line.split("\t")[0] for line in out.stdout.splitlines()}
    assert {"show", "top", "exporter"} <= names


def test_zsh_parses():
    if not shutil.which("zsh"):
        pytest.skip("zsh not installed")
    subprocess.run(["zsh", "-n", str(REPO / "completions/wg-py.zsh")], check=True, timeout=10)


def test_committed_completions_are_what_typer_generates():
    from typer._completion_shared import get_completion_script

    for shell in ("bash", "zsh", "fish"):
        expected = get_completion_script(prog_name="wg-py", complete_var="_WG_PY_COMPLETE", shell=shell).rstrip() + "\n"
        assert (REPO / f"completions/wg-py.{shell}").read_text() == expected, shell
