#!/usr/bin/env python3
"""Soak (not a test): a tunnel between two of our engines for a long time, with traffic both
ways, forced rekeys, roaming and hot reloads, watching for stalls, memory and counters.

- two namespaces joined by veth, wireguard-py in each, configured with /usr/bin/wg;
- traffic: each side sends a numbered 200-byte UDP datagram through the tunnel every 20 ms
  and the other echoes it; a stall is the longest time without any echo coming back;
- rekeys: WG_PY_TEST_REKEY_AFTER_TIME (test-only) makes the initiator rekey every --rekey s;
- roaming: every --roam s, B moves to another listen port (A sees its endpoint change only
  through authenticated datagrams);
- `wg syncconf A` with A's own configuration every --sync s (sessions must survive it);
- resident memory of both engines every 10 s (the curve is printed), counters checked.

Run as root from the repository root:
    python3 bench/soak.py [--minutes 30] [--rekey 20] [--roam 60] [--sync 10]
It prints one line per minute and a summary; it exits 1 if a stall exceeded --max-stall
(default 1 s, about one handshake round trip plus retry slack here) or memory kept growing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.engine.helpers import Side, configure_pair, genkey, wg  # noqa: E402
from tests.support.netns import unique_ifname, veth_pair  # noqa: E402

ECHO_PORT = 47000
SIZE = 200
INTERVAL = 0.02


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def engine_pid(ifname: str) -> int:
    """The running engine of `ifname` (the daemon left after its launcher exited)."""
    out = subprocess.run(["pgrep", "-f", f"wg_py.engine {ifname}$"], capture_output=True, text=True).stdout.split()
    return int(out[-1]) if out else 0


TRAFFIC = r'''
import socket, struct, sys, time
me, peer, port, size, interval, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((me, port))
s.setblocking(False)
seq, last_echo, worst, echoes, sent = 0, time.monotonic(), 0.0, 0, 0
end = time.monotonic() + seconds
next_send = time.monotonic()
report = time.monotonic() + 10
while time.monotonic() < end:
    now = time.monotonic()
    if now >= next_send:
        seq += 1
        try:
            s.sendto(struct.pack("!BI", 1, seq) + bytes(size - 5), (peer, port))
            sent += 1
        except OSError:
            pass
        next_send += interval
    try:
        while True:
            data, addr = s.recvfrom(2048)
            if data[0] == 1:
                s.sendto(b"\x02" + data[1:], addr)          # echo theirs
            else:
                now = time.monotonic()
                worst = max(worst, now - last_echo)
                last_echo = now
                echoes += 1
    except BlockingIOError:
        pass
    if now >= report:
        print(f"{sent} {echoes} {worst:.3f}", flush=True)
        worst = 0.0
        report += 10
    time.sleep(0.002)
print(f"{sent} {echoes} {worst:.3f}", flush=True)
'''


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--rekey", type=float, default=20)
    parser.add_argument("--roam", type=float, default=60)
    parser.add_argument("--sync", type=float, default=10)
    parser.add_argument("--max-stall", type=float, default=1.0)
    args = parser.parse_args()
    seconds = args.minutes * 60
    env = dict(os.environ, PYTHONPATH=str(REPO), WG_PY_TEST_REKEY_AFTER_TIME=str(args.rekey))
    with veth_pair() as (nsa, nsb), tempfile.TemporaryDirectory() as tmp:
        ka, kb = genkey(), genkey()
        a = Side(nsa, unique_ifname("soa"), "py", ka[0], ka[1], 51840, "192.0.2.1", "10.80.0.1", "fd80::1")
        b = Side(nsb, unique_ifname("sob"), "py", kb[0], kb[1], 51841, "192.0.2.2", "10.80.0.2", "fd80::2")
        for side in (a, b):
            r = side.ns.run(sys.executable, "-m", "wg_py.engine", side.ifname, env=env, check=False)
            if r.returncode:
                print(r.stdout, r.stderr)
                return 2
        configure_pair(a, b, keepalive=None, b_endpoint=False)   # B learns A's endpoint by roaming
        conf_a = Path(tmp) / "a.conf"
        conf_a.write_text(wg(nsa, "showconf", a.ifname).stdout)
        pids = {a.ifname: engine_pid(a.ifname), b.ifname: engine_pid(b.ifname)}
        traffic = [side.ns.popen(sys.executable, "-c", TRAFFIC, side.inner4, other.inner4, str(ECHO_PORT), str(SIZE),
                                 str(INTERVAL), str(seconds), stdout=subprocess.PIPE, text=True)
                   for side, other in ((a, b), (b, a))]
        reports: list[list[str]] = [[], []]

        def collect(i: int) -> None:
            for line in traffic[i].stdout:
                reports[i].append(line.strip())

        readers = [threading.Thread(target=collect, args=(i,), daemon=True) for i in range(2)]
        for t in readers:
            t.start()
        start = time.monotonic()
        next_sync, next_roam, next_sample = start + args.sync, start + args.roam, start
        port_b = b.port
        rss: list[tuple[float, int, int]] = []
        syncs = roams = 0
        handshakes_seen = set()
        while time.monotonic() - start < seconds:
            now = time.monotonic()
            if now >= next_sync:
                r = nsa.run("/usr/bin/wg", "syncconf", a.ifname, str(conf_a), check=False)
                syncs += r.returncode == 0
                next_sync += args.sync
            if now >= next_roam:
                port_b = 51842 if port_b == 51841 else 51841
                wg(nsb, "set", b.ifname, "listen-port", str(port_b))
                roams += 1
                next_roam += args.roam
            if now >= next_sample:
                rss.append((now - start, rss_kib(pids[a.ifname]), rss_kib(pids[b.ifname])))
                hs = wg(nsa, "show", a.ifname, "latest-handshakes").stdout.split()
                if len(hs) >= 2:
                    handshakes_seen.add(hs[1])
                if len(rss) % 6 == 1:
                    minute = (now - start) / 60
                    stall = max([float(r.split()[2]) for rep in reports for r in rep[-6:]] or [0])
                    print(f"min {minute:5.1f}  rss A {rss[-1][1]:6d} KiB  B {rss[-1][2]:6d} KiB  "
                          f"worst stall last minute {stall:.3f} s  syncs {syncs} roams {roams} "
                          f"handshakes {len(handshakes_seen)}", flush=True)
                next_sample += 10
            time.sleep(0.2)
        for p in traffic:
            p.wait(timeout=60)
        for t in readers:
            t.join(timeout=5)
        transfer_a = wg(nsa, "show", a.ifname, "transfer").stdout.split()
        transfer_b = wg(nsb, "show", b.ifname, "transfer").stdout.split()
        for side in (a, b):
            side.ns.run("ip", "link", "del", side.ifname, check=False)

    worst = max(float(r.split()[2]) for rep in reports for r in rep)
    sent = [int(rep[-1].split()[0]) for rep in reports]
    echoed = [int(rep[-1].split()[1]) for rep in reports]
    first_rss = rss[len(rss) // 10] if len(rss) > 10 else rss[0]
    last_rss = rss[-1]
    growth = [(last_rss[i] - first_rss[i]) for i in (1, 2)]
    print()
    print("rss curve (s, A KiB, B KiB), every minute:")
    print("  " + "  ".join(f"{t:.0f}:{ra}/{rb}" for t, ra, rb in rss[::6]))
    print(f"duration {args.minutes} min, rekey every {args.rekey} s ({len(handshakes_seen)} handshakes seen on A), "
          f"{roams} roams, {syncs} syncconfs")
    print(f"datagrams sent A/B {sent[0]}/{sent[1]}, echoes back {echoed[0]}/{echoed[1]} "
          f"({100 * echoed[0] / max(sent[0], 1):.2f}% / {100 * echoed[1] / max(sent[1], 1):.2f}%)")
    print(f"worst stall {worst:.3f} s (limit {args.max_stall} s)")
    print(f"rss growth after the first tenth: A {growth[0]} KiB, B {growth[1]} KiB")
    print(f"transfer A rx/tx {transfer_a[1:3]}, B rx/tx {transfer_b[1:3]}")
    counters_ok = int(transfer_a[2]) >= int(transfer_b[1]) * 0.99 and int(transfer_b[2]) >= int(transfer_a[1]) * 0.99
    print(f"counters consistent (each side's tx covers the other's rx): {counters_ok}")
    ok = worst <= args.max_stall and max(growth) < 20_000 and counters_ok
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
