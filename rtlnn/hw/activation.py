"""Elementwise activations (``linear``, ``relu``) for io_parallel: combinational, latency 0.

``relu`` is ``max(x, 0)`` then a cast to ``result_t``; ``linear`` is the cast alone
(bit-exact with :func:`rtlnn.arith.relu_raw` and :meth:`FixedType.cast`).  Combinational
because the logic is one sign-bit mux plus the cast, and every producer (Dense) registers
its output, so the path stays short and the layer adds no cycle.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .. import ir
from ..fixed import FixedType
from .cast import cast, shape_of

__all__ = ["Activation", "FUNCTIONS"]

#: The activation functions this generator builds.
FUNCTIONS = ("linear", "relu")


class Activation(wiring.Component):
    """``n`` elements of ``in_t`` in, ``n`` elements of ``layer.result_t`` out, same cycle.

    Ports: ``in_data``, ``in_valid``, ``out_data``, ``out_valid`` (element 0 in the low bits).
    """

    latency = 0
    ii = 1
    n_multipliers = 0

    def __init__(self, layer: ir.Activation, in_t: FixedType, n: int):
        where = f"Activation layer {layer.name!r}"
        self._MustUse__silence = True  # no UnusedElaboratable warning if validation fails
        if layer.function not in FUNCTIONS:
            raise ir.RtlnnError(f"{where}: function {layer.function!r} is not supported in hardware; "
                                f"supported: {', '.join(FUNCTIONS)}")
        for what, t in (("input type", in_t), ("result_t", layer.result_t)):
            if not isinstance(t, FixedType):
                raise ir.RtlnnError(f"{where}: {what} must be a FixedType, not {t!r}; "
                                    "run the precision passes before generating hardware")
        if not isinstance(n, int) or n < 1:
            raise ir.RtlnnError(f"{where}: element count must be a positive integer, not {n!r}")
        self.layer_name = layer.name
        self.function = layer.function
        self.in_t, self.result_t, self.n = in_t, layer.result_t, n
        del self._MustUse__silence
        super().__init__({
            "in_data": In(unsigned(n * in_t.width)),
            "in_valid": In(1),
            "out_data": Out(unsigned(n * layer.result_t.width)),
            "out_valid": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        w, rw = self.in_t.width, self.result_t.width
        outs = []
        for k in range(self.n):
            x = self.in_data[k * w:(k + 1) * w]
            x = x.as_signed() if self.in_t.signed else x
            if self.function == "relu" and self.in_t.signed:
                x = Mux(x[-1], Const(0, shape_of(self.in_t)), x)
            outs.append(cast(x, self.in_t, self.result_t).as_unsigned()[:rw])
        m.d.comb += [self.out_data.eq(Cat(*outs)), self.out_valid.eq(self.in_valid)]
        return m
