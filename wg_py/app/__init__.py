"""`wg-py`: the command that does what `wg` and `wg-quick` never did (JSON, a live view,
Prometheus metrics), built with typer and rich on `wg_py.api` only."""
