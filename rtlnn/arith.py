"""The arithmetic of each layer kind, on raw integers: the one definition both the emulator
and the hardware generators follow (the generators take their bit widths from here).
"""

from __future__ import annotations

import numpy as np

from .fixed import FixedType, raw_array

__all__ = ["product_type", "exact_type", "dense_accum_type", "dense_raw", "relu_raw"]

#: Rows of a batch processed at once, to bound the memory of the product tensor.
_CHUNK = 2048


def product_type(a: FixedType, b: FixedType) -> FixedType:
    """The exact type of ``a * b``."""
    return FixedType(a.width + b.width, a.integer + b.integer, a.signed or b.signed)


def exact_type(lo: int, hi: int, frac: int) -> FixedType:
    """The narrowest type with ``frac`` fractional bits holding raw values ``lo..hi``."""
    signed = lo < 0
    bits = max(lo.bit_length() if lo < 0 else 0, hi.bit_length())
    width = max(bits + (1 if signed else 0), 1)
    if signed and width < 2:
        width = 2
    return FixedType(width, width - frac, signed)


def dense_accum_type(weight_raw: np.ndarray, bias_raw: np.ndarray, in_t: FixedType,
                     weight_t: FixedType, bias_t: FixedType) -> FixedType:
    """An accumulator type in which a Dense layer's sum is exact for every input of ``in_t``.

    The range is computed from the actual constant weights, so a layer with small or
    sparse weights gets a narrow accumulator.
    """
    frac = max(in_t.frac + weight_t.frac, bias_t.frac)
    w = raw_array(weight_raw).astype(object) * (1 << (frac - in_t.frac - weight_t.frac))
    b = raw_array(bias_raw).astype(object) * (1 << (frac - bias_t.frac))
    xlo, xhi = in_t.min_raw, in_t.max_raw
    lo_terms = np.minimum(w * xlo, w * xhi)
    hi_terms = np.maximum(w * xlo, w * xhi)
    lo = min(int(v) for v in (lo_terms.sum(axis=0) + b)) if b.size else 0
    hi = max(int(v) for v in (hi_terms.sum(axis=0) + b)) if b.size else 0
    return exact_type(min(lo, 0), max(hi, 0), frac)


def dense_raw(x_raw, in_t: FixedType, weight_raw, weight_t: FixedType, bias_raw, bias_t: FixedType,
              accum_t: FixedType, result_t: FixedType) -> np.ndarray:
    """``(batch, n_in)`` raw inputs to ``(batch, n_out)`` raw results (see :class:`rtlnn.ir.Dense`)."""
    x = raw_array(x_raw)
    w = raw_array(weight_raw)
    p_t = product_type(in_t, weight_t)
    growth = int(np.ceil(np.log2(w.shape[0] + 2)))
    wide = max(p_t.width, accum_t.width, bias_t.width) + growth + 2 > 62
    if wide:
        x, w = x.astype(object), w.astype(object)
    b = accum_t.cast(bias_raw, bias_t)
    out = []
    for start in range(0, x.shape[0], _CHUNK):
        chunk = x[start:start + _CHUNK]
        products = accum_t.cast(chunk[:, :, None] * w[None, :, :], p_t)
        total = products.sum(axis=1) + b[None, :]
        acc = accum_t.cast(total, accum_t)
        out.append(result_t.cast(acc, accum_t))
    if not out:
        return np.zeros((0, w.shape[1]), dtype=np.int64)
    return np.concatenate(out, axis=0)


def relu_raw(x_raw, in_t: FixedType, result_t: FixedType) -> np.ndarray:
    """``max(x, 0)`` cast to ``result_t``."""
    x = raw_array(x_raw)
    return result_t.cast(np.where(x < 0, 0, x), in_t)
