"""A Dense layer (io_parallel) with a reuse factor: ``ceil(P / RF)`` multipliers, II = RF.

Arithmetic (bit-exact with :func:`rtlnn.arith.dense_raw`): every nonzero quantized weight
gives one exact product ``x_i * w_ij``, cast to ``accum_t``; the bias is cast to
``accum_t``; the exact sum of those terms is cast to ``accum_t`` once, then to ``result_t``.
Zero weights cost nothing.

Schedule.  The P nonzero products are sorted by (output j, input i); product p runs on
multiplier ``p // RF`` in phase ``p % RF``, so each multiplier walks a short run of
products, mostly of one output.  Phase 0 is the cycle ``in_valid`` is high and takes its
operands straight from ``in_data``; the weight operand is a mux of constants selected by
the phase.  Products are registered, then cast to ``accum_t``.

Input operands (RF > 1).  ``in_data`` is loaded into a rotating register ``x_rot`` (so the
caller may change ``in_data`` afterwards) that turns by one element every cycle: in cycle
``c >= 1`` after ``in_valid`` its element ``k`` holds ``x[(k + c) mod n_in]``.  A product of
input ``i`` needed in cycle ``c`` reads tap ``(i - c) mod n_in`` — the same tap for a whole run
of consecutive inputs, which is what a multiplier walks (products sorted by output, then
input).  So instead of an RF-to-1 mux per multiplier operand there is one wire per run (a
zero weight skipped starts a new one): a mux of a few taps.  With ``operand_taps`` (config
``Pipeline: {OperandTaps: n}``) a multiplier reads at most n taps: zero weights inside its run
are multiplied (a product of 0) rather than skipped where that keeps the taps within n, at the
cost of more multipliers (:func:`dense_schedule`; ``auto`` is 1 on ECP5).

Multiplier registers (``multiplier_registers``, config ``Pipeline.MultiplierRegisters``):
1 (the default) registers each product as above; 2 also registers both operands in front
of the multiplier (the operand mux of RF > 1 then has a cycle of its own, and a DSP block
can hold both registers: MULT18X18D's input and output registers on ECP5, DSP48's
A/B and M registers on Xilinx); 3 registers the product once more, in the fabric (the route
from a DSP block to the accumulators and trees, which sit wherever the fabric has room, gets a
cycle of its own; in ``Resource`` at RF > 1 the weights get one too, between the block RAM and
the DSP block); 0 leaves the product combinational into the accumulators and the adder
trees.  Each register moves everything behind it one cycle later.

Phase copies (RF > 1).  The accumulator updates follow the phase of the products, K cycles
after the phase counter.  Rather than one delayed phase fanning out to every accumulator of
the layer (at RF 8 on ECP5 that net, over 1,000 clock enables, was the critical path at
~100 MHz), each multiplier has its own copy (:func:`rtlnn.hw.pipeline.phase_copy`, a counter
synthesis cannot merge with the others) driving only its own accumulators.

Per multiplier, each contiguous run of phases of one output (a *group*) keeps a partial
accumulator over its phases below RF-1; the product of phase RF-1 is not accumulated but
goes straight into the adder tree of its output as a term of its own, which saves the
accumulate cycle.  So in cycle RF (counting the ``in_valid`` cycle as 0) every term of
every output is present: partial accumulators, the last products and the bias (a
constant, left out when zero).  One :class:`AdderTree` per output sums them exactly; all
trees are padded to the same latency T.  The sum is cast to ``accum_t`` (its overflow
mode applies here, once), then to ``result_t``, and registered.

Latency = RF + K + T cycles (K multiplier registers; RF + T + 1 at the default K = 1),
II = RF.  At RF = 1 and K = 1 this is one multiplier per product, the product registers,
the trees and the output register.  The phase counter free-runs (mod
RF) and ``in_valid`` forces phase 0; idle cycles compute garbage that nothing reads, so
there are no enables on the datapath.  A new vector exactly RF cycles after the previous
one (back to back) works: its first accumulator update lands one cycle after the previous
vector's terms were taken by the trees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from amaranth.hdl import Cat, Const, Module, Mux, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .. import ir
from ..arith import product_type
from ..fixed import FixedType
from .adder_tree import AdderTree, adder_tree_latency, _check_levels
from .cast import cast, shape_of
from .pipeline import delay, phase_copy, phase_counter

__all__ = ["Dense", "dense_schedule", "DenseSchedule", "MULTIPLIER_REGISTERS"]

#: The multiplier-register settings: none, the product, the operands and the product.
MULTIPLIER_REGISTERS = (0, 1, 2, 3)


@dataclass(frozen=True)
class Group:
    """A run of consecutive phases ``first..last`` of multiplier ``mult`` that all feed output ``out``."""

    mult: int
    out: int
    first: int
    last: int


@dataclass(frozen=True)
class DenseSchedule:
    """Which product runs where and when; everything the hardware and the cost report need."""

    products: tuple  # ((j, i, w_raw) or None for an idle phase, ...) sorted by (j, i)
    reuse_factor: int
    n_multipliers: int
    groups: tuple  # Group, in multiplier then phase order

    def product(self, mult: int, phase: int):
        p = mult * self.reuse_factor + phase
        return self.products[p] if phase < self.reuse_factor and p < len(self.products) else None


def dense_schedule(weight_raw: np.ndarray, reuse_factor: int, max_taps: int | None = None) -> DenseSchedule:
    """The product schedule for raw weights ``(n_in, n_out)`` at ``reuse_factor`` (checked by the caller).

    ``max_taps`` (None: no limit) bounds how many taps of the rotating input ``x_rot`` one
    multiplier reads (see the module doc): skipping a zero weight inside a multiplier's run
    starts a new tap, so with a limit some zero weights are multiplied instead (a product of 0,
    accumulated like any other) — more multipliers, a smaller operand mux.
    """
    n_in, n_out = weight_raw.shape
    rf = reuse_factor
    if max_taps is None:
        products = tuple((j, i, int(weight_raw[i, j])) for j in range(n_out) for i in range(n_in)
                         if int(weight_raw[i, j]) != 0)
    else:
        products = _tap_limited_products(weight_raw, rf, max_taps)
    n_mult = -(-len(products) // rf)
    groups = []
    for mlt in range(n_mult):
        run = products[mlt * rf:(mlt + 1) * rf]
        start = None
        for t in range(len(run) + 1):
            if start is not None and (t == len(run) or run[t] is None or run[t][0] != run[start][0]):
                groups.append(Group(mlt, run[start][0], start, t - 1))
                start = None
            if start is None and t < len(run) and run[t] is not None:
                start = t
    return DenseSchedule(products, rf, n_mult, tuple(groups))


def _tap_limited_products(weight_raw: np.ndarray, rf: int, max_taps: int) -> tuple:
    """Products (``None`` for an idle phase) in runs of ``rf`` phases, one run per multiplier,
    each reading at most ``max_taps`` taps of ``x_rot``.

    The weights are walked by (output, input) with the zeros in place: along that walk the
    tap ``(i - phase) mod n_in`` stays the same, also across outputs.  A run starts at a
    nonzero weight; inside it a run of zeros is either multiplied (phases of weight 0) or
    skipped, which costs a tap; of the ways to spend the skips, the one that gets furthest
    along the walk is taken.  Zero products of an output with no nonzero weight in the run
    are left idle (no accumulator for them)."""
    n_in, n_out = weight_raw.shape
    walk = [(j, i, int(weight_raw[i, j])) for j in range(n_out) for i in range(n_in)]
    end = len(walk)
    zeros_end = [end] * (end + 1)  # zeros_end[k]: the first nonzero at or after k (end if none)
    for k in range(end - 1, -1, -1):
        zeros_end[k] = k if walk[k][2] != 0 else zeros_end[k + 1]

    def fill(start, memo):
        """Furthest walk position reachable from state ``(k, slots, skips)``: ``slots`` phases and
        ``skips`` tap changes left at position ``k`` (a memoized search, with its own stack: a
        run has up to RF phases)."""
        stack = [start]
        while stack:
            state = stack[-1]
            k, slots, skips = state
            if state in memo:
                stack.pop()
                continue
            if slots == 0 or k >= end:
                options = []
            elif walk[k][2] != 0:
                options = [(k + 1, slots - 1, skips)]
            else:  # multiply the zero, or skip the zeros (a new tap)
                options = [(k + 1, slots - 1, skips)]
                if skips and zeros_end[k] < end:
                    options.append((zeros_end[k], slots, skips - 1))
            missing = [o for o in options if o not in memo]
            if missing:
                stack.extend(missing)
                continue
            memo[state] = max((memo[o] for o in options), default=k)
            stack.pop()
        return memo[start]

    products = []
    k = zeros_end[0]
    while k < end:
        run, skips, memo = [], max_taps - 1, {}
        while len(run) < rf and k < end:
            if walk[k][2] != 0:
                run.append(walk[k])
                k += 1
                continue
            slots = rf - len(run)
            if skips and zeros_end[k] < end and \
                    fill((zeros_end[k], slots, skips - 1), memo) > fill((k + 1, slots - 1, skips), memo):
                skips -= 1
                k = zeros_end[k]
            else:
                run.append(walk[k])
                k += 1
        # zero products of an output with no nonzero weight in this run: idle
        live = {p[0] for p in run if p[2] != 0}
        run = [p if p[0] in live else None for p in run]
        while run and run[-1] is None:
            run.pop()
        products += run + [None] * (rf - len(run))
        k = zeros_end[k] if k < end else k
    while products and products[-1] is None:
        products.pop()
    return tuple(products)


def _widen(t: FixedType, extra_bits: int) -> FixedType:
    """``t`` with ``extra_bits`` more integer bits (room for a sum of up to 2**extra_bits terms)."""
    return FixedType(t.width + extra_bits, t.integer + extra_bits, t.signed)


def _guard_bits(n_terms: int) -> int:
    return math.ceil(math.log2(n_terms)) if n_terms > 1 else 0


def check_dense_layer(layer: ir.Dense, in_t: FixedType, where: str) -> np.ndarray:
    """Validate a typed Dense layer for any Dense generator; returns its weight array."""
    for what, t in (("input type", in_t), ("weight_t", layer.weight_t), ("bias_t", layer.bias_t),
                    ("accum_t", layer.accum_t), ("result_t", layer.result_t)):
        if not isinstance(t, FixedType):
            raise ir.RtlnnError(f"{where}: {what} must be a FixedType, not {t!r}; "
                                "run the precision passes before generating hardware")
    weight = np.asarray(layer.weight)
    if weight.ndim != 2 or weight.shape[0] < 1 or weight.shape[1] < 1:
        raise ir.RtlnnError(f"{where}: weight must be a 2-D (n_in, n_out) array, not shape {weight.shape}")
    if np.shape(layer.bias) != (weight.shape[1],):
        raise ir.RtlnnError(f"{where}: bias shape {np.shape(layer.bias)} does not match {weight.shape[1]} outputs")
    return weight


class Dense(wiring.Component):
    """One ``ir.Dense`` layer, its input of type ``in_t`` and ``n_in`` elements.

    Ports: ``in_data`` (``n_in`` raw ``in_t`` elements, element 0 in the low bits),
    ``in_valid``, ``out_data`` (``n_out`` raw ``result_t`` elements), ``out_valid``.
    Attributes: ``latency``, ``ii``, ``n_multipliers``, ``schedule``, ``pipeline`` (the
    pipelining as built, for the report).
    """

    #: cycles by which ``_multipliers``' phases lead the products (see ``_sum_and_output``)
    phases_lead = 0

    def __init__(self, layer: ir.Dense, in_t: FixedType, *, levels_per_stage: int = 2,
                 multiplier_registers: int = 1, operand_taps: int | None = None):
        where = f"Dense layer {layer.name!r}"
        self._MustUse__silence = True  # no UnusedElaboratable warning if validation fails
        _check_levels(levels_per_stage, where)
        if isinstance(multiplier_registers, bool) or multiplier_registers not in MULTIPLIER_REGISTERS:
            raise ir.RtlnnError(f"{where}: multiplier_registers (config Pipeline.MultiplierRegisters) must be 0, 1, "
                                f"2 or 3, not {multiplier_registers!r}")
        if operand_taps is not None and (isinstance(operand_taps, bool) or not isinstance(operand_taps, int)
                                         or operand_taps < 1):
            raise ir.RtlnnError(f"{where}: operand_taps (config Pipeline.OperandTaps) must be a whole number >= 1 "
                                f"or 'auto', not {operand_taps!r}")
        weight = check_dense_layer(layer, in_t, where)
        self.layer_name = layer.name
        self.in_t, self.weight_t, self.bias_t = in_t, layer.weight_t, layer.bias_t
        self.accum_t, self.result_t = layer.accum_t, layer.result_t
        self.product_t = product_type(in_t, layer.weight_t)
        self.n_in, self.n_out = weight.shape
        w_raw = layer.weight_raw()
        n_products = int(np.count_nonzero(w_raw))
        rf = layer.reuse_factor
        if not isinstance(rf, (int, np.integer)) or isinstance(rf, bool) or not 1 <= rf <= max(n_products, 1):
            raise ir.RtlnnError(
                f"{where}: reuse factor {rf!r} is out of range; with {n_products} nonzero weights "
                f"it must be an integer from 1 to {max(n_products, 1)}")
        rf = int(rf)
        self.levels_per_stage = levels_per_stage
        self.multiplier_registers = int(multiplier_registers)
        self.pipeline = {"multiplier_registers": self.multiplier_registers, "adder_levels_per_stage": levels_per_stage}
        self.operand_taps = operand_taps if rf > 1 else None
        if self.operand_taps is not None:
            self.pipeline["operand_taps"] = self.operand_taps
        self.schedule = dense_schedule(w_raw, rf, self.operand_taps)
        self.n_multipliers = self.schedule.n_multipliers
        self.n_products = n_products
        self.reuse_factor = rf
        self.ii = rf
        b_acc = self.accum_t.cast(layer.bias_raw(), self.bias_t)
        self.bias_accum = [int(v) for v in np.asarray(b_acc).ravel()]
        self.n_terms = self._term_counts()
        self.tree_latency = max(adder_tree_latency(n, levels_per_stage) for n in self.n_terms)
        self.latency = rf - 1 + self.multiplier_registers + self.tree_latency + 1
        del self._MustUse__silence
        super().__init__({
            "in_data": In(unsigned(self.n_in * in_t.width)),
            "in_valid": In(1),
            "out_data": Out(unsigned(self.n_out * self.result_t.width)),
            "out_valid": Out(1),
        })

    def _splits(self, g: Group) -> tuple[int | None, bool]:
        """(last phase held in g's accumulator or None, whether phase RF-1 feeds the tree directly)."""
        direct = g.last == self.reuse_factor - 1
        acc_last = g.last - 1 if direct else g.last
        return (acc_last if acc_last >= g.first else None), direct

    def _term_counts(self) -> list[int]:
        counts = [1 if b else 0 for b in self.bias_accum]
        for g in self.schedule.groups:
            acc_last, direct = self._splits(g)
            counts[g.out] += (acc_last is not None) + direct
        return counts

    def elaborate(self, platform):
        m = Module()
        prods, acc_phase = self._multipliers(m)
        self._sum_and_output(m, prods, acc_phase, lead=self.phases_lead)
        # Valid pipeline: out_valid is in_valid delayed by exactly `latency` cycles.
        m.d.comb += self.out_valid.eq(delay(m, self.in_valid, self.latency, name="valid", reset_less=False))
        return m

    def _element(self, vec, i):
        in_w = self.in_t.width
        return vec[i * in_w:(i + 1) * in_w].as_signed() if self.in_t.signed else vec[i * in_w:(i + 1) * in_w]

    def _multiply(self, m, mlt: int, a, b):
        """Multiplier ``mlt`` on operands ``a`` and ``b`` with the multiplier registers, its
        product cast to ``accum_t`` (the one place both Dense generators multiply)."""
        k = self.multiplier_registers
        if k >= 2:  # operand registers
            a = delay(m, a, 1, name=f"mul_{mlt}_x_reg")
            b = delay(m, b, 1, name=f"mul_{mlt}_w_reg")
        prod = Signal(shape_of(self.product_t), name=f"prod_{mlt}", reset_less=True)
        if k >= 1:  # the product register
            m.d.sync += prod.eq(a * b)
        else:
            m.d.comb += prod.eq(a * b)
        if k >= 3:  # the product again, in the fabric: the route out of the DSP block gets a cycle
            prod = delay(m, prod, 1, name=f"prod_{mlt}_fabric")
        pc = Signal(shape_of(self.accum_t), name=f"prod_{mlt}_acc")  # one cast, many readers
        m.d.comb += pc.eq(cast(prod, self.product_t, self.accum_t))
        return pc

    def _x_rotation(self, m, source=None, load=None):
        """``x_rot`` (see the module doc): ``in_valid`` loads ``in_data`` turned by one element,
        every other cycle it turns by one more.  A subclass may load it from another ``source``
        with its own ``load(k)`` condition per element (so no one net selects them all)."""
        w, n = self.in_t.width, self.n_in
        source = self.in_data if source is None else source
        x_rot = Signal(n * w, name="x_rot", reset_less=True)
        if load is None:
            with m.If(self.in_valid):
                m.d.sync += x_rot.eq(Cat(source[w:], source[:w]))
            with m.Else():
                m.d.sync += x_rot.eq(Cat(x_rot[w:], x_rot[:w]))
            return x_rot
        for k in range(n):
            nxt = (k + 1) % n
            with m.If(load(k)):
                m.d.sync += x_rot[k * w:(k + 1) * w].eq(source[nxt * w:(nxt + 1) * w])
            with m.Else():
                m.d.sync += x_rot[k * w:(k + 1) * w].eq(x_rot[nxt * w:(nxt + 1) * w])
        return x_rot

    def _x_operand(self, m, mlt: int, phase, lag: int, x_rot, source=None, first=None):
        """Multiplier ``mlt``'s input operand for the product of phase ``t``, read in cycle
        ``t + lag`` after ``in_valid`` (``in_data`` — or ``source`` — in cycle 0, then a tap of
        ``x_rot``), as a mux over ``phase`` of the distinct taps (the last one the default: no
        constant leg).  ``first``, when given, is a register high exactly in the cycles ``phase``
        is 0: with the cycle-0 input and one tap (config ``OperandTaps: 1``) the mux is then a
        2:1 mux on it, one LUT level behind registers."""
        n = self.n_in
        source = self.in_data if source is None else source
        taps: dict = {}  # (from in_data, element) -> phases
        for t in range(self.reuse_factor):
            p = self.schedule.product(mlt, t)
            if p is not None:
                c = t + lag
                taps.setdefault((True, p[1]) if c == 0 else (False, (p[1] - c) % n), []).append(t)
        a = Signal(shape_of(self.in_t), name=f"mul_{mlt}_x")
        legs = [(ts, self._element(source if first else x_rot, k)) for (first, k), ts in taps.items()]
        if len(legs) == 1:
            m.d.comb += a.eq(legs[0][1])
        elif first is not None and len(legs) == 2 and legs[0][0] == [0] and lag == 0:
            m.d.comb += a.eq(Mux(first, legs[0][1], legs[1][1]))
        else:
            with m.Switch(phase):
                for ts, value in legs[:-1]:
                    with m.Case(*ts):
                        m.d.comb += a.eq(value)
                with m.Default():
                    m.d.comb += a.eq(legs[-1][1])
        return a

    def _multipliers(self, m):
        """The multipliers and their products cast to ``accum_t``: returns ``(products,
        phases)`` where ``phases[m]`` (none at RF 1) is the phase whose product multiplier m's
        product holds (it selects m's accumulator updates).  Subclasses change where the
        operands come from (:mod:`rtlnn.hw.dense_resource`)."""
        rf, sch = self.reuse_factor, self.schedule
        w_shape = shape_of(self.weight_t)
        element = self._element
        k = self.multiplier_registers

        # Phase counter: in_valid forces phase 0, then it free-runs modulo RF.
        if rf > 1:
            phase = phase_counter(m, self.in_valid, rf)
            x_rot = self._x_rotation(m)

        prods, phases = [], []
        for mlt in range(sch.n_multipliers):
            if rf == 1:
                j, i, w = sch.product(mlt, 0)
                a, b = element(self.in_data, i), Const(w, w_shape)
            else:
                a = self._x_operand(m, mlt, phase, 0, x_rot)
                b = Signal(w_shape, name=f"mul_{mlt}_w")
                weights = [(t, p[2]) for t in range(rf) if (p := sch.product(mlt, t)) is not None]
                with m.Switch(phase):  # the weights: constants by phase (the last one the default)
                    for t, w in weights[:-1]:
                        with m.Case(t):
                            m.d.comb += b.eq(Const(w, w_shape))
                    with m.Default():
                        m.d.comb += b.eq(Const(weights[-1][1], w_shape))
                # the products' phase, K cycles late: the multiplier's own copy (phase_copy)
                phases.append(phase if k == 0 else delay(m, phase_copy(m, self.in_valid, rf, name=f"mul_{mlt}_phase"),
                                                         k - 1, name=f"mul_{mlt}_phase"))
            prods.append(self._multiply(m, mlt, a, b))
        return prods, phases

    def _sum_and_output(self, m, prods, phases, *, lead: int = 0):
        """Partial accumulators (updated by ``phases``, each multiplier's products' phase),
        adder trees, casts, output register.

        ``lead`` > 0: ``phases`` run that many cycles ahead of the products, and each
        accumulator's enable and first-phase select are decoded from them into registers,
        delayed ``lead - 1`` more cycles.  An accumulator sits by its output's adder tree, which
        can be far from its multiplier's phase copy: a decoded phase put two LUT levels before
        that route (the whole demo at RF 64 on ECP5: 136 MHz), and a registered decode still
        had the decode (a carry-chain compare) before it (RF 32: 144 MHz); at lead 2 the route
        is a register to a register."""
        sch, res_w = self.schedule, self.result_t.width

        # Partial accumulators and the terms of each output.
        acc_shape = shape_of(self.accum_t)
        terms = [[] for _ in range(self.n_out)]
        runs = []  # (multiplier, accumulator, its first and last phase), in multiplier then phase order
        for g in sch.groups:
            acc_last, direct = self._splits(g)
            if acc_last is not None:
                acc_t = _widen(self.accum_t, _guard_bits(acc_last - g.first + 1))
                acc = Signal(shape_of(acc_t), name=f"acc_{g.mult}_{g.out}", reset_less=True)
                runs.append((g.mult, acc, g.first, acc_last))
                terms[g.out].append(acc)
            if direct:
                terms[g.out].append(prods[g.mult])
        if lead:
            for mlt, acc, t_first, t_last in runs:
                enable = Signal(name=f"{acc.name}_enable", reset_less=True)
                first = Signal(name=f"{acc.name}_first", reset_less=True)
                m.d.sync += [enable.eq((phases[mlt] >= t_first) & (phases[mlt] <= t_last)),
                             first.eq(phases[mlt] == t_first)]
                enable = delay(m, enable, lead - 1, name=enable.name)
                first = delay(m, first, lead - 1, name=first.name)
                with m.If(enable):
                    m.d.sync += acc.eq(Mux(first, prods[mlt], acc + prods[mlt]))
        else:
            updates = {}  # multiplier -> phase -> [(acc, is_first)]
            for mlt, acc, t_first, t_last in runs:
                for t in range(t_first, t_last + 1):
                    updates.setdefault(mlt, {}).setdefault(t, []).append((acc, t == t_first))
            for mlt, by_phase in updates.items():
                with m.Switch(phases[mlt]):
                    for t in sorted(by_phase):
                        with m.Case(t):
                            for acc, first in by_phase[t]:
                                m.d.sync += acc.eq(prods[mlt] if first else acc + prods[mlt])
        for j, b in enumerate(self.bias_accum):
            if b:
                terms[j].append(Const(b, acc_shape))

        # Adder trees, the accumulator cast, the result cast, the output register.
        results = []
        for j in range(self.n_out):
            if terms[j]:
                tree = AdderTree([v.shape() for v in terms[j]], levels_per_stage=self.levels_per_stage,
                                 latency=self.tree_latency, name=f"Dense layer {self.layer_name!r} output {j}")
                m.submodules[f"tree_{j}"] = tree
                m.d.comb += [port.eq(v) for port, v in zip(tree.terms, terms[j])]
                shp = tree.sum_shape
                sum_t = FixedType(shp.width, shp.width - self.accum_t.frac, shp.signed)
                acc = Signal(acc_shape, name=f"sum_{j}_acc")
                m.d.comb += acc.eq(cast(tree.sum, sum_t, self.accum_t))
            else:
                acc = Const(0, acc_shape)
            res = Signal(shape_of(self.result_t), name=f"result_{j}")
            m.d.comb += res.eq(cast(acc, self.accum_t, self.result_t))
            results.append(res)
        out = Signal(self.n_out * res_w, name="out", reset_less=True)
        m.d.sync += out.eq(Cat(*[r.as_unsigned()[:res_w] for r in results]))
        m.d.comb += self.out_data.eq(out)
