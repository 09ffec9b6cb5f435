"""An explicit precision cast between layers (IR kind ``Cast``): combinational, latency 0, II 1.

Each element goes through :func:`rtlnn.hw.cast.cast` (rounding, then overflow), bit-exact
with :meth:`rtlnn.fixed.FixedType.cast`; a cast that keeps every bit is pure wiring.  With
per-element types (``layer.element_t``, HGQ's heterogeneous quantizers) element ``j`` is cast to
its own type and from there to ``result_t`` (:mod:`rtlnn.element_types`); an element without
bits is the constant zero and costs nothing.
"""

from __future__ import annotations

from amaranth.hdl import Const, Module, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .. import ir
from ..fixed import FixedType
from .cast import cast
from .elements import element, pack

__all__ = ["CastLayer", "make_cast"]


class CastLayer(wiring.Component):
    """``n`` elements of ``in_t`` in, ``n`` elements of ``layer.result_t`` out, same cycle.

    ``element_t`` (None, or one FixedType / None per element) overrides ``layer.element_t``
    where the elements of one io_stream pixel are built.
    """

    latency = 0
    ii = 1
    n_multipliers = 0

    def __init__(self, layer: ir.Cast, in_t: FixedType, n: int, element_t=None):
        self._MustUse__silence = True
        for what, t in (("input type", in_t), ("result_t", layer.result_t)):
            if not isinstance(t, FixedType):
                raise ir.RtlnnError(f"Cast layer {layer.name!r}: {what} must be a FixedType, not {t!r}; "
                                    "run the precision passes before generating hardware")
        element_t = layer.element_t if element_t is None else element_t
        if element_t is not None:
            element_t = tuple(element_t)
            if len(element_t) != n or not all(t is None or isinstance(t, FixedType) for t in element_t):
                raise ir.RtlnnError(f"Cast layer {layer.name!r}: element_t must give a FixedType or None for each of "
                                    f"its {n} elements (it has {len(element_t)} entries)")
        self.layer_name, self.in_t, self.result_t, self.n = layer.name, in_t, layer.result_t, n
        self.element_t = element_t
        del self._MustUse__silence
        super().__init__({"in_data": In(unsigned(n * in_t.width)), "in_valid": In(1),
                          "out_data": Out(unsigned(n * layer.result_t.width)), "out_valid": Out(1)})

    def _element(self, j: int):
        x = element(self.in_data, self.in_t, j)
        if self.element_t is None:
            return cast(x, self.in_t, self.result_t)
        t = self.element_t[j]
        if t is None:
            return Const(0, self.result_t.width)
        return cast(cast(x, self.in_t, t), t, self.result_t)

    def elaborate(self, platform):
        m = Module()
        outs = [self._element(j) for j in range(self.n)]
        m.d.comb += [self.out_data.eq(pack(outs, self.result_t)), self.out_valid.eq(self.in_valid)]
        return m


def make_cast(layer: ir.Cast, sources, options) -> CastLayer:
    if len(sources) != 1:
        raise ir.RtlnnError(f"Cast layer {layer.name!r} has {len(sources)} inputs; it takes exactly one")
    src = sources[0]
    element_t = layer.element_t
    if element_t is not None and len(element_t) != src.size:
        # io_stream builds one pixel's channels: per-element types must then repeat at every pixel
        n = src.size
        rows = [tuple(element_t[k:k + n]) for k in range(0, len(element_t), n)] if n else []
        if not rows or len(element_t) % n or any(r != rows[0] for r in rows):
            raise ir.RtlnnError(f"Cast layer {layer.name!r}: its per-element types differ between pixels, which "
                                "io_stream (one pixel at a time) cannot build; use io_type='io_parallel'")
        element_t = rows[0]
    return CastLayer(layer, src.type, src.size, element_t)
