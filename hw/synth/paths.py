#!/usr/bin/env python3
"""Longest register-to-register paths, in cells, of a flattened yosys
netlist (write_json), the way `ltp -noff` counts them but port by port.

Sequential primitives (FD*, SRL*, RAMB*, URAM*) start and end paths.
Distributed RAM (RAM32M16, RAM64M8, RAM*X1*) is combinational only from its
read addresses to its outputs: its write (data, address, enable) is clocked,
so a path ends there.  `ltp` cannot tell the ports apart and runs paths
through the write side as well, which makes its figure an upper bound.

Usage: paths.py NETLIST.json MODULE [LIMIT]
Prints the longest path, cell by cell, and the instances holding cells
deeper than LIMIT (default 8).
"""
import json
import re
import sys
from collections import defaultdict

SEQ = re.compile(r'^(FD|SRL|RAMB|URAM)')
LUTRAM = re.compile(r'^RAM(32|64|128|256)')
READ_PORT = re.compile(r'^(ADDR[A-H]|DPRA\d*|A\d*)$')


def load(path, module):
    mod = json.load(open(path))['modules'][module]
    cells = []
    for name, c in mod['cells'].items():
        t = c['type']
        dirs = c.get('port_directions', {})
        ins, outs = [], []
        for port, bits in c['connections'].items():
            bits = [b for b in bits if isinstance(b, int)]
            if dirs.get(port) == 'output':
                outs += bits
            elif dirs.get(port) == 'input':
                if LUTRAM.match(t) and not READ_PORT.match(port):
                    continue
                ins += bits
        cells.append((name, t, ins, outs))
    return cells


def depths(cells):
    """depth[i] = (cells on the longest path ending with cell i, predecessor)"""
    comb = [i for i, c in enumerate(cells) if not SEQ.match(c[1])]
    driver = {}
    for i in comb:
        for b in cells[i][3]:
            driver[b] = i
    memo = {}
    for start in comb:
        stack = [start]
        while stack:
            k = stack[-1]
            if k in memo:
                stack.pop()
                continue
            preds = {driver[b] for b in cells[k][2] if b in driver}
            todo = [j for j in preds if j not in memo]
            if todo:
                if len(stack) > len(cells):
                    sys.exit('paths: combinational loop')
                stack.extend(todo)
                continue
            best = max(((memo[j][0], j) for j in preds), default=(0, None))
            memo[k] = (best[0] + 1, best[1])
            stack.pop()
    return comb, memo


def instance(name):
    name = name.replace('$flatten', '')
    return re.sub(r'\.?\$.*', '', name) or '(top)'


def main():
    path, module = sys.argv[1], sys.argv[2]
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    cells = load(path, module)
    comb, memo = depths(cells)
    worst, i = max(((memo[i][0], i) for i in comb), default=(0, None))
    print('longest register-to-register path, distributed RAM by port: %d cells' % worst)
    chain = []
    while i is not None:
        chain.append('    %-8s %s' % (cells[i][1], cells[i][0][:110]))
        i = memo[i][1]
    print('\n'.join(reversed(chain)))
    over = defaultdict(int)
    for i in comb:
        if memo[i][0] > limit:
            inst = instance(cells[i][0])
            over[inst] = max(over[inst], memo[i][0])
    if over:
        print('instances with cells deeper than %d:' % limit)
        for inst, d in sorted(over.items(), key=lambda x: (-x[1], x[0])):
            print('  %3d  %s' % (d, inst))
    return worst


if __name__ == '__main__':
    w = main()
    sys.exit(0 if w <= (int(sys.argv[3]) if len(sys.argv) > 3 else 8) else 1)
