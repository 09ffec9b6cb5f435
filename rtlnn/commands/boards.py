"""`rtlnn boards`: the boards rtlnn knows, with part, clock and resources."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser("boards", help="list the supported boards: part, clock, LUT/FF/DSP/BRAM")
    p.add_argument("--json", action="store_true", help="print the board data as JSON")
    p.set_defaults(func=run)


def format_boards(boards) -> str:
    """A plain-text table of boards (ECP5 counts are LUT4, MULT18 and 18 Kbit EBR)."""
    header = ("board", "part", "clock", "LUT", "FF", "DSP", "BRAM18", "BRAM36", "title")
    rows = [header]
    for b in boards:
        r, u = b.resources, b.units()
        rows.append((b.name, b.part, f"{b.clock_mhz:g} MHz ({b.clock['pin']})",
                     f"{r['lut']} {u['lut']}" if u["lut"] != "LUT" else str(r["lut"]), str(r["ff"]),
                     f"{r['dsp']} {u['dsp']}", f"{r['bram18']}" + (f" {u['bram18']}" if u["bram18"] != "RAMB18" else ""),
                     str(r["bram36"]) if r["bram36"] else "-", b.title))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)


def run(args) -> int:
    from ..boards import load_boards

    boards = load_boards()
    if args.json:
        print(json.dumps([b.to_dict() for b in boards], indent=2))
    else:
        print(format_boards(boards))
    return 0
