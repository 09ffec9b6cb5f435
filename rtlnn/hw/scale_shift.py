"""A standalone BatchNormalization for io_parallel: per element ``x * scale + bias``.

Bit-exact with :func:`rtlnn.elementwise.scale_shift_raw`: the product of the input and the
constant scale is exact, the bias (aligned to the product's binary point) is added exactly,
the sum is cast once to ``result_t`` and registered.  Hardware cost follows the constants:
a zero scale leaves the bias alone, a scale of ``±2**k`` is a shift (and a negation), any
other scale is one constant multiplier; a zero bias adds nothing.

Latency 1, II 1.  When every scale is exactly 1 and every bias 0 (an identity BN left in a
model) the layer is the cast alone: combinational, latency 0, no logic when the types agree.
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Const, Module, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .. import ir
from ..elementwise import aligned, scale_shift_exact_type
from ..fixed import FixedType
from .cast import cast
from .elements import as_type, element, pack
from .pipeline import delay

__all__ = ["ScaleShift", "make_batchnorm"]


def _power_of_two(v: int) -> int | None:
    """k if ``|v| == 2**k``, else None."""
    a = abs(v)
    return a.bit_length() - 1 if a and a & (a - 1) == 0 else None


class ScaleShift(wiring.Component):
    """``n`` elements of ``in_t`` in, ``n`` elements of ``layer.result_t`` out.

    Ports: ``in_data``, ``in_valid``, ``out_data``, ``out_valid``.  Attributes: ``latency``,
    ``ii``, ``n_multipliers`` (scales that are neither 0 nor a power of two).
    """

    ii = 1

    def __init__(self, layer: ir.BatchNormalization, in_t: FixedType, n: int):
        where = f"BatchNormalization layer {layer.name!r}"
        self._MustUse__silence = True
        for what, t in (("input type", in_t), ("scale_t", layer.scale_t), ("bias_t", layer.bias_t),
                        ("result_t", layer.result_t)):
            if not isinstance(t, FixedType):
                raise ir.RtlnnError(f"{where}: {what} must be a FixedType, not {t!r}; "
                                    "run the precision passes before generating hardware")
        for what, arr in (("scale", layer.scale), ("bias", layer.bias)):
            if np.shape(arr) != (n,):
                raise ir.RtlnnError(f"{where}: {what} has shape {np.shape(arr)} but the input has {n} elements; "
                                    "a standalone BatchNormalization normalizes the last axis of a flat vector")
        self.layer_name = layer.name
        self.in_t, self.scale_t, self.bias_t, self.result_t, self.n = in_t, layer.scale_t, layer.bias_t, layer.result_t, n
        self.scale_raw = [int(v) for v in np.asarray(layer.scale_raw()).ravel()]
        self.bias_raw = [int(v) for v in np.asarray(layer.bias_raw()).ravel()]
        self.exact_t = scale_shift_exact_type(self.scale_raw, self.bias_raw, in_t, layer.scale_t, layer.bias_t)
        one = 1 << layer.scale_t.frac if layer.scale_t.frac >= 0 else None
        self.identity = all(s == one for s in self.scale_raw) and not any(self.bias_raw)
        self.latency = 0 if self.identity else 1
        self.n_multipliers = sum(1 for s in self.scale_raw if s and _power_of_two(s) is None)
        del self._MustUse__silence
        super().__init__({
            "in_data": In(unsigned(n * in_t.width)),
            "in_valid": In(1),
            "out_data": Out(unsigned(n * layer.result_t.width)),
            "out_valid": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        if self.identity:
            outs = [cast(element(self.in_data, self.in_t, j), self.in_t, self.result_t) for j in range(self.n)]
            m.d.comb += [self.out_data.eq(pack(outs, self.result_t)), self.out_valid.eq(self.in_valid)]
            return m
        frac = self.exact_t.frac
        p_shift = frac - self.in_t.frac - self.scale_t.frac  # product -> exact binary point
        biases = [int(v) for v in aligned(self.bias_raw, self.bias_t, frac)]
        outs = []
        for j in range(self.n):
            x = element(self.in_data, self.in_t, j)
            s, b = self.scale_raw[j], biases[j]
            k = _power_of_two(s)
            if s == 0:
                term = None
            elif k is not None:
                term = x.shift_left(k)
                if s < 0:
                    term = -term
            else:
                term = x * Const(s, signed(max(s.bit_length(), (-s - 1).bit_length()) + 1))
            if term is None:
                total = Const(b, signed(max(b.bit_length(), (-b - 1).bit_length()) + 1))
            else:
                term = term.shift_left(p_shift)
                total = term + b if b else term
            outs.append(cast(as_type(m, total, self.exact_t, f"exact_{j}"), self.exact_t, self.result_t))
        out = Signal(self.n * self.result_t.width, name="out", reset_less=True)
        m.d.sync += out.eq(pack(outs, self.result_t))
        m.d.comb += [self.out_data.eq(out),
                     self.out_valid.eq(delay(m, self.in_valid, self.latency, name="valid", reset_less=False))]
        return m


def make_batchnorm(layer: ir.BatchNormalization, sources, options) -> ScaleShift:
    """A :class:`ScaleShift` for a standalone (unfolded) BatchNormalization."""
    if len(sources) != 1:
        raise ir.RtlnnError(f"BatchNormalization layer {layer.name!r} has {len(sources)} inputs; it takes exactly one")
    (src,) = sources
    if len(src.shape) != 1:
        raise ir.RtlnnError(f"BatchNormalization layer {layer.name!r}: input {src.name!r} has shape {tuple(src.shape)}; "
                            "io_parallel BatchNormalization takes a flat vector (add a Flatten before it)")
    return ScaleShift(layer, src.type, src.size)
