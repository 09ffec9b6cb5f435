"""Elementwise activations and PReLU for io_parallel, built from the plans of
:mod:`rtlnn.activations` (the arithmetic the emulator runs).

* ``linear``, the relu family, ``hard_sigmoid``, ``hard_tanh`` and PReLU are comparators,
  muxes, constant shifts and at most one constant multiplication per element (a power-of-two
  constant is a shift, zero costs nothing), then the cast: **combinational, latency 0, II 1**.
  Every producer (Dense) registers its output, so the path stays short.
* table-driven functions (sigmoid, tanh, softsign, softplus, elu, selu) compute the table
  index (:func:`rtlnn.hw.rom.table_address`) and read one ROM with one registered read port
  per element: **latency 1, II 1**.  Where the function is linear above the table (softplus,
  elu, selu) that branch is computed beside the read, registered, and selected after it.

Ports: ``in_data``, ``in_valid``, ``out_data``, ``out_valid`` (element 0 in the low bits).
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .. import ir
from ..activations import (FUNCTIONS, CastPlan, ClipPlan, PReluPlan, ReluPlan, TablePlan, activation_plan,
                           prelu_plan)
from ..arith import product_type
from ..fixed import FixedType
from .cast import cast, shape_of
from .pipeline import delay
from .rom import Rom, table_address

__all__ = ["Activation", "PReLU", "FUNCTIONS", "const_mul", "as_type"]


def const_mul(value: Value, c: int) -> Value:
    """``value * c`` for a constant ``c``: nothing for 0, a shift for a power of two (either sign)."""
    if c == 0:
        return Const(0, 1)
    mag = abs(c)
    if mag & (mag - 1) == 0:
        shifted = value.shift_left(mag.bit_length() - 1)
        return -shifted if c < 0 else shifted
    return value * Const(c, signed(c.bit_length() + 1) if c < 0 else unsigned(c.bit_length()))


def as_type(m: Module, value, t: FixedType, name: str) -> Signal:
    """``value`` (which fits ``t``) in a signal of ``t``'s shape, extended by its own signedness."""
    sig = Signal(shape_of(t), name=name)
    m.d.comb += sig.eq(value)
    return sig


def _is_multiplier(c: int | None) -> bool:
    return c is not None and c != 0 and abs(c) & (abs(c) - 1) != 0


class _Elementwise(wiring.Component):
    """Shared shell: validation, ports, element slicing, the output and valid pipeline."""

    def _setup(self, layer, in_t: FixedType, n: int):
        where = f"{layer.kind} layer {layer.name!r}"
        if not isinstance(n, int) or n < 1:
            raise ir.RtlnnError(f"{where}: element count must be a positive integer, not {n!r}")
        self.layer_name = layer.name
        self.in_t, self.result_t, self.n = in_t, layer.result_t, n
        super().__init__({
            "in_data": In(unsigned(n * in_t.width)),
            "in_valid": In(1),
            "out_data": Out(unsigned(n * layer.result_t.width)),
            "out_valid": Out(1),
        })

    def element(self, k: int) -> Value:
        w = self.in_t.width
        x = self.in_data[k * w:(k + 1) * w]
        return x.as_signed() if self.in_t.signed else x

    def finish(self, m: Module, outs: list) -> Module:
        outs = [as_type(m, o, self.result_t, f"out_{k}") for k, o in enumerate(outs)]
        m.d.comb += self.out_data.eq(Cat(*[o.as_unsigned() for o in outs]))
        m.d.comb += self.out_valid.eq(delay(m, self.in_valid, self.latency, name="valid", reset_less=False))
        return m


