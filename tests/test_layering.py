"""Import directions of STYLE.md §1, read from the source (ast) of every module.

    L3  CLIs            wg_py/cli/*  ·  wg_quick_py/*  ·  wg_py/app/* (wg-py) on wg_py/{api,manage}.py
    L2  I/O adapters    wg_py/ipc/*  ·  wg_py/engine/*  ·  wg_quick_py/{net,proc}.py
    L1  protocol core   wg_py/protocol/*
    L0  shared, pure    wg_py/{errors,keys,model,fastpath,...}.py  ·  wg_py/config/*  ·  wg_py/uapi/*
                        ·  wg_quick_py/errors.py
    (wg_py/hostio/*, the I/O half of config parsing, is L2)

Rules checked (imports anywhere in a module, function bodies included):
- imports only point down (or within a layer);
- `ipc/` never imports `protocol/` or `engine/`; `engine/` never imports `ipc/`;
- `wg_quick_py` never imports `wg_py.engine` or `wg_py.protocol` (it runs the engine as a
  subprocess); `wg_py` never imports `wg_quick_py`; `wg_py.cli` never imports the engine;
- L0 and L1 import no I/O framework (pyroute2, typer, rich), and the protocol core has no
  I/O, clock or randomness of its own (no os, time, random, secrets, threads, selectors...);
- the dispatch and the key commands import only the standard library and wg-py at module
  level (anything heavier must be imported where it is used);
- no module imports another module's private (`_name`) names, and only wg_py/fastpath.py
  imports implementation-private modules (`_socket`, `_operator`, a library's `_rust`);
- module boundaries: the parsers (wg_py/config, the UAPI codec, wg-quick's view in config/quick) do
  no I/O of their own and never reach for wg_py/hostio; the UAPI's client and server halves
  never import each other, the engine uses only the server half and ipc only the client's;
  the protocol's device never imports its configuration (configuration drives the device).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("wg_py", "wg_quick_py")

NO_IO_FRAMEWORKS = ("pyroute2", "typer", "rich", "click")
PROTOCOL_FORBIDDEN = ("os", "time", "random", "secrets", "threading", "asyncio", "select",
                      "selectors", "subprocess", "multiprocessing", "signal", "fcntl", "io")
LIGHT_MODULES = ("wg_py.cli.main", "wg_py.cli.genkey", "wg_py.cli.pubkey", "wg_py.cli.errors",
                 "wg_py.keys", "wg_py.errors")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


# wg-quick's own modules outside L3: its error vocabulary (like wg_py.errors) and its two
# I/O adapters (netlink via pyroute2; running and announcing commands).
WG_QUICK_LAYERS = {"wg_quick_py.errors": 0, "wg_quick_py.net": 2, "wg_quick_py.proc": 2}
PURE_PARSERS = ("wg_py.config", "wg_py.uapi.text", "wg_py.uapi.client", "wg_py.uapi.server")
PARSER_FORBIDDEN = ("os", "sys", "time", "socket", "subprocess", "select", "selectors", "fcntl", "io")
FASTPATH = "wg_py.fastpath"


def layer(module: str) -> int:
    if module in WG_QUICK_LAYERS:
        return WG_QUICK_LAYERS[module]
    if module in ("wg_py.__main__", "wg_py.api", "wg_py.manage", "wg_py.lint") or module.startswith(("wg_py.cli", "wg_quick_py", "wg_py.app")):
        return 3
    if module.startswith(("wg_py.ipc", "wg_py.engine", "wg_py.hostio")):
        return 2
    if module.startswith("wg_py.protocol"):
        return 1
    return 0  # wg_py itself and its top-level modules: the shared vocabulary


def private_names(path: Path) -> list[tuple[str, str, int]]:
    """(module, name, line) for every `from X import _name` in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            found += [(node.module or "", alias.name, node.lineno) for alias in node.names
                      if alias.name.startswith("_") and not alias.name.startswith("__")]
    return found


def imports(path: Path, module: str, top_level_only: bool = False) -> list[tuple[str, int]]:
    """(imported module, line) for every import in the file."""
    tree = ast.parse(path.read_text(), str(path))
    nodes = tree.body if top_level_only else ast.walk(tree)
    is_package = path.name == "__init__.py"
    found = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((target, node.lineno))
            # `from wg_py import config` names a module too.
            found += [(f"{target}.{alias.name}", node.lineno) for alias in node.names
                      if f"{target}.{alias.name}" in MODULES]
    return found


MODULES = all_modules()


