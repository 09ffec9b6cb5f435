"""A Dense layer without multipliers (strategy ``ShiftAdd``, hls4ml's ``distributed_arithmetic``).

The weights are constants, so ``x @ W`` is built as an adder graph of shifted inputs
(:mod:`rtlnn.csd`: canonical signed digits, two-term common subexpressions shared across
outputs), pipelined for a target clock with the delay model of
:mod:`rtlnn.hw.timing_model`.  No multiplier cell is built; II = 1 and the reuse factor
must be 1 (the graph is fully parallel, as in hls4ml's distributed arithmetic).

Bit-exact with :func:`rtlnn.arith.dense_raw`, by the choice of one of two arithmetic plans
(:func:`plan_shift_add`; :func:`plan_raw` is the plan run in Python, checked against
``dense_raw`` in the tests):

``exact``        ``dense_raw`` casts every product to ``accum_t`` before summing.  That cast
                 is the identity when ``accum_t`` keeps every fractional bit of the product
                 (``accum_t.frac >= frac(in_t) + frac(weight_t)``) and either each product's
                 actual range fits ``accum_t`` or the overflow mode is WRAP (wrapping each
                 term and then the sum is the sum wrapped once: arithmetic modulo
                 ``2**width``).  Then the whole sum, bias included, is one adder graph with
                 full sharing, and the casts apply once to its exact result.  This is the
                 usual case: rtlnn's derived accumulators are exact.
``per_product``  Otherwise (a narrow accumulator that rounds or saturates each product)
                 every distinct product ``x_i * w`` is built alone (shift-adds of ``x_i``;
                 products of one input share subexpressions, equal products are built once),
                 cast to ``accum_t`` exactly as the emulator does, and the cast products are
                 summed by a second adder graph.

Then, in both plans, the sum is cast to ``accum_t`` and to ``result_t`` (the same casts
as ``dense_raw``) in front of the output register.

Pipelining.  The graph is scheduled as soon as possible under a per-stage time budget
(:func:`rtlnn.hw.timing_model.schedule`): with a ``clock_period`` the budget and every
adder's delay come from the FPGA family's :class:`~rtlnn.hw.timing_model.DelayModel`
(an adder costs a fixed part plus a carry ripple by its width, ripples of cascaded adders
overlap; a cast costs by its rounding and saturation logic);
without one, every adder level costs 1 and a stage holds ``levels_per_stage`` of them.
A value used in a later stage than its own goes through one register per stage crossed
(constants never do); the casts share the last stage with the last adders, and the output
register closes it.  Latency = the number of stages, at least 1; II = 1.  With ``stages`` (config
``Pipeline: {Stages: n}``) the count is given instead and the budget is the smallest that fits
it (:func:`~rtlnn.hw.timing_model.fewest_stage_schedule`); a graph that needs fewer stages gets
its outputs delayed to the count.  Inputs straight from registers (``input_registered``) start
the first stage at 0 ns, others after the model's ``t_input`` (a ReLU or cast in front).  Low bits that an
adder only passes through (``a + (b << d)`` keeps ``a``'s low ``d`` bits) are wiring, and
every adder is exactly as wide as the range of the linear form it computes.

Summation (config ``Pipeline: {Summation: ...}``).  ``AdderGraph`` (the default) is the above.
``CompressorTree`` adds each output's terms (the CSD digits of its linear form, no sharing) in
a compressor tree (:mod:`rtlnn.hw.compressor_tree`): counter levels (each the model's
``t_counter``), then one adder a sum; registers go between levels as the budget says.  On
Xilinx parts (``lut_cells``) the counters are LUT cells and the last 3:2 level goes with the
adder (the model's ``t_heap_add``).  Fewer carry chains in series, so fewer cycles at a target
clock on 7-series, for more LUTs (no sharing, about one LUT per bit of the heap).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from amaranth.hdl import Cat, Const, Module, Signal, Value, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .. import ir
from ..arith import exact_type, product_type
from ..csd import AdderGraph, Term, build_adder_graph, csd, csd_digits, evaluate
from ..fixed import FixedType, Overflow
from .adder_tree import _check_levels
from .cast import cast, shape_of
from .compressor_tree import (
    HeapTerm,
    cell_levels,
    compress,
    counter_inputs,
    final_sum,
    leaf_rows,
    plan_heap,
)
from .dense import check_dense_layer
from .pipeline import delay
from .timing_model import DelayModel, fewest_stage_schedule, schedule
from .xilinx_cells import lut_cell

__all__ = ["ShiftAddDense", "ShiftAddPlan", "plan_shift_add", "plan_raw", "choose_strategy", "DSP_LUT_EQUIVALENT",
           "SUMMATIONS"]

#: How a ShiftAdd layer adds its terms (config ``Pipeline: {Summation: ...}``): two-operand adders
#: with shared subexpressions, or a compressor tree (:mod:`rtlnn.hw.compressor_tree`).
SUMMATIONS = ("AdderGraph", "CompressorTree")
#: LUT-equivalents charged per DSP block when comparing designs (LUT + 55 x DSP).
DSP_LUT_EQUIVALENT = 55
#: Adders left after two-term sharing, as a fraction of those of plain CSD (measured on random
#: 8-bit layers of 16-64 inputs: 0.66-0.76); used only by the cost estimate of Auto.
_CSE_FACTOR = 0.72


@dataclass
class ShiftAddPlan:
    """How a Dense layer's sum is built without multipliers (see the module doc)."""

    mode: str  # "exact" or "per_product"
    reason: str
    in_t: FixedType
    product_t: FixedType
    accum_t: FixedType
    result_t: FixedType
    graph: AdderGraph  # exact: x -> sums; per_product: cast products -> sums
    product_graph: AdderGraph | None = None  # per_product: x -> the distinct products
    products: tuple = ()  # per_product: (i, w_raw) of each distinct product

    def sum_type(self, lo: int, hi: int) -> FixedType:
        """The exact type of an output's sum with range ``lo..hi`` (in ``accum_t`` units)."""
        return exact_type(min(lo, 0), max(hi, 0), self.accum_t.frac)

    @property
    def n_adders(self) -> int:
        return self.graph.n_adders + (self.product_graph.n_adders if self.product_graph else 0)


