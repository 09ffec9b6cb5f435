"""`rtlnn report`: print report.json as a table (or as JSON)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("report", help="print the report of a converted (and maybe simulated) design")
    p.add_argument("design_dir")
    p.add_argument("--json", action="store_true", help="print report.json as is")
    p.set_defaults(func=run)


def run(args) -> int:
    import json

    from ..report import format_report, load_report

    report = load_report(args.design_dir)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0
