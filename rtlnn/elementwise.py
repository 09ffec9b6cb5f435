"""The arithmetic of the elementwise layer kinds on raw integers: merges (Add, Subtract,
Multiply, Average, Maximum, Minimum), Concatenate, the scale-and-shift of a standalone
BatchNormalization, and the explicit Cast.  The emulator runs these functions; the hardware
generators take their exact intermediate types from them, so both agree bit for bit.

Every layer here computes an *exact* intermediate value first (operands aligned to the
finest binary point, no bit dropped), then casts it once to ``result_t`` with ``result_t``'s
rounding and overflow modes — as an ``ap_fixed`` expression assigned to a ``res_T`` does.
"""

from __future__ import annotations

from functools import reduce

import numpy as np

from .arith import exact_type
from .fixed import FixedType, raw_array
from .ir import RtlnnError

__all__ = [
    "MERGE_OPS",
    "average_shift",
    "merge_exact_type",
    "merge_raw",
    "union_type",
    "concatenate_raw",
    "scale_shift_exact_type",
    "scale_shift_raw",
    "aligned",
]

#: The elementwise merge operations (Keras class names, lower case).
MERGE_OPS = ("add", "subtract", "multiply", "average", "maximum", "minimum")


def aligned(raw, t: FixedType, frac: int) -> np.ndarray:
    """Raw integers of ``t`` rescaled to ``frac`` fractional bits (``frac >= t.frac``): exact."""
    shift = frac - t.frac
    if shift < 0:
        raise ValueError("aligned() only moves the binary point to the right")
    raw = raw_array(raw)
    if raw.dtype != object and t.width + shift > 62:
        raw = raw.astype(object)
    return raw * (1 << shift) if shift else raw


def average_shift(n_inputs: int, where: str = "Average") -> int:
    """log2 of the number of inputs of an Average; only powers of two divide exactly."""
    if n_inputs < 2 or n_inputs & (n_inputs - 1):
        raise RtlnnError(
            f"{where}: an Average of {n_inputs} inputs divides by {n_inputs}, which is not exact in fixed "
            "point; rtlnn averages 2, 4, 8, ... inputs (an exact shift). Use an Add followed by a Dense "
            "or BatchNormalization scale instead"
        )
    return n_inputs.bit_length() - 1


def _check_op(op: str, n: int, where: str) -> None:
    if op not in MERGE_OPS:
        raise RtlnnError(f"{where}: unknown merge operation {op!r}; supported: {', '.join(MERGE_OPS)}")
    if n < 2:
        raise RtlnnError(f"{where}: a {op} merge needs at least 2 inputs, not {n}")
    if op == "subtract" and n != 2:
        raise RtlnnError(f"{where}: Subtract takes exactly 2 inputs, not {n}")
    if op == "average":
        average_shift(n, where)


def merge_exact_type(op: str, in_types: list[FixedType], where: str = "merge") -> FixedType:
    """The type that holds the exact result of ``op`` over inputs of ``in_types`` (raw values of the
    hardware's intermediate, before the cast to ``result_t``).

    Add/Subtract/Maximum/Minimum align every operand to the finest fraction; Multiply adds
    the fractions; Average is the exact sum with ``log2(n)`` more fractional bits (the same
    raw integer: halving is a move of the binary point).
    """
    _check_op(op, len(in_types), where)
    if op == "multiply":
        frac = sum(t.frac for t in in_types)
        lo, hi = in_types[0].min_raw, in_types[0].max_raw
        for t in in_types[1:]:
            corners = [lo * t.min_raw, lo * t.max_raw, hi * t.min_raw, hi * t.max_raw]
            lo, hi = min(corners), max(corners)
        return exact_type(min(lo, 0), max(hi, 0), frac)
    frac = max(t.frac for t in in_types)
    los = [t.min_raw << (frac - t.frac) for t in in_types]
    his = [t.max_raw << (frac - t.frac) for t in in_types]
    if op in ("add", "average"):
        lo, hi = sum(los), sum(his)
    elif op == "subtract":
        lo, hi = los[0] - his[1], his[0] - los[1]
    elif op == "maximum":
        lo, hi = max(los), max(his)
    else:  # minimum
        lo, hi = min(los), min(his)
    if op == "average":
        frac += average_shift(len(in_types), where)
    return exact_type(min(lo, 0), max(hi, 0), frac)