def _exact_reason(w_raw, in_t: FixedType, weight_t: FixedType, accum_t: FixedType) -> str | None:
    """Why the per-product cast is not the identity (None when it is, up to WRAP)."""
    p_t = product_type(in_t, weight_t)
    if accum_t.frac < p_t.frac:
        return (f"accum_t {accum_t} has {accum_t.frac} fractional bits, fewer than the products' {p_t.frac}: "
                "each product is rounded on its own")
    if accum_t.overflow is Overflow.WRAP:
        return None
    k = accum_t.frac - p_t.frac
    w = np.asarray(w_raw, dtype=object)
    w = w[w != 0]
    if w.size:
        ends = np.concatenate([w * in_t.min_raw, w * in_t.max_raw]) * (1 << k)
        if min(ends) < accum_t.min_raw or max(ends) > accum_t.max_raw:
            return (f"accum_t {accum_t} saturates and some products exceed its range: each product is "
                    "saturated on its own")
    return None


#: Plans by their inputs: a network is elaborated more than once (timing, then Verilog), and
#: sharing is the slow part.  Plans are never modified after they are made.
_PLANS: dict = {}
_PLANS_MAX = 64


def plan_shift_add(weight_raw, bias_raw, in_t: FixedType, weight_t: FixedType, bias_t: FixedType,
                   accum_t: FixedType, result_t: FixedType, *, cse: bool = True,
                   max_cse_depth: int | None = None) -> ShiftAddPlan:
    """The arithmetic plan of a shift-add Dense layer (raw weights ``(n_in, n_out)``)."""
    w, b = np.asarray(weight_raw), np.asarray(bias_raw)
    key = (w.shape, repr(w.tolist()), repr(b.tolist()), in_t, weight_t, bias_t, accum_t, result_t, cse, max_cse_depth)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _make_plan(w, b, in_t, weight_t, bias_t, accum_t, result_t, cse, max_cse_depth)
        if len(_PLANS) >= _PLANS_MAX:
            _PLANS.pop(next(iter(_PLANS)))
        _PLANS[key] = plan
    return plan


