"""Yosys synth_xilinx of the bundled jet tagger (16-64-32-32-5, ReLU) three ways in ONE design
and one synthesis run: multiplier Dense (Latency), ShiftAdd, and ShiftAdd of the 70%-pruned
weights (smallest magnitudes zeroed) — 8-bit weights, fixed<16,6> activations, 200 MHz.
Prints and writes (``--json``) LUT / LUT-equivalent / FF / DSP per network and LUT + 55 x DSP.

    python scripts/shift_add_vs_dsp.py [--out /tmp/rtlnn_sa_vs_dsp] [--json figures.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from rtlnn import ir
from rtlnn.demo import demo_model_path
from rtlnn.frontends.keras import graph_from_keras, load_keras
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes

VARIANTS = {"dsp": "Latency", "sa": "ShiftAdd", "sa_pruned70": "ShiftAdd"}


def bundled(prune: float = 0.7) -> tuple[ir.ModelGraph, dict]:
    src = graph_from_keras(load_keras(demo_model_path()))
    dense = [l for l in src if l.kind == "Dense"]
    g = ir.ModelGraph(name="jet_three_ways")
    g.add(ir.Input("x", [], tuple(src[src.inputs[0]].shape)))
    names = {}
    for tag, strategy in VARIANTS.items():
        prev = "x"
        for k, layer in enumerate(dense):
            w = np.array(layer.weight, dtype=float)
            if tag.endswith("pruned70"):
                w[np.abs(w) < np.quantile(np.abs(w), prune)] = 0.0
            name = f"{tag}_fc{k + 1}"
            prev = g.add(ir.Dense(name, [prev], (w.shape[1],), weight=w, bias=np.array(layer.bias))).name
            names[name] = {"Strategy": strategy}
            if k < len(dense) - 1:
                prev = g.add(ir.Activation(f"{name}_relu", [prev], (w.shape[1],), function="relu")).name
        g.outputs.append(prev)
    config = {"Model": {"Precision": "fixed<16,6>"},
              "LayerType": {"Dense": {"Precision": {"weight": "fixed<8,2>"}}}, "LayerName": names}
    return run_passes(g, config), config


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="/tmp/rtlnn_sa_vs_dsp")
    ap.add_argument("--json", default=None)
    ap.add_argument("--clock-period", type=float, default=5.0)
    args = ap.parse_args(argv)
    graph, config = bundled()
    t0 = time.time()
    rm = RtlnnModel(graph, config, args.out, project_name="jet_three_ways", clock_period=args.clock_period)
    rm.write(n_vectors=4)
    gen = time.time() - t0
    syn = rm.synthesize(part="xc7a35tcpg236-1")
    lat = {info.name: info.latency for info in rm.design.layers}
    rows = {}
    for tag in VARIANTS:
        es = [e for e in syn.layers if e["name"].startswith(tag + "_fc") and not e["name"].endswith("_relu")]
        if tag == "sa":
            es = [e for e in es if not e["name"].startswith("sa_pruned")]
        total = {k: sum(e[k] for e in es) for k in ("lut", "lut_equivalent", "ff", "dsp", "carry")}
        total["lut_plus_55_dsp"] = total["lut_equivalent"] + 55 * total["dsp"]
        total["latency_cycles"] = sum(lat[e["name"]] for e in es)
        total["nonzero_weights"] = int(sum(np.count_nonzero(graph[e["name"]].weight_raw()) for e in es))
        rows[tag] = total
        print(tag, json.dumps(total), flush=True)
    result = {"command": "python scripts/shift_add_vs_dsp.py", "clock_period_ns": args.clock_period,
              "generation_seconds": round(gen, 1), "synthesis_seconds": round(syn.seconds, 1),
              "yosys_command": syn.command, "networks": rows}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
