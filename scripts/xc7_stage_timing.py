"""Stage-by-stage static timing of the ShiftAdd jet tagger on 7-series, against the xc7 delay model.

For each precision (``f8.3``, ``w8a16``: see ``scripts/jet_200mhz.py``) and each design (``auto``:
the delay model pipelines for ``--period`` on the xc7a100t; ``N``: the network forced to N cycles
with ``Pipeline: {Stages: n}`` per layer, the split whose slowest stage the model rates fastest),
the design is written, synthesized whole and flat with Yosys ``synth_xilinx -family xc7``
(cached by its Verilog), and timed by :mod:`rtlnn.flows.xc7_timing`: register to register, cell
delays from Yosys's Xilinx library, a routing allowance per routed net (0.585 ns; and, for the
optimistic end, 0.3 ns).  Synthesis-level static timing, not place and route.

    python scripts/xc7_stage_timing.py [--precisions f8.3,w8a16] [--designs auto,10,12] [--period 5]
        [--xc7-model t_add=2.1,t_input=1.1] [--prune 0.7] [--summation CompressorTree]
        [--out /tmp/rtlnn_xc7_sta] [--json F.json] [--md F.md] [--paths]

``--xc7-model`` pipelines with other xc7 delay-model figures than the shipped ones (to evaluate a
recalibration before making it; the Verilog cache then lives under ``--out``, since the emitted
Verilog's cache key knows the model's code, not a changed value).

A design takes Yosys 1.5-3 minutes (one at a time: run with ``nice`` on a shared machine).
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from jet_200mhz import PARTS, PRECISIONS

from rtlnn.converters import load_keras
from rtlnn.demo import demo_model_path
from rtlnn.flows.xc7_timing import (
    NET_NS,
    NET_NS_LOCAL_MAPPING,
    analyze,
    format_path,
    synth_netlist,
)
from rtlnn.frontends.keras_graph import graph_from_keras
from rtlnn.hw.emit import verilog_name
from rtlnn.hw.timing_model import delay_model
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes

PART = PARTS["xc7"]


#: ``Pipeline: {Summation: ...}`` of every layer (``--summation``); None: the default (AdderGraph)
SUMMATION = None


def convert(graph, precision: str, period: float, stages: dict | None, out: Path, tag: str) -> RtlnnModel:
    config = {"Model": {"Precision": PRECISIONS[precision], "ReuseFactor": 1, "Strategy": "ShiftAdd"}}
    if SUMMATION:
        config["Model"]["Pipeline"] = {"Summation": SUMMATION}
        tag = f"{SUMMATION}_{tag}"
    if stages:
        config["LayerName"] = {name: {"Pipeline": {"Stages": int(n)}} for name, n in stages.items()}
    typed = run_passes(copy.deepcopy(graph), config)
    return RtlnnModel(typed, config, out / f"jet_{precision}_{tag}", project_name="jet", part=PART,
                      clock_period=period)


def layer_stages(rm: RtlnnModel) -> dict:
    """Per timed layer: its cycles and the model's stage delays (ns of logic, registers not included)."""
    return {name: (node.component.latency, list(node.component.stage_delays))
            for name, node in rm.design._nodes.items()
            if node.component is not None and hasattr(node.component, "stage_delays")}


def model_worst(rm: RtlnnModel) -> dict:
    """Per layer: the model's slowest stage, registers included (ns)."""
    t_reg = delay_model(PART).t_reg
    return {name: round(max(d, default=0.0) + t_reg, 3) for name, (_, d) in layer_stages(rm).items()}


def best_split(graph, precision: str, period: float, cycles: int, out: Path):
    """The split of ``cycles`` over the Dense layers whose slowest stage the model rates fastest.
    Each layer's slowest stage at n stages does not depend on the other layers' counts, so one
    conversion per n (every layer at n) gives them all, and a small search picks the split."""
    auto = convert(graph, precision, period, None, out, "probe")
    names = list(layer_stages(auto))
    per_n = {}
    for n in range(1, cycles - len(names) + 2):
        rm = convert(graph, precision, period, {k: n for k in names}, out, f"probe{n}")
        st = layer_stages(rm)
        per_n[n] = {k: (st[k][0], model_worst(rm)[k]) for k in names}
    best = None

    def search(i, left, chosen, worst):
        nonlocal best
        if i == len(names):
            if left == 0 and (best is None or worst < best[0]):
                best = (worst, dict(chosen))
            return
        for n in range(1, left - (len(names) - i - 1) + 1):
            if n not in per_n or per_n[n][names[i]][0] != n:
                continue
            chosen[names[i]] = n
            search(i + 1, left - n, chosen, max(worst, per_n[n][names[i]][1]))
            del chosen[names[i]]
    search(0, cycles, {}, 0.0)
    return None if best is None else best[1]


