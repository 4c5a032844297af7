"""`wg-quick strip`: the config without wg-quick's own keys, ready for `wg setconf`/`syncconf`."""

from __future__ import annotations

import sys

from wg_quick_py.conffile import Context


def run(ctx: Context) -> int:
    # The real tool ends with `echo "$WG_CONFIG"`: one more newline after the last line.
    sys.stdout.buffer.write((ctx.config.wg_text + "\n").encode("utf-8", "surrogateescape"))
    sys.stdout.flush()
    return 0
