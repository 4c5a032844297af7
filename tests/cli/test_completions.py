"""Shell completions for wg: bash driven for real; zsh/fish syntax-checked where installed."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BASH = os.path.join(REPO, "completions", "wg.bash")


def complete(words: list[str]) -> list[str]:
    """COMPREPLY for the command line `words` (the last word is being completed)."""
    quoted = " ".join(f"'{w}'" for w in words)
    script = (f"wg() {{ [[ $1 == show && $2 == interfaces ]] && echo 'wg0 wg1'; [[ $3 == peers ]] && echo PEERKEY=; }}\n"
              f"source {BASH}\nCOMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}\n"
              "_wg_py_completion; printf '%s\\n' \"${COMPREPLY[@]}\"")
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=10, check=True).stdout
    return sorted(w for w in out.split("\n") if w)


def test_subcommands():
    assert complete(["wg", "s"]) == ["set", "setconf", "show", "showconf", "syncconf"]


def test_show_targets_and_fields():
    assert complete(["wg", "show", ""]) == ["all", "interfaces", "wg0", "wg1"]
    assert "latest-handshakes" in complete(["wg", "show", "wg0", ""])
    assert complete(["wg", "show", "wg0", "d"]) == ["dump"]
    assert complete(["wg", "show", "interfaces", ""]) == []


def test_set_options_follow_the_grammar():
    assert complete(["wg", "set", ""]) == ["wg0", "wg1"]
    assert complete(["wg", "set", "wg0", ""]) == ["fwmark", "listen-port", "peer", "private-key"]
    assert complete(["wg", "set", "wg0", "peer", ""]) == ["PEERKEY="]
    assert "remove" in complete(["wg", "set", "wg0", "peer", "K=", ""])
    assert "listen-port" not in complete(["wg", "set", "wg0", "peer", "K=", ""])


@pytest.mark.parametrize("shell, name", [("zsh", "wg.zsh"), ("fish", "wg.fish")])
def test_other_shells_parse(shell, name):
    if not shutil.which(shell):
        pytest.skip(f"{shell} not installed")
    flag = "-n" if shell == "zsh" else "--no-execute"
    subprocess.run([shell, flag, os.path.join(REPO, "completions", name)], check=True, timeout=10)


def test_fish_completes_like_bash():
    if not shutil.which("fish"):
        pytest.skip("fish not installed")
    script = ("function wg; if test \"$argv[1]\" = show -a \"$argv[2]\" = interfaces; echo 'wg0 wg1'; end; end; "
              f"source {os.path.join(REPO, 'completions', 'wg.fish')}; "
              "complete -C'wg show '; echo SEP; complete -C'wg set wg0 '; echo SEP; complete -C'wg set wg0 peer K= '")
    out = subprocess.run(["fish", "-c", script], capture_output=True, text=True, timeout=10, check=True).stdout
    show, device, peer = (sorted(w.split("\t")[0] for w in part.split("\n") if w) for part in out.split("SEP"))
    assert show == ["all", "interfaces", "wg0", "wg1"]
    assert device == ["fwmark", "listen-port", "peer", "private-key"]
    assert "remove" in peer and "listen-port" not in peer