def is_under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations_of(module: str, path: Path) -> list[str]:
    problems = []
    src_layer = layer(module)
    for target, line in imports(path, module):
        where = f"{path.relative_to(REPO)}:{line} imports {target}"
        top = target.split(".")[0]
        if top in PACKAGES and target not in ("wg_py", "wg_quick_py"):
            if layer(target) > src_layer:
                problems.append(f"{where} (L{src_layer} -> L{layer(target)}: upward)")
            if is_under(module, "wg_py.ipc") and (is_under(target, "wg_py.protocol") or is_under(target, "wg_py.engine")):
                problems.append(f"{where} (ipc is a client: no protocol, no engine)")
            if is_under(module, "wg_py.engine") and is_under(target, "wg_py.ipc"):
                problems.append(f"{where} (the engine does not use the client side)")
            if top == "wg_quick_py" and top != module.split(".")[0]:
                problems.append(f"{where} (wg_py never imports wg_quick_py)")
            if module.startswith("wg_quick_py") and (is_under(target, "wg_py.engine") or is_under(target, "wg_py.protocol")):
                problems.append(f"{where} (wg-quick runs the engine as a subprocess)")
            if is_under(module, "wg_py.cli") and is_under(target, "wg_py.engine"):
                problems.append(f"{where} (wg talks to the engine over UAPI only)")
        if src_layer <= 1 and top in NO_IO_FRAMEWORKS:
            problems.append(f"{where} (L{src_layer} is pure: no {top})")
        if src_layer == 1 and top in PROTOCOL_FORBIDDEN:
            problems.append(f"{where} (the protocol core is sans-IO: clock and randomness are handed in)")
        if module != FASTPATH and any(part.startswith("_") and not part.startswith("__")
                                      for part in target.split(".")):
            problems.append(f"{where} (implementation-private: only {FASTPATH} imports those)")
        if any(is_under(module, p) for p in PURE_PARSERS):
            if top in PARSER_FORBIDDEN:
                problems.append(f"{where} (a parser does no I/O: hand it a Lookup)")
            if is_under(target, "wg_py.hostio"):
                problems.append(f"{where} (the pure parsers never reach for wg_py.hostio)")
        for half, other in (("wg_py.uapi.client", "wg_py.uapi.server"), ("wg_py.uapi.server", "wg_py.uapi.client")):
            if is_under(module, half) and is_under(target, other):
                problems.append(f"{where} (the UAPI's two halves share only wg_py.uapi.text)")
        if is_under(module, "wg_py.engine") and is_under(target, "wg_py.uapi.client"):
            problems.append(f"{where} (the engine is the UAPI's server)")
        if is_under(module, "wg_py.ipc") and is_under(target, "wg_py.uapi.server"):
            problems.append(f"{where} (ipc is the UAPI's client)")
        if is_under(module, "wg_py.app") and top in PACKAGES and target != "wg_py" and not any(
                is_under(target, ok) for ok in ("wg_py.app", "wg_py.api", "wg_py.crash", "wg_py.errors")):
            problems.append(f"{where} (wg-py is built on wg_py.api alone)")
        if (is_under(module, "wg_py.cli") or is_under(module, "wg_quick_py")) and (
                is_under(target, "wg_py.app") or is_under(target, "wg_py.api") or is_under(target, "wg_py.manage") or is_under(target, "wg_py.lint")):
            problems.append(f"{where} (wg and wg-quick never load the wg-py command)")
        if module == "wg_py.protocol.device" and is_under(target, "wg_py.protocol.configuration"):
            problems.append(f"{where} (configuration drives the device, never the other way)")
    for source, name, line in private_names(path) if module != FASTPATH else ():
        problems.append(f"{path.relative_to(REPO)}:{line} imports {name} from {source} (another module's private name)")
    if module in LIGHT_MODULES:
        for target, line in imports(path, module, top_level_only=True):
            top = target.split(".")[0]
            if top not in PACKAGES and top not in sys.stdlib_module_names and top != "__future__":
                problems.append(f"{path.relative_to(REPO)}:{line} imports {target} at module level "
                                "(start-up path: stdlib and wg-py only)")
    return problems


def test_every_module_is_found():
    assert "wg_py.config" in MODULES and "wg_py.cli.main" in MODULES and "wg_py.keys" in MODULES


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module):
    assert violations_of(module, MODULES[module]) == []


def test_the_checker_catches_violations(tmp_path, monkeypatch):
    """An upward import, a client importing the core, and I/O in the core are all caught."""
    bad = {
        "wg_py.keys": "from wg_py.cli import main\n",
        "wg_py.ipc.client": "import wg_py.protocol.device\n",
        "wg_py.protocol.timers": "def f():\n    import time\n",
        "wg_quick_py.up": "from wg_py.engine.loop import Engine\n",
        "wg_py.cli.genkey": "import typer\n",
        "wg_py.protocol.peer": "from ..engine import loop\n",
        "wg_py.protocol.device": "from wg_py.protocol.allowedips import _MISS\n",
        "wg_py.uapi.client": "from wg_py.uapi import server\n",
        "wg_py.config.values": "import time\n",
        "wg_py.config.conffile": "from wg_py.hostio import SystemLookup\n",
        "wg_py.cli.show": "import _socket\n",
        "wg_py.engine.loop": "from wg_py.uapi.client import parse_get\n",
        "wg_py.app.main": "from wg_py.ipc import get_device\n",
        "wg_py.cli.show": "from wg_py import api\n",
    }
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    for module, source in bad.items():
        fake = tmp_path / Path(*module.split(".")).with_suffix(".py")
        fake.parent.mkdir(parents=True, exist_ok=True)
        fake.write_text(source)
        assert violations_of(module, fake), module
