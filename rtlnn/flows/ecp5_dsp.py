"""ECP5 DSP register packing: fabric flip-flops around each MULT18X18D moved into the block.

Yosys ``synth_ecp5`` maps every multiplier to a MULT18X18D with all its registers bypassed
(it has no register absorption for ECP5), so a multiplier pipelined in the RTL still pays a
fabric route into the block and out of it, around ~4 ns of multiplier: about 120 MHz at
best on speed grade 6.  The block has input registers (A, B) and an output register (P),
and nextpnr-ecp5 times a block that uses them with the faster registered timings.  This
pass does on the synthesized netlist (Yosys JSON) what the synthesis tool does for other
families:

* **Input registers.**  When every used bit of operand ``A`` (or ``B``) of a multiplier is a
  constant or the output ``Q`` of a plain flip-flop (rising edge, no clock enable, at most a
  synchronous reset to 0, one clock for the whole block), the block's ``REG_INPUTA_CLK``
  (``B``) takes that
  register: the pin is connected to the flip-flop's ``DI`` instead.  A flip-flop that also
  feeds other logic stays for it (the register is duplicated into the block — identical
  registers merged by Yosys fan out to many multipliers); one left without users goes.
  Constant bits stay constant (a register of a constant holds it from the first clock).
* **Output register.**  When every used bit of ``P`` feeds exactly one such flip-flop and
  nothing else, ``REG_OUTPUT_CLK`` takes it: the flip-flop's ``Q`` net is driven by the pin
  and the flip-flop goes.

Both moves keep every register on the same path between the same clock edges, so the
netlist computes the same values in the same cycles (the cycle counts in report.json are
unchanged).  The block is then clocked by that clock, with ``CE0`` high and ``RST0`` low; a
register group whose flip-flops had a synchronous reset (Yosys turns a mux leg of constant 0
in front of a register into one) gets its own reset line (``RST1``..``RST3``) with that net;
when an operand's bits have different resets (or some none), the block register has none
and each reset bit's ``D`` is gated by a LUT4 (``D and not reset``: what the flip-flop did).

``python -m rtlnn.flows.ecp5_dsp design.json [out.json]`` packs a netlist in place (or
into ``out.json``), block-RAM output registers first (:mod:`rtlnn.flows.ecp5_bram`), and
prints what it moved; the ECP5 build (:mod:`rtlnn.flows.ecp5`) runs
it between Yosys and nextpnr, and its ``build.sh`` repeats that step.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["pack_dsp_registers", "pack_file", "DspPacking", "plain_register"]

DSP = "MULT18X18D"
FF = "TRELLIS_FF"


@dataclass
class DspPacking:
    """What the pass did: blocks seen, operand and output registers moved in, fabric FFs removed."""

    dsps: int = 0
    input_a: int = 0
    input_b: int = 0
    output: int = 0
    ffs_removed: int = 0
    reset_gates: int = 0  # LUT4s added for operand bits with differing synchronous resets
    skipped: dict = field(default_factory=dict)  # reason -> count
    block_rams: dict = field(default_factory=dict)  # pack_file: rtlnn.flows.ecp5_bram's BramPacking, run first

    def to_dict(self) -> dict:
        return {"dsps": self.dsps, "input_a": self.input_a, "input_b": self.input_b, "output": self.output,
                "ffs_removed": self.ffs_removed, "reset_gates": self.reset_gates,
                "skipped": dict(sorted(self.skipped.items())),
                **({"block_rams": self.block_rams} if self.block_rams else {})}

    def summary(self) -> str:
        return (f"{self.dsps} {DSP}: input registers A {self.input_a}, B {self.input_b}, output registers "
                f"{self.output}; {self.ffs_removed} fabric flip-flops absorbed, {self.reset_gates} reset gates added"
                + (f"; {self.block_rams['brams']} DP16KD: output registers {self.block_rams['output']}"
                   if self.block_rams else ""))


def plain_register(cell):
    """``(clock net, reset net or "0")`` of a flip-flop the block's registers can replace (rising
    clock, always enabled, no reset or a synchronous one to 0), else None."""
    p, conn = cell["parameters"], cell["connections"]
    if (cell["type"] != FF or p.get("CLKMUX", "CLK") != "CLK" or str(p.get("CEMUX", "1")).strip() != "1"
            or conn.get("CE", ["1"]) != ["1"] or len(conn.get("CLK", [])) != 1 or not isinstance(conn["CLK"][0], int)):
        return None
    lsr = conn.get("LSR", ["0"])[0]
    if lsr == "0":
        return conn["CLK"][0], "0"
    if (isinstance(lsr, int) and p.get("LSRMUX", "LSR") == "LSR" and p.get("SRMODE", "LSR_OVER_CE") == "LSR_OVER_CE"
            and p.get("REGSET", "RESET") == "RESET"):
        return conn["CLK"][0], lsr
    return None


def _pins(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{k}" for k in range(n)]


def netlist_index(module: dict) -> tuple[dict, dict, set]:
    """A Yosys JSON module's nets: bit -> the cell driving it, bit -> [(cell, input port)]
    reading it, and the bits of the module's own ports (which no packing may remove)."""
    driver: dict = {}
    users: dict = defaultdict(list)
    for name, c in module.get("cells", {}).items():
        for port, bits in c["connections"].items():
            out = c.get("port_directions", {}).get(port) == "output"
            for b in bits:
                if isinstance(b, int):
                    (driver.__setitem__(b, name) if out else users[b].append((name, port)))
    port_bits = {b for p in module.get("ports", {}).values() for b in p["bits"] if isinstance(b, int)}
    return driver, users, port_bits


