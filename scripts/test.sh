#!/usr/bin/env bash
# Run the whole test suite (as root). Installs what it needs first (scripts/setup.sh), then
# runs pytest from the development virtual environment; extra arguments go to pytest.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
checkout=$(dirname "$here")
bash "$here/setup.sh"
venv=${WG_PY_DEV_VENV:-$checkout/.venv}
cd "$checkout"
printf '==> running the tests with %s\n' "$venv/bin/python"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
