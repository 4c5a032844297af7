"""`python3 -m wg_py.engine IFNAME` is `wireguard-py IFNAME`."""

import sys

from wg_py.engine.main import entry

sys.argv[0] = "wireguard-py"   # for the usage line; runpy set it to this file's path
entry()
