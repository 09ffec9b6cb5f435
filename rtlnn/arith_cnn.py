"""The arithmetic of the convolutional layer kinds on raw integers (see :mod:`rtlnn.ir_cnn`):
the one definition the emulator computes and the hardware generators build.

Tensors are ``(batch, H, W, C)`` raw arrays (1-D layers are passed with ``H = 1``).

* Convolution: every window (``kh * kw * C`` elements in (row, column, channel) order,
  padded positions zero) goes through :func:`rtlnn.arith.dense_raw` with the layer's
  kernel matrix — a convolution *is* a Dense layer applied at every output position.
* Max pooling: the exact maximum of each window per channel (padded positions hold the
  input type's smallest code, so they never win), cast to ``result_t``.
* Average pooling (windowed and global): the exact sum of the ``N`` elements times
  :func:`reciprocal` ``(N)`` — ``1/N`` rounded to nearest with :data:`RECIPROCAL_FRAC`
  fractional bits, exact when ``N`` is a power of two — and that exact product cast once
  to ``result_t``.  hls4ml divides an accumulator by ``N``; with a power-of-two window
  the two agree exactly, otherwise they differ by at most a rounding step of
  ``result_t``.
* Zero padding, cropping, nearest upsampling: data movement only, the type unchanged.
"""

from __future__ import annotations

import numpy as np

from .arith import dense_raw, exact_type
from .fixed import FixedType, raw_array

__all__ = [
    "RECIPROCAL_FRAC", "reciprocal", "sum_type", "mean_source_type", "window_patches", "conv_raw",
    "pool_raw", "global_pool_raw", "mean_raw", "pad_raw", "crop_raw", "upsample_raw", "pool_pad_value",
]

#: Fractional bits of the ``1/N`` constant of average pooling.
RECIPROCAL_FRAC = 18


def reciprocal(n: int) -> tuple[int, FixedType]:
    """``1/n`` as a raw integer of ``ufixed<RECIPROCAL_FRAC + 1, 1>``, rounded half up."""
    if n < 1:
        raise ValueError(f"cannot average over {n} elements")
    t = FixedType(RECIPROCAL_FRAC + 1, 1, signed=False)
    return ((1 << (RECIPROCAL_FRAC + 1)) + n) // (2 * n), t


def sum_type(in_t: FixedType, n: int) -> FixedType:
    """The exact type of a sum of ``n`` values of ``in_t``."""
    return exact_type(min(n * in_t.min_raw, 0), max(n * in_t.max_raw, 0), in_t.frac)


def mean_source_type(in_t: FixedType, n: int) -> FixedType:
    """The exact type of ``sum * reciprocal(n)``: what is cast to ``result_t``."""
    s = sum_type(in_t, n)
    r, r_t = reciprocal(n)
    return exact_type(min(s.min_raw * r, 0), max(s.max_raw * r, 0), s.frac + r_t.frac)


def mean_raw(sum_raw, in_t: FixedType, n: int, result_t: FixedType) -> np.ndarray:
    """Exact sums of ``n`` elements of ``in_t`` -> their averages as raw ``result_t``."""
    r, _ = reciprocal(n)
    s = raw_array(sum_raw)
    src = mean_source_type(in_t, n)
    if src.width > 62:
        s = s.astype(object)
    return result_t.cast(s * r, src)


def pool_pad_value(op: str, in_t: FixedType) -> int:
    """The raw value of a padded position: zero, or for max pooling the smallest code."""
    return in_t.min_raw if op == "max" else 0


def window_patches(x_raw, kernel, strides, padding, pad_value: int = 0) -> np.ndarray:
    """``(B, H, W, C)`` -> ``(B, Ho, Wo, kh * kw * C)``: every window in (row, column, channel) order."""
    x = raw_array(x_raw)
    (kh, kw), (sh, sw), (pt, pb, pl, pr) = kernel, strides, padding
    x = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=pad_value)
    b, hp, wp, c = x.shape
    ho, wo = (hp - kh) // sh + 1, (wp - kw) // sw + 1
    rows = (np.arange(ho) * sh)[:, None, None, None] + np.arange(kh)[None, None, :, None]
    cols = (np.arange(wo) * sw)[None, :, None, None] + np.arange(kw)[None, None, None, :]
    patches = x[:, rows, cols, :]  # (B, Ho, Wo, kh, kw, C)
    return patches.reshape(b, ho, wo, kh * kw * c)


def conv_raw(x_raw, in_t: FixedType, kernel, strides, padding, weight_raw, weight_t: FixedType, bias_raw,
             bias_t: FixedType, accum_t: FixedType, result_t: FixedType) -> np.ndarray:
    """A convolution (``weight_raw`` is the kernel matrix ``(kh * kw * C, c_out)``): Dense on every window."""
    p = window_patches(x_raw, kernel, strides, padding, 0)
    b, ho, wo, k = p.shape
    y = dense_raw(p.reshape(-1, k), in_t, weight_raw, weight_t, bias_raw, bias_t, accum_t, result_t)
    return y.reshape(b, ho, wo, -1)


def pool_raw(x_raw, in_t: FixedType, op: str, kernel, strides, padding, result_t: FixedType) -> np.ndarray:
    """Windowed max / average pooling per channel (see the module doc)."""
    x = raw_array(x_raw)
    c = x.shape[-1]
    p = window_patches(x, kernel, strides, padding, pool_pad_value(op, in_t))
    p = p.reshape(p.shape[:3] + (kernel[0] * kernel[1], c))
    if op == "max":
        return result_t.cast(p.max(axis=3), in_t)
    return mean_raw(p.sum(axis=3), in_t, kernel[0] * kernel[1], result_t)


def global_pool_raw(x_raw, in_t: FixedType, op: str, result_t: FixedType) -> np.ndarray:
    """``(B, H, W, C)`` -> ``(B, C)``: max / average over all positions."""
    x = raw_array(x_raw)
    b, h, w, c = x.shape
    flat = x.reshape(b, h * w, c)
    if op == "max":
        return result_t.cast(flat.max(axis=1), in_t)
    return mean_raw(flat.sum(axis=1), in_t, h * w, result_t)


def pad_raw(x_raw, padding) -> np.ndarray:
    pt, pb, pl, pr = padding
    return np.pad(raw_array(x_raw), ((0, 0), (pt, pb), (pl, pr), (0, 0)))


def crop_raw(x_raw, cropping) -> np.ndarray:
    ct, cb, cl, cr = cropping
    x = raw_array(x_raw)
    return x[:, ct:x.shape[1] - cb, cl:x.shape[2] - cr, :]


def upsample_raw(x_raw, size) -> np.ndarray:
    return np.repeat(np.repeat(raw_array(x_raw), size[0], axis=1), size[1], axis=2)
