"""`python3 -m wg_py.app` is `wg-py`."""

from wg_py.app.main import entry

entry()