class Activation(_Elementwise):
    """``n`` elements of ``in_t`` through ``layer.function``; see the module doc for timing."""

    ii = 1

    def __init__(self, layer: ir.Activation, in_t: FixedType, n: int, *, rom_style: str | None = None):
        self._MustUse__silence = True  # no UnusedElaboratable warning if validation fails
        if not isinstance(in_t, FixedType):
            raise ir.RtlnnError(f"Activation layer {layer.name!r}: input type must be a FixedType, not {in_t!r}; "
                                "run the precision passes before generating hardware")
        self.plan = activation_plan(layer, in_t)
        self.function = layer.function
        self.rom_style = rom_style
        self.latency = 1 if isinstance(self.plan, TablePlan) else 0
        slope = getattr(self.plan, "slope", None)
        self.n_multipliers = n if _is_multiplier(slope) else 0
        self.table_entries = len(self.plan.rom) if isinstance(self.plan, TablePlan) else 0
        del self._MustUse__silence
        self._setup(layer, in_t, n)

    def elaborate(self, platform):
        m = Module()
        p = self.plan
        xs = [self.element(k) for k in range(self.n)]
        if isinstance(p, CastPlan):
            outs = [cast(x, p.in_t, p.result_t) for x in xs]
        elif isinstance(p, ReluPlan):
            outs = [self._relu(m, x, k) for k, x in enumerate(xs)]
        elif isinstance(p, ClipPlan):
            outs = [self._clip(m, x, k) for k, x in enumerate(xs)]
        else:
            outs = self._table(m, xs)
        return self.finish(m, outs)

    def _relu(self, m: Module, x: Value, k: int) -> Value:
        p = self.plan
        xf = x.shift_left(p.up)
        thr = Const(p.threshold, signed(max(p.threshold.bit_length() + 1, 2)))
        keep = xf > thr if p.strict else xf >= thr
        below = const_mul(xf - thr, p.slope) if p.slope else Const(0, 1)
        y = Mux(keep, xf.shift_left(p.slope_frac), below)
        if p.max_value is not None:
            mx = Const(p.max_value, signed(max(p.max_value.bit_length() + 1, 2)))
            y = Mux(xf >= mx, Const(p.max_value << p.slope_frac, shape_of(p.src_t)), y)
        return cast(as_type(m, y, p.src_t, f"pre_{k}"), p.src_t, p.result_t)

    def _clip(self, m: Module, x: Value, k: int) -> Value:
        p = self.plan
        prod = const_mul(x, p.slope) if p.slope is not None else x
        y = prod.shift_left(p.up) + Const(p.shift, signed(max(p.shift.bit_length() + 1, 2)))
        lo = Const(p.lo, shape_of(p.src_t))
        hi = Const(p.hi, shape_of(p.src_t))
        y = Mux(y < lo, lo, Mux(y > hi, hi, y))
        return cast(as_type(m, y, p.src_t, f"pre_{k}"), p.src_t, p.result_t)

    def _table(self, m: Module, xs: list) -> list:
        p: TablePlan = self.plan
        m.submodules.rom = rom = Rom(p.rom, n_ports=self.n, style=self.rom_style,
                                     name=f"Activation layer {self.layer_name!r} table")
        outs = []
        for k, x in enumerate(xs):
            m.d.comb += getattr(rom, f"addr_{k}").eq(table_address(x, p.index))
            data = getattr(rom, f"data_{k}")
            if p.linear_from is None:
                outs.append(data)
                continue
            if p.slope is None:
                lin = cast(x, p.in_t, p.result_t)
            else:
                lin = cast(x * Const(p.slope, shape_of(p.slope_t)), product_type(p.in_t, p.slope_t), p.result_t)
            sel = x >= Const(p.linear_from, signed(max(p.linear_from.bit_length() + 1, 2)))
            lin_d = delay(m, lin, 1, name=f"lin_{k}")
            sel_d = delay(m, sel, 1, name=f"sel_{k}")
            out = Signal(shape_of(p.result_t), name=f"y_{k}")
            m.d.comb += out.eq(Mux(sel_d, lin_d, data))
            outs.append(out)
        return outs


class PReLU(_Elementwise):
    """``x`` where ``x >= 0`` else ``alpha_k * x``: combinational, latency 0, II 1."""

    latency = 0
    ii = 1

    def __init__(self, layer: ir.PReLU, in_t: FixedType, n: int):
        self._MustUse__silence = True
        self.plan: PReluPlan = prelu_plan(layer, in_t)
        if len(self.plan.alpha) != n:
            raise ir.RtlnnError(f"PReLU layer {layer.name!r}: {len(self.plan.alpha)} slopes for {n} elements")
        self.n_multipliers = sum(1 for a in self.plan.alpha if _is_multiplier(a))
        del self._MustUse__silence
        self._setup(layer, in_t, n)

    def elaborate(self, platform):
        m = Module()
        p = self.plan
        outs = []
        for k in range(self.n):
            x = self.element(k)
            pos = x.shift_left(p.pe)
            if p.in_t.signed:
                y = Mux(x[-1], const_mul(x, p.alpha[k]), pos)
            else:
                y = pos
            outs.append(cast(as_type(m, y, p.src_t, f"pre_{k}"), p.src_t, p.result_t))
        return self.finish(m, outs)