def _make_plan(weight_raw, bias_raw, in_t, weight_t, bias_t, accum_t, result_t, cse, max_cse_depth) -> ShiftAddPlan:
    w = np.asarray(weight_raw, dtype=object)
    p_t = product_type(in_t, weight_t)
    b_acc = [int(v) for v in np.asarray(accum_t.cast(bias_raw, bias_t)).ravel()]
    why = _exact_reason(w, in_t, weight_t, accum_t)
    if why is None:
        k = accum_t.frac - p_t.frac
        graph = build_adder_graph(w * (1 << k), b_acc, cse=cse, max_cse_depth=max_cse_depth)
        return ShiftAddPlan("exact", "the accumulator holds every product exactly: one adder graph for the "
                            "whole sum", in_t, p_t, accum_t, result_t, graph)
    n_in, n_out = w.shape
    products = sorted({(i, int(w[i, j])) for i in range(n_in) for j in range(n_out) if w[i, j]})
    index = {p: k for k, p in enumerate(products)}
    c1 = np.zeros((n_in, len(products)), dtype=object)
    for k, (i, wv) in enumerate(products):
        c1[i, k] = wv
    c2 = np.zeros((len(products), n_out), dtype=object)
    for i in range(n_in):
        for j in range(n_out):
            if w[i, j]:
                c2[index[(i, int(w[i, j]))], j] = 1
    pg = build_adder_graph(c1, cse=cse, max_cse_depth=max_cse_depth)
    graph = build_adder_graph(c2, b_acc, cse=cse, max_cse_depth=max_cse_depth)
    return ShiftAddPlan("per_product", why, in_t, p_t, accum_t, result_t, graph, pg, tuple(products))


def plan_raw(plan: ShiftAddPlan, x_raw) -> np.ndarray:
    """The plan computed in Python on raw inputs ``(batch, n_in)``: what the hardware outputs."""
    x = np.asarray(x_raw, dtype=object)
    if plan.mode == "per_product":
        p = evaluate(plan.product_graph, x)
        x = np.asarray(plan.accum_t.cast(p, plan.product_t), dtype=object)
        leaf_ranges = [(plan.accum_t.min_raw, plan.accum_t.max_raw)] * plan.graph.n_inputs
    else:
        leaf_ranges = [(plan.in_t.min_raw, plan.in_t.max_raw)] * plan.graph.n_inputs
    sums = evaluate(plan.graph, x)
    ranges = plan.graph.ranges(leaf_ranges)
    out = np.zeros(sums.shape, dtype=object)
    for j, t in enumerate(plan.graph.outputs):
        lo, hi = _term_range(ranges, t)
        acc = plan.accum_t.cast(np.asarray(list(sums[:, j]), dtype=object), plan.sum_type(lo, hi))
        out[:, j] = plan.result_t.cast(acc, plan.accum_t)
    return out


def _term_range(ranges, t: Term | None) -> tuple[int, int]:
    if t is None:
        return 0, 0
    lo, hi = ranges[t.var]
    lo, hi = lo << t.shift, hi << t.shift
    return (lo, hi) if t.sign > 0 else (-hi, -lo)


def _shape(lo: int, hi: int):
    return shape_of(exact_type(min(lo, 0), max(hi, 0), 0))


def _low_bits(v: Value, d: int) -> Value:
    """The low ``d`` bits of ``v``, extended (by its signedness) when ``v`` is narrower."""
    if d <= len(v):
        return v[:d]
    fill = v[-1].replicate(d - len(v)) if v.shape().signed else Const(0, d - len(v))
    return Cat(v, fill)


def _add_shifted(p: Value, q: Value, d: int, s: int) -> Value:
    """``p + s * (q << d)``: the low ``d`` bits of ``p`` pass through, the adder works above them."""
    if d == 0:
        return p + q if s > 0 else p - q
    hi = p.shift_right(d) + q if s > 0 else p.shift_right(d) - q
    v = Cat(_low_bits(p, d), hi)
    return v.as_signed() if hi.shape().signed else v


def _scaled(v: Value, t: Term) -> Value:
    v = v.shift_left(t.shift) if t.shift else v
    return -v if t.sign < 0 else v


def _heap_sum(heap, vector: Value, signed: bool) -> Value:
    v = final_sum(heap, vector)
    return v.as_signed() if signed else v


#: Attributes of the registers of a delay line (a value carried over two or more stages):
#: Yosys (``keep``) and Vivado (``shreg_extract``) would pack the line into an SRL16E, whose
#: clock-to-out is 1.47 ns against a flip-flop's 0.30, and whose input is a routed net with
#: setup; a stage that starts or ends at one misses the clock the model planned for
#: (docs/xc7_timing.md).  Flip-flops are plentiful beside these layers' LUTs.
_NO_SHIFT_REGISTER = {"keep": 1, "shreg_extract": "no"}


