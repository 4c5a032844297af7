"""The server-config editor behind `wg-py peer`: sections, addresses, edits that keep bytes."""

from __future__ import annotations

import pytest

from wg_py.config.peers import (
    check_name, client_endpoint, next_free_addresses, parse_server_config, peer_block,
)
from wg_py.errors import PeerAdminError

SERVER = """# top comment
[Interface]
Address = 10.8.0.1/24
Address = fd00::1/64   # v6 too
ListenPort = 51820
PrivateKey = x

# old friend, no name
[Peer]
PublicKey = AAAA
AllowedIPs = 10.8.0.2/32, 10.8.0.128/25

[peer]
# Name = phone
PublicKey = BBBB
AllowedIPs = 10.8.0.3/32,fd00::2/128
"""


def test_sections_names_and_lists():
    server = parse_server_config(SERVER)
    assert [s.kind for s in server.sections] == ["", "interface", "peer", "peer"]   # "": the lines before a header
    assert server.interface.listed("address") == ["10.8.0.1/24", "fd00::1/64"]
    assert [server.peer_name(p) for p in server.peers] == [None, "phone"]
    assert server.find("phone").listed("allowedips") == ["10.8.0.3/32", "fd00::2/128"]
    # The comment paragraph above a header introduces the next section, not the previous one.
    assert server.lines[server.interface.end - 1] == "PrivateKey = x\n"


def test_next_free_skips_every_held_address_and_range():
    assert next_free_addresses(parse_server_config(SERVER)) == ["10.8.0.4/32", "fd00::3/128"]
    full = SERVER + "[Peer]\nPublicKey = C\nAllowedIPs = 10.8.0.4/30, 10.8.0.8/29, 10.8.0.16/28, 10.8.0.32/27, 10.8.0.64/26\n"
    with pytest.raises(PeerAdminError) as e:
        next_free_addresses(parse_server_config(full))
    assert (e.value.kind, e.value.value) == ("full", "10.8.0.0/24")
    tiny = "[Interface]\nAddress = 10.1.0.1/31\n"
    with pytest.raises(PeerAdminError):
        next_free_addresses(parse_server_config(tiny))


def test_ipv4_never_hands_out_the_broadcast_address_nor_ipv6_the_anycast_one():
    v4 = "[Interface]\nAddress = 10.2.0.2/30\n"            # .0 network, .1 free, .2 server, .3 broadcast
    assert next_free_addresses(parse_server_config(v4)) == ["10.2.0.1/32"]
    v6 = "[Interface]\nAddress = fd01::5/126\n"            # ::4 anycast, ::5 server, ::6 ::7 free
    assert next_free_addresses(parse_server_config(v6)) == ["fd01::6/128"]


def test_no_address_and_bad_address():
    for text, kind in (("[Interface]\nPrivateKey = x\n", "no-address"), ("[Interface]\nAddress = nope\n", "bad-address")):
        with pytest.raises(PeerAdminError) as e:
            next_free_addresses(parse_server_config(text))
        assert e.value.kind == kind


def test_add_then_remove_gives_back_the_same_bytes():
    server = parse_server_config(SERVER)
    added = server.with_peer(peer_block("laptop", "KEY", ["10.8.0.4/32"], "PSK", None))
    assert added.startswith(SERVER)
    assert added[len(SERVER):] == "\n[Peer]\n# Name = laptop\nPublicKey = KEY\nPresharedKey = PSK\nAllowedIPs = 10.8.0.4/32\n"
    again = parse_server_config(added)
    assert again.without(again.find("laptop")) == SERVER
    # Removing one in the middle keeps its neighbours and one blank line between them.
    middle = parse_server_config(SERVER)
    removed = middle.without(middle.peers[0])
    assert removed == SERVER.replace("[Peer]\nPublicKey = AAAA\nAllowedIPs = 10.8.0.2/32, 10.8.0.128/25\n\n", "")


def test_without_trailing_newline_and_crlf():
    text = "[Interface]\r\nAddress = 10.0.0.1/24\r\n[Peer]\r\n# Name = a\r\nPublicKey = K"
    server = parse_server_config(text)
    assert server.renamed(server.find("a"), "b") == text.replace("# Name = a", "# Name = b")
    assert server.with_peer(["[Peer]"]) == text + "\n\n[Peer]\n"


def test_rename_adds_a_name_line_where_there_was_none():
    server = parse_server_config(SERVER)
    renamed = server.renamed(server.peers[0], "friend")
    assert "[Peer]\n# Name = friend\nPublicKey = AAAA\n" in renamed
    assert parse_server_config(renamed).find("friend") is not None


def test_defaults_are_stored_in_the_interface_section_and_rewritten_in_place():
    server = parse_server_config(SERVER)
    stored = server.with_defaults({"endpoint": "vpn.example.com", "dns": "10.8.0.1"})
    assert "PrivateKey = x\n# ClientEndpoint = vpn.example.com\n# ClientDNS = 10.8.0.1\n\n# old friend" in stored
    again = parse_server_config(stored)
    assert again.default("endpoint") == "vpn.example.com" and again.default("allowed_ips") is None
    assert parse_server_config(again.with_defaults({"endpoint": "b:1"})).default("endpoint") == "b:1"
    assert again.with_defaults({"endpoint": "b:1"}).count("ClientEndpoint") == 1


@pytest.mark.parametrize("name,ok", [("laptop", True), ("ann.phone", True), ("a@b+c_d-1", True), ("", False),
                                     ("-x", False), (".hidden", False), ("a/b", False), ("a b", False),
                                     ("x" * 64, False), ("é", False)])
def test_names(name, ok):
    if ok:
        assert check_name(name) == name
    else:
        with pytest.raises(PeerAdminError):
            check_name(name)


def test_client_endpoint():
    assert client_endpoint("vpn.example.com", "51820") == "vpn.example.com:51820"
    assert client_endpoint("vpn.example.com:443", None) == "vpn.example.com:443"
    assert client_endpoint("2001:db8::1", "5") == "[2001:db8::1]:5"
    assert client_endpoint("[2001:db8::1]", "5") == "[2001:db8::1]:5"
    assert client_endpoint("[2001:db8::1]:7", None) == "[2001:db8::1]:7"
    with pytest.raises(PeerAdminError):
        client_endpoint("host", None)
