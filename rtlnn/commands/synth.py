"""`rtlnn synth`: Yosys synthesis of a written design, per layer and in total, against a part."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser("synth", help="synthesize a converted design with Yosys: LUT/FF/DSP/BRAM per layer and in "
                                     "total, as a share of the part")
    p.add_argument("design_dir", help="an rtlnn output folder (from `rtlnn convert`)")
    target = p.add_mutually_exclusive_group()
    target.add_argument("--part", help="FPGA part, e.g. xc7a35tcpg236-1 (default: the part in report.json)")
    target.add_argument("--board", help="a board from `rtlnn boards` (its part and resources)")
    p.add_argument("--jobs", "-j", type=int, help="Yosys runs at a time (default: the number of cores)")
    p.add_argument("--no-cache", action="store_true", help="synthesize again even if a cached result exists")
    p.add_argument("--keep-logs", action="store_true", help="keep the Yosys logs in DESIGN_DIR/build/synth/")
    p.add_argument("--json", action="store_true", help="print the synthesis section as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..flows.yosys_synth import synthesize

    result = synthesize(args.design_dir, part=args.part, board=args.board, jobs=args.jobs,
                        use_cache=not args.no_cache, keep_logs=args.keep_logs)
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.summary())
    return 0
