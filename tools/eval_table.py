#!/usr/bin/env python3
"""Prints an evaluation's summary.json (xgradcam evaluate) as a Markdown table: metrics x methods.

    python3 tools/eval_table.py evaluation/summary.json
"""
import json
import sys

s = json.load(open(sys.argv[1]))
methods = list(s["means"])
metrics = []
for m in methods:
    for k in s["means"][m]:
        if k not in metrics:
            metrics.append(k)
print(f"Model `{s['model']}`, layer `{s['layer']}`, {s['images']} images.\n")
print("| metric | " + " | ".join(methods) + " |")
print("|---" * (len(methods) + 1) + "|")
for k in metrics:
    cells = []
    for m in methods:
        v = s["means"][m].get(k)
        cells.append("-" if v is None else f"{v:.4f}")
    print(f"| {k} | " + " | ".join(cells) + " |")
