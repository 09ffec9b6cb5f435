"""Yosys ``stat -json`` cell counts into FPGA resources: LUT, FF, DSP, BRAM, CARRY.

Xilinx (``synth_xilinx``): ``lut`` counts LUT1..LUT6; ``lut_equivalent`` adds the LUTs that
shift registers (SRL16E/SRLC32E: one each) and distributed RAM (RAM32M: four, ...)
occupy, which is what a part's LUT count is measured against. ``ff`` counts FD*/LD*
(Vivado's "Slice Registers"), ``dsp`` DSP48E1/DSP48E2, ``bram18``/``bram36`` the RAMB18*/
RAMB36* blocks, ``carry`` CARRY4/CARRY8.

ECP5 (``synth_ecp5``): ``lut`` counts LUT4; ``lut_equivalent`` adds two LUT4 per CCU2C
(a carry cell fills a slice's two LUT4s) and four per TRELLIS_DPR16X4; ``ff`` counts
TRELLIS_FF, ``dsp`` MULT18X18D, ``bram18`` DP16KD/PDPW16KD (18 Kbit EBR), ``carry`` CCU2C.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..ir import RtlnnError

__all__ = ["count_resources", "stat_cells", "add_counts", "COUNT_KEYS"]

#: The counts every synthesis entry has, in table order.
COUNT_KEYS = ("lut", "lut_equivalent", "ff", "dsp", "bram18", "bram36", "carry", "srl", "lutram")

_XILINX_LUTRAM = {"RAM16X1S": 1, "RAM32X1S": 1, "RAM64X1S": 1, "RAM128X1S": 2, "RAM256X1S": 4, "RAM512X1S": 8,
                  "RAM16X1D": 2, "RAM32X1D": 2, "RAM64X1D": 2, "RAM128X1D": 4, "RAM256X1D": 8,
                  "RAM32M": 4, "RAM64M": 4, "RAM32M16": 8, "RAM64M8": 8, "RAM64X8SW": 8}
_XILINX_SRL = {"SRL16", "SRL16E", "SRLC16E", "SRLC32E"}


def stat_cells(stat_json: "str | Path | dict") -> dict[str, int]:
    """Cells by type for the whole design (submodules counted as many times as instantiated)."""
    data = stat_json
    if not isinstance(data, dict):
        try:
            data = json.loads(Path(stat_json).read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise RtlnnError(f"cannot read Yosys statistics {stat_json}: {e}") from None
    design = data.get("design")
    if design is None:  # a single module: its own entry is the design
        modules = data.get("modules") or {}
        if len(modules) != 1:
            raise RtlnnError("Yosys statistics have no 'design' total and not exactly one module; "
                             "this Yosys is too old or too new for rtlnn (need stat -json with a design section)")
        design = next(iter(modules.values()))
    cells = design.get("num_cells_by_type")
    if not isinstance(cells, dict):
        raise RtlnnError("Yosys statistics lack num_cells_by_type; cannot count resources")
    return {str(k): int(v) for k, v in cells.items()}


def count_resources(cells: dict[str, int], family: str) -> dict:
    """Resource counts (see the module doc) from cells by type; ``cells`` is kept alongside."""
    counts = dict.fromkeys(COUNT_KEYS, 0)
    if family == "ecp5":
        for cell, n in cells.items():
            if cell == "LUT4":
                counts["lut"] += n
            elif cell == "TRELLIS_FF":
                counts["ff"] += n
            elif cell == "CCU2C":
                counts["carry"] += n
            elif cell == "MULT18X18D":
                counts["dsp"] += n
            elif cell in ("DP16KD", "PDPW16KD"):
                counts["bram18"] += n
            elif cell == "TRELLIS_DPR16X4":
                counts["lutram"] += 4 * n
        counts["lut_equivalent"] = counts["lut"] + 2 * counts["carry"] + counts["lutram"]
    else:
        for cell, n in cells.items():
            if re.fullmatch(r"LUT[1-6]", cell):
                counts["lut"] += n
            elif re.fullmatch(r"(FD[A-Z]*|LD[A-Z]*)(_1)?", cell):
                counts["ff"] += n
            elif cell in ("DSP48E1", "DSP48E2", "DSP48A1"):
                counts["dsp"] += n
            elif re.fullmatch(r"RAMB18E[12]|RAMB18SDP", cell):
                counts["bram18"] += n
            elif re.fullmatch(r"RAMB36E[12]|RAMB36SDP", cell):
                counts["bram36"] += n
            elif cell in ("CARRY4", "CARRY8"):
                counts["carry"] += n
            elif cell in _XILINX_SRL:
                counts["srl"] += n
            elif cell in _XILINX_LUTRAM:
                counts["lutram"] += _XILINX_LUTRAM[cell] * n
        counts["lut_equivalent"] = counts["lut"] + counts["srl"] + counts["lutram"]
    counts["cells"] = {k: cells[k] for k in sorted(cells) if not k.startswith("$")}
    return counts


def add_counts(entries) -> dict:
    """The sum of several count dicts (cells by type summed too)."""
    total = dict.fromkeys(COUNT_KEYS, 0)
    cells: dict[str, int] = {}
    for e in entries:
        for k in COUNT_KEYS:
            total[k] += e.get(k, 0)
        for cell, n in e.get("cells", {}).items():
            cells[cell] = cells.get(cell, 0) + n
    total["cells"] = {k: cells[k] for k in sorted(cells)}
    return total
