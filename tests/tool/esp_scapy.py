#!/usr/bin/python3
"""Independent ESP encoder/decoder for the pcap tool tests: scapy's
SecurityAssociation (written by people who are not us) encrypts packets for
ipsecfx to decrypt, and decrypts (ICV verified) what ipsecfx encrypted.

  esp_scapy.py gen KIND OUT.pcap                 plain test traffic
  esp_scapy.py encrypt SA.json IN.pcap OUT.pcap  scapy encrypts (tunnel mode)
  esp_scapy.py decrypt SA.json IN.pcap OUT.pcap  scapy decrypts, verifies ICV
  esp_scapy.py same A.pcap B.pcap                packet bytes equal (exit 0/1)

SA.json: {"spi": int, "crypt": "AES-GCM"|"AES-CBC"|"CHACHA20-POLY1305",
          "key": hex, "auth": "NULL"|"SHA2-256-128", "auth_key": hex,
          "src": ip, "dst": ip, "nat_t": bool, "seq": int}
"""
import json
import sys

from scapy.all import IP, IPv6, UDP, TCP, ICMP, Raw, Ether, Dot1Q, ARP, rdpcap, wrpcap
from scapy.layers.ipsec import SecurityAssociation, ESP


def gen(kind, out):
    pkts = []
    if kind == "v4":
        for i in range(40):
            pkts.append(IP(src="10.1.0.1", dst="10.2.0.1", id=i, flags="DF" if i % 2 else 0)
                        / UDP(sport=1000 + i, dport=53) / Raw(bytes([i]) * (i * 37 % 1400)))
    elif kind == "v6":
        for i in range(20):
            pkts.append(IPv6(src="2001:db8:1::1", dst="2001:db8:2::1", fl=i)
                        / TCP(sport=2000 + i, dport=80) / Raw(b"y" * (i * 61)))
    elif kind == "ether":
        for i in range(10):
            p = IP(src="10.1.0.1", dst="10.2.0.1", id=i) / ICMP() / Raw(b"p" * i)
            if i % 3 == 0:
                pkts.append(Ether() / Dot1Q(vlan=100) / p)
            else:
                pkts.append(Ether() / p)
        pkts.append(Ether() / ARP())
    wrpcap(out, pkts)


def make_sa(cfg):
    key = bytes.fromhex(cfg["key"])
    kw = dict(spi=cfg["spi"], crypt_algo=cfg["crypt"], crypt_key=key,
              auth_algo=cfg.get("auth", "NULL"))
    if cfg.get("auth_key"):
        kw["auth_key"] = bytes.fromhex(cfg["auth_key"])
    if ":" in cfg["src"]:
        hdr = IPv6(src=cfg["src"], dst=cfg["dst"])
    else:
        hdr = IP(src=cfg["src"], dst=cfg["dst"])
    kw["tunnel_header"] = hdr
    if cfg.get("nat_t"):
        kw["nat_t_header"] = UDP(sport=4500, dport=4500)
    return SecurityAssociation(ESP, **kw)


def inner(p):
    # captures may hold Ethernet frames; SecurityAssociation wants IP
    while not isinstance(p, (IP, IPv6)):
        p = p.payload
    return p


def encrypt(cfgf, inf, outf):
    cfg = json.load(open(cfgf))
    sa = make_sa(cfg)
    out = []
    for i, p in enumerate(rdpcap(inf)):
        e = sa.encrypt(inner(p), seq_num=cfg.get("seq", 1) + i)
        if cfg.get("nat_t"):
            # scapy does not recompute the NAT-T UDP length
            raw = bytearray(bytes(e))
            hl = 20 if raw[0] >> 4 == 4 else 40
            ulen = len(raw) - hl
            raw[hl + 4:hl + 6] = ulen.to_bytes(2, "big")
            e = IP(bytes(raw)) if hl == 20 else IPv6(bytes(raw))
        out.append(e)
    wrpcap(outf, out)


def decrypt(cfgf, inf, outf):
    cfg = json.load(open(cfgf))
    sa = make_sa(cfg)
    out = []
    for p in rdpcap(inf):
        p = inner(p)
        if cfg.get("nat_t"):
            # strip the UDP header: scapy's decrypt wants ESP after IP
            raw = bytes(p)
            hl = 20 if raw[0] >> 4 == 4 else 40
            hdr = bytearray(raw[:hl])
            if hl == 20:
                hdr[9] = 50
                hdr[2:4] = (len(raw) - 8).to_bytes(2, "big")
                p = IP(bytes(hdr) + raw[hl + 8:])
                del p.chksum
                p = IP(bytes(p))
            else:
                hdr[6] = 50
                hdr[4:6] = (len(raw) - 48).to_bytes(2, "big")
                p = IPv6(bytes(hdr) + raw[hl + 8:])
        out.append(sa.decrypt(p))  # raises on a bad ICV
    wrpcap(outf, out)


def same(a, b):
    pa = [bytes(inner(p)) for p in rdpcap(a)]
    pb = [bytes(inner(p)) for p in rdpcap(b)]
    if len(pa) != len(pb):
        print("count differs: %d vs %d" % (len(pa), len(pb)))
        return 1
    for i, (x, y) in enumerate(zip(pa, pb)):
        if x != y:
            print("packet %d differs:\n %s\n %s" % (i + 1, x.hex(), y.hex()))
            return 1
    return 0


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "gen":
        gen(sys.argv[2], sys.argv[3])
    elif cmd == "encrypt":
        encrypt(*sys.argv[2:5])
    elif cmd == "decrypt":
        decrypt(*sys.argv[2:5])
    elif cmd == "same":
        sys.exit(same(sys.argv[2], sys.argv[3]))
    else:
        sys.exit("unknown command " + cmd)
