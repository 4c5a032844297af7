"""`python -m wg_py ...` is `wg ...`."""

from wg_py.cli.main import entry

entry()
