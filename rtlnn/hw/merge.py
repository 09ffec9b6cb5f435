"""Multi-input layers for io_parallel: elementwise merges and Concatenate.

Merge (Add, Subtract, Multiply, Average, Maximum, Minimum), bit-exact with
:func:`rtlnn.elementwise.merge_raw`.  Per element, the operands are aligned to the finest
binary point (constant shifts: wiring) and reduced by a balanced binary tree of the
operation — level 1 combines (0,1), (2,3), ..., an odd last operand passes through — at
Amaranth's full result widths, so every intermediate is exact.  The exact value is cast
once to ``result_t`` (:func:`rtlnn.hw.cast.cast`) and registered.  Average is the exact sum
read with ``log2(n)`` more fractional bits: no logic at all.  Maximum / Minimum are a
comparator and a mux per level; Multiply is one multiplier per level and element.

Pipelining: a register follows every ``levels_per_stage`` adder / comparator levels (every
level for Multiply, whose multipliers map to DSPs with their own register) and the output,
after the cast.  Latency = ``ceil(ceil(log2 n) / levels_per_stage)`` cycles (1 for two
inputs), II = 1.  The reduction tree is not the Dense :class:`~rtlnn.hw.adder_tree.AdderTree`
because that one registers its sum before the cast; a merge casts then registers, which
keeps a two-input merge at one cycle and its output register at ``result_t`` width.

Concatenate: each input element is cast to ``result_t`` (pure wiring when the types agree)
and the buses are joined; combinational, latency 0, II 1.
"""

from __future__ import annotations

import math

from amaranth.hdl import Module, Mux, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .. import ir
from ..elementwise import MERGE_OPS, merge_exact_type
from ..fixed import FixedType
from .cast import cast
from .elements import as_type, element, pack
from .pipeline import delay

__all__ = ["Merge", "Concatenate", "merge_latency", "make_merge", "make_concatenate"]