@dataclass
class _Op:
    """One node of the layer's dataflow: reads ``deps``, takes ``delay``, builds ``make(values)``."""

    name: str
    deps: tuple
    delay: float
    shape: object
    make: Callable
    const: bool = False  # a constant: never registered


class ShiftAddDense(wiring.Component):
    """One ``ir.Dense`` layer as a pipelined adder graph (see the module doc).

    Ports as :class:`rtlnn.hw.dense.Dense`.  Attributes: ``latency``, ``ii`` (1),
    ``n_multipliers`` (0), ``n_adders``, ``plan``, ``stage_delays`` (the model's estimate of
    each stage's logic delay, ns), ``strategy`` (``"ShiftAdd"``); with ``summation=
    "CompressorTree"``, ``heaps`` and ``n_counters``, and ``lut_cells`` (counters as Xilinx LUT
    cells: Verilog only, Amaranth's simulator cannot run them).
    """

    strategy = "ShiftAdd"
    registered_output = True  # the output register closes the last stage

    def __init__(self, layer: ir.Dense, in_t: FixedType, *, clock_period: float | None = None,
                 model: DelayModel | None = None, levels_per_stage: int = 2, cse: bool = True,
                 max_cse_depth: int | None = None, input_registered: bool = False, stages: int | None = None,
                 summation: str = "AdderGraph", lut_inputs: int = 6, lut_cells: bool = False):
        where = f"Dense layer {layer.name!r} (strategy ShiftAdd)"
        self._MustUse__silence = True  # no UnusedElaboratable warning if validation fails
        if summation not in SUMMATIONS:
            raise ir.RtlnnError(f"{where}: Pipeline Summation {summation!r} is not one of {', '.join(SUMMATIONS)} "
                                "(or 'auto': AdderGraph)")
        _check_levels(levels_per_stage, where)
        if stages is not None and (not isinstance(stages, int) or isinstance(stages, bool) or stages < 1):
            raise ir.RtlnnError(f"{where}: Pipeline Stages must be a whole number >= 1 (cycles of the layer), "
                                f"or 'auto', not {stages!r}")
        if stages is not None and model is None:
            raise ir.RtlnnError(f"{where}: Pipeline Stages {stages} needs a delay model to balance the stages")
        weight = check_dense_layer(layer, in_t, where)
        if layer.reuse_factor != 1:
            raise ir.RtlnnError(f"{where}: ReuseFactor {layer.reuse_factor!r}: a shift-add layer is fully parallel "
                                "and needs ReuseFactor 1; set ReuseFactor: 1, or use Strategy Latency to share "
                                "multipliers")
        if clock_period is not None and (model is None or not clock_period > 0):
            raise ir.RtlnnError(f"{where}: a clock period ({clock_period!r} ns) needs a delay model and must be > 0")
        self.layer_name = layer.name
        self.in_t, self.accum_t, self.result_t = in_t, layer.accum_t, layer.result_t
        self.n_in, self.n_out = weight.shape
        self.plan = plan_shift_add(layer.weight_raw(), layer.bias_raw(), in_t, layer.weight_t, layer.bias_t,
                                   layer.accum_t, layer.result_t, cse=cse, max_cse_depth=max_cse_depth)
        self.n_adders = self.plan.n_adders
        self.n_multipliers = 0
        self.reuse_factor = 1
        self.ii = 1
        self.clock_period, self.model, self.levels_per_stage = clock_period, model, levels_per_stage
        self.stages = stages
        self.summation, self.counter_inputs = summation, counter_inputs(lut_inputs)
        # CompressorTree: counters as the family's LUT cells (Xilinx LUT1..LUT6 instances)
        self.lut_cells = lut_cells and summation == "CompressorTree"
        self.heaps = []  # CompressorTree: the HeapPlan of each output
        self._timed = clock_period is not None or stages is not None  # op delays in ns from the model
        self._ops, self._outs = self._dataflow()
        # inputs straight from flip-flops need no allowance for logic in front of the layer
        start = (0.0 if input_registered else model.t_input) if self._timed else 0.0
        deps, delays = [op.deps for op in self._ops], [op.delay for op in self._ops]
        if stages is not None:
            self.schedule = fewest_stage_schedule(deps, delays, stages, self._outs, start=start)
        else:
            budget = model.budget(clock_period) if clock_period is not None else float(levels_per_stage)
            self.schedule = schedule(deps, delays, budget, start=start)
        self.latency = max(self.schedule.stage[k] for k in self._outs) if self._outs else 1
        if stages is not None:
            self.latency = stages  # a graph that needs fewer stages gets its outputs delayed to the count asked
        per_stage = {}
        for k, op in enumerate(self._ops):
            s = self.schedule.stage[k]
            per_stage[s] = max(per_stage.get(s, 0.0), self.schedule.finish[k])
        self.stage_delays = [round(per_stage.get(s, 0.0), 3) for s in range(1, self.latency + 1)]
        del self._MustUse__silence
        super().__init__({
            "in_data": In(unsigned(self.n_in * in_t.width)),
            "in_valid": In(1),
            "out_data": Out(unsigned(self.n_out * self.result_t.width)),
            "out_valid": Out(1),
        })

    # ------------------------------------------------------------------ dataflow
    def _adder_delay(self, width: int):
        return self.model.adder_parts(width) if self._timed else 1.0

    def _cast_delay(self, src: FixedType, dst: FixedType) -> float:
        return self.model.cast(src, dst) if self._timed else 0.0

    def _graph_ops(self, ops: list, g: AdderGraph, leaves: list[int], leaf_ranges, tag: str) -> tuple[list, list]:
        """Append ``g``'s adders to ``ops``; returns (op index of every value, exact ranges)."""
        ranges = g.ranges(leaf_ranges)
        index = []
        for n, leaf in enumerate(g.leaf_values):
            if leaf[0] == "x":
                index.append(leaves[leaf[1]])
            else:
                value = int(leaf[1])
                index.append(len(ops))
                ops.append(_Op(f"{tag}c{n}", (), 0.0, _shape(value, value),
                               lambda vals, value=value: Const(value, _shape(value, value)), const=True))
        for k, add in enumerate(g.adders):
            var = g.n_leaves + k
            lo, hi = ranges[var]
            shape = _shape(lo, hi)
            d = add.b.shift if add.a.shift == 0 else add.a.shift
            deps = (index[add.a.var], index[add.b.var])
            index.append(len(ops))
            ops.append(_Op(f"{tag}a{k}", deps, self._adder_delay(max(shape.width - d, 1)), shape,
                           lambda vals, add=add: self._adder(vals[0], vals[1], add)))
        return index, ranges

    @staticmethod
    def _adder(a: Value, b: Value, add) -> Value:
        ta, tb = add.a, add.b
        if ta.shift == 0 and ta.sign > 0:
            return _add_shifted(a, b, tb.shift, tb.sign)
        if tb.shift == 0 and tb.sign > 0:
            return _add_shifted(b, a, ta.shift, ta.sign)
        va = a.shift_left(ta.shift) if ta.shift else a
        vb = b.shift_left(tb.shift) if tb.shift else b
        if ta.sign > 0:  # one subtraction, never a negation and an addition (two carry chains)
            return va - vb if tb.sign < 0 else va + vb
        return vb - va if tb.sign > 0 else -(va + vb)

    def _term_op(self, ops, index, ranges, t: Term | None, name: str, extra_delay: float, shape, finish):
        """An op computing ``finish(scaled term value)`` of shape ``shape``."""
        if t is None:
            ops.append(_Op(name, (), 0.0, shape, lambda vals: finish(Const(0, 1)), const=True))
            return len(ops) - 1
        lo, hi = ranges[t.var]
        d = self._adder_delay(_shape(lo, hi).width) if t.sign < 0 else 0.0
        if extra_delay:
            d = (d[0] + extra_delay, d[1]) if isinstance(d, tuple) else d + extra_delay
        ops.append(_Op(name, (index[t.var],), d, shape, lambda vals: finish(_scaled(vals[0], t))))
        return len(ops) - 1

    def _dataflow(self):
        plan = self.plan
        ops: list[_Op] = []
        for i in range(self.n_in):
            ops.append(_Op(f"x{i}", (), 0.0, shape_of(self.in_t),
                           lambda vals, i=i: self._element(i)))
        x_range = (self.in_t.min_raw, self.in_t.max_raw)
        leaves = list(range(self.n_in))
        if plan.mode == "per_product":
            index, ranges = self._graph_ops(ops, plan.product_graph, leaves, [x_range] * self.n_in, "p")
            p_t, acc_t = plan.product_t, self.accum_t
            leaves = []
            for k, t in enumerate(plan.product_graph.outputs):
                leaves.append(self._term_op(
                    ops, index, ranges, t, f"prod{k}", self._cast_delay(p_t, acc_t), shape_of(acc_t),
                    lambda v, p_t=p_t, acc_t=acc_t: cast(self._as(v, p_t), p_t, acc_t)))
            leaf_ranges = [(acc_t.min_raw, acc_t.max_raw)] * len(leaves)
        else:
            leaf_ranges = [x_range] * self.n_in
        if self.summation == "CompressorTree":
            leaf_t = plan.in_t if plan.mode == "exact" else self.accum_t
            sums = self._heap_ops(ops, leaves, leaf_t, leaf_ranges)
        else:
            index, ranges = self._graph_ops(ops, plan.graph, leaves, leaf_ranges, "s")
            sums = []
            for j, t in enumerate(plan.graph.outputs):
                sum_t = plan.sum_type(*_term_range(ranges, t))
                k = self._term_op(ops, index, ranges, t, f"sum{j}", 0.0, shape_of(sum_t), lambda v: v)
                sums.append((k, sum_t))
        outs = []
        acc_t, res_t = self.accum_t, self.result_t
        for j, (k, sum_t) in enumerate(sums):
            # the two casts of dense_raw, as ops of their own so a register may go between them
            ops.append(_Op(f"acc{j}", (k,), self._cast_delay(sum_t, acc_t), shape_of(acc_t),
                           lambda vals, sum_t=sum_t: cast(vals[0], sum_t, acc_t), const=ops[k].const))
            ops.append(_Op(f"out{j}", (len(ops) - 1,), self._cast_delay(acc_t, res_t), shape_of(res_t),
                           lambda vals: cast(vals[0], acc_t, res_t), const=ops[k].const))
            outs.append(len(ops) - 1)
        return ops, outs

    def _heap_ops(self, ops: list, leaves: list[int], leaf_t: FixedType, leaf_ranges) -> list[tuple[int, FixedType]]:
        """Each output's sum as a compressor tree (``Summation: CompressorTree``): its terms are the
        CSD digits of the output's linear form, one op per counter level, then the final adder.
        Returns (op index, exact type) of every sum."""
        plan = self.plan
        forms, ranges = plan.graph.linear_forms(), plan.graph.ranges(leaf_ranges)
        leaf_shape = shape_of(leaf_t)
        level_delay = self.model.t_counter if self._timed else 1.0
        sums = []
        for j, t in enumerate(plan.graph.outputs):
            coefs, const = forms[t.var] if t is not None else ({}, 0)
            if t is not None:
                coefs = {i: t.sign * (c << t.shift) for i, c in coefs.items()}
                const = t.sign * (const << t.shift)
            used = sorted(coefs)
            sum_t = plan.sum_type(*_term_range(ranges, t))
            terms = [HeapTerm(n, shift, sign, leaf_shape.width, leaf_shape.signed)
                     for n, i in enumerate(used) for shift, sign in csd(coefs[i])]
            heap = plan_heap(terms, const, sum_t.width, self.counter_inputs)
            self.heaps.append(heap)
            if not heap.levels[0]:  # no terms and no constant below the width: the sum is 0
                ops.append(_Op(f"sum{j}", (), 0.0, shape_of(sum_t), lambda vals: Const(0, 1), const=True))
                sums.append((len(ops) - 1, sum_t))
                continue
            ops.append(_Op(f"heap{j}_0", tuple(leaves[i] for i in used), 0.0, unsigned(sum(r.width for r in heap.levels[0])),
                           lambda vals, heap=heap: leaf_rows(heap, vals, self._lut)))
            # with LUT cells the last (3:2) level goes into the adder's op: the adder's LUTs absorb it
            split = cell_levels(heap) if self.lut_cells else heap.n_levels
            for level in range(1, split + 1):
                ops.append(_Op(f"heap{j}_{level}", (len(ops) - 1,), level_delay,
                               unsigned(sum(r.width for r in heap.levels[level])),
                               lambda vals, heap=heap, level=level: compress(heap, level, vals[0], self._lut)))
            rows = heap.final_rows  # two rows: one carry chain above the lower offset; one row: wiring
            d = self._adder_delay(heap.width - min(r.offset for r in rows)) if len(rows) == 2 else 0.0
            if split < heap.n_levels and self._timed:  # the merged 3:2 level and the adder
                fixed = self.model.t_heap_add
                if fixed is None:  # a model not calibrated for cells: the adder and a LUT level
                    fixed = self.model.t_add + self.model.t_lut
                d = (fixed, d[1]) if len(rows) == 2 else self.model.t_counter
            ops.append(_Op(f"sum{j}", (len(ops) - 1,), d, shape_of(sum_t),
                           lambda vals, heap=heap, signed=sum_t.signed, split=split:
                           _heap_sum(heap, self._last_levels(heap, split, vals[0]), signed)))
            sums.append((len(ops) - 1, sum_t))
        self.n_adders = (plan.product_graph.n_adders if plan.product_graph else 0) + sum(
            len(h.final_rows) == 2 for h in self.heaps)
        self.n_counters = sum(h.n_counters for h in self.heaps)
        return sums

    def _last_levels(self, heap, split: int, vector: Value) -> Value:
        for level in range(split + 1, heap.n_levels + 1):
            vector = compress(heap, level, vector, self._lut)
        return vector

    @property
    def _lut(self):
        """The counters' cell maker (:func:`rtlnn.hw.xilinx_cells.lut_cell` in elaborate), or None."""
        return (lambda init, inputs: lut_cell(self._m, init, inputs)) if self.lut_cells else None

    def _as(self, v: Value, t: FixedType) -> Value:
        """``v`` (an exact integer that fits ``t``) as a value of ``t``'s shape; set in elaborate."""
        sig = Signal(shape_of(t), name=None)
        self._m.d.comb += sig.eq(v)
        return sig

    def _element(self, i: int) -> Value:
        w = self.in_t.width
        e = self.in_data[i * w:(i + 1) * w]
        return e.as_signed() if self.in_t.signed else e

    # ------------------------------------------------------------------ hardware
    def elaborate(self, platform):
        m = Module()
        self._m = m
        stage = self.schedule.stage
        values: list[Value] = []
        delayed: dict = {}

        def at(k: int, s: int) -> Value:
            """Op ``k``'s result as seen in stage ``s`` (through ``s - stage[k]`` registers)."""
            if self._ops[k].const or s <= stage[k]:
                return values[k]
            key = (k, s)
            if key not in delayed:
                r = Signal(self._ops[k].shape, name=f"{self._ops[k].name}_s{s}", reset_less=True)
                m.d.sync += r.eq(at(k, s - 1))
                delayed[key] = r
                if s >= stage[k] + 2:  # a delay line: flip-flops, not a shift-register LUT
                    for reg in (r, delayed[(k, s - 1)]):
                        reg.attrs.update(_NO_SHIFT_REGISTER)
            return delayed[key]

        for k, op in enumerate(self._ops):
            v = op.make([at(d, stage[k]) for d in op.deps])
            if op.const:
                values.append(v)
                continue
            sig = Signal(op.shape, name=op.name)
            m.d.comb += sig.eq(v)
            values.append(sig)
        res_w = self.result_t.width
        outs = [at(k, self.latency + 1) for k in self._outs]  # the last register is the output register
        m.d.comb += self.out_data.eq(Cat(*[Value.cast(o).as_unsigned()[:res_w] for o in outs]))
        m.d.comb += self.out_valid.eq(delay(m, self.in_valid, self.latency, name="valid", reset_less=False))
        del self._m
        return m


