"""Fuzz target: `wg`'s reading of an engine's `get` reply (wg_py.uapi.client): a hostile or
broken engine may make it raise only WgError (UapiError and friends), never crash."""

import atheris

with atheris.instrument_imports():
    from common import run
    from wg_py.errors import WgError
    from wg_py.uapi.client import parse_get, parse_set_reply


def test_one_input(data: bytes) -> None:
    reply = data.decode("latin-1")
    for keys_only in (False, True):
        try:
            parse_get(reply, "wg0", keys_only=keys_only)
        except WgError:
            pass
    try:
        parse_set_reply(reply)
    except WgError:
        pass


if __name__ == "__main__":
    run(test_one_input)
