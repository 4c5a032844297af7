"""wg-py: WireGuard's `wg`, `wg-quick` and a userspace tunnel engine, in Python."""

__version__ = "0.1.0"