def shift_add_cost(layer: ir.Dense, in_t: FixedType) -> dict:
    """Estimated LUTs of the shift-add layer and of the multiplier (Latency, RF 1) layer."""
    w = layer.weight_raw()
    n_products = int(np.count_nonzero(w))
    n_out_used = int(np.count_nonzero(np.any(w != 0, axis=0)))
    acc_w = layer.accum_t.width
    digits = csd_digits(w)
    n_bias = int(np.count_nonzero(layer.bias_raw()))
    sa_adders = max(digits + n_bias - n_out_used, 0) * _CSE_FACTOR
    sa_width = (in_t.width + layer.weight_t.width + acc_w) / 2  # products grow from x to the accumulator
    sa = sa_adders * sa_width
    tree = max(n_products + n_bias - n_out_used, 0) * acc_w
    return {"shift_add_luts": round(sa), "shift_add_adders": round(sa_adders), "dsp": n_products,
            "dsp_design_luts": round(tree), "dsp_design_lut_equivalent": round(tree + DSP_LUT_EQUIVALENT * n_products)}


def choose_strategy(layer: ir.Dense, in_t: FixedType) -> tuple[str, str]:
    """``Strategy: Auto``: ``("ShiftAdd" | "Latency", why)`` by LUT-equivalents (LUT + 55 x DSP)."""
    if layer.reuse_factor != 1:
        return "Latency", (f"Auto chose Latency: ReuseFactor {layer.reuse_factor} time-shares multipliers; "
                           "shift-add is fully parallel (ReuseFactor 1 only)")
    c = shift_add_cost(layer, in_t)
    sa, dsp = c["shift_add_luts"], c["dsp_design_lut_equivalent"]
    text = (f"~{sa} LUT-equivalents as shift-add (~{c['shift_add_adders']} adders, 0 DSP) vs ~{dsp} with "
            f"{c['dsp']} DSP multipliers ({c['dsp_design_luts']} LUT + {DSP_LUT_EQUIVALENT} x {c['dsp']} DSP)")
    return ("ShiftAdd", "Auto chose ShiftAdd: " + text) if sa <= dsp else ("Latency", "Auto chose Latency: " + text)


