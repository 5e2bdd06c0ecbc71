#!/usr/bin/env python3
"""Turn a strongSwan capture (see capture_strongswan.sh) into a test vector:
the IKE datagrams in order and the secrets charon logs at level 4."""
import json
import re
import subprocess
import sys

run, prop, psk, frag = sys.argv[1:5]

msgs = []
for line in open(f"{run}/dgrams.tsv"):
    src, sport, dport, payload = line.split()
    data = bytes.fromhex(payload)
    if sport == "4500" or dport == "4500":
        # RFC 3948: IKE on 4500 is preceded by a four-octet non-ESP marker
        assert data[:4] == b"\0\0\0\0", "no non-ESP marker"
        data = data[4:]
    msgs.append({"from": "initiator" if src == "192.0.2.1" else "responder",
                 "port": int(dport), "hex": data.hex()})

HEAD = re.compile(r"\[IKE\] (.+?) => (\d+) bytes @")
ROW = re.compile(r"\[IKE\]\s+\d+: ((?:[0-9A-F]{2} )+)")


def dumps(path):
    """Every '<name> => N bytes' hexdump charon logged, in order."""
    out, cur = [], None
    for line in open(path):
        m = HEAD.search(line)
        if m:
            cur = [m.group(1), int(m.group(2)), b""]
            out.append(cur)
            continue
        m = ROW.search(line)
        if m and cur and len(cur[2]) < cur[1]:
            cur[2] += bytes.fromhex(m.group(1).replace(" ", ""))
    return [(n, d[:ln].hex()) for n, ln, d in out]


names = {"shared Diffie Hellman secret": "g_ir", "SKEYSEED": "skeyseed",
         "Sk_d secret": "sk_d", "Sk_ai secret": "sk_ai", "Sk_ar secret": "sk_ar",
         "Sk_ei secret": "sk_ei", "Sk_er secret": "sk_er",
         "Sk_pi secret": "sk_pi", "Sk_pr secret": "sk_pr"}
keys, auths = {}, []
for name, hexd in dumps(f"{run}/A/charon.log"):
    if name in names and names[name] not in keys:
        keys[names[name]] = hexd
    if name.startswith("AUTH = prf(prf(secret, keypad), octets)"):
        auths.append(hexd)

version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "strongswan-charon"],
                         capture_output=True, text=True).stdout
sas = open(f"{run}/sas.txt").read().splitlines()
json.dump({
    "source": "captured from Debian strongSwan charon " + version +
              " (initiator 192.0.2.1 <-> responder 192.0.2.2, two network namespaces) by "
              "tests/ike/capture_strongswan.sh; keys from the initiator's charon log at "
              "level 4; non-ESP markers stripped from port 4500 datagrams",
    "proposal": prop,
    "fragment_size": int(frag) if frag else None,
    "psk": psk,
    "id_i": "192.0.2.1",
    "id_r": "192.0.2.2",
    "swanctl_list_sas": sas,
    "messages": msgs,
    "keys": keys,
    "auth_i": auths[0] if auths else None,
    "auth_r": auths[1] if len(auths) > 1 else None,
}, sys.stdout, indent=1)
print()
