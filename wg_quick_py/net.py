"""Links, addresses, MTU, routes, rules and the one sysctl, done in-process with pyroute2.

Every verb that changes something first announces the `ip ...` command a user of the real
wg-quick would see (`[#] ip -4 address add 10.0.0.1/24 dev wg0`), then makes the same netlink
request `ip` would: same flags, protocol, scope and table, and no rule priority, so the kernel
picks it exactly as it does for `ip rule add`. Queries are silent, as the real tool's are.
A refused request becomes `StepFailed(<that ip line>, 2, errno)`: 2 is ip's status for it.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from wg_quick_py.errors import StepFailed
from wg_quick_py.proc import announce

IPNet = ipaddress.IPv4Network | ipaddress.IPv6Network
IPIface = ipaddress.IPv4Interface | ipaddress.IPv6Interface

RT_TABLE_MAIN = 254
RTPROT_BOOT = 3           # what `ip route add` uses when no `proto` is given
RT_SCOPE_UNIVERSE, RT_SCOPE_LINK = 0, 253
FIB_RULE_INVERT = 0x2     # `ip rule add not ...`
RTAX_MTU = "RTAX_MTU"
TABLE_FILES = ("/etc/iproute2/rt_tables", "/usr/share/iproute2/rt_tables",
               "/usr/lib/iproute2/rt_tables")
TABLE_DIRS = ("/etc/iproute2/rt_tables.d", "/usr/share/iproute2/rt_tables.d")
SRC_VALID_MARK = "/proc/sys/net/ipv4/conf/all/src_valid_mark"

_ipr: IPRoute | None = None


def ipr() -> IPRoute:
    """One rtnetlink socket for the whole run, in the namespace we were started in."""
    global _ipr
    if _ipr is None:
        _ipr = IPRoute()
    return _ipr


def family_flag(text: str) -> str:
    """`-6` for anything with a colon, else `-4` (the real tool's test)."""
    return "-6" if ":" in text else "-4"


def _family(flag: str) -> int:
    return socket.AF_INET6 if flag == "-6" else socket.AF_INET


def _request(shown: str, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except NetlinkError as e:
        raise StepFailed(shown, 2, errno=e.code) from None


# -- links -----------------------------------------------------------------------------------

def link_index(ifname: str) -> int | None:
    found = ipr().link_lookup(ifname=ifname)
    return found[0] if found else None


def link_exists(ifname: str) -> bool:
    return link_index(ifname) is not None


def add_wireguard_link(ifname: str) -> int:
    """`ip link add IF type wireguard`; returns 0 or the errno the kernel answered."""
    announce(f"ip link add {ifname} type wireguard")
    try:
        ipr().link("add", ifname=ifname, kind="wireguard")
    except NetlinkError as e:
        return e.code
    return 0


def delete_link(ifname: str) -> None:
    shown = f"ip link delete dev {ifname}"
    announce(shown)
    index = link_index(ifname)
    if index is None:
        raise StepFailed(shown, 1, detail=f'Cannot find device "{ifname}"')
    _request(shown, ipr().link, "del", index=index)


def link_mtu(index: int) -> int | None:
    links = ipr().get_links(index)
    return links[0].get("IFLA_MTU") if links else None


def set_mtu_up(ifname: str, mtu: int | str) -> None:
    shown = f"ip link set mtu {mtu} up dev {ifname}"
    announce(shown)
    try:
        value = int(str(mtu), 0)
    except ValueError:
        raise StepFailed(shown, 1, detail=f'Error: argument "{mtu}" is wrong: Invalid "mtu" value') from None
    _request(shown, ipr().link, "set", index=_index_or_fail(shown, ifname), mtu=value, state="up")


def _index_or_fail(shown: str, ifname: str) -> int:
    index = link_index(ifname)
    if index is None:
        raise StepFailed(shown, 1, detail=f'Cannot find device "{ifname}"')
    return index


# -- addresses -------------------------------------------------------------------------------

def add_address(ifname: str, text: str) -> None:
    flag = family_flag(text)
    shown = f"ip {flag} address add {text} dev {ifname}"
    announce(shown)
    try:
        iface = ipaddress.ip_interface(text)
    except ValueError:
        raise StepFailed(shown, 1, detail=f'Error: any valid prefix is expected rather than "{text}".') from None
    if (flag == "-6") != (iface.version == 6):
        raise StepFailed(shown, 1, detail=f'Error: any valid prefix is expected rather than "{text}".')
    index = _index_or_fail(shown, ifname)
    _request(shown, ipr().addr, "add", index=index, address=str(iface.ip),
             local=str(iface.ip), prefixlen=iface.network.prefixlen)


def addresses(ifname: str, family: int = socket.AF_UNSPEC) -> list[str]:
    """`addr/prefixlen` of every address on the link, in the kernel's dump order."""
    index = link_index(ifname)
    if index is None:
        return []
    out = []
    for fam in ((socket.AF_INET, socket.AF_INET6) if family == socket.AF_UNSPEC else (family,)):
        for msg in ipr().get_addr(family=fam, index=index):
            addr = msg.get("IFA_LOCAL") if fam == socket.AF_INET else None
            addr = addr or msg.get("IFA_ADDRESS")
            out.append(f"{addr}/{msg['prefixlen']}")
    return out


# -- MTU auto-detection ----------------------------------------------------------------------

def route_mtu(host: str) -> int | None:
    """`ip route get HOST`: the route's `mtu` metric, else its device's MTU; None if no route."""
    try:
        routes = ipr().route("get", dst=host)
    except (NetlinkError, ValueError, OSError):
        return None
    return _mtu_of(routes[0]) if routes else None


def default_route_mtu() -> int | None:
    """The same for the first IPv4 default route of the main table (`ip route show default`)."""
    for route in ipr().get_routes(family=socket.AF_INET, table=RT_TABLE_MAIN):
        if route["dst_len"] == 0 and route.get("table") == RT_TABLE_MAIN and route["type"] == 1:
            return _mtu_of(route)
    return None


def _mtu_of(route) -> int | None:
    metrics = route.get("RTA_METRICS")
    if metrics is not None and metrics.get(RTAX_MTU):
        return metrics.get(RTAX_MTU)
    oif = route.get("RTA_OIF")
    return link_mtu(oif) if oif else None


# -- routes ----------------------------------------------------------------------------------

def table_id(name: str) -> int | None:
    """A `Table =` value as ip(8) reads it: a number, `main`/`local`/`default`, or a name from
    the rt_tables files; None if none of these."""
    try:
        return int(name, 0)
    except ValueError:
        pass
    builtin = {"main": 254, "local": 255, "default": 253, "unspec": 0}
    if name in builtin:
        return builtin[name]
    files = [Path(f) for f in TABLE_FILES]
    for d in TABLE_DIRS:
        if os.path.isdir(d):
            files += sorted(Path(d).glob("*.conf"))
    for path in files:
        try:
            lines = path.read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            fields = line.split("#", 1)[0].split()
            if len(fields) >= 2 and fields[1] == name:
                try:
                    return int(fields[0], 0)
                except ValueError:
                    continue
    return None


def add_route(ifname: str, prefix: str, table: str | None = None) -> None:
    """`ip -4|-6 route add PREFIX dev IF [table T]`."""
    flag = family_flag(prefix)
    shown = f"ip {flag} route add {prefix} dev {ifname}" + (f" table {table}" if table is not None else "")
    announce(shown)
    table_number = RT_TABLE_MAIN
    if table is not None:
        found = table_id(table)
        if found is None:
            raise StepFailed(shown, 1, detail=f'Error: argument "{table}" is wrong: "table" value is invalid')
        table_number = found
    network = ipaddress.ip_network(prefix, strict=False)
    _request(shown, ipr().route, "add", family=_family(flag), dst=str(network.network_address),
             dst_len=network.prefixlen, oif=_index_or_fail(shown, ifname), table=table_number,
             proto=RTPROT_BOOT, type=1,
             scope=RT_SCOPE_LINK if flag == "-4" else RT_SCOPE_UNIVERSE)


def has_covering_route(ifname: str, prefix: str) -> bool:
    """Whether `ip -4|-6 route show dev IF match PREFIX` lists anything: a main-table route out of
    IF whose prefix contains PREFIX."""
    index = link_index(ifname)
    if index is None:
        return False
    want = ipaddress.ip_network(prefix, strict=False)
    family = socket.AF_INET6 if want.version == 6 else socket.AF_INET
    for route in ipr().get_routes(family=family, table=RT_TABLE_MAIN, oif=index):
        if route.get("table") != RT_TABLE_MAIN or route.get("RTA_OIF") != index:
            continue
        dst = route.get("RTA_DST") or ("::" if want.version == 6 else "0.0.0.0")
        have = ipaddress.ip_network(f"{dst}/{route['dst_len']}", strict=False)
        if have.prefixlen <= want.prefixlen and want.subnet_of(have):
            return True
    return False


def table_in_use(table: int) -> bool:
    """Whether table `table` holds any IPv4 or IPv6 route (`ip -4/-6 route show table N`)."""
    for family in (socket.AF_INET, socket.AF_INET6):
        for route in ipr().get_routes(family=family, table=table):
            if route.get("table") == table:
                return True
    return False


# -- policy rules ----------------------------------------------------------------------------

def add_rule_not_fwmark(flag: str, table: int) -> None:
    """`ip -4|-6 rule add not fwmark T table T`: what is not WireGuard's own traffic uses T."""
    shown = f"ip {flag} rule add not fwmark {table} table {table}"
    announce(shown)
    _request(shown, ipr().rule, "add", family=_family(flag), table=table, fwmark=table,
             flags=FIB_RULE_INVERT, priority=None)


def add_rule_suppress_main(flag: str) -> None:
    """`ip -4|-6 rule add table main suppress_prefixlength 0`: main's non-default routes win."""
    shown = f"ip {flag} rule add table main suppress_prefixlength 0"
    announce(shown)
    _request(shown, ipr().rule, "add", family=_family(flag), table=RT_TABLE_MAIN,
             suppress_prefixlen=0, priority=None)


def delete_rules(flag: str, table: int) -> None:
    """del_if's loops: drop every rule that looks up `table`, then every `main
    suppress_prefixlength 0` rule, announcing one `ip rule delete` per rule removed."""
    family = _family(flag)
    for shown, match in (
        (f"ip {flag} rule delete table {table}", lambda r: _rule_table(r) == table),
        (f"ip {flag} rule delete table main suppress_prefixlength 0",
         lambda r: _rule_table(r) == RT_TABLE_MAIN and r.get("FRA_SUPPRESS_PREFIXLEN") == 0
         and not r.get("FRA_FWMARK") and r["flags"] == 0 and r["src_len"] == 0 and r["dst_len"] == 0),
    ):
        for rule in [r for r in ipr().get_rules(family=family) if match(r)]:
            announce(shown)
            _request(shown, ipr().rule, "del", family=family, priority=rule.get("FRA_PRIORITY", 0),
                     table=_rule_table(rule), flags=rule["flags"],
                     **({"fwmark": rule.get("FRA_FWMARK")} if rule.get("FRA_FWMARK") else {}),
                     **({"suppress_prefixlen": 0}
                        if rule.get("FRA_SUPPRESS_PREFIXLEN") == 0 else {}))


def _rule_table(rule) -> int:
    return rule.get("FRA_TABLE") or rule["table"]


# -- sysctl ----------------------------------------------------------------------------------

def enable_src_valid_mark() -> None:
    """`sysctl -q net.ipv4.conf.all.src_valid_mark=1` (per network namespace)."""
    shown = "sysctl -q net.ipv4.conf.all.src_valid_mark=1"
    announce(shown)
    try:
        with open(SRC_VALID_MARK, "w") as f:
            f.write("1\n")
    except OSError as e:
        raise StepFailed(shown, 255, errno=e.errno) from None
