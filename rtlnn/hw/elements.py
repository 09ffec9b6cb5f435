"""Packed element vectors: element ``k`` of a flat bus of raw fixed-point values sits in bits
``[k*w, (k+1)*w)`` (element 0 in the low bits), as on every io_parallel port."""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Signal, Value

from ..fixed import FixedType
from .cast import shape_of

__all__ = ["element", "pack", "as_type"]


def element(vec: Value, t: FixedType, k: int) -> Value:
    """Element ``k`` of ``vec`` as a signed or unsigned Amaranth value of ``t``'s raw integers."""
    v = vec[k * t.width:(k + 1) * t.width]
    return v.as_signed() if t.signed else v


def pack(values, t: FixedType) -> Value:
    """Raw values of ``t`` packed into one bus, element 0 in the low bits."""
    return Cat(*[Value.cast(v).as_unsigned()[:t.width] for v in values])


def as_type(m: Module, value, t: FixedType, name: str) -> Signal:
    """``value`` (an exact result known to lie in ``t``'s range) as a signal of exactly ``t``'s
    width, as :func:`rtlnn.hw.cast.cast` expects its source: sign- or zero-extended, or cut."""
    sig = Signal(shape_of(t), name=name)
    m.d.comb += sig.eq(value)
    return sig
