"""Fuzz target: wg-quick's view of a config (wg_py.config.quick) and `wg-py lint` over it.

parse_quick_config may raise only QuickConfigError; what strip leaves parses with wg's
grammar or fails with WgError; lint never raises and reports lines inside the file."""

import atheris

with atheris.instrument_imports():
    from common import run, text
    from wg_py.config.conffile import parse_wg_config
    from wg_py.config.quick import parse_quick_config
    from wg_py.errors import QuickConfigError, WgError
    from wg_py.lint import Host, lint_text


def test_one_input(data: bytes) -> None:
    source = text(data)
    try:
        quick = parse_quick_config(source)
    except QuickConfigError:
        quick = None
    if quick is not None:
        try:
            quick.mtu
        except QuickConfigError:
            pass
        try:
            parse_wg_config(quick.wg_text)
        except WgError:
            pass
    report = lint_text(source, host=Host())
    lines = source.count("\n") + 1
    for finding in report.findings:
        assert 0 <= finding.line <= lines, finding


if __name__ == "__main__":
    run(test_one_input)
