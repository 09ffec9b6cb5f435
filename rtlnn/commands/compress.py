"""`rtlnn compress`: teacher -> distilled, quantization-aware, pruned student -> verified hardware."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser("compress", help="distill a small student from a trained teacher, train it quantization-aware "
                                        "(QKeras) and prune it; then convert, simulate and synthesize it")
    p.add_argument("teacher", help="the trained teacher (.keras / .h5), outputting logits")
    p.add_argument("student", help="the student architecture (.keras, float, untrained or pre-trained), logits")
    p.add_argument("--data", required=True, help=".npz with x_train, y_train, x_test, y_test (integer labels)")
    p.add_argument("-o", "--output-dir", required=True, help="where the student, summary and RTL project go")
    p.add_argument("--temperature", type=float, default=4.0, help="distillation temperature T (default 4)")
    p.add_argument("--alpha", type=float, default=0.1, help="weight of the hard-label loss (default 0.1)")
    p.add_argument("--sparsity", type=float, default=0.2, help="target kernel sparsity (default 0.2)")
    p.add_argument("--bits", type=int, default=8, help="weight/activation bits (default 8)")
    p.add_argument("--integer", type=int, default=0, help="integer bits of the weight quantizers (default 0)")
    p.add_argument("--relu-integer", type=int, default=2, help="integer bits of quantized_relu (default 2)")
    p.add_argument("--input-integer", type=int, default=2, help="integer bits of the input quantizer (default 2)")
    p.add_argument("--input-unsigned", action="store_true",
                   help="an unsigned input quantizer (inputs in [0, 2**input-integer): pixels k/256 with "
                        "--input-integer 0 are exact at --bits 8)")
    p.add_argument("--distill-epochs", type=int, default=10)
    p.add_argument("--qat-epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--learning-rate", type=float, default=3e-3)
    p.add_argument("--board", help="convert, simulate on the test set and synthesize for this board "
                                   "(see `rtlnn boards`); without it, stop after training")
    p.add_argument("--io-type", default="io_parallel", choices=("io_parallel", "io_stream"))
    p.add_argument("--config", help="rtlnn config (YAML/JSON) for the conversion: reuse factors, strategy")
    p.add_argument("--no-synth", action="store_true", help="with --board: skip Yosys synthesis")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=run)


def _load_data(path):
    import numpy as np

    from ..ir import RtlnnError

    with np.load(path) as d:
        missing = [k for k in ("x_train", "y_train", "x_test", "y_test") if k not in d]
        if missing:
            raise RtlnnError(f"--data {path}: missing arrays {missing}; save with "
                             "np.savez(path, x_train=..., y_train=..., x_test=..., y_test=...)")
        return (d["x_train"], d["y_train"].astype("int64").reshape(-1)), \
               (d["x_test"], d["y_test"].astype("int64").reshape(-1))


def run(args) -> int:
    from pathlib import Path

    import keras

    from ..compress import compress, model_stats, to_hardware
    from ..compress.summary import compression_summary
    from ..config import load_config

    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    train, test = _load_data(args.data)
    import qkeras  # noqa: F401  (registers the Q-layers, so QKeras teachers/students load)

    teacher = keras.models.load_model(args.teacher, compile=False)
    student = keras.models.load_model(args.student, compile=False)
    res = compress(teacher, student, train, test, temperature=args.temperature, alpha=args.alpha,
                   sparsity=args.sparsity, bits=args.bits, integer=args.integer, relu_integer=args.relu_integer,
                   input_integer=args.input_integer, input_signed=not args.input_unsigned,
                   distill_epochs=args.distill_epochs, qat_epochs=args.qat_epochs,
                   batch_size=args.batch_size, learning_rate=args.learning_rate)
    res.qmodel.save(out / "student_qat.keras")
    result = compression_summary(model_stats(teacher, *test), res.stats)
    result["student_float_accuracy"] = res.float_accuracy
    if args.board:
        cfg = load_config(args.config) if args.config else None
        result["hardware"] = to_hardware(res.qmodel, *test, out / "rtl_project", board=args.board,
                                         io_type=args.io_type, config=cfg, synthesize=not args.no_synth)
    (out / "compress.json").write_text(json.dumps(result, indent=2, default=str))
    (out / "summary.txt").write_text(str(res.stats) + "\n")
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        print(res.stats)
        print(f"compression ratio {result['compression_ratio']:.1f}x, teacher accuracy "
              f"{100 * result['teacher']['accuracy']:.2f}%")
        hw = result.get("hardware")
        if hw:
            sim = hw.get("simulation", {})
            print(f"hardware ({hw['board']}): accuracy {100 * hw['hardware_accuracy']:.2f}%, RTL mismatches "
                  f"{sim.get('mismatches')} of {sim.get('vectors')}, latency {sim.get('latency_cycles')} cycles, "
                  f"II {sim.get('ii')}, utilization {(hw.get('synthesis') or {}).get('utilization')}")
        print(f"written: {out / 'student_qat.keras'}, {out / 'compress.json'}")
    return 0
