"""A timing harness: the network top between shift registers, so a few pins drive any width.

A 256-bit ``in_data`` does not fit a package's pins, and paths from pins say nothing about
the core. The harness feeds ``in_data`` from an ``in_width``-bit shift register loaded one
bit per cycle from pin ``si``, registers ``go`` into ``in_valid``, and captures
``out_data`` (when ``out_valid``) into a register that then shifts out through pin ``so``;
``done`` is ``out_valid`` registered. The top's reset is the ``rst`` pin registered. So
every path into and out of the core starts and ends at a flip-flop, and place and route
measures the core register to register. Every output bit reaches ``so``, so synthesis
keeps all of the core. Cost: ``in_width + out_width + 3`` flip-flops.

Pins: ``clk``, ``rst``, ``si``, ``go`` in; ``so``, ``done`` out.
"""

from __future__ import annotations

import re

from amaranth.hdl import Cat, ClockSignal, Const, Instance, Module, ResetSignal, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..hw.emit import to_verilog

__all__ = ["SerialHarness", "harness_verilog", "HARNESS_INPUTS", "HARNESS_OUTPUTS"]

HARNESS_INPUTS = ("rst", "si", "go")
HARNESS_OUTPUTS = ("so", "done")


class SerialHarness(wiring.Component):
    """Instantiates module ``top`` (ports clk, rst, in_data, in_valid, out_data, out_valid) between shift registers."""

    def __init__(self, top: str, in_width: int, out_width: int, *, clocked: bool = True):
        self._top, self._in_width, self._out_width, self._clocked = top, in_width, out_width, clocked
        super().__init__({"si": In(1), "go": In(1), "so": Out(1), "done": Out(1)})

    def elaborate(self, platform):
        m = Module()
        shift_in = Signal(self._in_width, reset_less=True)
        go_r = Signal(reset_less=True)
        rst_r = Signal(reset_less=True)
        out_reg = Signal(self._out_width, reset_less=True)
        done_r = Signal(reset_less=True)
        out_data = Signal(self._out_width)
        out_valid = Signal()
        m.d.sync += [
            shift_in.eq(Cat(shift_in[1:], self.si)),
            go_r.eq(self.go),
            rst_r.eq(ResetSignal()),
            done_r.eq(out_valid),
        ]
        with m.If(out_valid):
            m.d.sync += out_reg.eq(out_data)
        with m.Else():
            m.d.sync += out_reg.eq(Cat(out_reg[1:], Const(0, 1)))
        ports = dict(i_in_data=shift_in, i_in_valid=go_r, o_out_data=out_data, o_out_valid=out_valid)
        if self._clocked:
            ports.update(i_clk=ClockSignal(), i_rst=rst_r)
        m.submodules.core = Instance(self._top, **ports)
        m.d.comb += [self.so.eq(out_reg[0]), self.done.eq(done_r)]
        return m


def harness_verilog(top: str, top_verilog: str, in_width: int, out_width: int, name: str) -> str:
    """The harness module ``name`` around ``top`` as Verilog (``top_verilog`` tells whether it has clk/rst)."""
    clocked = re.search(r"^\s*input\s+clk\s*;", top_verilog, re.M) is not None
    return to_verilog(SerialHarness(top, in_width, out_width, clocked=clocked), name)
