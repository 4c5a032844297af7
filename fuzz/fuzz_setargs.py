"""Fuzz target: `wg set` arguments (wg_py.config.setargs): only WgError escapes."""

import atheris

with atheris.instrument_imports():
    from common import run, text
    from wg_py.cli.errors import render
    from wg_py.config.setargs import parse_set_args
    from wg_py.config.values import NUMERIC
    from wg_py.errors import WgError


def test_one_input(data: bytes) -> None:
    argv = [arg for arg in text(data).split("\0")]
    try:
        parse_set_args(argv, lookup=NUMERIC)
    except WgError as e:
        render(e)


if __name__ == "__main__":
    run(test_one_input)
