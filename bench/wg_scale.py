"""Time our `wg` against /usr/bin/wg on the same wireguard-go interface, at scale.

    python3 bench/wg_scale.py [--peers 1000] [--file-peers 10000] [--runs 5]

Cases: `show IF` and `showconf IF` of an interface with --peers peers; `setconf IF FILE`
and `syncconf IF FILE` of a --file-peers peer file (syncconf against the same file already
running, i.e. the periodic-reload case). Each command runs --runs times per tool,
alternating, as a fresh process (start-up included, as users see it); the best time counts
(setconf, which takes seconds, runs half as many times).
Goal per case: ours ≤ max(3 × real, real + 50 ms). Needs root (namespace, wireguard-go).

What is timed as "ours" is what users run: the `wg` console script of a regular (not
editable) install. The working tree is copied to a temporary directory and installed with
`pip install --no-deps` into a throwaway venv, removed afterwards. By default the venv is
isolated, as pipx or a plain venv would make it, and sees the dependencies through a path
entry (no other package's `.pth` start-up hooks run, e.g. the editable-install finder that
`scripts/setup.sh` leaves in the system site-packages); `--system-site` makes it with
`--system-site-packages` instead, so every `.pth` hook of the system Python runs too.
`--checkout` times `python3 -m wg_py` from the working tree instead of an install.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from contextlib import contextmanager, nullcontext

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from tests.support.netns import namespace, start_wireguard_go, unique_ifname  # noqa: E402
from wg_py import keys  # noqa: E402

REAL = ["/usr/bin/wg"]
CHECKOUT = [sys.executable, "-m", "wg_py"]
SOURCES = ("pyproject.toml", "README.md", "wg_py", "wg_quick_py")


@contextmanager
def installed_wg(system_site: bool):
    """A throwaway venv with the working tree installed (not editable); yields its `wg`."""
    with tempfile.TemporaryDirectory(prefix="wg-scale-venv-") as tmp:
        src, venv = os.path.join(tmp, "src"), os.path.join(tmp, "venv")
        os.mkdir(src)
        for name in SOURCES:
            path = os.path.join(REPO, name)
            if os.path.isdir(path):
                shutil.copytree(path, os.path.join(src, name), ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(path, src)
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv]
                       + (["--system-site-packages"] if system_site else []), check=True)
        python = os.path.join(venv, "bin", "python")
        if not system_site:
            # The dependencies, reachable as plain sys.path entries (their .pth files not run).
            purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                     check=True, capture_output=True, text=True).stdout.strip()
            paths = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
            with open(os.path.join(purelib, "_wg_scale_deps.pth"), "w") as f:
                f.write("".join(p + "\n" for p in sorted(paths)))
        pip = subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps",
                              "--disable-pip-version-check", src], capture_output=True, text=True)
        if pip.returncode != 0:
            raise RuntimeError(f"pip install into the benchmark venv failed:\n{pip.stdout}{pip.stderr}")
        yield [os.path.join(venv, "bin", "wg")]


def make_config(peers: int) -> str:
    lines = ["[Interface]", f"PrivateKey = {keys.key_to_base64(keys.generate_private_key())}", "ListenPort = 0"]
    for i in range(peers):
        lines += ["", "[Peer]", f"PublicKey = {keys.key_to_base64(keys.clamp(os.urandom(32)))}",
                  f"AllowedIPs = 10.{i >> 8 & 255}.{i & 255}.0/24, fd00::{i:x}/128",
                  f"Endpoint = 192.0.2.{i % 250 + 1}:{1024 + i % 60000}"]
        if i % 3 == 0:
            lines.append("PersistentKeepalive = 25")
    return "\n".join(lines) + "\n"


def timed(argv: list[str]) -> float:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if argv[0] == sys.executable:  # --checkout
        env["PYTHONPATH"] = REPO
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO,
                          env=env, timeout=600)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[:4]} failed: {proc.stderr.decode().strip()}")
    return elapsed


def compare(ours: list[str], label: str, args: list[str], runs: int,
            before=None) -> tuple[str, float, float, bool]:
    best = {"ours": float("inf"), "real": float("inf")}
    for _ in range(runs):
        for who, tool in (("real", REAL), ("ours", ours)):
            if before:
                before()
            best[who] = min(best[who], timed(tool + args))
    goal = max(3 * best["real"], best["real"] + 0.050)
    return label, best["ours"], best["real"], best["ours"] <= goal


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--peers", type=int, default=1000)
    parser.add_argument("--file-peers", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--system-site", action="store_true",
                        help="make the venv with --system-site-packages (all system .pth hooks run)")
    parser.add_argument("--checkout", action="store_true", help="time `python3 -m wg_py` from the working tree")
    args = parser.parse_args()
    if args.checkout:
        what, install = "python3 -m wg_py from the working tree (PYTHONPATH)", nullcontext(CHECKOUT)
    else:
        what = "`wg` of a regular pip install in a throwaway venv" + (
            " made with --system-site-packages" if args.system_site else " (isolated; dependencies by path)")
        install = installed_wg(args.system_site)
    results = []
    with install as ours, tempfile.TemporaryDirectory() as tmp, namespace("wgbench") as ns:
        ifname = unique_ifname("wgb")
        start_wireguard_go(ns, ifname)
        small, big = os.path.join(tmp, "small.conf"), os.path.join(tmp, "big.conf")
        with open(small, "w") as f:
            f.write(make_config(args.peers))
        with open(big, "w") as f:
            f.write(make_config(args.file_peers))
        timed(REAL + ["setconf", ifname, small])
        results.append(compare(ours, f"show ({args.peers} peers)", ["show", ifname], args.runs))
        results.append(compare(ours, f"showconf ({args.peers} peers)", ["showconf", ifname], args.runs))
        results.append(compare(ours, f"show dump ({args.peers} peers)", ["show", ifname, "dump"], args.runs))
        reset = lambda: timed(REAL + ["setconf", ifname, small])  # noqa: E731
        results.append(compare(ours, f"setconf ({args.file_peers}-peer file)", ["setconf", ifname, big],
                               max(1, args.runs // 2), before=reset))
        timed(REAL + ["setconf", ifname, big])
        results.append(compare(ours, f"syncconf ({args.file_peers}-peer file, unchanged)", ["syncconf", ifname, big],
                               args.runs))
    print(f"ours: {what}; real: /usr/bin/wg; engine: wireguard-go; best of {args.runs} "
          f"(setconf: best of {max(1, args.runs // 2)})")
    print(f"{'case':42} {'ours':>9} {'real wg':>9} {'ratio':>6}  goal")
    for label, ours, real, ok in results:
        print(f"{label:42} {ours * 1000:7.1f}ms {real * 1000:7.1f}ms {ours / real:6.2f}  {'met' if ok else 'MISSED'}")
    return 0 if all(ok for *_x, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
