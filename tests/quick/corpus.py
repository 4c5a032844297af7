"""Config files for comparing `wg-quick strip` (and parsing) with the real tool.

Each entry: interface name → file bytes. Together they cover every key, comments, blank
lines, odd spacing and case, keys outside [Interface], CRLF, NUL and non-UTF-8 bytes.
"""

PRIV = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
PUB = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
PSK = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="

CORPUS: dict[str, bytes] = {
    "minimal": f"[Interface]\nPrivateKey = {PRIV}\n\n[Peer]\nPublicKey = {PUB}\nAllowedIPs = 10.0.0.2/32\n".encode(),
    "everykey": f"""[Interface]
PrivateKey = {PRIV}
ListenPort = 51820
FwMark = 0x1234
Address = 10.0.0.1/24, fd00::1/64
DNS = 10.0.0.53, fd00::53, example.com, corp.example
MTU = 1380
Table = 1234
PreUp = echo pre-up %i
PostUp = iptables -A FORWARD -i %i -j ACCEPT; iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE
PreDown = echo pre-down %i
PostDown = iptables -D FORWARD -i %i -j ACCEPT
SaveConfig = true

[Peer]
PublicKey = {PUB}
PresharedKey = {PSK}
AllowedIPs = 10.0.0.2/32, fd00::2/128
Endpoint = [2001:db8::1]:51820
PersistentKeepalive = 25
""".encode(),
    "comments": f"""# leading comment
[Interface] # the interface
PrivateKey = {PRIV} # trailing comment
Address = 10.0.0.1/24 # address comment
# DNS = 1.1.1.1
PostUp = echo "has # hash" %i
   # indented comment
[Peer]
# PublicKey = nope
PublicKey = {PUB}
AllowedIPs = 0.0.0.0/0 # everything
""".encode(),
    "blanks": f"\n\n[Interface]\n\n   \n\t\nPrivateKey = {PRIV}\n\n\n[Peer]\n\t \nPublicKey = {PUB}\n\n\n".encode(),
    "oddcase": f"""[INTERFACE]
privatekey = {PRIV}
ADDRESS = 10.0.0.1/24
dns = 9.9.9.9
mTu = 1400
TABLE = off
preup = true
POSTUP = true
PreDOWN = true
postdown = true
saveconfig = FALSE
[peer]
PUBLICKEY = {PUB}
""".encode(),
    "spacing": f"""  [Interface]
PrivateKey={PRIV}
Address=10.0.0.1/24
  Address   =   10.0.0.2/24 ,  10.0.0.3/24
\tDNS\t=\t1.1.1.1\t
MTU =
Table =
PostUp =   echo   spaced   out
[Peer]
  PublicKey   =   {PUB}
AllowedIPs=10.0.0.0/24,10.1.0.0/24
""".encode(),
    "peerquick": f"""[Interface]
PrivateKey = {PRIV}
[Peer]
PublicKey = {PUB}
Address = 10.9.9.9/32
DNS = 8.8.8.8
PostUp = echo in-peer
MTU = 1000
""".encode(),
    "nosection": f"Address = 10.0.0.1/24\nDNS = 1.1.1.1\n[Interface]\nPrivateKey = {PRIV}\nAddress = 10.0.0.2/24\n".encode(),
    "twoiface": f"""[Interface]
PrivateKey = {PRIV}
Address = 10.0.0.1/24
[Peer]
PublicKey = {PUB}
[Interface]
Address = 10.0.0.9/24
ListenPort = 1234
""".encode(),
    "crlf": f"[Interface]\r\nPrivateKey = {PRIV}\r\nAddress = 10.0.0.1/24\r\nDNS = 1.1.1.1\r\n[Peer]\r\nPublicKey = {PUB}\r\n".encode(),
    "noeol": f"[Interface]\nPrivateKey = {PRIV}\n[Peer]\nPublicKey = {PUB}\nAllowedIPs = 10.0.0.0/8".encode(),
    "onlycomments": b"# nothing here\n# at all\n",
    "empty": b"",
    "repeated": f"""[Interface]
PrivateKey = {PRIV}
Address = 10.0.0.1/24
Address = fd00::1/64
DNS = 1.1.1.1
DNS = 2.2.2.2, search.example
PostUp = echo one
PostUp = echo two
PostUp = echo three
MTU = 1300
MTU = 1350
Table = 100
Table = 200
[Peer]
PublicKey = {PUB}
AllowedIPs = 10.0.0.2/32
AllowedIPs = 10.0.0.3/32
""".encode(),
    "unknown": f"""[Interface]
PrivateKey = {PRIV}
Frobnicate = yes
Pre Up = echo not a key
Address
=10.0.0.5/24
just some words
[Peer]
PublicKey = {PUB}
[Bogus]
Address = 10.0.0.1/24
""".encode(),
    "bytes": b"[Interface]\nPrivateKey = " + PRIV.encode() + b"\n# caf\xe9 \xff\xfe not utf-8\nAddress = 10.0.0.1/24\x00\nPostUp = echo a\x00b\n",
    "equals": f"""[Interface]
PrivateKey = {PRIV}
PostUp = echo a=b c==d
PreDown=ip rule add fwmark 0x1 table 7 # comment after
SaveConfig = True
[Peer]
PublicKey = {PUB}
Endpoint = vpn.example.com:51820
""".encode(),
    "tabsheader": f"\t[Interface]\t\nPrivateKey\t=\t{PRIV}\n[ Interface ]\nAddress = 10.0.0.1/24\n[Interface]x\nAddress = 10.0.0.2/24\n".encode(),
    # strip passes an MTU that is not a number through, as the real tool does
    "badmtu": f"[Interface]\nPrivateKey = {PRIV}\nMTU = abc\nMTU=0x500\nMTU = 1x\n[Peer]\nPublicKey = {PUB}\n".encode(),
}
