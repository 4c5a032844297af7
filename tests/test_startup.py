"""Start-up cost of the key commands: they go in shell loops, so they import nothing heavy.

`python -X importtime` lists every module a run imports. `wg genkey`/`genpsk` must load no
third-party package at all and none of wg-py's heavier layers; `wg pubkey` may load only the
OpenSSL binding of `cryptography` (what deriving the key needs), not its serialization code.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
KEY = b"yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n"

NEVER = ("typer", "rich", "pyroute2", "click", "prometheus_client", "segno", "wg_py.app", "wg_py.api", "wg_py.manage", "wg_py.lint", "wg_py.config", "wg_py.model", "wg_py.protocol",
         "wg_py.ipc", "wg_py.engine", "wg_quick_py")


def imported_modules(argv: list[str], stdin: bytes | None = None) -> list[str]:
    r = subprocess.run([sys.executable, "-X", "importtime", *argv], input=stdin, capture_output=True,
                       cwd=REPO, timeout=60)
    assert r.returncode == 0, r.stderr[-2000:]
    names = []
    for line in r.stderr.decode().splitlines():
        if line.startswith("import time:") and "|" in line:
            names.append(line.rsplit("|", 1)[1].strip())
    assert "wg_py.cli.main" in names
    return names


def offenders(names: list[str], banned: tuple[str, ...]) -> list[str]:
    return [n for n in names if any(n == b or n.startswith(b + ".") for b in banned)]


def _console_script() -> str | None:
    script = Path(sysconfig.get_path("scripts")) / "wg"
    if script.is_file() and b"wg_py" in script.read_bytes()[:1000]:
        return str(script)
    return None


ENTRY_POINTS = [["-m", "wg_py"]] + ([[_console_script()]] if _console_script() else [])


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=lambda e: "console-script" if len(e) == 1 else "python-m")
@pytest.mark.parametrize("name", ["genkey", "genpsk"])
def test_genkey_imports_nothing_heavy(entry, name):
    names = imported_modules([*entry, name])
    assert "wg_py.cli.genkey" in names
    assert offenders(names, NEVER + ("cryptography",)) == []


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=lambda e: "console-script" if len(e) == 1 else "python-m")
def test_pubkey_imports_only_x25519(entry):
    names = imported_modules([*entry, "pubkey"], KEY)
    assert offenders(names, NEVER) == []
    assert "cryptography.hazmat.bindings._rust" in names
    # Only the OpenSSL binding (wg_py/fastpath.py): the serialization package (SSH keys,
    # dataclasses, inspect: ~20 ms) and x509 are not needed to derive a key.
    assert offenders(names, ("cryptography.hazmat.primitives.serialization", "cryptography.x509")) == []


def test_usage_and_version_import_no_subcommand():
    names = imported_modules(["-m", "wg_py", "--version"])
    assert offenders(names, NEVER + ("cryptography", "wg_py.cli.genkey", "wg_py.cli.show")) == []


@pytest.mark.skipif(Path("/sys/module/wireguard").exists(), reason="the kernel has WireGuard")
@pytest.mark.parametrize("args", [["show", "interfaces"], ["show", "wgnosuch0"], ["showconf", "wgnosuch0"],
                                  ["set", "wgnosuch0", "fwmark", "1"], ["setconf", "wgnosuch0", "/dev/null"],
                                  ["syncconf", "wgnosuch0", "/dev/null"]])
def test_no_pyroute2_nor_slow_stdlib_without_kernel_wireguard(args):
    # pyroute2 (~140 ms) is for kernel WireGuard only: without the module, `wg` never loads it.
    # -S: only what wg imports counts, not the .pth hooks of this machine's site-packages.
    r = subprocess.run([sys.executable, "-S", "-X", "importtime", "-m", "wg_py", *args], capture_output=True,
                       cwd=REPO, timeout=60)
    names = [line.rsplit("|", 1)[1].strip() for line in r.stderr.decode().splitlines()
             if line.startswith("import time:") and "|" in line]
    assert "wg_py.cli.main" in names
    # Nor the stdlib modules that cost `wg show` several ms each and that it does not need.
    assert offenders(names, ("pyroute2", "wg_py.ipc.netlink", "typer", "rich", "dataclasses", "typing",
                             "re", "hmac", "inspect")) == []


@pytest.mark.parametrize("argv", [["-m", "wg_py", "show"], ["-m", "wg_py", "show", "all", "dump"],
                                  ["-m", "wg_quick_py", "strip", "/dev/null"]],
                         ids=["wg-show", "wg-show-dump", "wg-quick-strip"])
def test_wg_and_wg_quick_never_load_the_wg_py_command(argv, tmp_path):
    """typer, rich, prometheus_client and segno are wg-py's (the third command) alone."""
    if "strip" in argv:
        conf = tmp_path / "wg0.conf"
        conf.write_text("[Interface]\n")
        conf.chmod(0o600)
        argv = [*argv[:-1], str(conf)]
    r = subprocess.run([sys.executable, "-X", "importtime", *argv], capture_output=True, cwd=REPO, timeout=60)
    names = [line.rsplit("|", 1)[1].strip() for line in r.stderr.decode().splitlines()
             if line.startswith("import time:") and "|" in line]
    assert names and offenders(names, ("typer", "rich", "prometheus_client", "segno", "click", "wg_py.app", "wg_py.api", "wg_py.manage")) == []