def merge_raw(op: str, raws: list, in_types: list[FixedType], result_t: FixedType) -> np.ndarray:
    """Raw inputs (same shape) to raw ``result_t`` outputs: the exact ``op``, then one cast."""
    exact = merge_exact_type(op, in_types)
    wide = exact.width > 60 or any(t.width > 60 for t in in_types)
    if op == "multiply":
        vals = [raw_array(r).astype(object) if wide else raw_array(r) for r in raws]
        out = reduce(lambda a, b: a * b, vals)
    else:
        frac = max(t.frac for t in in_types)
        vals = [aligned(r, t, frac) for r, t in zip(raws, in_types)]
        if wide:
            vals = [v.astype(object) for v in vals]
        if op in ("add", "average"):
            out = reduce(lambda a, b: a + b, vals)
        elif op == "subtract":
            out = vals[0] - vals[1]
        elif op == "maximum":
            out = reduce(np.maximum, vals)
        else:
            out = reduce(np.minimum, vals)
    return result_t.cast(out, exact)


def union_type(in_types: list[FixedType]) -> FixedType:
    """The narrowest type holding every value of every type in ``in_types`` exactly."""
    frac = max(t.frac for t in in_types)
    lo = min(t.min_raw << (frac - t.frac) for t in in_types)
    hi = max(t.max_raw << (frac - t.frac) for t in in_types)
    return exact_type(min(lo, 0), max(hi, 0), frac)


def concatenate_raw(raws: list, in_types: list[FixedType], result_t: FixedType) -> np.ndarray:
    """``(batch, n_k)`` raw inputs to ``(batch, sum n_k)``: each input cast to ``result_t``, then joined."""
    parts = [raw_array(result_t.cast(r, t)) for r, t in zip(raws, in_types)]
    if any(p.dtype == object for p in parts):
        parts = [p.astype(object) for p in parts]
    return np.concatenate(parts, axis=-1)


def scale_shift_exact_type(scale_raw, bias_raw, in_t: FixedType, scale_t: FixedType,
                           bias_t: FixedType) -> FixedType:
    """The type of the exact ``x * scale + bias`` over every element and every input of ``in_t``
    (its range comes from the actual constants, so a narrow scale gives a narrow result)."""
    frac = max(in_t.frac + scale_t.frac, bias_t.frac)
    s = raw_array(scale_raw).astype(object) * (1 << (frac - in_t.frac - scale_t.frac))
    b = raw_array(bias_raw).astype(object) * (1 << (frac - bias_t.frac))
    if s.size == 0:
        return exact_type(0, 0, frac)
    ends = np.stack([s * in_t.min_raw, s * in_t.max_raw])
    lo = min(int(v) for v in (ends.min(axis=0) + b))
    hi = max(int(v) for v in (ends.max(axis=0) + b))
    return exact_type(min(lo, 0), max(hi, 0), frac)


def scale_shift_raw(x_raw, in_t: FixedType, scale_raw, scale_t: FixedType, bias_raw, bias_t: FixedType,
                    result_t: FixedType) -> np.ndarray:
    """``(batch, n)`` raw inputs to raw ``result_t``: per element ``x * scale + bias`` exactly, then one cast."""
    exact = scale_shift_exact_type(scale_raw, bias_raw, in_t, scale_t, bias_t)
    frac = exact.frac
    x = raw_array(x_raw)
    s = raw_array(scale_raw)
    b = aligned(bias_raw, bias_t, frac)
    wide = exact.width > 60 or in_t.width + scale_t.width > 60
    if wide:
        x, s, b = x.astype(object), s.astype(object), raw_array(b).astype(object)
    shift = frac - in_t.frac - scale_t.frac
    total = x * s[None, ...] * (1 << shift) + b[None, ...]
    return result_t.cast(total, exact)
