"""A pipelined adder tree: the exact sum of N terms of possibly different shapes.

Structure (deterministic): level 1 adds terms (0+1), (2+3), ...; an odd last term passes
through to the next level unchanged; and so on until one value is left, so there are
``ceil(log2(N))`` adder levels.  Every adder keeps Amaranth's full result width (one bit
more than its wider operand, with mixed signedness handled by Amaranth), so the sum is
exact: it can never overflow, whatever the terms hold.

A pipeline register follows every ``levels_per_stage`` levels and the last level, so the
latency is ``ceil(levels / levels_per_stage)`` cycles (0 for one term: a wire).  The
default of 2 levels per stage is a balance for 7-series/UltraScale fabric: a carry-chain
adder of up to ~40 bits plus its routing takes about 1.5-2.5 ns, so two of them fit a
clock of 200-250 MHz, while one level per stage would double the registers (and the
latency) for little Fmax.  ``latency`` may ask for more cycles than the natural ones
(to align several trees); the extra registers are added at the output.

Data registers have no reset and no enable: the tree computes every cycle and the owner
tracks which cycles carry valid data.
"""

from __future__ import annotations

import math
from typing import Sequence

from amaranth.hdl import Const, Module, Shape, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..ir import RtlnnError

__all__ = ["AdderTree", "adder_levels", "adder_tree_latency"]


def adder_levels(n_terms: int) -> int:
    """Adder levels of a tree over ``n_terms`` terms."""
    return max(0, math.ceil(math.log2(n_terms))) if n_terms > 1 else 0


def adder_tree_latency(n_terms: int, levels_per_stage: int = 2) -> int:
    """Cycles from the terms to the sum (known before the tree is built)."""
    _check_levels(levels_per_stage, "adder tree")
    return -(-adder_levels(n_terms) // levels_per_stage)


def _check_levels(levels_per_stage, where: str) -> None:
    if not isinstance(levels_per_stage, int) or isinstance(levels_per_stage, bool) or levels_per_stage < 1:
        raise RtlnnError(f"{where}: levels_per_stage must be an integer >= 1, not {levels_per_stage!r}")


def _sum_shape(a: Shape, b: Shape) -> Shape:
    return (Const(0, a) + Const(0, b)).shape()


class AdderTree(wiring.Component):
    """Sums ``len(shapes)`` terms; ports ``term_0 .. term_{N-1}`` (inputs) and ``sum`` (output).

    ``sum_shape`` is the exact shape of the result.  With no terms the sum is the constant 0.
    """

    def __init__(self, shapes: Sequence, *, levels_per_stage: int = 2, latency: int | None = None,
                 name: str = "adder tree"):
        self._MustUse__silence = True  # no UnusedElaboratable warning if validation fails
        _check_levels(levels_per_stage, name)
        self.shapes = [Shape.cast(s) for s in shapes]
        self.levels_per_stage = levels_per_stage
        self.levels = adder_levels(len(self.shapes))
        natural = -(-self.levels // levels_per_stage)
        if latency is None:
            latency = natural
        if not isinstance(latency, int) or latency < natural:
            raise RtlnnError(f"{name}: latency {latency!r} is below the {natural} cycles that "
                             f"{len(self.shapes)} terms at {levels_per_stage} levels per stage need")
        self.latency = latency
        self.ii = 1
        level = list(self.shapes)
        while len(level) > 1:
            nxt = [_sum_shape(level[k], level[k + 1]) for k in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                nxt.append(level[-1])
            level = nxt
        self.sum_shape = level[0] if level else unsigned(1)
        members = {f"term_{k}": In(s) for k, s in enumerate(self.shapes)}
        members["sum"] = Out(self.sum_shape)
        del self._MustUse__silence
        super().__init__(members)

    @property
    def terms(self) -> list:
        return [getattr(self, f"term_{k}") for k in range(len(self.shapes))]

    def elaborate(self, platform):
        m = Module()
        level = list(self.terms)
        if not level:
            m.d.comb += self.sum.eq(0)
            return m
        depth = 0
        while len(level) > 1:
            depth += 1
            nxt = [level[k] + level[k + 1] for k in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                nxt.append(level[-1])
            if depth % self.levels_per_stage == 0 or len(nxt) == 1:
                regs = []
                for k, v in enumerate(nxt):
                    r = Signal(v.shape(), name=f"l{depth}_{k}", reset_less=True)
                    m.d.sync += r.eq(v)
                    regs.append(r)
                nxt = regs
            level = nxt
        out = level[0]
        for k in range(self.latency - (-(-self.levels // self.levels_per_stage))):
            r = Signal(out.shape(), name=f"pad_{k}", reset_less=True)
            m.d.sync += r.eq(out)
            out = r
        m.d.comb += self.sum.eq(out)
        return m
