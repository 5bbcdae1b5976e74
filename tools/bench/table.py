#!/usr/bin/env python3
"""Turns the output of several `xgradcam bench` runs into a Markdown table of ratios per method.

    tools/bench/run.sh --method xgradcam ... > bench.txt; python3 tools/bench/table.py bench.txt
"""
import re
import sys

runs, order = {}, []
current = None
for line in open(sys.argv[1]):
    m = re.match(r"model (\S+?)(?:\.onnx)?, input \[(\d+),", line)
    if m:
        current = f"{m.group(1)} b{m.group(2)}"
        runs.setdefault(current, {})  # several runs of one model and batch (slow methods apart) share a column
        continue
    m = re.match(r"(.+?)\s+([\d.]+) ms\s+([\d.]+)x", line)
    if m and current:
        name = m.group(1).strip()
        runs[current][name] = (float(m.group(2)), float(m.group(3)))
        if name not in order:
            order.append(name)
cols = list(runs)
print("| method | " + " | ".join(cols) + " |")
print("|---" * (len(cols) + 1) + "|")
for name in order:
    cells = []
    for c in cols:
        v = runs[c].get(name)
        cells.append("-" if v is None else f"{v[1]:.2f}x ({v[0]:.0f} ms)")
    print(f"| {name} | " + " | ".join(cells) + " |")
