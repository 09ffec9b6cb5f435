"""The fully pipelined jet tagger (16→64→32→32→5, ShiftAdd, RF 1) pipelined for a 200 MHz target.

Converts the bundled jet tagger (``rtlnn demo``'s model) with Strategy ShiftAdd at
``clock_period = 1000 / freq`` for a Xilinx 7-series part (xc7a100t: the delay model's xc7
figures, not calibrated by place and route here) and for the ULX3S's LFE5U-85F (the ECP5
model, calibrated on nextpnr runs), at two precisions: ``f8.3`` (everything fixed<8,3>) and
``w8a16`` (8-bit weights and biases fixed<8,3>, 16-bit activations fixed<16,6>), and prints
cycles, II and the latency in ns at the target.  With ``--ecp5`` it also places and routes
the ECP5 design of each precision (``rtlnn.flows.ecp5.build_ecp5``, the serial timing
harness, one run at a time) and reports Fmax, latency and LUT4 / FF.  A 24k-LUT6 design
takes Yosys minutes and nextpnr tens of minutes on a 2-core machine: run it with ``nice``.

    python scripts/jet_200mhz.py [--freq 200 | --period 5] [--precisions f8.3,w8a16] [--ecp5] [--periods 5,6,7,8,9,10]
        [--out /tmp/rtlnn_jet_200mhz] [--json F.json]
"""

from __future__ import annotations

import argparse
import copy
import inspect
import json
import sys
import time
from pathlib import Path

from rtlnn.converters import load_keras
from rtlnn.demo import demo_model_path
from rtlnn.frontends.keras_graph import graph_from_keras
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes

PRECISIONS = {
    "f8.3": "fixed<8,3>",
    "w8a16": {"default": "fixed<16,6>", "weight": "fixed<8,3>", "bias": "fixed<8,3>"},
}
PARTS = {"xc7": "xc7a100tcsg324-1", "ecp5": "LFE5U-85F-6BG381C"}


def jet_model(precision: str, family: str, period: float, out: Path, graph=None) -> RtlnnModel:
    graph = graph if graph is not None else graph_from_keras(load_keras(demo_model_path()))
    config = {"Model": {"Precision": PRECISIONS[precision], "ReuseFactor": 1, "Strategy": "ShiftAdd"}}
    typed = run_passes(copy.deepcopy(graph), config)
    return RtlnnModel(typed, config, out / f"jet_{precision}_{family}_{period:g}", project_name="jet",
                      part=PARTS[family], clock_period=period)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--freq", type=float, default=200.0)
    ap.add_argument("--period", type=float, default=None, help="the clock period in ns instead of --freq")
    ap.add_argument("--precisions", default="f8.3,w8a16")
    ap.add_argument("--ecp5", action="store_true", help="place and route each ECP5 design at --freq")
    ap.add_argument("--periods", default="", help="also list the ECP5 cycle count at these periods (ns)")
    ap.add_argument("--router", default=None, help="nextpnr router where build_ecp5 takes one")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="/tmp/rtlnn_jet_200mhz")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    out = Path(args.out)
    if args.period:
        args.freq = 1000.0 / args.period
    period = args.period or round(1000.0 / args.freq, 6)
    graph = graph_from_keras(load_keras(demo_model_path()))
    rows = []
    for prec in args.precisions.split(","):
        for family in ("xc7", "ecp5"):
            rm = jet_model(prec, family, period, out, graph)
            row = {"precision": prec, "part": PARTS[family], "clock_period_ns": period,
                   "latency_cycles": rm.latency_cycles, "ii": rm.ii, "latency_ns_at_target": round(rm.latency_cycles * period, 1),
                   "layer_cycles": {l.name: l.latency for l in rm.design.layers if l.kind == "Dense"},
                   "multipliers": rm.design.n_multipliers}
            if family == "ecp5" and args.periods:
                row["ecp5_cycles_by_period"] = {p: jet_model(prec, family, float(p), out, graph).latency_cycles
                                                for p in args.periods.split(",")}
            if family == "ecp5" and args.ecp5:
                from rtlnn.flows.ecp5 import build_ecp5

                rm.write(n_vectors=4)
                kwargs = {"seed": args.seed, "bitstream": False}
                if args.router and "router" in inspect.signature(build_ecp5).parameters:
                    kwargs["router"] = args.router
                t0 = time.time()
                res = build_ecp5(rm.output_dir, "ulx3s-85f", args.freq, **kwargs)
                row.update(fmax_mhz=res.fmax_mhz, met=res.timing_met, latency_ns=res.latency_ns,
                           lut4=res.utilization.get("TRELLIS_COMB", {}).get("used"),
                           ff=res.utilization.get("TRELLIS_FF", {}).get("used"), seed=args.seed,
                           tool_seconds=res.seconds, wall_s=round(time.time() - t0, 1), cached=res.cached)
            rows.append(row)
            print(json.dumps(row), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
