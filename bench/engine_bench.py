#!/usr/bin/env python3
"""Benchmark: wireguard-py against Debian's and current wireguard-go, in one run.

Each engine kind is measured as a pair of itself: two namespaces joined by a veth pair, an
engine in each, configured the same way with the real /usr/bin/wg. Per kind and round:
engine start-up (launch to UAPI socket and TUN ready), the first ping including the
handshake, steady ping RTT, iperf3 TCP with 1 and 4 streams (and the inner TCP's
retransmits), iperf3 UDP at full rate (datagrams delivered per second), the CPU of both
engines, and the CPU everything else on the machine used meanwhile ("foreign": a noisy run
shows there). Rounds interleave the kinds (A B C, B C A, ...) so all see the same machine.

Kinds:
- `wg-py`: this checkout's engine;
- `go-debian`: /usr/bin/wireguard-go (0.0.20220316);
- `go-current`: ../shared/peers/wireguard-go-0.0.20250522/wireguard-go, when present
  (skipped with a note otherwise);
- `wg-py@REF` with `--baseline REF`: the engine of git revision REF of this repository, from
  a temporary worktree, so a change is judged before and after in the same run.

Run as root from the repository root:
    python3 bench/engine_bench.py [--rounds 3] [--seconds 5] [--baseline REF] [--json FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.engine.helpers import Side, configure_pair, genkey, iperf3  # noqa: E402
from tests.support.netns import SOCKET_DIR, Namespace, unique_ifname, veth_pair, wait_for  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
GO_DEBIAN = "/usr/bin/wireguard-go"
GO_CURRENT = REPO.parent / "shared" / "peers" / "wireguard-go-0.0.20250522" / "wireguard-go"
UDP_LEN = 1380


class Kind:
    """How to start one engine kind: its command and the PYTHONPATH it runs from."""

    def __init__(self, name: str, argv: list[str], pythonpath: str | None = None) -> None:
        self.name, self.argv, self.pythonpath = name, argv, pythonpath

    def start(self, ns: Namespace, ifname: str) -> float:
        """Launch it for `ifname` in `ns`; seconds until its socket and TUN exist."""
        env = {k: v for k, v in os.environ.items() if k not in ("WG_PROCESS_FOREGROUND", "LOG_LEVEL")}
        if self.pythonpath:
            env["PYTHONPATH"] = self.pythonpath
        sock = SOCKET_DIR / f"{ifname}.sock"
        t0 = time.monotonic()
        subprocess.run(ns.cmd(*self.argv, ifname), env=env, check=True, timeout=30, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_for(lambda: sock.exists() and ns.run("ip", "link", "show", ifname, check=False).returncode == 0,
                        10, interval=0.001):
            raise RuntimeError(f"{self.name} did not start {ifname}")
        return time.monotonic() - t0


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])   # utime, stime (fields 14, 15)
    return total / CLK_TCK


def machine_cpu_seconds() -> float:
    """CPU time all processes used so far (user+nice+system+irq+softirq), from /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(x) for x in fields[:7])
    return (user + nice + system + irq + softirq) / CLK_TCK


def ns_pids(ns: Namespace, ifnames: list[str]) -> list[int]:
    """The engine processes of this pair (the daemons, found by their interface name)."""
    pids = []
    for pid in ns.pids():
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(name.encode() in cmd for name in ifnames):
            pids.append(pid)
    return pids


def first_ping_ms(a: Side, b: Side) -> float:
    """The first ping, which waits for the handshake: ping's own RTT of the first reply."""
    r = a.ns.run("ping", "-c", "1", "-W", "5", b.inner4, check=False, timeout=10)
    for line in r.stdout.splitlines():
        if "time=" in line:
            return float(line.split("time=")[1].split()[0])
    return float("nan")


def ping_rtt_ms(a: Side, b: Side, count: int = 20) -> float:
    r = a.ns.run("ping", "-q", "-c", str(count), "-i", "0.02", b.inner4, check=False, timeout=30)
    for line in r.stdout.splitlines():
        if "min/avg/max" in line:
            return float(line.split("=")[1].split("/")[1])
    return float("nan")


def measure(kind: Kind, seconds: float) -> dict:
    """One full round for one engine kind in fresh namespaces."""
    out: dict = {}
    with veth_pair() as (nsa, nsb):
        ia, ib = unique_ifname("bn"), unique_ifname("bn")
        ka, kb = genkey(), genkey()
        a = Side(nsa, ia, kind.name, ka[0], ka[1], 51820, "192.0.2.1", "10.77.0.1", "fd77::1")
        b = Side(nsb, ib, kind.name, kb[0], kb[1], 51820, "192.0.2.2", "10.77.0.2", "fd77::2")
        out["startup_ms"] = 1000 * min(kind.start(nsa, ia), kind.start(nsb, ib))
        configure_pair(a, b)
        out["first_ping_ms"] = first_ping_ms(a, b)
        out["ping_ms"] = ping_rtt_ms(a, b)
        pids = ns_pids(nsa, [ia]) + ns_pids(nsb, [ib])
        for name, extra in (("tcp1", ()), ("tcp4", ("-P", "4")), ("udp", ("-u", "-b", "0", "-l", str(UDP_LEN)))):
            c0, m0, t0 = cpu_seconds(pids), machine_cpu_seconds(), time.monotonic()
            res = iperf3(nsa, nsb, b.inner4, seconds, extra)
            elapsed = time.monotonic() - t0
            engines = cpu_seconds(pids) - c0
            out[f"{name}_cpu"] = engines / elapsed
            # Everything else: iperf3 itself, the kernel's softirq work for both ends, and
            # anything that is not this benchmark.
            out[f"{name}_other_cpu"] = (machine_cpu_seconds() - m0 - engines) / elapsed
            end = res["end"]
            if name == "udp":
                received = end["sum"]["packets"] - end["sum"].get("lost_packets", 0)
                out["udp_kpps"] = received / end["sum"]["seconds"] / 1000
                out["udp_loss_pct"] = end["sum"].get("lost_percent", 0.0)
            else:
                out[f"{name}_mbps"] = end["sum_received"]["bits_per_second"] / 1e6
                out[f"{name}_retr"] = end["sum_sent"].get("retransmits", 0)
    return out


