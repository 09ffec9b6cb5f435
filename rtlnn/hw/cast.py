"""A fixed-point cast in hardware: the Amaranth twin of :meth:`rtlnn.fixed.FixedType.cast`.

Rounding first (the ``ap_fixed`` carry from the first dropped bit, the OR of the rest and
the sign), then overflow on the rounded value.  Pure combinational logic; comparisons are
only built where the source range can actually leave the destination range.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Mux, Shape, Value, signed, unsigned

from ..fixed import FixedType, Overflow, Rounding

__all__ = ["shape_of", "cast"]


def shape_of(t: FixedType) -> Shape:
    """The Amaranth shape of the raw integers of ``t``."""
    return signed(t.width) if t.signed else unsigned(t.width)


def _resize(q: Value, width: int, is_signed: bool) -> Value:
    """The low ``width`` bits of ``q`` extended (sign or zero) to at least ``width`` bits."""
    if len(q) >= width:
        return q[:width]
    fill = q[-1].replicate(width - len(q)) if is_signed and len(q) else Const(0, width - len(q))
    return Cat(q, fill)


def cast(value: Value, src: FixedType, dst: FixedType) -> Value:
    """``value`` holds raw integers of ``src``; the result holds raw integers of ``dst``."""
    v = Value.cast(value)
    v = v.as_signed() if src.signed else v.as_unsigned()
    v = v[: src.width].as_signed() if src.signed else v[: src.width].as_unsigned()
    lo, hi = src.min_raw, src.max_raw  # the range of q, tracked exactly
    shift = src.frac - dst.frac
    # shift_left / shift_right by constants are wiring; `<<` / `>>` would build shifter cells
    if shift <= 0:
        q = v.shift_left(-shift)
        lo, hi = lo << -shift, hi << -shift
    else:
        if src.signed or shift < src.width:
            q = v.shift_right(shift)  # keeps at least the sign bit of a signed value
        else:
            q = Const(0, 1)  # every bit of an unsigned value is dropped
        lo, hi = lo >> shift, hi >> shift
        neg = v[-1] if src.signed else Const(0, 1)

        def bit(i):  # bit i of the source, sign-extended past its top
            return v[i] if i < src.width else neg

        qb = bit(shift - 1)
        r = v[: min(shift - 1, src.width)].any() if shift > 1 else Const(0, 1)
        mode = dst.rounding
        if mode is Rounding.TRN:
            carry = None
        elif mode is Rounding.TRN_ZERO:
            carry = neg & (qb | r)
        elif mode is Rounding.RND:
            carry = qb
        elif mode is Rounding.RND_ZERO:
            carry = qb & (neg | r)
        elif mode is Rounding.RND_MIN_INF:
            carry = qb & r
        elif mode is Rounding.RND_INF:
            carry = qb & (~neg | r)
        else:  # RND_CONV
            carry = qb & (r | bit(shift))  # bit(shift) is the kept LSB
        if carry is not None:
            q = q + carry
            hi = hi + 1
    out_shape = shape_of(dst)
    wrapped = _resize(q, dst.width, src.signed)
    wrapped = wrapped.as_signed() if dst.signed else wrapped.as_unsigned()
    if dst.min_raw <= lo and hi <= dst.max_raw:
        return wrapped
    mode = dst.overflow
    if mode is Overflow.WRAP:
        return wrapped
    over = q > dst.max_raw if hi > dst.max_raw else Const(0, 1)
    under = q < dst.min_raw if lo < dst.min_raw else Const(0, 1)
    top = Const(dst.max_raw, out_shape)
    if mode is Overflow.SAT:
        bottom = Const(dst.min_raw, out_shape)
    elif mode is Overflow.SAT_SYM:
        bottom = Const(dst.min_raw + 1 if dst.signed else dst.min_raw, out_shape)
    else:  # SAT_ZERO
        top = bottom = Const(0, out_shape)
    return Mux(over, top, Mux(under, bottom, wrapped))
