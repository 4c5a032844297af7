"""`wg-py peer add|list|show|rename|remove`: a server's clients, on `wg_py.api`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from wg_py import api

peer_app = typer.Typer(name="peer", no_args_is_help=True, rich_markup_mode=None,
                       help="Add, list, show, rename and remove a server's clients (peers with names).",
                       context_settings={"help_option_names": ["-h", "--help"]})

InterfaceOption = typer.Option("wg0", "--interface", "-i", help="The server's interface (its config is "
                               "/etc/wireguard/IFACE.conf unless --config).")
ConfigOption = typer.Option(None, "--config", "-c", help="The server's wg-quick config file.", dir_okay=False)


def _fail(message: str, status: int = 1) -> typer.Exit:
    typer.echo(f"wg-py: {message}", err=True)
    return typer.Exit(status)


def _config(config: Path | None) -> str | None:
    return None if config is None else str(config)


def _print_client(text: str, qr_png: Path | None, show_qr: bool) -> None:
    sys.stdout.write(text)
    if not (show_qr or qr_png):
        return
    import segno

    code = segno.make(text, error="l", micro=False)
    if qr_png is not None:
        code.save(str(qr_png), kind="png", scale=4, border=4)
    if show_qr:
        sys.stdout.write("\n")
        sys.stdout.flush()
        code.terminal(out=sys.stdout, compact=True, border=2)


@peer_app.command("add")
def add(name: str = typer.Argument(..., help="The client's name (kept as `# Name =` in the server's config)."),
        interface: str = InterfaceOption, config: Path | None = ConfigOption,
        endpoint: str | None = typer.Option(None, "--endpoint", "-e", help="HOST[:PORT] clients reach the "
                                             "server at; kept in the server's config for the next clients."),
        dns: str | None = typer.Option(None, "--dns", help="DNS= of client configs (kept, like --endpoint)."),
        allowed_ips: str | None = typer.Option(None, "--allowed-ips", help="AllowedIPs= of client configs "
                                               "(default 0.0.0.0/0, ::/0; kept)."),
        keepalive: int | None = typer.Option(None, "--keepalive", min=0, max=65535,
                                             help="PersistentKeepalive= of client configs (default 25; 0: off; kept)."),
        no_psk: bool = typer.Option(False, "--no-psk", help="No preshared key."),
        keep_client_key: bool = typer.Option(False, "--keep-client-key", help="Keep the client's private key "
                                             "in the server's config, so that `peer show` can print the "
                                             "client config again (off: only the file written now has it)."),
        out: Path | None = typer.Option(None, "--out", "-o", help="Where to write the client's config "
                                        "(default ./NAME.conf; it must not exist).", dir_okay=False),
        qr: Path | None = typer.Option(None, "--qr", help="Also write the QR code as a PNG image here."),
        no_qr: bool = typer.Option(False, "--no-qr", help="Do not print the QR code.")) -> None:
    """Add a client: its keys, the next free addresses, a [Peer] in the server's config, live."""
    try:
        api.check_peer_name(name)
        made = api.add_peer(name, interface=interface, config_path=_config(config), endpoint=endpoint,
                            dns=dns, allowed_ips=allowed_ips, keepalive=keepalive, preshared_key=not no_psk,
                            keep_client_key=keep_client_key, client_path=str(out or f"{name}.conf"))
    except api.WgError as e:
        raise _fail(api.describe(e)) from None
    live = f"applied to {interface}" if made.applied else f"{interface} is not up: the config file alone changed"
    typer.echo(f"# added {made.name} ({', '.join(made.addresses)}), {live}; the client's config is "
               f"{made.config_path}", err=True)
    _print_client(made.config, qr, not no_qr)


@peer_app.command("list")
def list_(interface: str = InterfaceOption, config: Path | None = ConfigOption) -> None:
    """The server's peers: names, addresses, last handshake, transfer."""
    try:
        entries = api.list_peers(interface=interface, config_path=_config(config))
    except api.WgError as e:
        raise _fail(api.describe(e)) from None
    from wg_py.app.tables import print_peer_entries

    print_peer_entries(interface, entries)


@peer_app.command("show")
def show(name: str, interface: str = InterfaceOption, config: Path | None = ConfigOption,
         qr: Path | None = typer.Option(None, "--qr", help="Also write the QR code as a PNG image here."),
         no_qr: bool = typer.Option(False, "--no-qr", help="Do not print the QR code.")) -> None:
    """The client's config and QR code again (only if added with --keep-client-key)."""
    try:
        text = api.client_config_of(name, interface=interface, config_path=_config(config))
    except api.WgError as e:
        raise _fail(api.describe(e)) from None
    _print_client(text, qr, not no_qr)


@peer_app.command("rename")
def rename(old: str, new: str, interface: str = InterfaceOption, config: Path | None = ConfigOption) -> None:
    """Rename a peer (its `# Name =` line)."""
    try:
        api.rename_peer(old, new, interface=interface, config_path=_config(config))
    except api.WgError as e:
        raise _fail(api.describe(e)) from None


@peer_app.command("remove")
def remove(name: str, interface: str = InterfaceOption, config: Path | None = ConfigOption) -> None:
    """Remove a peer from the server's config and the running interface."""
    try:
        applied = api.remove_peer(name, interface=interface, config_path=_config(config))
    except api.WgError as e:
        raise _fail(api.describe(e)) from None
    live = f"and from {interface}" if applied else f"({interface} is not up)"
    typer.echo(f"# removed {name} from the config {live}", err=True)
