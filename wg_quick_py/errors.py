"""wg-quick's typed errors: data inside, words in `render()` (the CLI edge).

Two kinds exist, as in the real bash tool: a *die* (wg-quick itself refuses: the message is
printed as `wg-quick: <message>` and the exit status is 1), and a *failed step* (a command
it ran, or the netlink request standing in for one, failed: the status is that command's own,
as `set -e` would propagate it in the real tool).
"""

from __future__ import annotations

import os

from wg_py.errors import WgError


class QuickError(WgError):
    """Root of the errors wg-quick raises on purpose.

    `announced` is set once the error has been printed (`up` prints it before tearing down,
    as the real tool's failing command does, and the edge must not print it again).
    """

    status = 1
    announced = False


class ConfigMissing(QuickError):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class BadConfigName(QuickError):
    pass


class ConfigUnreadable(QuickError):
    """The config file exists but cannot be read (a directory, no permission, an I/O error).

    The real tool's `read` prints `read error: 0: Is a directory` and goes on with an empty
    config; ours stops before it touches anything."""

    def __init__(self, path: str, errno: int) -> None:
        super().__init__(path, errno)
        self.path, self.errno = path, errno


class AlreadyExists(QuickError):
    def __init__(self, interface: str) -> None:
        super().__init__(interface)
        self.interface = interface


class NotWireGuard(QuickError):
    def __init__(self, interface: str) -> None:
        super().__init__(interface)
        self.interface = interface



class SaveFailed(QuickError):
    """`stage` is "write" or "move"."""

    def __init__(self, stage: str) -> None:
        super().__init__(stage)
        self.stage = stage


class StepFailed(QuickError):
    """A step of up/down/save failed.

    `step` is the step as its `[#]` line shows it; `status` the exit status to return (the
    failing program's, or 2 where `ip` would have failed); `errno` for netlink/OS failures;
    `detail` replaces strerror(errno) where ip(8) would have said something more specific.
    """

    def __init__(self, step: str, status: int, errno: int = 0, detail: str = "") -> None:
        super().__init__(step, status, errno)
        self.step, self.status, self.errno, self.detail = step, status, errno, detail


def render(error: QuickError) -> str | None:
    """The one line (without the program prefix) to print for `error`, or None for nothing."""
    match error:
        case ConfigMissing(path=p):
            return f"`{p}' does not exist"
        case BadConfigName():
            return "The config file must be a valid interface name, followed by .conf"
        case ConfigUnreadable(path=p, errno=e):
            return f"read error: `{p}': {os.strerror(e)}"
        case AlreadyExists(interface=i):
            return f"`{i}' already exists"
        case NotWireGuard(interface=i):
            return f"`{i}' is not a WireGuard interface"
        case SaveFailed(stage="write"):
            return "Could not write configuration file"
        case SaveFailed():
            return "Could not move configuration file"
        case StepFailed(step=s, errno=e, detail=d) if e:
            return f"`{s}' failed: {d or os.strerror(e)}"
        case StepFailed(step=s, status=st, detail=d):
            return f"`{s}' failed{': ' + d if d else ''} (exit status {st})"
    return str(error)
