"""A pipelined maximum tree: the largest of N values and, optionally, the index of the first
largest (ties go to the lowest index).

Structure as :class:`rtlnn.hw.adder_tree.AdderTree`: level 1 compares (0, 1), (2, 3), ...; an
odd last value passes through; a register follows every ``levels_per_stage`` levels and the
last level, so the latency is ``ceil(ceil(log2 N) / levels_per_stage)`` cycles (0 for one
value).  In each pair the left (lower-index) value wins unless the right one is strictly
larger, which keeps the first maximum.  Registers have no reset and no enable.
"""

from __future__ import annotations

from amaranth.hdl import Const, Module, Mux, Shape, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .adder_tree import _check_levels, adder_levels

__all__ = ["MaxTree", "max_tree_latency"]


def max_tree_latency(n: int, levels_per_stage: int = 2) -> int:
    _check_levels(levels_per_stage, "max tree")
    return -(-adder_levels(n) // levels_per_stage)


class MaxTree(wiring.Component):
    """Ports ``value_0 .. value_{N-1}`` (all of ``shape``), ``max`` and ``index`` (first argmax)."""

    def __init__(self, shape, n: int, *, levels_per_stage: int = 2, name: str = "max tree"):
        self._MustUse__silence = True
        _check_levels(levels_per_stage, name)
        self.shape = Shape.cast(shape)
        self.n = n
        self.levels_per_stage = levels_per_stage
        self.latency = max_tree_latency(n, levels_per_stage)
        self.index_width = max((n - 1).bit_length(), 1)
        members = {f"value_{k}": In(self.shape) for k in range(n)}
        members["max"] = Out(self.shape)
        members["index"] = Out(unsigned(self.index_width))
        del self._MustUse__silence
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        level = [(getattr(self, f"value_{k}"), Const(k, unsigned(self.index_width))) for k in range(self.n)]
        depth = 0
        while len(level) > 1:
            depth += 1
            nxt = []
            for k in range(0, len(level) - 1, 2):
                (a, ia), (b, ib) = level[k], level[k + 1]
                right = b > a
                nxt.append((Mux(right, b, a), Mux(right, ib, ia)))
            if len(level) % 2:
                nxt.append(level[-1])
            if depth % self.levels_per_stage == 0 or len(nxt) == 1:
                regs = []
                for k, (v, i) in enumerate(nxt):
                    rv = Signal(self.shape, name=f"m{depth}_{k}", reset_less=True)
                    ri = Signal(unsigned(self.index_width), name=f"i{depth}_{k}", reset_less=True)
                    m.d.sync += [rv.eq(v), ri.eq(i)]
                    regs.append((rv, ri))
                nxt = regs
            level = nxt
        m.d.comb += [self.max.eq(level[0][0]), self.index.eq(level[0][1])]
        return m
