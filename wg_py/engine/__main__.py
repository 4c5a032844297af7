"""`python3 -m wg_py.engine IFNAME` is `wireguard-py IFNAME`."""

from wg_py.engine.main import entry

entry()
