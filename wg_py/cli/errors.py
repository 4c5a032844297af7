"""The one place where wg-py's typed errors become wireguard-tools' words.

`render(error)` returns the exact text the C `wg` prints to stderr for that failure (one
or more lines, without the final newline); `report(error)` prints it. Scripts grep these
messages, so they are wireguard-tools v1.0.20210914's, character for character.

Config-file errors (a `ConfigLineError`, or a `ConfigValueError` with a line number) end
with the line setconf.c adds, `Configuration parsing error`; a peer without a public key
ends with `Invalid configuration`. The same value errors from `wg set` arguments (line
number 0) are printed alone, as set.c does.
"""

from __future__ import annotations

import os
import sys

from wg_py.errors import (
    ConfigLineError,
    ConfigRetrieveError,
    ConfigValueError,
    InterfaceAccessError,
    InterfaceListError,
    InterfaceModifyError,
    KeyFileError,
    KeyFormatError,
    QuickConfigError,
    WgError,
)

_VALUE_MESSAGES = {
    "key": "Key is not the correct length or format: `{v}'",
    "empty-port": "Unable to parse empty port",
    "port-resolve": "{d}: `{v}'",
    "fwmark": "Fwmark is neither 0/off nor 0-0xffffffff: `{v}'",
    "keepalive": "Persistent keepalive interval is neither 0/off nor 1-65535: `{v}'",
    "ip": "Unable to parse IP address: `{v}'",
    "allowed-ip": "AllowedIP is not in the correct format: `{v}'",
    "endpoint-empty": "Unable to parse empty endpoint",
    "endpoint-brace": "Unable to find matching brace of endpoint: `{v}'",
    "endpoint-port": "Unable to find port of endpoint: `{v}'",
    "endpoint-family": "Neither IPv4 nor IPv6 address found: `{v}'",
    "endpoint-resolve": "{d}: `{v}'",
    "missing-public-key": "A peer is missing a public key",
    "argument": "Invalid argument: {v}",
    "retries-env": "Unable to parse WG_ENDPOINT_RESOLUTION_RETRIES: `{v}'",
}

PARSING_ERROR = "Configuration parsing error"
INVALID_CONFIGURATION = "Invalid configuration"


def _value_message(error: ConfigValueError) -> str:
    text = _VALUE_MESSAGES.get(error.kind)
    if text is None:
        return f"Invalid value: `{error.value}'"
    text = text.format(v=error.value, d=error.detail)
    if error.kind == "missing-public-key":
        return f"{text}\n{INVALID_CONFIGURATION}"
    # The retries variable makes the C tool exit on the spot, before setconf's trailer.
    if error.lineno > 0 and error.kind != "retries-env":
        return f"{text}\n{PARSING_ERROR}"
    return text


def render(error: WgError) -> str:
    """The C tool's message for `error` (no trailing newline)."""
    match error:
        case ConfigLineError(line=line):
            return f"Line unrecognized: `{line}'\n{PARSING_ERROR}"
        case ConfigValueError():
            return _value_message(error)
        case KeyFormatError(value=v):
            return f"Key is not the correct length or format: `{v}'"
        case KeyFileError(kind="open", errno=e):
            return f"fopen: {os.strerror(e)}"
        case KeyFileError(kind="read", errno=e):
            return f"getc: {os.strerror(e)}"
        case KeyFileError(kind="length"):
            return "Invalid length key in key file"
        case KeyFileError(kind="trailing", value=v):
            return f"Found trailing character in key file: `{v}'"
        case QuickConfigError(kind="bool", value=v):
            # wg-quick's die() prefixes "wg-quick: ".
            return f"`{v}' is neither true nor false"
        case QuickConfigError(kind="mtu", value=v):
            return f"`{v}' is not a valid MTU"
        case InterfaceAccessError(interface=i, errno=e, listing=True):
            # `wg show all` names the interface; a single `wg show IF` does not.
            return f"Unable to access interface {i}: {os.strerror(e)}"
        case InterfaceAccessError(errno=e):
            return f"Unable to access interface: {os.strerror(e)}"
        case InterfaceModifyError(errno=e):
            return f"Unable to modify interface: {os.strerror(e)}"
        case InterfaceListError(errno=e):
            return f"Unable to list interfaces: {os.strerror(e)}"
        case ConfigRetrieveError(errno=e):
            return f"Unable to retrieve current interface configuration: {os.strerror(e)}"
    return str(error)


def write_stderr(text: str) -> None:
    """Write straight to fd 2 (unbuffered, like C's stderr), as the bytes the text came from.

    Config text is decoded with surrogateescape, so a message quoting it gives back the
    file's own bytes. Write errors are ignored, as fprintf(stderr) ignores them.
    """
    if sys.stderr is not None:  # None when started with fd 2 closed
        sys.stderr.flush()
    data = text.encode("utf-8", "surrogateescape")
    try:
        while data:
            data = data[os.write(2, data):]
    except OSError:
        pass


def write_stdout(text: str) -> None:
    """Write straight to fd 1, as the C tool's stdio would deliver it.

    A closed pipe ends the process by SIGPIPE, as it ends the C tool (so `wg genkey | true`
    exits the same way); other write errors are ignored, as stdio ignores them at exit.
    """
    if sys.stdout is not None:  # None when started with fd 1 closed
        sys.stdout.flush()
    data = text.encode("utf-8", "surrogateescape")
    try:
        while data:
            data = data[os.write(1, data):]
    except BrokenPipeError:
        import signal

        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGPIPE)
    except OSError:
        pass


def usage_error(argv0: str, name: str, tail: str = "") -> int:
    """`Usage: <argv0> <subcommand>[ <tail>]` on stderr; exit status 1."""
    write_stderr(f"Usage: {argv0} {name}{' ' + tail if tail else ''}\n")
    return 1


def report(error: WgError) -> int:
    """Print `render(error)` and a newline to stderr; returns the C tool's exit status (1)."""
    write_stderr(render(error) + "\n")
    return 1
