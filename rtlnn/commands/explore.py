"""`rtlnn explore`: sweep reuse factors x precisions; accuracy, latency, resources, Pareto front, a chosen config."""

from __future__ import annotations


def register(sub) -> None:
    from ..explore import ENGINES, PICK_RULES

    p = sub.add_parser("explore", help="design-space exploration: for each reuse factor x precision, accuracy "
                                       "(emulator), latency/II, Yosys resources (cached), optional ECP5 Fmax; a Pareto "
                                       "plot, a table, and the chosen point as a config")
    p.add_argument("model", help="a Keras model file (.keras / .h5)")
    p.add_argument("--data", required=True, help="inputs as a .npy array (batch first)")
    p.add_argument("--labels", help="labels as a .npy array (default: the float model's argmax)")
    p.add_argument("--reuse", default="1,2,4,8", help="reuse factors, e.g. 1,2,4,8 (default: %(default)s)")
    p.add_argument("--precision", default="8..16:2",
                   help="widths (8..16, 8..16:2, 8,12,16: per-layer integer bits from the profile) or types "
                        "(fixed<16,6>;fixed<8,3>) (default: %(default)s)")
    p.add_argument("--config", help="base YAML config whose other settings every point keeps")
    p.add_argument("--no-synth", action="store_true", help="skip Yosys: cost becomes the multiplier count")
    p.add_argument("--recipe", choices=("fast", "full"), default="fast",
                   help="Yosys recipe: fast (synth_xilinx with a lean ABC9 LUT-mapping script; DSP/FF/BRAM equal, "
                        "LUTs close) or full (synth_xilinx as shipped) (default: %(default)s)")
    target = p.add_mutually_exclusive_group()
    target.add_argument("--part", help="FPGA part for synthesis (default xc7a35tcpg236-1)")
    target.add_argument("--board", help="a board from `rtlnn boards` (its part)")
    p.add_argument("--fmax", metavar="ECP5_BOARD", help="also place and route every point on this ECP5 board "
                                                        "(e.g. ulx3s-85f) and report Fmax")
    p.add_argument("--freq", type=float, help="nextpnr target frequency in MHz for --fmax")
    p.add_argument("--engine", choices=ENGINES, default="local",
                   help="local: process pool on this machine (default); dask: a Dask cluster; serial: one by one")
    p.add_argument("--scheduler", help="Dask scheduler address (tcp://host:8786); default: a LocalCluster")
    p.add_argument("--workers", type=int, help="parallel points (default: the number of cores)")
    p.add_argument("--pick", choices=PICK_RULES, default="min-cost", help="how to choose a point (default: %(default)s)")
    p.add_argument("--tolerance", type=float, default=0.01,
                   help="accuracy the chosen point may lose against float (default: %(default)s)")
    p.add_argument("-o", "--output-dir", default="rtlnn_explore", help="output folder (default: %(default)s)")
    p.add_argument("--no-cache", action="store_true", help="measure every point again")
    p.add_argument("--max-samples", type=int, default=5000, help="data rows used for accuracy (default: %(default)s)")
    p.set_defaults(func=run)


def run(args) -> int:
    import sys

    from ..commands.profile import _load_npy
    from ..explore import explore

    x = _load_npy(args.data, "--data")
    y = _load_npy(args.labels, "--labels") if args.labels else None
    ex = explore(args.model, x, y, reuse=args.reuse, precision=args.precision, config=args.config,
                 synth=not args.no_synth, part=args.part, board=args.board, fmax=args.fmax, freq_mhz=args.freq,
                 engine=args.engine, scheduler=args.scheduler, workers=args.workers, rule=args.pick,
                 tolerance=args.tolerance, output_dir=args.output_dir, use_cache=not args.no_cache,
                 progress=sys.stderr.isatty(), max_samples=args.max_samples, recipe=args.recipe)
    print(ex.table())
    print(f"{len(ex.points)} points in {ex.seconds:.1f} s ({ex.cached} from the cache); Pareto front: "
          + ", ".join(f"#{p.index}" for p in ex.front))
    sy = ex.synthesis
    if sy.get("recipe"):
        print(f"Yosys ({sy['recipe']} recipe): {sy['runs']} layer runs, {sy['distinct_runs']} distinct, "
              f"{sy['from_cache']} of those from the cache, {sy['yosys_seconds']} s of Yosys")
    if ex.chosen is not None:
        print(f"chosen ({args.pick}, within {args.tolerance} of "
              f"{'float' if ex.float_accuracy is not None else 'the best point'}): #{ex.chosen.index} RF "
              f"{ex.chosen.reuse_factor}, precision {ex.chosen.precision} -> {args.output_dir}/chosen.yaml")
    else:
        print("no point is within the tolerance: loosen --tolerance or sweep wider precisions")
    print(f"table {args.output_dir}/explore.md, plot {args.output_dir}/pareto.png, data {args.output_dir}/explore.json")
    return 0 if ex.chosen is not None else 1
