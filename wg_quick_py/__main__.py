"""`python -m wg_quick_py ...` is `wg-quick ...`."""

from wg_quick_py.main import entry

entry()
