"""`rtlnn convert`: a Keras model to Verilog, test vectors and report.json."""

from __future__ import annotations


def register(sub) -> None:
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
    p.set_defaults(func=run)


def run(args) -> int:
    from ..config import load_config
    from ..converters import convert_from_keras_model, load_keras

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
