"""`wg-py`: see the tunnels (show as JSON or a table, a live view, Prometheus metrics).

Built with typer (the command line) and rich (the output) on `wg_py.api` alone; `wg` and
`wg-quick` never import this package. Errors are one line on stderr and exit 1 (2 for a
usage error), never a traceback (`WG_PY_DEBUG=1` shows one).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from wg_py import api
from wg_py.app import render

app = typer.Typer(name="wg-py", add_completion=True, no_args_is_help=True, rich_markup_mode=None,
                  help="See and manage WireGuard tunnels: JSON, a live view, metrics, clients.",
                  context_settings={"help_option_names": ["-h", "--help"]})

ConfigOption = typer.Option(None, "--config", "-c", help="The interface's config file, for peer names "
                            "(default /etc/wireguard/IFACE.conf).", dir_okay=False)


def fail(message: str, status: int = 1) -> typer.Exit:
    typer.echo(f"wg-py: {message}", err=True)
    return typer.Exit(status)


def read_config(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError as e:
        raise fail(f"cannot read {path}: {e.strerror}") from None


def load(target: str, config: Path | None) -> list[api.Interface]:
    """`all` (every interface) or one interface, as api objects; exits with wg's words."""
    text = read_config(config)
    try:
        names = api.list_interfaces() if target == "all" else [target]
        return [api.get_interface(name, text) for name in names]
    except api.WgError as e:
        raise fail(api.describe(e)) from None


@app.command()
def show(target: str = typer.Argument("all", metavar="[IFACE|all]", help="One interface, or all of them."),
         as_json: bool = typer.Option(False, "--json", help="The stable JSON document (man wg-py)."),
         show_keys: bool = typer.Option(False, "--show-keys", help="Show private and preshared keys "
                                        "(also WG_HIDE_KEYS=never)."),
         config: Path | None = ConfigOption) -> None:
    """Show interfaces and peers: a table, or JSON with explicit units."""
    interfaces = load(target, config)
    shown = render.keys_shown(show_keys)
    if as_json:
        sys.stdout.write(json.dumps(render.document(interfaces, shown), indent=2) + "\n")
        return
    from wg_py.app.tables import print_interfaces

    print_interfaces(interfaces, shown)


@app.command()
def top(target: str = typer.Argument("all", metavar="[IFACE|all]"),
        interval: float = typer.Option(1.0, "--interval", "-i", min=0.1, help="Seconds between reads."),
        once: bool = typer.Option(False, "--once", help="Print one frame (rates over one interval) and exit."),
        frames: int = typer.Option(0, "--frames", min=0, help="Print this many frames, one per interval, "
                                   "and exit (for scripts)."),
        config: Path | None = ConfigOption) -> None:
    """A live view of who is connected and how fast: q or Ctrl-C leaves."""
    from wg_py.app.live import run_top

    text = read_config(config)
    try:
        run_top(target, interval, frames or (1 if once else 0), text)
    except api.WgError as e:
        raise fail(api.describe(e)) from None


@app.command()
def exporter(listen: str = typer.Option("127.0.0.1:9586", "--listen", "-l",
                                        help="ADDRESS:PORT to serve /metrics on ([v6]:port for IPv6)."),
             interfaces: list[str] = typer.Option([], "--interface", "-i", help="Only these interfaces "
                                                  "(repeatable; default: all)."),
             config_dir: Path = typer.Option(Path(api.CONFIG_DIR), "--config-dir",
                                             help="Where IFACE.conf files with peer names are.")) -> None:
    """Serve Prometheus metrics (prometheus_wireguard_exporter's names and labels)."""
    from wg_py.app.metrics import parse_listen, serve

    try:
        host, port = parse_listen(listen)
    except ValueError as e:
        raise fail(str(e), 2) from None
    try:
        serve(host, port, interfaces, config_dir)
    except OSError as e:
        raise fail(f"cannot listen on {listen}: {e.strerror}") from None


@app.command()
def reresolve(interface: str = typer.Argument("wg0", metavar="IFACE"),
              config: Path | None = typer.Option(None, "--config", "-c", dir_okay=False,
                                                 help="The interface's config (default /etc/wireguard/IFACE.conf)."),
              watch: float = typer.Option(0, "--watch", "-w", min=0, help="Do it again every this many seconds "
                                          "(0: once).")) -> None:
    """Point peers whose Endpoint is a hostname at its current address (after 135 s without handshake)."""
    import time

    while True:
        try:
            report = api.reresolve(interface=interface, config_path=None if config is None else str(config))
        except api.WgError as e:
            raise fail(api.describe(e)) from None
        for item in report:
            if item.outcome != "fresh" or not watch:
                address = f" -> {item.address}" if item.address else ""
                typer.echo(f"{item.peer}: {item.endpoint}{address}: {item.outcome}")
        if not watch:
            return
        sys.stdout.flush()
        time.sleep(watch)


@app.command()
def lint(files: list[Path] = typer.Argument(..., metavar="CONFIG...", help="wg-quick or wg config files."),
         strict: bool = typer.Option(False, "--strict", help="Exit 1 when there are warnings."),
         as_json: bool = typer.Option(False, "--json", help="The findings as JSON (man wg-py).")) -> None:
    """What wg setconf / wg-quick up would reject, all at once, and what they take but users regret."""
    reports = [api.lint_file(str(path)) for path in files]
    if as_json:
        sys.stdout.write(json.dumps({"schema_version": api.LINT_SCHEMA_VERSION,
                                     "files": [r.as_dict() for r in reports]}, indent=2) + "\n")
    else:
        for report in reports:
            for f in report.findings:
                where = f"{report.path}:{f.line}:{f.column}" if f.line else report.path
                sys.stdout.write(f"{where}: {f.severity}: {f.message} [{f.code}]\n")
        errors, warnings = sum(r.errors for r in reports), sum(r.warnings for r in reports)
        typer.echo(f"{render.count(errors, 'error')}, {render.count(warnings, 'warning')} in "
                   f"{render.count(len(reports), 'file')}", err=True)
    raise typer.Exit(api.lint_exit_status(reports, strict))


from wg_py.app.peers import peer_app  # noqa: E402  (after the commands above: the help lists them first)

app.add_typer(peer_app)


def entry() -> None:
    try:
        app(prog_name="wg-py")
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as e:  # the last net (wg_py/crash.py)
        from wg_py import crash

        sys.exit(crash.report("wg-py", e))