def time_design(rm: RtlnnModel, period: float, paths: bool = False, netlist_cache: Path | None = None) -> dict:
    rm.write(n_vectors=2)
    t0 = time.time()
    netlist, meta = synth_netlist(rm.output_dir, cache=netlist_cache)
    groups = {verilog_name(f"jet_{name}"): name for name in layer_stages(rm)}
    sta = analyze(netlist, groups=groups)
    optimistic = analyze(netlist, groups=groups, net_ns=NET_NS_LOCAL_MAPPING)
    model = model_worst(rm)
    layers = {}
    for name in layer_stages(rm):
        p = sta.groups.get(name)
        layers[name] = {"cycles": layer_stages(rm)[name][0], "model_ns": model[name],
                        **({"logic_ns": p.logic_ns, "nets": p.nets, "allowance_ns": p.allowance_ns,
                            "total_ns": p.total_ns, "total_ns_at_0.3": optimistic.groups[name].total_ns}
                           if p else {})}
        if paths and p:
            print(format_path(p), flush=True)
    w = sta.worst
    cells = meta["cells"]
    return {"cycles": rm.latency_cycles, "layer_cycles": [v["cycles"] for v in layers.values()],
            "model_worst_ns": max(model.values()), "worst_layer": w.group, "logic_ns": w.logic_ns, "nets": w.nets,
            "allowance_ns": w.allowance_ns, "total_ns": w.total_ns, "total_ns_at_0.3": optimistic.worst.total_ns,
            "met": w.total_ns <= period, "met_at_0.3": optimistic.worst.total_ns <= period, "layers": layers,
            "lut": sum(n for c, n in cells.items() if c.startswith("LUT")), "carry4": cells.get("CARRY4", 0),
            "ff": sum(n for c, n in cells.items() if c.startswith("FD")), "untimed": sta.untimed,
            "yosys_s": meta["seconds"], "cached": meta["cached"], "wall_s": round(time.time() - t0, 1)}


def markdown(rows: list[dict], period: float) -> str:
    lines = [(f"| precision | xc7 model | design | cycles (per layer) | model: slowest stage | worst stage (layer) | "
              f"logic | routed nets | allowance ({NET_NS} ns/net) | total | met {period:g} ns | "
              f"total at {NET_NS_LOCAL_MAPPING} ns/net | LUT / CARRY4 / FF |"),
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['precision']} | {r.get('xc7_model', 'shipped')} | {r['design']} | {r['cycles']} ({' + '.join(map(str, r['layer_cycles']))}) | "
                     f"{r['model_worst_ns']:.2f} ns | {r['worst_layer']} | {r['logic_ns']:.2f} ns | {r['nets']} | "
                     f"{r['allowance_ns']:.2f} ns | **{r['total_ns']:.2f} ns** | {'yes' if r['met'] else 'no'} | "
                     f"{r['total_ns_at_0.3']:.2f} ns | {r['lut']:,} / {r['carry4']:,} / {r['ff']:,} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--precisions", default="f8.3")
    ap.add_argument("--designs", default="auto", help="auto and/or cycle counts, comma-separated")
    ap.add_argument("--period", type=float, default=5.0, help="target clock period (ns)")
    ap.add_argument("--out", default="/tmp/rtlnn_xc7_sta")
    ap.add_argument("--paths", action="store_true", help="print each layer's worst path")
    ap.add_argument("--prune", type=float, default=0.0,
                    help="zero this fraction of each Dense's smallest weights first (0.7: benchmarks' jetp70)")
    ap.add_argument("--xc7-model", default="", help="override xc7 delay-model figures, e.g. t_add=2.1,t_input=1.1")
    ap.add_argument("--summation", default=None, help="Pipeline Summation of every layer: AdderGraph or CompressorTree")
    ap.add_argument("--json", default=None)
    ap.add_argument("--md", default=None)
    args = ap.parse_args(argv)
    out = Path(args.out)
    global SUMMATION
    SUMMATION = args.summation
    if args.xc7_model:
        from rtlnn.hw import timing_model

        changes = {k: float(v) for k, v in (kv.split("=") for kv in args.xc7_model.split(","))}
        timing_model.DELAY_MODELS["xc7"] = dataclasses.replace(timing_model.DELAY_MODELS["xc7"], **changes)
        os.environ["RTLNN_CACHE_DIR"] = str(out / "cache")
    graph = graph_from_keras(load_keras(demo_model_path()))
    if args.prune:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from benchmarks.cases import prune_smallest

        graph = prune_smallest(graph, args.prune)
        out = out / f"p{round(args.prune * 100)}"
    rows = []
    for prec in args.precisions.split(","):
        for design in args.designs.split(","):
            if design == "auto":
                rm = convert(graph, prec, args.period, None, out, f"auto_{args.period:g}")
            else:
                split = best_split(graph, prec, args.period, int(design), out)
                if split is None:
                    print(f"# {prec}: no split gives {design} cycles", flush=True)
                    continue
                rm = convert(graph, prec, args.period, split, out, "s" + "-".join(map(str, split.values())))
            row = {"precision": prec + (f" pruned {args.prune:g}" if args.prune else ""), "xc7_model": args.xc7_model or "shipped",
                   "summation": args.summation or "AdderGraph",
                   "design": design if design == "auto" else "Stages "
                   + "/".join(str(n) for n in layer_stages(rm) and [v[0] for v in layer_stages(rm).values()]),
                   "period_ns": args.period, **time_design(rm, args.period, args.paths, out / "netlists")}
            rows.append(row)
            print(json.dumps(row), flush=True)
    table = markdown(rows, args.period)
    print(table)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    if args.md:
        Path(args.md).write_text(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
