"""`rtlnn simulate`: run a converted design's test vectors under cocotb and record the result."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("simulate", help="simulate a converted design with cocotb and compare with the emulator")
    p.add_argument("design_dir", help="an rtlnn output folder")
    p.add_argument("--vectors", type=int, help="simulate only the first N test vectors")
    p.add_argument("--simulator", choices=("verilator", "icarus"), default="verilator")
    p.add_argument("--gaps", action="store_true", help="insert random idle cycles between vectors")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..report import SimulationReport, load_report, store_section
    from ..sim import simulate

    report = load_report(args.design_dir)
    result = simulate(args.design_dir, simulator=args.simulator, vectors=args.vectors, gaps=args.gaps, seed=args.seed)
    sim = SimulationReport.from_result(result, report["latency_cycles"], report["ii"])
    store_section(args.design_dir, "simulation", sim.to_dict())
    print(sim.summary())
    for m in sim.first_mismatches[:5]:
        print(f"  vector {m['index']}: expected {m['expected']} got {m['got']}")
    return 0 if sim.passed else 1
