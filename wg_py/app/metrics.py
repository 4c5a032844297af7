"""`wg-py exporter`: Prometheus metrics of every interface, read afresh at each scrape.

The names and labels are prometheus_wireguard_exporter's (MindFlavor), so existing Grafana
dashboards work: per peer `wireguard_sent_bytes_total`, `wireguard_received_bytes_total`
and `wireguard_latest_handshake_seconds` (a Unix time; 0: never), labelled `interface`,
`public_key`, `allowed_ips` (comma-separated) and `friendly_name` when the peer has a
`# Name =` line; per interface `wireguard_peers`. No private or preshared key is ever part
of a metric. Listens on 127.0.0.1 unless told otherwise: the metrics name every peer.
"""

from __future__ import annotations

import ipaddress
import signal
import threading
from pathlib import Path

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import CollectorRegistry

from wg_py import api

PEER_LABELS = ["interface", "public_key", "allowed_ips", "friendly_name"]


class WireGuardCollector:
    def __init__(self, interfaces: list[str], config_dir: Path) -> None:
        self.interfaces, self.config_dir = interfaces, config_dir

    def _config(self, name: str) -> str:
        try:
            return (self.config_dir / f"{name}.conf").read_text(encoding="utf-8", errors="surrogateescape")
        except OSError:
            return ""

    def collect(self):
        sent = CounterMetricFamily("wireguard_sent_bytes", "Bytes sent to the peer", labels=PEER_LABELS)
        received = CounterMetricFamily("wireguard_received_bytes", "Bytes received from the peer",
                                       labels=PEER_LABELS)
        handshake = GaugeMetricFamily("wireguard_latest_handshake_seconds",
                                      "Unix time of the latest handshake with the peer (0: never)",
                                      labels=PEER_LABELS)
        peers = GaugeMetricFamily("wireguard_peers", "Peers configured on the interface", labels=["interface"])
        up = GaugeMetricFamily("wireguard_scrape_ok", "1 if the interface could be read", labels=["interface"])
        try:
            names = self.interfaces or api.list_interfaces()
        except api.WgError:
            names = []
        for name in names:
            try:
                iface = api.get_interface(name, self._config(name))
            except api.WgError:
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            peers.add_metric([name], len(iface.peers))
            for peer in iface.peers:
                labels = [iface.name, peer.public_key, ",".join(peer.allowed_ips), peer.name or ""]
                sent.add_metric(labels, peer.tx_bytes)
                received.add_metric(labels, peer.rx_bytes)
                when = peer.latest_handshake
                handshake.add_metric(labels, int(when.timestamp()) if when else 0)
        yield from (sent, received, handshake, peers, up)


def parse_listen(text: str) -> tuple[str, int]:
    """`host:port` or `[v6]:port` → (host, port); ValueError with a readable message."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--listen wants ADDRESS:PORT, not {text!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"--listen wants a numeric address, not {host!r}") from None
    return host, int(port)


def serve(host: str, port: int, interfaces: list[str], config_dir: Path) -> None:
    """Serve /metrics until SIGINT or SIGTERM."""
    from prometheus_client import start_http_server

    registry = CollectorRegistry(auto_describe=False)
    registry.register(WireGuardCollector(interfaces, config_dir))
    server, thread = start_http_server(port, addr=host, registry=registry)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(f"wg-py exporter: serving http://{'[' + host + ']' if ':' in host else host}:{port}/metrics",
          flush=True)
    stop.wait()
    server.shutdown()
    thread.join(5)
