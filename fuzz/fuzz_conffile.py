"""Fuzz target: `wg setconf` files (wg_py.config.conffile), stopping and collecting modes.

A bad file may raise only WgError (rendered by the CLI in wg's words); with an `errors`
list it never raises, and the errors it lists are WgError too."""

import atheris

with atheris.instrument_imports():
    from common import run, text
    from wg_py.cli.errors import render
    from wg_py.config.conffile import parse_wg_config
    from wg_py.errors import WgError


def test_one_input(data: bytes) -> None:
    source = text(data)
    try:
        parse_wg_config(source, append=bool(data[:1] and data[0] & 1))
    except WgError as e:
        render(e)
    errors: list = []
    parse_wg_config(source, errors=errors)
    for e in errors:
        assert isinstance(e, WgError), e
        render(e)


if __name__ == "__main__":
    run(test_one_input)
