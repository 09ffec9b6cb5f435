"""The ``rtlnn`` command: one entry point, one verb per job, one clear line on error."""

from __future__ import annotations

import argparse
import importlib
import sys

from .commands import VERBS
from .fixed import FixedFormatError
from .ir import RtlnnError

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rtlnn", description="Small trained neural networks to verified, "
                                     "cycle-exact, pipelined Verilog.")
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for verb in VERBS:
        importlib.import_module(f"rtlnn.commands.{verb}").register(sub)
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
