#!/usr/bin/env python3
"""Where the round trip of one bulk TCP stream goes in the bench/tunnel set-up.

    rtt_split.py A_TUN.pcap B_TUN.pcap A_VETH_IN.pcap B_VETH_OUT.pcap

The four captures are taken at the same time (one clock: the namespaces share
the kernel), with a short snap length:
  A_TUN       the sender's TUN device, both directions (data out, ACKs in)
  B_TUN       the receiver's TUN device, both directions (data in, ACKs out)
  A_VETH_IN   the sender's veth, incoming (the receiver's ACKs, ESP in UDP)
  B_VETH_OUT  the receiver's veth, outgoing (the same ESP packets)
The data flows from 10.1.0.1 (A) to 10.2.0.1 (B), as in bench_tunnel.sh.

Printed, as distributions in microseconds:
  forward   a data byte from A's TUN (queued for A's daemon) to B's TUN
            (written by B's daemon): A's daemon, the wire, B's daemon
  receiver  B's TUN write to the ACK that covers it, leaving B's TCP
  ack path  that ACK from B's TUN to A's TUN, split into B's daemon (ACK read
            and encrypted), the veth (ESP out to ESP in) and A's daemon (ESP
            received and decrypted, ACK written)
The ESP packets hide the ACKs they carry, so the two daemon legs pair the
n-th packet from B (ACK or not) with the n-th ESP sequence number (each daemon keeps order); the
offset between the two captures' starts is the smallest one that never has
a packet leave before it arrived.  The veth leg pairs ESP sequence numbers
exactly.  A UDP GSO datagram captured once stands for all the sequence
numbers up to the next one captured.
"""
import bisect
import subprocess
import sys

SRC, DST = "10.1.0.1", "10.2.0.1"


def fields(pcap, *names):
    """tshark's fields of every packet in pcap that has them all, each field's
    first occurrence (an ICMP error quoting a packet has two IP headers).  A
    capture cut short (the last packet half written) gives the packets before
    the cut, with a warning; a file tshark cannot read ends the script with
    its reason."""
    try:
        r = subprocess.run(["tshark", "-r", pcap, "-T", "fields", "-E", "separator=\t",
                            "-E", "occurrence=f"]
                           + [a for n in names for a in ("-e", n)],
                           capture_output=True, text=True)
    except OSError as e:
        sys.exit("rtt_split: cannot run tshark: %s" % e)
    if r.returncode != 0:
        why = next((l for l in r.stderr.splitlines() if l and not l.startswith("Running as")),
                   "tshark exit status %d" % r.returncode)
        if "cut short" not in why or not r.stdout:
            sys.exit("rtt_split: %s: %s" % (pcap, why))
        print("rtt_split: %s: %s (the packets before the cut are used)" % (pcap, why),
              file=sys.stderr)
    for line in r.stdout.splitlines():
        v = line.split("\t")
        if len(v) == len(names) and all(v):
            yield v


def numeric(t, *ints):
    """True if t is a time and every other value an integer, as tshark
    prints them (anything else is a packet the script does not follow)."""
    try:
        float(t)
    except ValueError:
        return False
    return all(x.isdigit() for x in ints)


def tcp(pcap, port=None, base=None):
    """The stream's data segments (t, start, end) and ACKs (t, ack), in
    capture order, sequence numbers unwrapped against base (by default just
    below the first one); the times of every packet from DST (what the ESP
    packets back to A carry); the stream's client port and base.  The
    stream is the one from the client port that carries the most data
    (iperf3 runs a control connection beside it)."""
    rows = [(float(t), src, int(sp), int(dp), int(seq), int(ln), int(ack))
            for t, src, sp, dp, seq, ln, ack in
            fields(pcap, "frame.time_epoch", "ip.src", "tcp.srcport", "tcp.dstport",
                   "tcp.seq_raw", "tcp.len", "tcp.ack_raw")
            if numeric(t, sp, dp, seq, ln, ack)]
    if port is None:
        sent = {}
        for t, src, sp, dp, seq, ln, ack in rows:
            if src == SRC:
                sent[sp] = sent.get(sp, 0) + ln
        port = max(sent, key=sent.get) if sent else None
    data, acks, rev = [], [], []
    for t, src, sp, dp, seq, ln, ack in rows:
        if src == DST:
            rev.append(t)
        if src == SRC and sp == port and ln > 0:
            if base is None:
                base = seq - (1 << 30)
            s = (seq - base) % (1 << 32)
            data.append((t, s, s + ln))
        elif src == DST and dp == port:
            acks.append((t, ack))
    if base is not None:
        acks = [(t, (a - base) % (1 << 32)) for t, a in acks]
    return data, acks, rev, port, base


