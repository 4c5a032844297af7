"""PreUp/PostUp/PreDown/PostDown: bash snippets run in order with `%i` replaced.

Each runs as the real tool runs it, `(eval "$hook")` inside a `set -e -o pipefail` script
with extglob on: the first failing command ends the hook, and a failing hook fails the whole
operation. The real tool's hooks can also see its shell variables; the two that snippets in
the wild use, INTERFACE and CONFIG_FILE, are exported to ours.
"""

from __future__ import annotations

import os

from wg_quick_py import proc


def run_hooks(hooks: list[str], ifname: str, config_file: str) -> None:
    env = dict(os.environ, INTERFACE=ifname, CONFIG_FILE=config_file)
    for hook in hooks:
        text = hook.replace("%i", ifname)
        proc.run(["bash", "-O", "extglob", "-e", "-o", "pipefail", "-c", text], shown=text, env=env)
