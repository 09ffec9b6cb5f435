"""Lookup tables: how an input maps to a table index, and what each entry holds.

The table contents are computed once, here, in Python; the emulator reads the very same
arrays and the hardware stores them in ROMs (:mod:`rtlnn.hw.rom`), so the two agree bit for
bit.

Indexing (:class:`TableIndex`).  A table of ``size`` entries covers ``[lo, lo + size*step)``
with ``step = 2**step_log2`` (a power of two, so the index is a bit slice of the input):

    index = clamp(floor((x - lo) / step), 0, size - 1)

Inputs below the range read entry 0, inputs above it the last entry.  On raw integers of
the input type this is exact: ``x`` and ``lo`` are aligned to ``F = max(in_frac, 1 - step_log2)``
fractional bits (``lo`` must be a multiple of half a step, or of the input's LSB), subtracted,
and shifted right by ``F + step_log2`` (an arithmetic shift, i.e. floor).  In hardware
that is a constant shift (wiring), one subtraction and two constant comparisons.

Contents.  Entry ``i`` holds ``f`` at the representable input value (of the input type)
nearest the centre of its bin ``[lo + i*step, lo + (i+1)*step)``, or at the centre when no
input value falls in the bin; then it is quantized to the table type (its rounding and
overflow modes apply).  When inputs are coarser than the table, every input value therefore
reads ``f`` at exactly that value; when they are finer, the error is at most half a step
times the slope of ``f``.

hls4ml maps a fixed range (e.g. ``[-8, 8)`` for sigmoid) to ``table_size`` entries in the
same spirit, but truncates toward zero and samples the left edge of a bin; rtlnn's floor
index with centre sampling halves the worst-case error and treats both signs alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .fixed import FixedType, raw_array
from .ir import RtlnnError

__all__ = ["TableIndex", "table_index", "table_values", "check_table_size", "DEFAULT_TABLE_SIZE",
           "DEFAULT_TABLE_T"]

#: hls4ml's default table size.
DEFAULT_TABLE_SIZE = 1024
#: hls4ml's default precision of softmax tables (rtlnn uses it for every table).
DEFAULT_TABLE_T = "fixed<18,8,RND,SAT>"
#: Largest table rtlnn builds (2**16 entries: a few block RAMs per read port).
MAX_TABLE_SIZE = 1 << 16


def check_table_size(size, where: str, key: str = "table_size") -> int:
    """``size`` as an int, or an error naming ``where`` and the fix."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 2 or size > MAX_TABLE_SIZE \
            or (int(size) & (int(size) - 1)):
        raise RtlnnError(f"{where}: {key} {size!r} is not supported; it must be a power of two from 2 to "
                         f"{MAX_TABLE_SIZE} (e.g. 1024), because the table index is a bit slice of the input")
    return int(size)


@dataclass(frozen=True)
class TableIndex:
    """``index = clamp(floor((x - lo) / 2**step_log2), 0, size - 1)`` for raw ``x`` of ``in_t``."""

    in_t: FixedType
    lo: Fraction
    step_log2: int
    size: int

    @property
    def frac(self) -> int:
        """Fractional bits at which ``x - lo`` is computed."""
        return max(self.in_t.frac, 1 - self.step_log2)

    @property
    def up(self) -> int:
        """Left shift that aligns raw ``x`` to :attr:`frac`."""
        return self.frac - self.in_t.frac

    @property
    def lo_raw(self) -> int:
        v = self.lo * (Fraction(2) ** self.frac)
        assert v.denominator == 1
        return int(v)

    @property
    def shift(self) -> int:
        """Right shift (floor) from ``x - lo`` at :attr:`frac` to the unclamped index."""
        return self.frac + self.step_log2

    @property
    def step(self) -> Fraction:
        return Fraction(2) ** self.step_log2

    def unclamped_range(self) -> tuple[int, int]:
        """The smallest and largest unclamped index any input of ``in_t`` gives."""
        lo = ((self.in_t.min_raw << self.up) - self.lo_raw) >> self.shift
        hi = ((self.in_t.max_raw << self.up) - self.lo_raw) >> self.shift
        return lo, hi

    def raw(self, x_raw) -> np.ndarray:
        """The table index of each raw input (int64 array of the same shape)."""
        x = raw_array(x_raw)
        if x.dtype == object or self.in_t.width + self.up + 2 > 62:
            x = x.astype(object)
        idx = ((x * (1 << self.up)) - self.lo_raw) >> self.shift
        return np.clip(idx, 0, self.size - 1).astype(np.int64)

    def sample_points(self) -> np.ndarray:
        """Where entry ``i`` samples the function (see the module doc)."""
        lsb = Fraction(2) ** -self.in_t.frac
        vmin, vmax = self.in_t.min_raw, self.in_t.max_raw
        out = []
        for i in range(self.size):
            a = self.lo + i * self.step
            b = a + self.step
            c = (a + b) / 2
            best = None
            for k in (math.floor(c / lsb), math.ceil(c / lsb)):
                k = min(max(k, vmin), vmax)
                v = k * lsb
                if a <= v < b and (best is None or abs(v - c) < abs(best - c)):
                    best = v
            if best is None:  # try the representable values at the bin's edges
                for k in (math.ceil(a / lsb), math.ceil(b / lsb) - 1):
                    k = min(max(k, vmin), vmax)
                    v = k * lsb
                    if a <= v < b and (best is None or abs(v - c) < abs(best - c)):
                        best = v
            out.append(float(best if best is not None else c))
        return np.array(out, dtype=np.float64)


def table_index(in_t: FixedType, lo, hi, size: int, where: str) -> TableIndex:
    """The index of a table covering ``[lo, hi)`` with ``size`` entries for inputs of ``in_t``."""
    size = check_table_size(size, where)
    try:
        lo_f, hi_f = Fraction(lo), Fraction(hi)
    except (TypeError, ValueError):
        raise RtlnnError(f"{where}: table_range {[lo, hi]!r} must be two numbers [lo, hi]") from None
    if not hi_f > lo_f:
        raise RtlnnError(f"{where}: table_range [{lo}, {hi}] is empty; give [lo, hi] with lo < hi")
    step = (hi_f - lo_f) / size
    step_log2 = _log2_exact(step)
    if step_log2 is None:
        raise RtlnnError(
            f"{where}: table_range [{lo}, {hi}] over table_size {size} gives a step of {float(step)!r}, which is "
            "not a power of two; choose hi - lo = table_size * 2**k (e.g. [-8, 8) for 1024 entries)")
    half = step / 2
    if (lo_f / half).denominator != 1 and (lo_f * (Fraction(2) ** in_t.frac)).denominator != 1:
        raise RtlnnError(f"{where}: table_range starts at {lo}, which is not a multiple of half a step "
                         f"({float(half)!r}); move lo onto the grid")
    return TableIndex(in_t, lo_f, step_log2, size)


def _log2_exact(v: Fraction) -> int | None:
    if v <= 0:
        return None
    n, d = v.numerator, v.denominator
    if n & (n - 1) or d & (d - 1):
        return None
    return n.bit_length() - d.bit_length()


def table_values(fn, index: TableIndex, table_t: FixedType) -> np.ndarray:
    """Raw ``table_t`` values of ``fn`` sampled as described in the module doc."""
    with np.errstate(over="ignore", invalid="ignore"):
        values = np.asarray(fn(index.sample_points()), dtype=np.float64)
    values = np.nan_to_num(values, nan=0.0, posinf=2.0 ** 900, neginf=-(2.0 ** 900))
    return table_t.quantize(np.clip(values, -(2.0 ** 900), 2.0 ** 900))
