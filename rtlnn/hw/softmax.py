"""Softmax for io_parallel, built from :func:`rtlnn.activations.softmax_plan` (the arithmetic
the emulator runs).  Every stage is registered; ``Tm`` is the max tree's latency
(:mod:`rtlnn.hw.max_tree`) and ``Ta`` the adder tree's (:mod:`rtlnn.hw.adder_tree`), both
``ceil(ceil(log2 N) / levels_per_stage)``:

* ``stable`` (default): max tree (Tm) -> ``x - max``, exp ROM read (1) -> adder tree of the
  exponentials (Ta) -> leading-one detection, normalizing shift, inverse ROM read (1) ->
  ``e_i * inv`` (1) -> shift back and cast to ``result_t`` (1).
  Latency ``Tm + Ta + 4`` with N terms; ``N`` multipliers.
* ``latency``: the same without the max tree: ``Ta + 4``.
* ``legacy``: ``N (N - 1)`` exp reads of ``x_j - x_i`` (1) -> one adder tree per output over
  its ``N - 1`` exponentials and the constant 1 (Ta of N terms) -> one inverse read per
  output (1) -> shift (1) -> cast (1): ``Ta + 4``; no multipliers.
* ``argmax``: max tree with the first index of the maximum (Tm) -> one-hot, registered (1):
  ``Tm + 1``.  Ties go to the lowest index.

II is 1 for all.  Ports: ``in_data``, ``in_valid``, ``out_data``, ``out_valid``.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .. import ir
from ..activations import SoftmaxPlan, softmax_plan
from ..fixed import FixedType
from .adder_tree import AdderTree, adder_tree_latency, _check_levels
from .cast import cast, shape_of
from .max_tree import MaxTree, max_tree_latency
from .pipeline import delay
from .rom import Rom, table_address

__all__ = ["Softmax", "softmax_latency"]


def softmax_latency(implementation: str, n: int, levels_per_stage: int = 2) -> int:
    """Cycles from ``in_valid`` to ``out_valid`` (see the module doc)."""
    tm = max_tree_latency(n, levels_per_stage)
    if implementation == "argmax":
        return tm + 1
    ta = adder_tree_latency(n, levels_per_stage)
    return ta + 4 + (tm if implementation == "stable" else 0)


class Softmax(wiring.Component):
    """One ``ir.Softmax`` over ``n`` elements of ``in_t``."""

    ii = 1

    def __init__(self, layer: ir.Softmax, in_t: FixedType, n: int, *, levels_per_stage: int = 2,
                 rom_style: str | None = None):
        self._MustUse__silence = True
        where = f"Softmax layer {layer.name!r}"
        _check_levels(levels_per_stage, where)
        if not isinstance(n, int) or n < 1:
            raise ir.RtlnnError(f"{where}: element count must be a positive integer, not {n!r}")
        self.plan: SoftmaxPlan = softmax_plan(layer, in_t, n)
        self.layer_name = layer.name
        self.implementation = layer.implementation
        self.in_t, self.result_t, self.n = in_t, layer.result_t, n
        self.levels_per_stage = levels_per_stage
        self.rom_style = rom_style
        self.latency = softmax_latency(self.implementation, n, levels_per_stage)
        self.n_multipliers = n if self.implementation in ("stable", "latency") else 0
        del self._MustUse__silence
        super().__init__({
            "in_data": In(unsigned(n * in_t.width)),
            "in_valid": In(1),
            "out_data": Out(unsigned(n * layer.result_t.width)),
            "out_valid": Out(1),
        })

    def _element(self, k: int) -> Value:
        w = self.in_t.width
        x = self.in_data[k * w:(k + 1) * w]
        return x.as_signed() if self.in_t.signed else x

    def elaborate(self, platform):
        m = Module()
        p = self.plan
        n = self.n
        xs = [self._element(k) for k in range(n)]
        if p.implementation == "argmax":
            outs = self._argmax(m, xs)
        else:
            outs = self._softmax(m, xs)
        rw = self.result_t.width
        m.d.comb += self.out_data.eq(Cat(*[Value.cast(o).as_unsigned()[:rw] for o in outs]))
        m.d.comb += self.out_valid.eq(delay(m, self.in_valid, self.latency, name="valid", reset_less=False))
        return m

    # ------------------------------------------------------------------ argmax
    def _argmax(self, m: Module, xs: list) -> list:
        p = self.plan
        tree = MaxTree(xs[0].shape(), self.n, levels_per_stage=self.levels_per_stage,
                       name=f"Softmax layer {self.layer_name!r} max tree")
        m.submodules.max_tree = tree
        m.d.comb += [getattr(tree, f"value_{k}").eq(x) for k, x in enumerate(xs)]
        outs = []
        for k in range(self.n):
            y = Signal(shape_of(p.result_t), name=f"y_{k}", reset_less=True)
            m.d.sync += y.eq(Mux(tree.index == k, Const(p.one, shape_of(p.result_t)), 0))
            outs.append(y)
        return outs

    # ------------------------------------------------------------------ softmax
    def _softmax(self, m: Module, xs: list) -> list:
        p = self.plan
        n, lps = self.n, self.levels_per_stage
        where = f"Softmax layer {self.layer_name!r}"
        if p.implementation == "legacy":
            pairs = [(i, j) for i in range(n) for j in range(n) if j != i]
            exp_ports = len(pairs)
        else:
            exp_ports = n
        exp_rom = Rom(p.exp_rom, n_ports=max(exp_ports, 1), style=self.rom_style, name=f"{where} exp table")
        m.submodules.exp_rom = exp_rom

        # 1. exp table reads (after the max tree for stable)
        if p.implementation == "stable":
            tree = MaxTree(xs[0].shape(), n, levels_per_stage=lps, name=f"{where} max tree")
            m.submodules.max_tree = tree
            m.d.comb += [getattr(tree, f"value_{k}").eq(x) for k, x in enumerate(xs)]
            xd = [delay(m, x, tree.latency, name=f"x_{k}") for k, x in enumerate(xs)]
            args = [x - tree.max for x in xd]
        elif p.implementation == "latency":
            args = xs
        else:
            args = [xs[j] - xs[i] for i, j in pairs]
        for k, a in enumerate(args):
            m.d.comb += getattr(exp_rom, f"addr_{k}").eq(table_address(a, p.exp_index))
        exps = [getattr(exp_rom, f"data_{k}") for k in range(len(args))]

        # 2. sums: one for stable/latency, one per output for legacy
        if p.implementation == "legacy":
            one = Const(p.legacy_one, unsigned(max(p.legacy_one.bit_length(), 1)))
            groups = [[exps[t] for t, (i, j) in enumerate(pairs) if i == out] + [one] for out in range(n)]
            nums = [one] * n
        else:
            groups = [exps]
        t_sum = adder_tree_latency(len(groups[0]), lps)
        sums = []
        for g, terms in enumerate(groups):
            at = AdderTree([v.shape() for v in terms], levels_per_stage=lps, latency=t_sum,
                           name=f"{where} sum {g}")
            m.submodules[f"sum_{g}"] = at
            m.d.comb += [port.eq(v) for port, v in zip(at.terms, terms)]
            s = Signal(unsigned(p.sum_width), name=f"s_{g}")
            m.d.comb += s.eq(at.sum)  # the sum is below 2**sum_width by construction
            sums.append(s)
        if p.implementation != "legacy":
            nums = [delay(m, e, t_sum, name=f"e_{k}") for k, e in enumerate(exps)]

        # 3. normalized reciprocal: leading one, mantissa index, inverse table read
        inv_rom = Rom(p.inv_rom, n_ports=len(sums), style=self.rom_style, name=f"{where} inverse table")
        m.submodules.inv_rom = inv_rom
        W, kbits = p.sum_width, p.inv_bits
        shifts = []
        for g, s in enumerate(sums):
            lead = Const(0, unsigned(max((W - 1).bit_length(), 1)))
            for b in range(1, W):
                lead = Mux(s[b], b, lead)
            sh = Signal(range(W), name=f"norm_shift_{g}")
            m.d.comb += sh.eq(W - 1 - lead)
            norm = Signal(unsigned(W), name=f"norm_{g}")
            m.d.comb += norm.eq(s << sh)
            if W - 1 >= kbits:
                mant = norm[W - 1 - kbits:W - 1]
            else:
                mant = Cat(Const(0, kbits - (W - 1)), norm[:W - 1]) if W > 1 else Const(0, kbits)
            m.d.comb += getattr(inv_rom, f"addr_{g}").eq(mant)
            shifts.append(delay(m, sh, 2, name=f"shift_{g}"))
        invs = [getattr(inv_rom, f"data_{g}") for g in range(len(sums))]
        nums = [delay(m, v, 1, name=f"num_{k}") for k, v in enumerate(nums)]

        # 4. numerator * inverse (registered), 5. shift back, cast, output register
        outs = []
        for k in range(n):
            g = k if p.implementation == "legacy" else 0
            prod = Signal(unsigned(len(nums[k]) + len(invs[g])), name=f"prod_{k}", reset_less=True)
            m.d.sync += prod.eq(nums[k] * invs[g])
            wide = Signal(shape_of(p.y_t), name=f"yw_{k}")
            m.d.comb += wide.eq(prod << shifts[g])
            y = Signal(shape_of(p.result_t), name=f"y_{k}", reset_less=True)
            m.d.sync += y.eq(cast(wide, p.y_t, p.result_t))
            outs.append(y)
        return outs
