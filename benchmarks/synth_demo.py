"""Synthesis and ECP5 timing figures for the bundled demo model (16->64->32->32->5, fixed<16,6>).

    python benchmarks/synth_demo.py synth --rf 1 --board arty-a7-35 [--out DIR]
    python benchmarks/synth_demo.py ecp5 --rf 32 [--freq 150]

Writes the design to DIR (default /tmp/rtlnn_bench/demo_rfN), runs `rtlnn synth` or the ECP5
build, and prints the table and a JSON line with the figures. Long: minutes to a quarter hour
(the cache makes a second run instant).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def convert(rf: int, out: Path):
    from rtlnn.converters import config_from_keras_model, convert_from_keras_model, load_keras
    from rtlnn.demo import DEMO_PRECISION, demo_model_path

    km = load_keras(demo_model_path())
    config = config_from_keras_model(km, granularity="model", default_precision=DEMO_PRECISION,
                                     default_reuse_factor=rf)
    rm = convert_from_keras_model(km, config=config, output_dir=str(out))
    start = time.monotonic()
    rm.write(n_vectors=10)
    return rm, time.monotonic() - start


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=("synth", "ecp5"))
    p.add_argument("--rf", type=int, default=1)
    p.add_argument("--board", default=None)
    p.add_argument("--freq", type=float, default=150.0)
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    out = Path(args.out or f"/tmp/rtlnn_bench/demo_rf{args.rf}")
    rm, gen_s = convert(args.rf, out)
    rep = rm.report()
    print(f"demo at RF {args.rf}: {rep['multipliers']} multipliers, latency {rep['latency_cycles']} cycles, "
          f"II {rep['ii']}; RTL written in {gen_s:.1f} s to {out}", flush=True)
    if args.what == "synth":
        res = rm.synthesize(board=args.board or "arty-a7-35")
        print(res.summary())
        t = res.total
        fig = {"rf": args.rf, "lut": t["lut"], "lut_equivalent": t["lut_equivalent"], "ff": t["ff"], "dsp": t["dsp"],
               "bram18": t["bram18"], "bram36": t["bram36"], "carry": t["carry"], "multipliers": res.multipliers,
               "seconds": round(res.seconds, 1), "fits": res.fits, "cached": res.cached}
    else:
        from rtlnn.flows.ecp5 import build_ecp5

        res = build_ecp5(out, args.board or "ulx3s-85f", args.freq)
        print(res.summary())
        fig = {"rf": args.rf, "fmax_mhz": res.fmax_mhz, "latency_cycles": res.latency_cycles,
               "latency_ns": res.latency_ns, "seconds": res.seconds, "utilization": res.utilization}
    print("FIGURES " + json.dumps(fig))
    return 0


if __name__ == "__main__":
    sys.exit(main())
