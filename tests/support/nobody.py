"""Running a command as `nobody`, for the tests of what a non-root user sees.

A checkout under a private directory (`/root/wg-py` on a fresh machine) cannot be read by
nobody at all: tests that need it skip there with that reason, instead of failing on an
unreadable interpreter or package.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

NOBODY = 65534
DROP = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
REPO = Path(__file__).resolve().parents[2]


def _nobody_can(test: str, path: str) -> bool:
    return subprocess.run([*DROP, "test", test, path], capture_output=True, timeout=30).returncode == 0


def skip_unless_nobody_reaches_the_checkout() -> None:
    """Skip the calling test unless nobody can read the checkout and run this interpreter."""
    if not (_nobody_can("-r", str(REPO / "wg_py" / "__init__.py")) and _nobody_can("-x", sys.executable)):
        pytest.skip(f"nobody cannot read the checkout or run {sys.executable} (a private directory?)")
