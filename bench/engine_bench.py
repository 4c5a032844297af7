#!/usr/bin/env python3
"""Benchmark: wireguard-go ↔ wireguard-go against wireguard-py ↔ wireguard-py, in the same run.

Two namespaces joined by a veth pair; in each an engine configured the same way with the
real /usr/bin/wg. Per engine kind and per round: time to the first handshake (first ping
answered), ping RTT, iperf3 TCP with 1 and 4 streams, iperf3 UDP at full rate. Rounds
alternate between the kinds so both see the same machine state. Prints medians, the
ratios ours/wireguard-go and each engine's CPU use (both processes, user+system, as a
share of one core during the iperf3 runs).

Run as root from the repository root:  python3 bench/engine_bench.py [--rounds 3] [--seconds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.engine.helpers import Side, configure_pair, genkey, iperf3, start  # noqa: E402
from tests.support.netns import unique_ifname, veth_pair  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])   # utime, stime (fields 14, 15)
    return total / CLK_TCK


def engine_pids(kind: str, ifnames: list[str]) -> list[int]:
    pids = []
    needle = "wireguard-go" if kind == "go" else "wg_py.engine"
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        text = [c.decode(errors="replace") for c in cmd if c]
        if any(needle in c for c in text) and any(c in ifnames for c in text):
            pids.append(int(entry.name))
    return pids


def first_handshake_seconds(a: Side, b: Side) -> float:
    t0 = time.monotonic()
    deadline = t0 + 15
    while time.monotonic() < deadline:
        r = a.ns.run("ping", "-c", "1", "-W", "1", b.inner4, check=False, timeout=5)
        if r.returncode == 0:
            return time.monotonic() - t0
    return float("nan")


def ping_rtt_ms(a: Side, b: Side, count: int = 20) -> float:
    r = a.ns.run("ping", "-q", "-c", str(count), "-i", "0.02", b.inner4, check=False, timeout=30)
    for line in r.stdout.splitlines():
        if "min/avg/max" in line:
            return float(line.split("=")[1].split("/")[1])
    return float("nan")


def measure(kind: str, seconds: float) -> dict:
    """One full round for one engine kind in fresh namespaces."""
    out: dict = {}
    with veth_pair() as (nsa, nsb):
        ia, ib = unique_ifname("bn"), unique_ifname("bn")
        ka, kb = genkey(), genkey()
        a = Side(nsa, ia, kind, ka[0], ka[1], 51820, "192.0.2.1", "10.77.0.1", "fd77::1")
        b = Side(nsb, ib, kind, kb[0], kb[1], 51820, "192.0.2.2", "10.77.0.2", "fd77::2")
        start(kind, nsa, ia)
        start(kind, nsb, ib)
        configure_pair(a, b)
        out["handshake_s"] = first_handshake_seconds(a, b)
        out["ping_ms"] = ping_rtt_ms(a, b)
        pids = engine_pids(kind, [ia, ib])
        for name, extra in (("tcp1", ()), ("tcp4", ("-P", "4")), ("udp", ("-u", "-b", "0", "-l", "1372"))):
            c0, t0 = cpu_seconds(pids), time.monotonic()
            res = iperf3(nsa, nsb, b.inner4, seconds, extra)
            cpu = (cpu_seconds(pids) - c0) / (time.monotonic() - t0)
            end = res["end"]
            if name == "udp":
                bps = end["sum"]["bits_per_second"] * (1 - end["sum"].get("lost_percent", 0) / 100)
                out["udp_loss_pct"] = end["sum"].get("lost_percent", 0.0)
            else:
                bps = end["sum_received"]["bits_per_second"]
                out[f"{name}_retr"] = end["sum_sent"].get("retransmits", 0)
            out[f"{name}_mbps"] = bps / 1e6
            out[f"{name}_cpu"] = cpu
    return out


ROWS = [("handshake_s", "time to first handshake+ping (s)", False), ("ping_ms", "ping RTT avg (ms)", False),
        ("tcp1_mbps", "iperf3 TCP 1 stream (Mbit/s)", True), ("tcp4_mbps", "iperf3 TCP 4 streams (Mbit/s)", True),
        ("udp_mbps", "iperf3 UDP full rate, received (Mbit/s)", True), ("udp_loss_pct", "UDP loss (%)", False),
        ("tcp1_retr", "TCP 1 stream retransmits", False), ("tcp4_retr", "TCP 4 streams retransmits", False),
        ("tcp1_cpu", "CPU of both engines, TCP 1 (cores)", False), ("tcp4_cpu", "CPU of both engines, TCP 4 (cores)", False),
        ("udp_cpu", "CPU of both engines, UDP (cores)", False)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("needs root (network namespaces)", file=sys.stderr)
        return 1
    results: dict[str, list[dict]] = {"go": [], "py": []}
    for r in range(args.rounds):
        for kind in ("go", "py") if r % 2 == 0 else ("py", "go"):
            res = measure(kind, args.seconds)
            results[kind].append(res)
            print(f"round {r + 1} {kind}: " + ", ".join(f"{k}={v:.3g}" for k, v in res.items()), flush=True)
    print()
    print(f"medians over {args.rounds} rounds, {args.seconds:g} s per iperf3 run")
    print(f"{'':44s}{'wireguard-go':>14s}{'wireguard-py':>14s}{'py/go':>8s}")
    for key, label, _higher_better in ROWS:
        go = statistics.median(x[key] for x in results["go"])
        py = statistics.median(x[key] for x in results["py"])
        ratio = f"{py / go:.2f}" if go else "-"
        print(f"{label:44s}{go:14.3f}{py:14.3f}{ratio:>8s}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