def merge_latency(op: str, n_inputs: int, levels_per_stage: int) -> int:
    """Cycles from the inputs to the registered, cast result."""
    levels = math.ceil(math.log2(n_inputs))
    per_stage = 1 if op == "multiply" else levels_per_stage
    return max(1, -(-levels // per_stage))


def _check_types(where: str, types) -> None:
    for what, t in types:
        if not isinstance(t, FixedType):
            raise ir.RtlnnError(f"{where}: {what} must be a FixedType, not {t!r}; "
                                "run the precision passes before generating hardware")


class Merge(wiring.Component):
    """``n_inputs`` vectors of ``n`` elements (types ``in_types``) in, ``n`` ``result_t`` elements out.

    Ports: ``in_data_0`` ... ``in_data_{k-1}``, ``in_valid``, ``out_data``, ``out_valid``.
    """

    ii = 1

    def __init__(self, layer: ir.Merge, in_types: list[FixedType], n: int, *, levels_per_stage: int = 2):
        where = f"Merge layer {layer.name!r} ({layer.op})"
        self._MustUse__silence = True  # no UnusedElaboratable warning if validation fails
        if layer.op not in MERGE_OPS:
            raise ir.RtlnnError(f"{where}: unknown operation {layer.op!r}; supported: {', '.join(MERGE_OPS)}")
        _check_types(where, [(f"input {k} type", t) for k, t in enumerate(in_types)] + [("result_t", layer.result_t)])
        if not isinstance(levels_per_stage, int) or isinstance(levels_per_stage, bool) or levels_per_stage < 1:
            raise ir.RtlnnError(f"{where}: levels_per_stage must be an integer >= 1, not {levels_per_stage!r}")
        if not isinstance(n, int) or n < 1:
            raise ir.RtlnnError(f"{where}: element count must be a positive integer, not {n!r}")
        self.exact_t = merge_exact_type(layer.op, list(in_types), where)  # checks the input count
        self.layer_name, self.op = layer.name, layer.op
        self.in_types, self.result_t, self.n = list(in_types), layer.result_t, n
        self.levels_per_stage = 1 if layer.op == "multiply" else levels_per_stage
        self.latency = merge_latency(layer.op, len(in_types), levels_per_stage)
        self.n_multipliers = n * (len(in_types) - 1) if layer.op == "multiply" else 0
        del self._MustUse__silence
        ports = {f"in_data_{k}": In(unsigned(n * t.width)) for k, t in enumerate(in_types)}
        ports.update({"in_valid": In(1), "out_data": Out(unsigned(n * layer.result_t.width)), "out_valid": Out(1)})
        super().__init__(ports)

    def _combine(self, a, b):
        if self.op in ("add", "average"):
            return a + b
        if self.op == "subtract":
            return a - b
        if self.op == "multiply":
            return a * b
        if self.op == "maximum":
            return Mux(a >= b, a, b)
        return Mux(a <= b, a, b)  # minimum

    def elaborate(self, platform):
        m = Module()
        frac = max(t.frac for t in self.in_types)
        results = []
        for j in range(self.n):
            level = []
            for k, t in enumerate(self.in_types):
                x = element(getattr(self, f"in_data_{k}"), t, j)
                level.append(x if self.op == "multiply" else x.shift_left(frac - t.frac))
            depth = 0
            while len(level) > 1:
                depth += 1
                nxt = [self._combine(level[k], level[k + 1]) for k in range(0, len(level) - 1, 2)]
                if len(level) % 2:
                    nxt.append(level[-1])
                if len(nxt) > 1 and depth % self.levels_per_stage == 0:
                    regs = []
                    for k, v in enumerate(nxt):
                        r = Signal(v.shape(), name=f"e{j}_l{depth}_{k}", reset_less=True)
                        m.d.sync += r.eq(v)
                        regs.append(r)
                    nxt = regs
                level = nxt
            results.append(cast(as_type(m, level[0], self.exact_t, f"exact_{j}"), self.exact_t, self.result_t))
        out = Signal(self.n * self.result_t.width, name="out", reset_less=True)
        m.d.sync += out.eq(pack(results, self.result_t))
        m.d.comb += [self.out_data.eq(out),
                     self.out_valid.eq(delay(m, self.in_valid, self.latency, name="valid", reset_less=False))]
        return m


class Concatenate(wiring.Component):
    """1-D inputs of ``sizes`` elements (types ``in_types``) joined in order, each element cast to ``result_t``.

    Ports: ``in_data_0`` ... ``in_data_{k-1}``, ``in_valid``, ``out_data``, ``out_valid``.
    """

    latency = 0
    ii = 1
    n_multipliers = 0

    def __init__(self, layer: ir.Concatenate, in_types: list[FixedType], sizes: list[int]):
        where = f"Concatenate layer {layer.name!r}"
        self._MustUse__silence = True
        _check_types(where, [(f"input {k} type", t) for k, t in enumerate(in_types)] + [("result_t", layer.result_t)])
        if len(in_types) < 1 or len(in_types) != len(sizes):
            raise ir.RtlnnError(f"{where}: needs one size per input, got {len(sizes)} sizes for {len(in_types)} inputs")
        self.layer_name = layer.name
        self.in_types, self.sizes, self.result_t = list(in_types), list(sizes), layer.result_t
        del self._MustUse__silence
        ports = {f"in_data_{k}": In(unsigned(s * t.width)) for k, (s, t) in enumerate(zip(sizes, in_types))}
        ports.update({"in_valid": In(1), "out_data": Out(unsigned(sum(sizes) * layer.result_t.width)),
                      "out_valid": Out(1)})
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        outs = []
        for k, (size, t) in enumerate(zip(self.sizes, self.in_types)):
            vec = getattr(self, f"in_data_{k}")
            outs += [cast(element(vec, t, j), t, self.result_t) for j in range(size)]
        m.d.comb += [self.out_data.eq(pack(outs, self.result_t)), self.out_valid.eq(self.in_valid)]
        return m


# ---------------------------------------------------------------- factories (see rtlnn.hw.generators)
def make_merge(layer: ir.Merge, sources, options) -> Merge:
    """A :class:`Merge` for ``layer`` after checking its inputs agree in shape."""
    if len(sources) < 2:
        raise ir.RtlnnError(f"Merge layer {layer.name!r} ({layer.op}) has {len(sources)} input(s); it needs at least 2")
    shapes = {tuple(s.shape) for s in sources}
    if len(shapes) != 1:
        listing = ", ".join(f"{s.name} {tuple(s.shape)}" for s in sources)
        raise ir.RtlnnError(f"Merge layer {layer.name!r} ({layer.op}): its inputs differ in shape ({listing}); "
                            "elementwise merges need equal shapes (no broadcasting)")
    return Merge(layer, [s.type for s in sources], sources[0].size, levels_per_stage=options.levels_per_stage)


def make_concatenate(layer: ir.Concatenate, sources, options) -> Concatenate:
    """A :class:`Concatenate` for ``layer``: 1-D inputs along the last axis only."""
    for s in sources:
        if len(s.shape) != 1:
            raise ir.RtlnnError(f"Concatenate layer {layer.name!r}: input {s.name!r} has shape {tuple(s.shape)}; "
                                "io_parallel Concatenate joins 1-D tensors along axis -1 (add a Flatten first)")
    return Concatenate(layer, [s.type for s in sources], [s.size for s in sources])
