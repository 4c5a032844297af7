"""The install a user gets (scripts/install.sh): a regular, non-editable install of this
checkout into a virtual environment made by Debian's python3, the commands linked, man pages,
completions and systemd units in place, and an uninstall that removes exactly that.

Run into a throwaway prefix and root (`--root`), so the machine's own /usr and /etc are not
touched; pip fetches the dependencies from the package index.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEBIAN_PYTHON = "/usr/bin/python3"
COMMANDS = ("wg", "wg-quick", "wireguard-py", "wg-py")


def _has_debian_venv() -> bool:
    if not os.access(DEBIAN_PYTHON, os.X_OK):
        return False
    return subprocess.run([DEBIAN_PYTHON, "-c", "import ensurepip, venv"], capture_output=True).returncode == 0


pytestmark = pytest.mark.skipif(not _has_debian_venv(), reason="needs Debian's python3 and python3-venv")


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir()}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("install")
    prefix, root = base / "venv", base / "root"
    root.mkdir()
    proc = subprocess.run(["bash", str(REPO / "scripts/install.sh"), "--prefix", str(prefix), "--root", str(root),
                           "--no-apt"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return prefix, root, proc


def test_progress_is_announced_and_pip_is_quiet(installed):
    _prefix, _root, proc = installed
    lines = proc.stdout.splitlines()
    assert lines and all(line.startswith("==> ") for line in lines), proc.stdout
    assert any("creating" in line for line in lines) and lines[-1].startswith("==> wg-py ")
    assert proc.stderr == ""


def test_venv_is_debian_pythons_and_the_install_is_not_editable(installed):
    prefix, _root, _proc = installed
    cfg = (prefix / "pyvenv.cfg").read_text()
    assert "home = /usr/bin" in cfg
    where = subprocess.run([str(prefix / "bin/python"), "-c", "import wg_py, wg_quick_py; "
                            "print(wg_py.__file__); print(wg_quick_py.__file__)"],
                           capture_output=True, text=True, cwd="/", check=True, timeout=60).stdout.split()
    for path in where:
        assert path.startswith(str(prefix)), path
    dist = next((prefix / "lib").glob("python3*/site-packages/wg_py-*.dist-info"))
    direct = dist / "direct_url.json"
    if direct.exists():
        assert not json.loads(direct.read_text()).get("dir_info", {}).get("editable", False)


def test_installed_commands_work(installed, tmp_path):
    prefix, root, _proc = installed
    bindir = root / "usr/local/bin"
    for cmd in COMMANDS:
        link = bindir / cmd
        if (prefix / "bin" / cmd).exists():
            assert link.is_symlink() and os.readlink(link) == str(prefix / "bin" / cmd)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    pub = subprocess.run(["bash", "-c", f"'{bindir}/wg' genkey | '{bindir}/wg' pubkey"], capture_output=True,
                         text=True, env=env, timeout=60, cwd="/")
    assert pub.returncode == 0 and len(pub.stdout) == 45 and pub.stdout.endswith("=\n"), pub
    conf = tmp_path / "wg0.conf"
    conf.write_text("[Interface]\nPrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\nAddress = 10.0.0.1/24\n"
                    "PostUp = true\n")
    conf.chmod(0o600)
    strip = subprocess.run([str(bindir / "wg-quick"), "strip", str(conf)], capture_output=True, text=True,
                           env=env, timeout=60, cwd="/")
    assert strip.returncode == 0
    assert strip.stdout == "[Interface]\nPrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n\n"
    version = subprocess.run([str(bindir / "wireguard-py"), "--version"], capture_output=True, text=True, env=env,
                             timeout=60, cwd="/")
    assert version.returncode == 0 and version.stdout.startswith("wireguard-py v")


def test_system_files_are_in_their_standard_places(installed):
    prefix, root, _proc = installed
    files = tree(root)
    for page in (REPO / "man").glob("*.8"):
        assert f"usr/local/share/man/man8/{page.name}" in files
    assert "usr/share/bash-completion/completions/wg" in files
    assert "usr/share/bash-completion/completions/wg-quick" in files
    assert "usr/local/share/zsh/site-functions/_wg" in files
    assert "usr/share/fish/vendor_completions.d/wg.fish" in files
    unit = (root / "etc/systemd/system/wg-quick@.service").read_text()
    assert f"ExecStart={prefix}/bin/wg-quick up %i" in unit and "/opt/wg-py/" not in unit
    assert (root / "etc/systemd/system/wg-quick.target").exists()


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze")
def test_systemd_units_verify(installed, tmp_path):
    _prefix, root, _proc = installed
    units = root / "etc/systemd/system"
    # A template verifies as one of its instances.
    files = []
    for unit in sorted(units.iterdir()):
        name = unit.name.replace("@.", "@wg0.")
        shutil.copy(unit, tmp_path / name)
        files.append(str(tmp_path / name))
    assert len(files) >= 3, files
    # systemd-analyze checks that the units' Documentation= man pages exist: the staged ones.
    env = dict(os.environ, MANPATH=f"{root}/usr/local/share/man:")
    proc = subprocess.run(["systemd-analyze", "verify", *files], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr


def test_uninstall_removes_exactly_what_install_put(installed, tmp_path):
    prefix, root, _proc = installed
    stranger = root / "usr/local/bin/someone-elses"
    stranger.write_text("#!/bin/sh\n")
    proc = subprocess.run(["bash", str(REPO / "scripts/install.sh"), "--uninstall", "--prefix", str(prefix),
                           "--root", str(root)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert not prefix.exists()
    assert tree(root) == {"usr/local/bin/someone-elses"}


def test_scripts_never_pip_install_outside_a_venv():
    """Every pip in scripts/ and .ci/ is a venv's (lib.sh's pip_install), never the system's."""
    for path in [*(REPO / "scripts").glob("*.sh"), REPO / ".ci/run"]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if ("pip install" in code or "pip3 install" in code) and '"$dir/bin/python" -m pip' not in code:
                pytest.fail(f"{path.name}:{number}: pip outside pip_install(): {line.strip()}")
