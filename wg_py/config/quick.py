"""wg-quick's view of a config file: what its bash `parse_options` takes (REFERENCE.md §2.3),
and the rest, which goes to `wg` (what `wg-quick strip` prints). Pure."""

from __future__ import annotations

from wg_py.config.values import all_digits, ascii_lower
from wg_py.errors import QuickConfigError


class QuickConfig:
    """What wg-quick's parse_options takes from a config file; `wg_text` is the rest.

    `wg_text` is what `wg-quick strip` prints before its final newline: every line that is
    not a wg-quick key of the [Interface] section, with its leading and trailing blanks
    trimmed and NUL bytes dropped (bash `read -r`), each followed by a newline.
    """

    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.dns: list[str] = []
        self.dns_search: list[str] = []
        self.mtu_text: str | None = None
        self.table: str | None = None
        self.pre_up: list[str] = []
        self.post_up: list[str] = []
        self.pre_down: list[str] = []
        self.post_down: list[str] = []
        self.save_config = False
        self.wg_text = ""

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return vars(self) == vars(other)

    def __repr__(self) -> str:
        return "QuickConfig(" + ", ".join(f"{k}={v!r}" for k, v in vars(self).items()) + ")"

    @property
    def mtu(self) -> int | None:
        """The MTU as a number; QuickConfigError if it is not one.

        Read lazily: `strip` passes an unparsable MTU through as the real tool does, and
        `up` reads it before touching anything.
        """
        return None if self.mtu_text is None else _parse_mtu(self.mtu_text)


# [[:space:]] in the C locale, which wg-quick runs under (LC_ALL=C).
_BASH_SPACE = " \t\n\v\f\r"
# `read` with the default IFS trims these (IFS whitespace), and only these.
_IFS_SPACE = " \t\n"
_LIST_KEYS = {"preup": "pre_up", "postup": "post_up", "predown": "pre_down", "postdown": "post_down"}


def bash_read_lines(text: str) -> list[str]:
    """The lines `while read -r line || [[ -n $line ]]` yields: NULs dropped, blanks trimmed."""
    pieces = text.replace("\0", "").split("\n")
    last = pieces.pop()  # text after the final newline: read only if non-blank
    lines = [p.strip(_IFS_SPACE) for p in pieces]
    if last.strip(_IFS_SPACE):
        lines.append(last.strip(_IFS_SPACE))
    return lines


def _split_list(value: str) -> list[str]:
    # ${value//,/ } unquoted: commas become spaces, then IFS word splitting.
    # Pathname expansion of the unquoted words is not reproduced (addresses have no globs).
    # (str methods rather than `re`, which `wg setconf` would otherwise import for nothing.)
    return [word for word in value.replace(",", " ").replace("\t", " ").replace("\n", " ").split(" ") if word]


def _is_nameserver(item: str) -> bool:
    """wg-quick's test for a DNS= item that is an address: `[0-9.]+` or anything with a colon."""
    return ":" in item or (item != "" and not item.strip("0123456789."))


def parse_quick_config(text: str) -> QuickConfig:
    """A wg-quick config file's text → its wg-quick keys and the config left for `wg`.

    Keys are those of REFERENCE.md §2.3, recognised (case-insensitively) only inside
    [Interface]; repeated list keys accumulate, MTU/Table/SaveConfig keep the last.
    Raises QuickConfigError for a SaveConfig that is not true/false (any case, since
    wg-quick compares with nocasematch on); an MTU that is not a number raises only when
    `QuickConfig.mtu` is read.
    """
    quick = QuickConfig()
    in_interface = False
    kept: list[str] = []
    for line in bash_read_lines(text):
        stripped = line.partition("#")[0]
        key = ascii_lower(stripped.partition("=")[0].strip(_BASH_SPACE))
        value = stripped.partition("=")[2] if "=" in stripped else stripped
        value = value.strip(_BASH_SPACE)
        if key.startswith("["):
            in_interface = key == "[interface]"
        if in_interface and _take_quick_key(quick, key, value):
            continue
        kept.append(line + "\n")
    quick.wg_text = "".join(kept)
    return quick


def _take_quick_key(quick: QuickConfig, key: str, value: str) -> bool:
    """Record one wg-quick key of [Interface]; False if `key` is not one (the line stays)."""
    if key == "address":
        quick.addresses.extend(_split_list(value))
    elif key == "dns":
        for item in _split_list(value):
            (quick.dns if _is_nameserver(item) else quick.dns_search).append(item)
    elif key == "mtu":
        quick.mtu_text = value or None
    elif key == "table":
        quick.table = value or None
    elif key in _LIST_KEYS:
        getattr(quick, _LIST_KEYS[key]).append(value)
    elif key == "saveconfig":
        if ascii_lower(value) not in ("true", "false"):
            raise QuickConfigError("bool", value)
        quick.save_config = ascii_lower(value) == "true"
    else:
        return False
    return True


def _parse_mtu(value: str) -> int | None:
    """MTU as `ip link set mtu` reads it (strtoul base 0: decimal, 0x hex, 0 octal); "" is unset."""
    if value == "":
        return None
    low = ascii_lower(value)
    if low.startswith("0x") and all_digits(low[2:], "0123456789abcdef"):
        return int(low[2:], 16)
    if low.startswith("0") and all_digits(low, "01234567"):
        return int(low, 8)
    if all_digits(value):
        return int(value)
    raise QuickConfigError("mtu", value)
