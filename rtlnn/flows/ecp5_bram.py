"""ECP5 block-RAM output registers: the fabric flip-flops behind each DP16KD moved into the block.

Yosys ``synth_ecp5`` maps a memory with a synchronous read port to a DP16KD with its output
register off (``REGMODE NOREG``).  Read that way the block's clock-to-out is most of a
150 MHz period on speed grade 6 (nextpnr: 5.6 ns), so a weight memory feeding a multiplier
limits the clock however the rest is pipelined.  The generators therefore register a block
memory's data once more (:class:`rtlnn.hw.dense_resource.DenseResource`), and this pass,
like :mod:`rtlnn.flows.ecp5_dsp` for the multipliers, moves that register into the block:

* A DP16KD qualifies when every used data output of its read port feeds exactly one plain
  flip-flop (rising edge, no clock enable, no reset) on the read port's clock, whose output
  clock enable is tied high and whose output reset is tied low.
* The read port is B in the 36-bit pseudo-dual-port mode (both ``DOA`` and ``DOB`` then
  carry the read data and the block has one output register mode: nextpnr sets
  ``REGMODE_A`` and ``REGMODE_B`` alike), else the port whose outputs are used.
* ``REGMODE`` of that port (both in the 36-bit mode) becomes ``OUTREG``; each output pin
  then drives its flip-flop's ``Q`` net and the flip-flop goes.

The register stays on the same path between the same clock edges, so the netlist computes
the same values in the same cycles.  The ECP5 build runs this before the DSP packing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .ecp5_dsp import FF, netlist_index, plain_register

__all__ = ["pack_bram_registers", "BramPacking"]

BRAM = "DP16KD"


@dataclass
class BramPacking:
    """What the pass did: blocks seen, output registers taken in, fabric flip-flops removed."""

    brams: int = 0
    output: int = 0
    ffs_removed: int = 0
    skipped: dict = field(default_factory=dict)  # reason -> count

    def to_dict(self) -> dict:
        return {"brams": self.brams, "output": self.output, "ffs_removed": self.ffs_removed,
                "skipped": dict(sorted(self.skipped.items()))}


def _width(params: dict, key: str) -> int:
    v = str(params.get(key, "18"))
    return int(v, 2) if set(v) <= {"0", "1"} and len(v) > 8 else int(v)


def pack_bram_registers(netlist: dict) -> BramPacking:
    """Move output registers into every DP16KD of every module of a Yosys JSON ``netlist`` (in place)."""
    stats = BramPacking()
    for module in netlist.get("modules", {}).values():
        _pack_module(module, stats)
    return stats


def _pack_module(module: dict, stats: BramPacking) -> None:
    cells = module.get("cells", {})
    brams = [name for name, c in cells.items() if c["type"] == BRAM]
    if not brams:
        return
    _, users, port_bits = netlist_index(module)
    removed: set = set()

    def skip(reason: str) -> None:
        stats.skipped[reason] = stats.skipped.get(reason, 0) + 1

    for name in brams:
        stats.brams += 1
        ram = cells[name]
        conn, params = ram["connections"], ram["parameters"]
        used = {pin: conn[pin][0] for pin in conn if pin.startswith(("DOA", "DOB"))
                and isinstance(conn[pin][0], int) and users.get(conn[pin][0])}
        if not used:
            skip("no output used")
            continue
        pdp = 36 in (_width(params, "DATA_WIDTH_A"), _width(params, "DATA_WIDTH_B"))
        ports = ["B"] if pdp else sorted({pin[2] for pin in used})
        if any(str(params.get(f"REGMODE_{p}", "NOREG")) != "NOREG" for p in ports):
            skip("output register already in use")
            continue
        plan, ok = {}, True
        for p in ports:
            clk = conn.get(f"CLK{p}", ["0"])[0]
            if (not isinstance(clk, int) or conn.get(f"OCE{p}", ["1"]) != ["1"]
                    or str(params.get(f"CLK{p}MUX", f"CLK{p}")) != f"CLK{p}"):
                ok = False
        if any(conn.get(f"RST{p}", ["0"]) != ["0"] for p in (("A", "B") if pdp else ports)):
            ok = False  # (in the 36-bit mode nextpnr wires one reset to both)
        for pin, bit in used.items():
            readers = users[bit]
            reg = (plain_register(cells[readers[0][0]]) if len(readers) == 1 and readers[0][1] == "DI" else None)
            clk = conn.get("CLKB" if pdp else f"CLK{pin[2]}", ["0"])[0]
            if not ok or bit in port_bits or reg != (clk, "0"):
                ok = False
                break
            plan[pin] = readers[0][0]
        if not ok:
            skip("data not into plain flip-flops on the read clock only")
            continue
        for pin, ff in plan.items():
            q = cells[ff]["connections"]["Q"][0]
            users[conn[pin][0]].clear()
            conn[pin] = [q]
            removed.add(ff)
        for p in (("A", "B") if pdp else ports):
            params[f"REGMODE_{p}"] = "OUTREG"
        stats.output += 1
    for name in sorted(removed):
        assert cells[name]["type"] == FF
        del cells[name]
    stats.ffs_removed += len(removed)