def make_shift_add_dense(layer: ir.Dense, in_t: FixedType, options, *, latency_dense,
                         input_registered: bool = False, stages: int | None = None,
                         summation: str = "AdderGraph") -> wiring.Component:
    """The generator of ``Strategy: ShiftAdd`` and ``Strategy: Auto`` (``options``: HwOptions).

    Auto builds ShiftAdd or the multiplier Dense (hls4ml's Latency: ``latency_dense(layer, in_t)``) by
    :func:`choose_strategy`; the component carries ``strategy`` (what was built) and
    ``strategy_reason`` (why), which the report shows.
    """
    from .timing_model import delay_model

    if layer.strategy == "Auto":
        strategy, reason = choose_strategy(layer, in_t)
    else:
        strategy, reason = "ShiftAdd", None
    if strategy == "Latency":
        if stages is not None:
            raise ir.RtlnnError(f"Dense layer {layer.name!r}: Pipeline Stages {stages} sets a ShiftAdd layer's cycle "
                                f"count, but Strategy Auto chose Latency ({reason}); set Strategy: ShiftAdd, or "
                                "use MultiplierRegisters / AdderLevelsPerStage")
        if summation != "AdderGraph":
            raise ir.RtlnnError(f"Dense layer {layer.name!r}: Pipeline Summation {summation} sets how a ShiftAdd layer "
                                f"adds its terms, but Strategy Auto chose Latency ({reason}); set Strategy: ShiftAdd, "
                                "or remove Summation")
        comp = latency_dense(layer, in_t)  # pipelined as a Latency layer is (hw/generators.py)
        comp.strategy = "Latency"
    else:
        timed = options.clock_period is not None or stages is not None
        model = delay_model(options.family) if timed else None
        comp = ShiftAddDense(layer, in_t, clock_period=options.clock_period, model=model,
                             levels_per_stage=options.levels_per_stage, input_registered=input_registered,
                             stages=stages, summation=summation,
                             lut_inputs=delay_model(options.family).lut_inputs,
                             lut_cells=options.family == "xc7")
    plan = getattr(comp, "plan", None)
    if plan is not None:
        if comp.summation == "CompressorTree":
            levels = max((h.n_levels for h in comp.heaps), default=0)
            text = (f"ShiftAdd ({plan.mode} plan: {plan.reason}; compressor tree: {comp.n_counters} "
                    f"column counters of {comp.counter_inputs} rows, up to {levels} counter levels and one adder a sum, "
                    f"{comp.n_adders} adders, 0 multipliers)")
        else:
            text = f"ShiftAdd ({plan.mode} plan: {plan.reason}; {comp.n_adders} adders, 0 multipliers)"
        reason = text if reason is None else f"{reason}. {text}"
    comp.strategy_reason = reason
    return comp
