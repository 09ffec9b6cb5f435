"""An explicit precision cast between layers (IR kind ``Cast``): combinational, latency 0, II 1.

Each element goes through :func:`rtlnn.hw.cast.cast` (rounding, then overflow), bit-exact
with :meth:`rtlnn.fixed.FixedType.cast`; a cast that keeps every bit is pure wiring.
"""

from __future__ import annotations

from amaranth.hdl import Module, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .. import ir
from ..fixed import FixedType
from .cast import cast
from .elements import element, pack

__all__ = ["CastLayer", "make_cast"]


class CastLayer(wiring.Component):
    """``n`` elements of ``in_t`` in, ``n`` elements of ``layer.result_t`` out, same cycle."""

    latency = 0
    ii = 1
    n_multipliers = 0

    def __init__(self, layer: ir.Cast, in_t: FixedType, n: int):
        self._MustUse__silence = True
        for what, t in (("input type", in_t), ("result_t", layer.result_t)):
            if not isinstance(t, FixedType):
                raise ir.RtlnnError(f"Cast layer {layer.name!r}: {what} must be a FixedType, not {t!r}; "
                                    "run the precision passes before generating hardware")
        self.layer_name, self.in_t, self.result_t, self.n = layer.name, in_t, layer.result_t, n
        del self._MustUse__silence
        super().__init__({"in_data": In(unsigned(n * in_t.width)), "in_valid": In(1),
                          "out_data": Out(unsigned(n * layer.result_t.width)), "out_valid": Out(1)})

    def elaborate(self, platform):
        m = Module()
        outs = [cast(element(self.in_data, self.in_t, j), self.in_t, self.result_t) for j in range(self.n)]
        m.d.comb += [self.out_data.eq(pack(outs, self.result_t)), self.out_valid.eq(self.in_valid)]
        return m


def make_cast(layer: ir.Cast, sources, options) -> CastLayer:
    if len(sources) != 1:
        raise ir.RtlnnError(f"Cast layer {layer.name!r} has {len(sources)} inputs; it takes exactly one")
    return CastLayer(layer, sources[0].type, sources[0].size)