ROWS = [("startup_ms", "engine start-up (ms)"), ("first_ping_ms", "first ping incl. handshake (ms)"),
        ("ping_ms", "steady ping RTT (ms)"), ("tcp1_mbps", "TCP 1 stream (Mbit/s)"),
        ("tcp1_retr", "TCP 1 stream, inner retransmits"), ("tcp4_mbps", "TCP -P 4 (Mbit/s)"),
        ("tcp4_retr", "TCP -P 4, inner retransmits"), ("udp_kpps", f"UDP -b0 -l{UDP_LEN} delivered (kpps)"),
        ("udp_loss_pct", "UDP loss (%)"), ("tcp1_cpu", "engines' CPU, TCP 1 (cores)"),
        ("tcp1_other_cpu", "other CPU, TCP 1 (cores)"), ("tcp4_cpu", "engines' CPU, TCP 4 (cores)"),
        ("udp_cpu", "engines' CPU, UDP (cores)"), ("udp_other_cpu", "other CPU, UDP (cores)")]


@contextlib.contextmanager
def baseline_worktree(ref: str):
    """A detached worktree of `ref` in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="wgpy-baseline-") as tmp:
        path = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(path), ref], check=True)
        try:
            yield path
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(path)], check=False)


def kinds_for(args, baseline: Path | None) -> tuple[list[Kind], list[str]]:
    engine = [sys.executable, "-m", "wg_py.engine"]
    kinds, notes = [Kind("wg-py", engine, str(REPO))], []
    if baseline is not None:
        kinds.append(Kind(f"wg-py@{args.baseline}", engine, str(baseline)))
    if os.access(GO_DEBIAN, os.X_OK):
        kinds.append(Kind("go-debian", [GO_DEBIAN]))
    else:
        notes.append(f"go-debian skipped: {GO_DEBIAN} is missing (apt-get install wireguard-go)")
    if os.access(GO_CURRENT, os.X_OK):
        kinds.append(Kind("go-current", [str(GO_CURRENT)]))
    else:
        notes.append(f"go-current skipped: {GO_CURRENT} is missing")
    return kinds, notes


def fmt(value: float) -> str:
    if value != value:   # NaN
        return "-"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"


def summarise(results: dict[str, list[dict]], rounds: int, seconds: float) -> str:
    names = list(results)
    refs = [n for n in names if n.startswith("go-")]
    lines = [f"min / median / max over {rounds} rounds, {seconds:g} s per iperf3 run", ""]
    header = f"{'':38s}" + "".join(f" {n:>25s}" for n in names)
    header += "".join(f"{'wg-py/' + r:>18s}" for r in refs)
    lines.append(header)
    for key, label in ROWS:
        row = f"{label:38s}"
        medians = {}
        for name in names:
            values = [r[key] for r in results[name] if key in r]
            medians[name] = statistics.median(values) if values else float("nan")
            cell = f"{fmt(min(values))} / {fmt(medians[name])} / {fmt(max(values))}" if values else "-"
            row += f" {cell:>25s}"
        for ref in refs:
            ratio = medians["wg-py"] / medians[ref] if medians[ref] else float("nan")
            row += f"{fmt(ratio) if ratio == ratio else '-':>18s}"
        lines.append(row)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--baseline", metavar="REF", help="also measure the engine of git revision REF")
    parser.add_argument("--only", metavar="KIND", action="append", help="measure only these kinds")
    parser.add_argument("--json", metavar="FILE", help="write the raw figures of every round to FILE")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("needs root (network namespaces)", file=sys.stderr)
        return 1
    with baseline_worktree(args.baseline) if args.baseline else contextlib.nullcontext() as baseline:
        kinds, notes = kinds_for(args, baseline)
        if args.only:
            kinds = [k for k in kinds if k.name in args.only]
        for note in notes:
            print(f"note: {note}", flush=True)
        results: dict[str, list[dict]] = {k.name: [] for k in kinds}
        for r in range(args.rounds):
            order = kinds[r % len(kinds):] + kinds[:r % len(kinds)]
            for kind in order:
                res = measure(kind, args.seconds)
                results[kind.name].append(res)
                print(f"round {r + 1} {kind.name}: " + ", ".join(f"{k}={v:.4g}" for k, v in res.items()), flush=True)
    print()
    print(summarise(results, args.rounds, args.seconds))
    if args.json:
        Path(args.json).write_text(json.dumps({"rounds": args.rounds, "seconds": args.seconds, "notes": notes,
                                               "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