def esp(pcap):
    """ESP sequence number -> capture time."""
    pk = [(float(t), int(s)) for t, s in fields(pcap, "frame.time_epoch", "esp.sequence")
          if numeric(t, s)]
    out = {}
    for i, (t, s) in enumerate(pk):
        nxt = pk[i + 1][1] if i + 1 < len(pk) else s + 1
        for k in range(s, min(nxt, s + 128)):
            out.setdefault(k, t)
    return out


def dist(x):
    x = sorted(x)
    n = len(x)
    if n < 10:
        return "too few samples (%d)" % n
    return "p10 %6.0f  p50 %6.0f  p90 %6.0f  p99 %6.0f  mean %6.0f  (n=%d)" % (
        x[n // 10], x[n // 2], x[9 * n // 10], x[99 * n // 100], sum(x) / n, n)


def fifo(into, out):
    """Pair into[i] (times, in order) with out[i + d]; the smallest d for
    which nothing leaves before it came (the negatives only fall as d
    grows).  Returns the delays in seconds."""
    def delays(d):
        return [out[i + d] - t for i, t in enumerate(into) if 0 <= i + d < len(out)]

    def bad(d):
        v = delays(d)
        return len(v) < len(into) // 2 or any(x < 0 for x in v)
    lo, hi = -len(into) // 4, len(into) // 4
    if bad(hi):
        return []
    while lo < hi:
        m = (lo + hi) // 2
        if bad(m):
            lo = m + 1
        else:
            hi = m
    return delays(lo)


def main(a_tun, b_tun, a_in, b_out):
    ad, aa, arev, port, base = tcp(a_tun)
    if not ad:
        sys.exit("rtt_split: no data %s -> %s in %s" % (SRC, DST, a_tun))
    bd, ba, brev, _, _ = tcp(b_tun, port, base)
    if not bd or not ba or not aa:
        sys.exit("rtt_split: the stream %s -> %s is not in every capture" % (SRC, DST))
    us = lambda v: [x * 1e6 for x in v]

    starts = [s for _, s, _ in ad]
    fwd = []
    for t, s, e in bd:
        i = bisect.bisect_right(starts, e - 1) - 1
        if i >= 0 and ad[i][1] <= e - 1 < ad[i][2] and t >= ad[i][0]:
            fwd.append(t - ad[i][0])
    backs = [a for _, a in ba]
    rcv = []
    for t, s, e in bd:
        i = bisect.bisect_left(backs, e)
        if i < len(ba) and ba[i][0] >= t:
            rcv.append(ba[i][0] - t)
    a_at = {}
    for t, a in aa:
        a_at.setdefault(a, t)
    ackp = [a_at[a] - t for t, a in ba if a in a_at and a_at[a] >= t]

    ein, eout = esp(a_in), esp(b_out)
    wire = [ein[s] - t for s, t in eout.items() if s in ein]
    ks = sorted(eout)
    bleg = fifo(brev, [eout[k] for k in ks])
    ks = sorted(ein)
    aleg = fifo([ein[k] for k in ks], arev)

    dur = ad[-1][0] - ad[0][0]
    print("rtt_split: %.2f Gbit/s over the %.1f s captured; microseconds:" % (
        (ad[-1][2] - ad[0][1]) * 8 / dur / 1e9 if dur > 0 else 0, dur))
    print("  forward   A TUN -> B TUN          ", dist(us(fwd)))
    print("  receiver  B TUN -> its ACK        ", dist(us(rcv)))
    print("  ack path  B TUN -> A TUN          ", dist(us(ackp)))
    print("    B's daemon  ACK -> ESP out      ", dist(us(bleg)))
    print("    veth        ESP out -> ESP in   ", dist(us(wire)))
    print("    A's daemon  ESP in -> ACK       ", dist(us(aleg)))


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__.strip().split("\n\n")[1])
    main(*sys.argv[1:])
