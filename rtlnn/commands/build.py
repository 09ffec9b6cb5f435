"""`rtlnn build`: a board build of a converted design — openXC7 (Artix-7), Vivado (ZCU102), nextpnr-ecp5 (ULX3S)."""

from __future__ import annotations

TOOLCHAINS = ("openxc7", "vivado", "nextpnr-ecp5")


def default_toolchain(board) -> str:
    """openxc7 for 7-series boards, vivado for other Xilinx parts, nextpnr-ecp5 for ECP5."""
    if board.vendor == "lattice":
        return "nextpnr-ecp5"
    return "openxc7" if board.part.lower().startswith("xc7") else "vivado"


def build(design_dir, *, board: str, toolchain: str | None = None, selftest: int | None = None,
          run: bool = True):
    """Build ``design_dir`` for ``board``; returns the flow's result (with ``summary()``)."""
    from ..boards import get_board
    from ..ir import RtlnnError
    from ..report import load_report

    load_report(design_dir)  # a clear error for a folder that is not a design
    b = get_board(board)
    chain = toolchain or default_toolchain(b)
    if chain not in TOOLCHAINS:
        raise RtlnnError(f"unknown toolchain {chain!r}; choose one of {', '.join(TOOLCHAINS)}")
    if chain == "openxc7":
        from ..flows.openxc7 import build_openxc7

        return build_openxc7(design_dir, b, n_vectors=selftest, run=run)
    if selftest is not None:
        raise RtlnnError(f"--selftest applies to --toolchain openxc7 (the board self-test bitstream); the {chain} "
                         "build uses its own top (vivado: the AXI wrapper, nextpnr-ecp5: the timing harness)")
    if chain == "vivado":
        from ..flows.vivado import build_vivado

        return build_vivado(design_dir, b, run=run)
    try:
        from ..flows.ecp5 import build_ecp5
    except ImportError as e:
        raise RtlnnError(f"nextpnr-ecp5: the ECP5 flow is not available in this rtlnn ({e})") from None
    return build_ecp5(design_dir, b)


def register(sub) -> None:
    p = sub.add_parser("build", help="build a converted design for a board (openXC7, Vivado, nextpnr-ecp5)")
    p.add_argument("design_dir", help="an rtlnn output folder")
    p.add_argument("--board", required=True, help="board name (`rtlnn boards` lists them)")
    p.add_argument("--toolchain", choices=TOOLCHAINS,
                   help="default: openxc7 for Artix-7 boards, vivado for ZCU102, nextpnr-ecp5 for ULX3S")
    p.add_argument("--selftest", type=int, metavar="N",
                   help="openxc7: test vectors stored in the self-test bitstream (default: 32, or all the design has)")
    p.add_argument("--plan-only", action="store_true", help="write the build plan without running any tool")
    p.epilog = ("Exit status: 0 built (or plan written with --plan-only), 1 a tool failed, "
                "3 plan written but a tool is missing (the message names it).")
    p.set_defaults(func=run)


def run(args) -> int:
    result = build(args.design_dir, board=args.board, toolchain=args.toolchain, selftest=args.selftest,
                   run=not args.plan_only)
    print(result.summary())
    if getattr(result, "missing_tools", None):
        return 3
    if getattr(result, "passed", True) is False:
        return 1
    return 0
