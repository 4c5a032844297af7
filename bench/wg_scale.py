"""Time our `wg` against /usr/bin/wg on the same wireguard-go interface, at scale.

    python3 bench/wg_scale.py [--peers 1000] [--file-peers 10000] [--runs 5]

Cases: `show IF` and `showconf IF` of an interface with --peers peers; `setconf IF FILE`
and `syncconf IF FILE` of a --file-peers peer file (syncconf against the same file already
running, i.e. the periodic-reload case). Each command runs --runs times per tool,
alternating, as a fresh process (start-up included, as users see it); the best time counts.
Goal per case: ours ≤ max(3 × real, real + 50 ms). Needs root (namespace, wireguard-go).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from tests.support.netns import namespace, start_wireguard_go, unique_ifname  # noqa: E402
from wg_py import keys  # noqa: E402

REAL = ["/usr/bin/wg"]
OURS = [sys.executable, "-m", "wg_py"]


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
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO,
                          env=dict(os.environ, PYTHONPATH=REPO), timeout=600)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[:4]} failed: {proc.stderr.decode().strip()}")
    return elapsed


def compare(label: str, args: list[str], runs: int, before=None) -> tuple[str, float, float, bool]:
    best = {"ours": float("inf"), "real": float("inf")}
    for _ in range(runs):
        for who, tool in (("real", REAL), ("ours", OURS)):
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
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp, namespace("wgbench") as ns:
        ifname = unique_ifname("wgb")
        start_wireguard_go(ns, ifname)
        small, big = os.path.join(tmp, "small.conf"), os.path.join(tmp, "big.conf")
        with open(small, "w") as f:
            f.write(make_config(args.peers))
        with open(big, "w") as f:
            f.write(make_config(args.file_peers))
        timed(REAL + ["setconf", ifname, small])
        results.append(compare(f"show ({args.peers} peers)", ["show", ifname], args.runs))
        results.append(compare(f"showconf ({args.peers} peers)", ["showconf", ifname], args.runs))
        results.append(compare(f"show dump ({args.peers} peers)", ["show", ifname, "dump"], args.runs))
        reset = lambda: timed(REAL + ["setconf", ifname, small])  # noqa: E731
        results.append(compare(f"setconf ({args.file_peers}-peer file)", ["setconf", ifname, big],
                               max(1, args.runs // 2), before=reset))
        timed(REAL + ["setconf", ifname, big])
        results.append(compare(f"syncconf ({args.file_peers}-peer file, unchanged)", ["syncconf", ifname, big],
                               max(1, args.runs // 2)))
    print(f"{'case':42} {'ours':>9} {'real wg':>9} {'ratio':>6}  goal")
    for label, ours, real, ok in results:
        print(f"{label:42} {ours * 1000:7.1f}ms {real * 1000:7.1f}ms {ours / real:6.2f}  {'met' if ok else 'MISSED'}")
    return 0 if all(ok for *_x, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
