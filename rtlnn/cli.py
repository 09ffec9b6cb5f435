"""The ``rtlnn`` command: one entry point, one verb per job, one clear line on error."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .fixed import FixedFormatError
from .ir import RtlnnError

__all__ = ["main"]


def _convert(args) -> int:
    from .config import load_config
    from .converters import convert_from_keras_model, load_keras

    config = load_config(args.config)
    if args.precision or args.reuse_factor:
        model_cfg = config.setdefault("Model", {})
        if args.precision:
            model_cfg["Precision"] = args.precision
        if args.reuse_factor:
            model_cfg["ReuseFactor"] = args.reuse_factor
    km = load_keras(args.model, weights=args.weights)
    rm = convert_from_keras_model(km, config=config, output_dir=args.output_dir, part=args.part,
                                  project_name=args.project_name)
    out = rm.write(n_vectors=args.vectors)
    print(f"wrote {out}: latency {rm.latency_cycles} cycles, II {rm.ii}, "
          f"{rm.report()['multipliers']} multipliers, {args.vectors} test vectors")
    return 0


def _simulate(args) -> int:
    from .report import SimulationReport, load_report, store_section
    from .sim import simulate

    report = load_report(args.design_dir)
    result = simulate(args.design_dir, simulator=args.simulator, vectors=args.vectors, gaps=args.gaps, seed=args.seed)
    sim = SimulationReport.from_result(result, report["latency_cycles"], report["ii"])
    store_section(args.design_dir, "simulation", sim.to_dict())
    print(sim.summary())
    for m in sim.first_mismatches[:5]:
        print(f"  vector {m['index']}: expected {m['expected']} got {m['got']}")
    return 0 if sim.passed else 1


def _report(args) -> int:
    from .report import format_report, load_report

    report = load_report(args.design_dir)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


def _demo(args) -> int:
    from .demo import run_demo

    summary = run_demo(args.output_dir, n_vectors=args.vectors, simulator=args.simulator)
    print(summary["text"])
    return 0 if summary["passed"] else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rtlnn", description="Small trained neural networks to verified, "
                                     "cycle-exact, pipelined Verilog.")
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = sub.add_parser("convert", help="convert a Keras model into Verilog, test vectors and report.json")
    p.add_argument("model", help="a .keras or .h5 model, or a Keras-2 .json architecture (with --weights)")
    p.add_argument("-o", "--output-dir", required=True, help="output folder (created; an earlier rtlnn output is replaced)")
    p.add_argument("--weights", help="weights .h5 for a Keras-2 JSON architecture")
    p.add_argument("--config", help="YAML config with Model / LayerType / LayerName sections (hls4ml's shape)")
    p.add_argument("--precision", help="model-wide default precision, e.g. 'fixed<16,6>'")
    p.add_argument("--reuse-factor", type=int, help="model-wide default reuse factor")
    p.add_argument("--part", default="xc7a35tcpg236-1", help="FPGA part (default: %(default)s)")
    p.add_argument("--project-name", default="rtlnn_top", help="top module name (default: %(default)s)")
    p.add_argument("--vectors", type=int, default=1000, help="random test vectors to write (default: %(default)s)")
    p.set_defaults(func=_convert)

    p = sub.add_parser("simulate", help="simulate a converted design with cocotb and compare with the emulator")
    p.add_argument("design_dir", help="an rtlnn output folder")
    p.add_argument("--vectors", type=int, help="simulate only the first N test vectors")
    p.add_argument("--simulator", choices=("verilator", "icarus"), default="verilator")
    p.add_argument("--gaps", action="store_true", help="insert random idle cycles between vectors")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_simulate)

    p = sub.add_parser("report", help="print the report of a converted (and maybe simulated) design")
    p.add_argument("design_dir")
    p.add_argument("--json", action="store_true", help="print report.json as is")
    p.set_defaults(func=_report)

    p = sub.add_parser("demo", help="convert the bundled jet-tagger MLP, simulate it and report")
    p.add_argument("-o", "--output-dir", default="rtlnn_demo", help="output folder (default: %(default)s)")
    p.add_argument("--vectors", type=int, default=1000, help="test-set samples to simulate (default: %(default)s)")
    p.add_argument("--simulator", choices=("verilator", "icarus"), default="verilator")
    p.set_defaults(func=_demo)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (RtlnnError, FixedFormatError) as e:
        print(f"rtlnn {args.verb}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
