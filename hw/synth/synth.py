#!/usr/bin/env python3
"""Synthesis report of the RTL pipeline with yosys (make -C hw synth).

Synthesizes esp_top hierarchically with `synth_xilinx -family xcup`, then
for each block flattens its netlist and reports LUTs, flip-flops, block RAM
(RAMB36E2 + RAMB18E2 / 2), UltraRAM and the longest register-to-register
path as `ltp -noff` counts cells once the sequential primitives (FD*, SRL*,
RAMB*, URAM*) are cut out of the netlist; then the same count over the
whole pipeline with distributed RAM taken port by port (paths.py), which is
the gate: at most 8 cells, else the exit status is 1.
Usage: synth.py OUTDIR [TOP ...]   (default: the whole pipeline and its blocks)
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RTL = os.path.join(HERE, '..', 'rtl')
CUT = 't:FD* t:RAMB* %u t:URAM* %u t:SRL* %u %n'
# blocks reported: (label, module, what it is)
BLOCKS = [
    ('AES core', 'aes_enc_pipe', '15-stage AES-128/192/256, per-SA round keys'),
    ('GHASH', 'ghash_pipe', '5 chains, 3-stage Karatsuba multiplier, H^1..H^5 per SA'),
    ('GCM core', 'gcm_pipe', 'AES + GHASH + tag'),
    ('SA table out', 'encap_admit', 'outbound config/state RAMs, checks, seq, lifetimes'),
    ('SA table in (lookup)', 'decap_admit', 'inbound config, SPI hash tables, early checks'),
    ('SA commands in', 'decap_cmd', 'inbound SA install, query, delete (host commands)'),
    ('SA table in (state)', 'decap_commit', 'inbound state, 1024-bit replay windows, commit'),
    ('drop counters', 'drop_ctr', '16 x 64-bit per SA (one direction)'),
    ('encap', 'esp_encap', 'whole outbound path'),
    ('decap', 'esp_decap', 'whole inbound path'),
    ('registers', 'esp_regs', 'AXI-Lite register file'),
    ('pipeline', 'esp_top', 'everything'),
]


def yosys(script, log):
    with open(log, 'w') as f:
        r = subprocess.run(['yosys', '-q', '-l', log + '.full', '-p', script],
                           stdout=f, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        sys.exit('yosys failed, see %s.full' % log)


def parse_stat(text):
    cells = {}
    for m in re.finditer(r'^\s+([A-Z][A-Z0-9_]*)\s+(\d+)\s*$', text, re.M):
        cells[m.group(1)] = cells.get(m.group(1), 0) + int(m.group(2))
    return cells


def main():
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else 'synth-out')
    tops = sys.argv[2:]
    os.makedirs(out, exist_ok=True)
    srcs = ' '.join(sorted(os.path.join(RTL, f) for f in os.listdir(RTL) if f.endswith('.sv')))
    il = os.path.join(out, 'esp_top.il')
    yosys('read_verilog -sv -I%s %s; hierarchy -check -top esp_top; '
          'synth_xilinx -family xcup -top esp_top -noiopad; write_rtlil %s' % (RTL, srcs, il),
          os.path.join(out, 'synth.log'))
    mods = re.findall(r'^module (\S+)$', open(il).read(), re.M)
    rows = []
    for label, base, what in BLOCKS:
        if tops and base not in tops:
            continue
        name = next((m for m in mods if m == '\\' + base or
                     re.search(r'\\%s(\\|$)' % base, m)), None)
        if not name:
            continue
        log = os.path.join(out, base + '.log')
        # the RTLIL name as it stands: yosys takes '$paramod$..\\mod' literally
        # (a backslash before '$' would become part of the name)
        yosys('read_rtlil %s; hierarchy -top %s; flatten; tee -o %s.stat stat; '
              'tee -o %s.ltp ltp -noff %s' % (il, name, log, log, CUT), log)
        c = parse_stat(open(log + '.stat').read())
        m = re.search(r'length=(\d+)', open(log + '.ltp').read())
        if not m:
            sys.exit('synth: no ltp result for %s, see %s.full' % (base, log))
        lut = sum(v for k, v in c.items() if re.match(r'LUT\d$', k))
        ff = sum(v for k, v in c.items() if k.startswith('FD'))
        bram = c.get('RAMB36E2', 0) + c.get('RAMB18E2', 0) / 2
        lutram = sum(v for k, v in c.items() if k.startswith('RAM') and not k.startswith('RAMB'))
        rows.append((label, base, lut, ff, bram, c.get('URAM288', 0), lutram,
                     c.get('SRL16E', 0) + c.get('SRLC32E', 0),
                     c.get('CARRY8', 0) + c.get('CARRY4', 0), c.get('DSP48E2', 0),
                     int(m.group(1)), what))
    hdr = ('block', 'module', 'LUT', 'FF', 'BRAM36', 'URAM', 'LUTRAM', 'SRL', 'CARRY', 'DSP',
           'ltp')
    lines = ['yosys synth_xilinx -family xcup; ltp -noff = cells on the longest '
             'register-to-register path (FD*/SRL*/RAMB*/URAM* cut out)', '',
             '%-22s %-14s %8s %8s %7s %5s %7s %5s %6s %4s %4s' % hdr]
    for r in rows:
        lines.append('%-22s %-14s %8d %8d %7.1f %5d %7d %5d %6d %4d %4d' % r[:11])
    if len(rows) < (len(tops) if tops else len(BLOCKS)):
        sys.exit('synth: a block was not found in the netlist')
    worst = max((r[10] for r in rows), default=-1)
    lines += ['', 'ltp -noff, longest over the blocks: %d cells (target <= 8; an upper bound:'
              % worst, '  ltp also runs paths through the clocked write ports of distributed RAM)']
    # the same count port by port (paths.py) over the whole pipeline
    port_worst = None
    if not tops or 'esp_top' in tops:
        js = os.path.join(out, 'esp_top.json')
        yosys('read_rtlil %s; hierarchy -top esp_top; flatten; write_json %s' % (il, js),
              os.path.join(out, 'json.log'))
        r = subprocess.run([sys.executable, os.path.join(HERE, 'paths.py'), js, 'esp_top', '8'],
                           stdout=subprocess.PIPE, text=True)
        os.remove(js)
        m = re.search(r': (\d+) cells', r.stdout)
        if not m:
            sys.exit('synth: paths.py failed')
        port_worst = int(m.group(1))
        lines += [''] + r.stdout.rstrip('\n').split('\n')
    text = '\n'.join(lines) + '\n'
    open(os.path.join(out, 'report.txt'), 'w').write(text)
    print(text, end='')
    # the gate: every register-to-register path within 8 cells, counted port
    # by port when the whole pipeline was synthesized, else as ltp counts
    gate = port_worst if port_worst is not None else worst
    return 0 if gate <= 8 else 1


if __name__ == '__main__':
    sys.exit(main())
