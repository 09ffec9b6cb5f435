"""Many-operand addition as a compressor tree: rows of bits reduced by counters, one LUT level a step.

An adder graph (:mod:`rtlnn.csd`) adds two operands at a time: every level is a carry chain,
and on 7-series each costs its LUT, its carry ripple and about two routed nets (2.1 ns on
Yosys's netlist, ``docs/xc7_timing.md``), so a 64-input layer needs 7 of them.  A compressor
tree (a bit heap, as in multiplier design) postpones every carry to the end:

1. **Rows.**  Each term ``±(x << e)`` becomes a row of bits at offset ``e``.  A bit whose
   weight is negative (the sign bit of a signed ``x``, every other bit of a negated one)
   is inverted and its weight's value subtracted from one constant: ``-2**k * b = 2**k * ~b -
   2**k``.  So every row is a plain unsigned bit vector with no sign extension, and the
   constants (bias included) add up to one constant row.  Arithmetic is modulo ``2**width``:
   the sum's exact range fits ``width`` bits, so bits at or above it are dropped.
2. **Counters.**  Rows are sorted by offset and taken ``k`` at a time; ``k`` rows become the
   ``m = bit_length(k)`` rows of their column-wise bit count (row ``j`` is bit ``j`` of the
   count, one column up per ``j``).  Every output bit is a function of the ``k`` bits of one
   column, one LUT when ``k`` is the LUT's input count (6:3 counters on 7-series LUT6, full
   adders — 3:2 — on ECP5 LUT4), so each level can be one LUT and a route, and halves the rows
   (6:3) or takes them to two thirds (3:2).  Written as logic, a 6:3 level is remapped by
   Yosys's abc9 into 2-3 LUTs in series; given a ``lut`` cell maker (Xilinx ``LUT1..LUT6``,
   :mod:`rtlnn.hw.xilinx_cells`) :func:`compress` makes every output bit one cell, so a level
   is one LUT and one route (docs/xc7_timing.md).
3. **One carry chain.**  When two rows are left, one adder adds them.  With cells, the last
   level (a 3:2 one) stays logic for the mapper to merge into the LUTs in front of the chain.

The plan (:func:`plan_heap`) is pure Python and decides every row and group; the builders
(:func:`leaf_rows`, :func:`compress`, :func:`final_sum`) make the Amaranth logic of one level
each, so that the caller can put pipeline registers between levels.  A level's rows travel as
one unsigned vector: the rows of :attr:`HeapPlan.levels` concatenated in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from amaranth.hdl import Cat, Const, Value

__all__ = ["HeapPlan", "HeapTerm", "Row", "cell_levels", "compress", "counter_inputs", "final_sum", "leaf_rows",
           "plan_heap"]


def counter_inputs(lut_inputs: int) -> int:
    """Rows one counter reduces: 6 on a LUT6 fabric (6:3), 3 on a LUT4 one (full adders, 3:2)."""
    return 6 if lut_inputs >= 6 else 3


@dataclass(frozen=True)
class Row:
    """``width`` bits whose bit 0 has weight ``2**offset``."""

    offset: int
    width: int


@dataclass(frozen=True)
class HeapTerm:
    """``sign * (leaf << shift)``: a leaf value (``width`` bits, two's complement when ``signed``)."""

    leaf: int
    shift: int
    sign: int
    width: int
    signed: bool

    def inverted(self, k: int) -> bool:
        """Whether bit ``k`` of the leaf has a negative weight in this term (and goes in inverted)."""
        negative = self.signed and k == self.width - 1
        return (self.sign < 0) != negative


@dataclass(frozen=True)
class HeapPlan:
    """How ``sum(terms) + constant`` is reduced modulo ``2**width`` (see the module doc).

    ``terms`` hold the rows of level 0 in order (one row per term with bits below ``width``),
    then the constant row when ``constant_row`` is not None.  ``groups[l]`` lists, for level
    ``l + 1``, the rows of level ``l`` that each counter takes (a group of one or two rows is
    passed through), in the order their output rows appear in ``levels[l + 1]``.
    """

    width: int
    terms: tuple
    constant: int  # the constant modulo 2**width
    constant_row: Row | None
    levels: tuple  # tuple[tuple[Row, ...], ...], level 0 first
    groups: tuple  # tuple[tuple[tuple[int, ...], ...], ...]
    k: int

    @property
    def n_levels(self) -> int:
        """Counter levels before the final adder."""
        return len(self.levels) - 1

    @property
    def final_rows(self) -> tuple:
        return self.levels[-1]

    @property
    def n_counters(self) -> int:
        """Column counters (a group of rows is one counter per column it spans)."""
        n = 0
        for rows, level in zip(self.levels, self.groups):
            for g in level:
                if len(g) > 2:
                    lo, hi = _span(rows, g, self.width)
                    n += hi - lo
        return n


def _span(rows, group, width: int) -> tuple[int, int]:
    """The columns ``lo..hi`` (exclusive, below ``width``) that a group of rows covers."""
    lo = min(rows[r].offset for r in group)
    return lo, min(max(rows[r].offset + rows[r].width for r in group), width)


def plan_heap(terms: list[HeapTerm], constant: int, width: int, k: int) -> HeapPlan:
    """The rows and counters that reduce ``sum(terms) + constant`` (mod ``2**width``) to at most two rows."""
    if width < 1:
        raise ValueError(f"a heap needs a width >= 1, not {width}")
    if k < 3:
        raise ValueError(f"a counter takes at least 3 rows, not {k}")
    kept, rows = [], []
    for t in terms:
        if t.shift >= width:  # the whole term is a multiple of 2**width
            continue
        for b in range(t.width):
            if t.inverted(b):
                constant -= 1 << (b + t.shift)
        kept.append(t)
        rows.append(Row(t.shift, min(t.width, width - t.shift)))
    constant %= 1 << width
    constant_row = None
    if constant:
        low = (constant & -constant).bit_length() - 1
        constant_row = Row(low, width - low)
        rows.append(constant_row)
    levels, groups = [tuple(rows)], []
    while len(levels[-1]) > 2:
        rows = levels[-1]
        order = sorted(range(len(rows)), key=lambda r: (rows[r].offset, rows[r].width, r))
        level_groups, out = [], []
        for start in range(0, len(order), k):
            group = tuple(order[start:start + k])
            level_groups.append(group)
            if len(group) <= 2:
                out.extend(rows[r] for r in group)
                continue
            lo, hi = _span(rows, group, width)
            for j in range(len(group).bit_length()):
                w = min(hi - lo, width - lo - j)
                if w > 0:
                    out.append(Row(lo + j, w))
        groups.append(tuple(level_groups))
        levels.append(tuple(out))
    return HeapPlan(width, tuple(kept), constant, constant_row, tuple(levels), tuple(groups), k)


def _slices(rows, vector: Value) -> list[Value]:
    out, at = [], 0
    for r in rows:
        out.append(vector[at:at + r.width])
        at += r.width
    return out


def _mask(t: HeapTerm, row: Row) -> int:
    return sum(1 << b for b in range(row.width) if t.inverted(b))


def cell_levels(plan: HeapPlan) -> int:
    """Counter levels built from LUT cells when :func:`compress` is given them: all but the last.
    The last level is a 3:2 one (three rows become the two the adder takes); left as logic, the
    synthesis tool merges it into the LUTs in front of the adder's carry chain (each propagate
    bit a LUT6 of two columns' three bits), so it costs no LUT level of its own."""
    return max(plan.n_levels - 1, 0)


def folds_inversions(plan: HeapPlan, lut) -> bool:
    """Whether level 0 leaves its bits uninverted for the first counter level's LUT cells to invert
    (there an inverter costs nothing): with cells (``lut``) and a level built from them."""
    return lut is not None and cell_levels(plan) > 0


def leaf_rows(plan: HeapPlan, leaves: list[Value], lut=None) -> Value:
    """Level 0: every term's row (bits of its leaf, inverted where negative), then the constant row.

    With LUT cells (``lut``, see :func:`compress`) the inversions are left to level 1's LUTs."""
    parts = []
    invert = not folds_inversions(plan, lut)
    for t, row in zip(plan.terms, plan.levels[0]):
        v = leaves[t.leaf].as_unsigned()[:row.width]
        mask = _mask(t, row) if invert else 0
        parts.append(v ^ Const(mask, row.width) if mask else v)
    if plan.constant_row is not None:
        parts.append(Const(plan.constant >> plan.constant_row.offset, plan.constant_row.width))
    return Cat(*parts)


def _count(bits: list[Value]) -> list[Value]:
    """The column-wise count of 3 to 7 equal-width vectors: bit ``j`` of the count as vector ``j``."""
    def full(a, b, c):
        return a ^ b ^ c, (a & b) | (a & c) | (b & c)

    if len(bits) == 3:
        return list(full(*bits))
    s1, c1 = full(*bits[:3])
    rest = bits[3:6]
    if len(rest) == 1:
        s2, c2 = rest[0], None
    elif len(rest) == 2:
        s2, c2 = rest[0] ^ rest[1], rest[0] & rest[1]
    else:
        s2, c2 = full(*rest)
    if len(bits) == 7:
        bit0, k = full(s1, s2, bits[6])
    else:
        bit0, k = s1 ^ s2, s1 & s2
    if c2 is None:
        return [bit0, c1 ^ k, c1 & k]
    bit1, bit2 = full(c1, c2, k)
    return [bit0, bit1, bit2]


def compress(plan: HeapPlan, level: int, vector: Value, lut: Callable | None = None) -> Value:
    """Level ``level`` (>= 1) from the vector of level ``level - 1``.

    ``lut(init, inputs) -> Value``, when given, makes one LUT cell of the family (``init``: its
    truth table, bit ``i`` the output for inputs ``i``): every output bit of a counter becomes one
    cell, so a level is one LUT whatever the synthesis tool's mapper would make of the logic.
    Level 1 then also applies level 0's inversions and constant row (:func:`leaf_rows`).  Levels
    after :func:`cell_levels` are logic even so."""
    if level > cell_levels(plan):
        lut = None
    rows = plan.levels[level - 1]
    values = _slices(rows, vector)
    fold = level == 1 and folds_inversions(plan, lut)
    parts = []
    for group in plan.groups[level - 1]:
        if len(group) <= 2:
            for r in group:
                mask = _mask(plan.terms[r], rows[r]) if fold and r < len(plan.terms) else 0
                parts.append(values[r] ^ Const(mask, rows[r].width) if mask else values[r])
            continue
        lo, hi = _span(rows, group, plan.width)
        if lut is not None:
            parts.extend(_lut_counter(plan, rows, group, values, lo, hi, lut, fold))
            continue
        aligned = []
        for r in group:
            row = rows[r]
            below, above = row.offset - lo, hi - row.offset - row.width
            aligned.append(Cat(Const(0, below), values[r], Const(0, above)) if below or above else values[r])
        for j, bit in enumerate(_count(aligned)):
            w = min(hi - lo, plan.width - lo - j)
            if w > 0:
                parts.append(bit[:w])
    return Cat(*parts)


def _lut_counter(plan: HeapPlan, rows, group, values, lo: int, hi: int, lut: Callable, fold: bool) -> list[Value]:
    """One counter as LUT cells: for each column ``lo..hi`` and each bit of its count, a cell of
    the column's bits (the constant row's bits and ``fold``'s inversions go into the truth table)."""
    n_terms = len(plan.terms)
    out_rows = []
    for j in range(len(group).bit_length()):
        w = min(hi - lo, plan.width - lo - j)
        if w > 0:
            out_rows.append((j, w, []))
    for c in range(lo, hi):
        inputs, inverted, ones = [], [], 0
        for r in group:
            b = c - rows[r].offset
            if not 0 <= b < rows[r].width:
                continue
            if fold and r >= n_terms:  # the constant row
                ones += (plan.constant >> c) & 1
                continue
            inputs.append(values[r][b])
            inverted.append(fold and plan.terms[r].inverted(b))
        for j, w, bits in out_rows:
            if c - lo < w:
                bits.append(_lut_bit(inputs, inverted, ones, j, lut))
    return [Cat(*bits) for _, _, bits in out_rows]


def _lut_bit(inputs: list[Value], inverted: list[bool], ones: int, j: int, lut: Callable) -> Value:
    """Bit ``j`` of ``ones + sum(input ^ inverted)`` as a LUT cell (a constant or a wire when it is one)."""
    n = len(inputs)
    init = 0
    for i in range(1 << n):
        count = ones + sum(((i >> q) & 1) ^ inv for q, inv in enumerate(inverted))
        init |= ((count >> j) & 1) << i
    if init == 0 or init == (1 << (1 << n)) - 1:
        return Const(init & 1, 1)
    if n == 1 and init == 0b10:
        return inputs[0]
    return lut(init, inputs)


def final_sum(plan: HeapPlan, vector: Value) -> Value:
    """The sum modulo ``2**width`` (unsigned, ``width`` bits) from the last level's (at most two) rows.

    Below the higher row's offset only the lower row has bits: they pass through, and the
    adder works above them."""
    rows = plan.final_rows
    values = _slices(rows, vector)
    if not rows:
        return Const(0, plan.width)
    if len(rows) == 1:
        (row,), (v,) = rows, values
        return _fit(Cat(Const(0, row.offset), v), plan.width)
    (p, vp), (q, vq) = sorted(zip(rows, values), key=lambda rv: rv[0].offset)
    d = q.offset - p.offset
    low = _fit(vp, d)
    high = (vp[d:] if d < p.width else Const(0, 1)) + vq
    return _fit(Cat(Const(0, p.offset), low, high), plan.width)


def _fit(v: Value, width: int) -> Value:
    """``v`` (unsigned) truncated or zero-extended to ``width`` bits."""
    return v[:width] if len(v) >= width else Cat(v, Const(0, width - len(v)))
