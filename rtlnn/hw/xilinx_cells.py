"""Xilinx LUT cells (``LUT1`` .. ``LUT6``) instantiated in the emitted Verilog, and their
simulation models.

A generator instantiates a cell where the logic must stay one LUT whatever the synthesis tool's
mapper would make of it (a compressor tree's counters, :mod:`rtlnn.hw.compressor_tree`).  Yosys
``synth_xilinx`` and Vivado keep the cells as they are; Verilator has no Xilinx library, so
:meth:`rtlnn.model.RtlnnModel.write` puts :func:`simulation_models` into ``tb/`` (never ``rtl/``,
which synthesis reads) when the Verilog instantiates a cell, and the cocotb runner compiles it.
Amaranth's simulator cannot run an ``Instance``: a design with cells is simulated from its Verilog.
"""

from __future__ import annotations

import re

from amaranth.hdl import Const, Instance, Module, Signal, Value

__all__ = ["SIMULATION_MODELS_FILE", "cells_used", "lut_cell", "simulation_models"]

#: The file in ``tb/`` holding the cells' behavioural models.
SIMULATION_MODELS_FILE = "xilinx_cells_sim.v"

_CELL_USE = re.compile(r"^\s*LUT([1-6])\s*#\(", re.MULTILINE)


def lut_cell(m: Module, init: int, inputs: list[Value]) -> Signal:
    """A ``LUT<n>`` cell of ``inputs`` (``I0`` first) in ``m``: its output for inputs ``i`` is
    bit ``i`` of ``init``."""
    n = len(inputs)
    if not 1 <= n <= 6 or not 0 <= init < 1 << (1 << n):
        raise ValueError(f"a LUT cell takes 1 to 6 inputs and a {1 << n}-bit truth table, not {n} inputs "
                         f"and INIT {init:#x}")
    out = Signal()
    ports = {f"i_I{q}": v for q, v in enumerate(inputs)}
    m.submodules += Instance(f"LUT{n}", p_INIT=Const(init, 1 << n), o_O=out, **ports)
    return out


def _model(n: int) -> str:
    pins = ", ".join(f"I{q}" for q in range(n))
    index = ", ".join(f"I{q}" for q in reversed(range(n)))
    return (f"module LUT{n} #(parameter [{(1 << n) - 1}:0] INIT = {1 << n}'h0) (output O, input {pins});\n"
            f"  assign O = INIT[{{{index}}}];\n"
            "endmodule\n")


def _lut_sizes(verilog_texts) -> list[int]:
    return sorted({int(n) for text in verilog_texts for n in _CELL_USE.findall(text)})


def cells_used(verilog_texts) -> list[str]:
    """The Xilinx cells (``LUT1`` .. ``LUT6``) the Verilog texts instantiate, sorted."""
    return [f"LUT{n}" for n in _lut_sizes(verilog_texts)]


def simulation_models(verilog_texts) -> str | None:
    """Behavioural Verilog of the LUT cells the texts instantiate, or None when they use none."""
    used = _lut_sizes(verilog_texts)
    if not used:
        return None
    head = ("// Behavioural models of the Xilinx LUT cells of this design, for simulation only: synthesis\n"
            "// (Yosys synth_xilinx, Vivado) uses its own cell library.  Written by rtlnn.\n")
    return head + "".join(_model(n) for n in used)
