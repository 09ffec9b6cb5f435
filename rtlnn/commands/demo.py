"""`rtlnn demo`: the bundled jet tagger, end to end."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("demo", help="convert the bundled jet-tagger MLP, simulate it and report")
    p.add_argument("-o", "--output-dir", default="rtlnn_demo", help="output folder (default: %(default)s)")
    p.add_argument("--vectors", type=int, default=1000, help="test-set samples to simulate (default: %(default)s)")
    p.add_argument("--simulator", choices=("verilator", "icarus"), default="verilator")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..demo import run_demo

    summary = run_demo(args.output_dir, n_vectors=args.vectors, simulator=args.simulator)
    print(summary["text"])
    return 0 if summary["passed"] else 1