def pack_dsp_registers(netlist: dict) -> DspPacking:
    """Pack registers into every MULT18X18D of every module of a Yosys JSON ``netlist`` (in place)."""
    stats = DspPacking()
    for module in netlist.get("modules", {}).values():
        _pack_module(module, stats)
    return stats


def _pack_module(module: dict, stats: DspPacking) -> None:
    cells = module.get("cells", {})
    dsps = [name for name, c in cells.items() if c["type"] == DSP]
    if not dsps:
        return
    driver, users, port_bits = netlist_index(module)
    removed: set = set()
    operand_ffs: set = set()  # flip-flops copied into a block's input registers
    gates: dict = {}  # flip-flop -> the net of its D gated by its synchronous reset
    next_bit = [1 + max((b for c in cells.values() for bits in c["connections"].values() for b in bits
                         if isinstance(b, int)), default=0)]

    def gate(ff: str, rst: int) -> int:
        """A LUT4 computing ``D and not reset`` of a synchronous-reset flip-flop (once per flip-flop)."""
        if ff not in gates:
            z = next_bit[0]
            next_bit[0] += 1
            d = cells[ff]["connections"]["DI"][0]
            cells[f"{ff}$rtlnn_srst_gate"] = {
                "hide_name": 1, "type": "LUT4", "parameters": {"INIT": format(0x2222, "016b")},  # Z = A & ~B
                "attributes": {}, "port_directions": {"A": "input", "B": "input", "C": "input", "D": "input",
                                                      "Z": "output"},
                "connections": {"A": [d], "B": [rst], "C": ["0"], "D": ["0"], "Z": [z]}}
            users[d].append((f"{ff}$rtlnn_srst_gate", "A"))
            users[rst].append((f"{ff}$rtlnn_srst_gate", "B"))
            driver[z] = f"{ff}$rtlnn_srst_gate"
            gates[ff] = z
            stats.reset_gates += 1
        return gates[ff]

    def skip(reason: str) -> None:
        stats.skipped[reason] = stats.skipped.get(reason, 0) + 1

    for name in dsps:
        stats.dsps += 1
        dsp = cells[name]
        conn = dsp["connections"]
        params = dsp["parameters"]
        if any(str(params.get(f"REG_{r}_CLK", "NONE")) != "NONE" for r in ("INPUTA", "INPUTB", "INPUTC", "PIPELINE",
                                                                           "OUTPUT")):
            skip("registers already in use")
            continue
        groups: dict = {}  # "A" / "B" / "OUTPUT" -> (clock, reset net)
        moves_in: dict = {}  # operand -> {pin: (new bit, flip-flop)}
        for operand in ("A", "B"):
            plan, regs = {}, {}
            for pin in (p for p in _pins(operand, 18) if p in conn):
                (bit,) = conn[pin]
                if not isinstance(bit, int):
                    continue  # a constant stays a constant
                ff = driver.get(bit)
                reg = plain_register(cells[ff]) if ff is not None else None
                if reg is None:
                    plan = None
                    break
                regs[pin] = reg
                plan[pin] = (cells[ff]["connections"]["DI"][0], ff)
            if plan is None or len({clk for clk, _ in regs.values()}) > 1:
                skip(f"operand {operand} not from plain flip-flops on one clock")
            elif plan:
                resets = {rst for _, rst in regs.values()}
                if len(resets) > 1:  # no one reset for the block register: gate each reset bit instead
                    for pin, (clk, rst) in regs.items():
                        if rst != "0":
                            plan[pin] = (gate(plan[pin][1], rst), plan[pin][1])
                    resets = {"0"}
                moves_in[operand], groups[operand] = plan, (next(iter(regs.values()))[0], resets.pop())
        out_plan, regs = {}, set()  # pin -> flip-flop
        for pin in _pins("P", 36):
            if pin not in conn or not isinstance(conn[pin][0], int):
                continue
            bit = conn[pin][0]
            readers = users.get(bit, [])
            if not readers:
                continue
            reg = plain_register(cells[readers[0][0]]) if len(readers) == 1 and readers[0][1] == "DI" else None
            if bit in port_bits or reg is None:
                regs = None
                break
            regs.add(reg)
            out_plan[pin] = readers[0][0]
        if regs is None or len(regs) != 1:
            out_plan = {}
            skip("product not into one kind of plain flip-flop only")
        else:
            groups["OUTPUT"] = regs.pop()
        for last in ("OUTPUT", "B"):  # one clock per block: A's registers first, then B's, then the output's
            if len({clk for clk, _ in groups.values()}) > 1 and last in groups:
                groups.pop(last)
                if last == "OUTPUT":
                    out_plan = {}
                else:
                    moves_in.pop("B")
                skip(f"{last.lower()} register on another clock")
        if not groups:
            continue
        # Rewire: the block's clock, enable and resets (RST0 low; one line per reset net), then each register.
        (clock,) = {clk for clk, _ in groups.values()}
        resets = sorted({rst for _, rst in groups.values() if rst != "0"})
        lines = {"0": "RST0", **{rst: f"RST{k + 1}" for k, rst in enumerate(resets)}}
        conn.update(CLK0=[clock], CE0=["1"], RST0=["0"], **{lines[r]: [r] for r in resets})
        dsp.setdefault("port_directions", {}).update(CLK0="input", CE0="input",
                                                     **{line: "input" for line in lines.values()})
        params.update(GSR="DISABLED", RESETMODE="SYNC")
        for operand, plan in moves_in.items():
            for pin, (new_bit, ff) in plan.items():
                operand_ffs.add(ff)
                old = conn[pin][0]
                users[old].remove((name, pin))
                conn[pin] = [new_bit]
                users[new_bit].append((name, pin))
            params.update({f"REG_INPUT{operand}_CLK": "CLK0", f"REG_INPUT{operand}_CE": "CE0",
                           f"REG_INPUT{operand}_RST": lines[groups[operand][1]]})
            setattr(stats, f"input_{operand.lower()}", getattr(stats, f"input_{operand.lower()}") + 1)
        for pin, ff in out_plan.items():
            q = cells[ff]["connections"]["Q"][0]
            users[conn[pin][0]].clear()
            conn[pin] = [q]
            driver[q] = name
            removed.add(ff)
        if out_plan:
            params.update(REG_OUTPUT_CLK="CLK0", REG_OUTPUT_CE="CE0", REG_OUTPUT_RST=lines[groups["OUTPUT"][1]])
            stats.output += 1
    # Operand flip-flops left driving nothing (every reader now has its own copy in a block) go.
    for ff in operand_ffs - removed:
        q = cells[ff]["connections"]["Q"][0]
        if not users.get(q) and q not in port_bits:  # (its reset net may now have one reader fewer)
            removed.add(ff)
    for name in sorted(removed):
        del cells[name]
    stats.ffs_removed += len(removed)


def pack_file(path, out=None, *, block_rams: bool = True) -> DspPacking:
    """Pack the Yosys JSON netlist at ``path`` (written back, or to ``out``); with ``block_rams``
    the DP16KD output registers first (:mod:`rtlnn.flows.ecp5_bram`), reported in ``block_rams``."""
    from .ecp5_bram import pack_bram_registers

    path = Path(path)
    netlist = json.loads(path.read_text())
    brams = pack_bram_registers(netlist).to_dict() if block_rams else {}
    stats = pack_dsp_registers(netlist)
    stats.block_rams = brams
    Path(out or path).write_text(json.dumps(netlist))
    return stats


def main(argv=None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not 1 <= len(args) <= 2:
        print("usage: python -m rtlnn.flows.ecp5_dsp design.json [out.json]", file=sys.stderr)
        return 2
    print(pack_file(*args).summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
