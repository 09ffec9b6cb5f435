"""The Amaranth cast (rtlnn.hw.cast) against FixedType.cast, exhaustively over every source raw
value, for many seeded random pairs of small source / destination types and every
rounding × overflow mode of the destination.

Several casts share one combinational module and one simulation, so the cost is one
simulator per batch, not per pair.  tests/test_fixed.py checks FixedType.cast itself
against an independent oracle.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from amaranth.hdl import Elaboratable, Module, Signal
from amaranth.sim import Simulator

from rtlnn.fixed import FixedType, Overflow, Rounding
from rtlnn.hw.cast import cast, shape_of

MODES = [(r, o) for r in Rounding for o in Overflow]
PAIRS_PER_MODE = 16


class Casts(Elaboratable):
    """One input and one output port per (src, dst) pair, each output = cast(input)."""

    def __init__(self, pairs):
        self.pairs = pairs
        self.ins = [Signal(shape_of(s), name=f"i{k}") for k, (s, _) in enumerate(pairs)]
        self.outs = [Signal(shape_of(d), name=f"o{k}") for k, (_, d) in enumerate(pairs)]

    def elaborate(self, platform):
        m = Module()
        for i, o, (src, dst) in zip(self.ins, self.outs, self.pairs):
            m.d.comb += o.eq(cast(i, src, dst))
        return m


def all_raws(t: FixedType) -> list[int]:
    return list(range(t.min_raw, t.max_raw + 1))


def simulate(pairs) -> list[list[int]]:
    """For each pair, the hardware output for every source raw value (in all_raws order)."""
    dut = Casts(pairs)
    inputs = [all_raws(s) for s, _ in pairs]
    results = [[] for _ in pairs]
    steps = max(len(v) for v in inputs)

    async def bench(ctx):
        for n in range(steps):
            for k, vals in enumerate(inputs):
                if n < len(vals):
                    ctx.set(dut.ins[k], vals[n])
            for k, vals in enumerate(inputs):
                if n < len(vals):
                    results[k].append(ctx.get(dut.outs[k]))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    return results


def random_type(rng: random.Random, rounding=Rounding.TRN, overflow=Overflow.WRAP) -> FixedType:
    width = rng.randint(1, 10)
    integer = rng.randint(-3, 12)
    signed = rng.random() < 0.6
    if signed and width == 1 and overflow is Overflow.SAT_SYM:
        width = 2
    return FixedType(width, integer, signed, rounding, overflow)


def random_pairs(rounding, overflow, count, seed):
    rng = random.Random(seed)
    pairs = []
    for _ in range(count):
        src = random_type(rng, rng.choice(list(Rounding)), rng.choice(list(Overflow)))
        dst = random_type(rng, rounding, overflow)
        pairs.append((src, dst))
    return pairs


def check(pairs):
    got = simulate(pairs)
    for (src, dst), hw in zip(pairs, got):
        raws = all_raws(src)
        want = [int(v) for v in dst.cast(raws, src)]
        if hw != want:
            bad = [(r, h, w) for r, h, w in zip(raws, hw, want) if h != w]
            pytest.fail(f"cast {src} -> {dst}: (raw, hardware, FixedType.cast) {bad[:8]}")


@pytest.mark.parametrize(
    "rounding, overflow", MODES, ids=[f"{r.value}-{o.value}" for r, o in MODES]
)
def test_hw_cast_random_pairs(rounding, overflow):
    seed = 1000 * list(Rounding).index(rounding) + list(Overflow).index(overflow)
    check(random_pairs(rounding, overflow, PAIRS_PER_MODE, seed))


# Hand-picked shapes that random pairs may miss: shifts of every sign and size, shifts
# beyond the source width, 1-bit types, equal types, unsigned to signed and back.
EDGE_SHAPES = [
    ((8, 4, True), (4, 2, True)),  # drop 2 fractional bits, lose 2 integer bits
    ((8, 4, True), (8, 4, True)),  # identity
    ((4, 2, True), (8, 6, True)),  # widen: never overflows
    ((4, 2, True), (8, 2, True)),  # more fractional bits: left shift
    ((6, -3, True), (3, 8, True)),  # right shift of 14 bits: beyond the source width
    ((6, -3, False), (3, 8, False)),
    ((5, 12, True), (4, -3, True)),  # left shift of 14 bits
    ((1, 1, True), (1, 1, False)),
    ((1, 1, False), (1, 1, True)),
    ((1, 0, True), (2, 1, True)),
    ((10, 5, False), (10, 5, True)),  # unsigned to signed, same bits
    ((10, 5, True), (10, 5, False)),  # signed to unsigned, same bits
    ((10, 10, True), (2, 2, True)),
    ((10, 0, True), (1, 1, True)),  # every value rounds into {-1, 0}
    ((10, 3, False), (2, 0, False)),
    ((9, 12, True), (7, 12, True)),
]


@pytest.mark.parametrize("rounding", list(Rounding), ids=[r.value for r in Rounding])
def test_hw_cast_edge_shapes(rounding):
    pairs = []
    for overflow in Overflow:
        for (sw, si, ss), (dw, di, ds) in EDGE_SHAPES:
            if ds and dw == 1 and overflow is Overflow.SAT_SYM:
                continue
            pairs.append((FixedType(sw, si, ss), FixedType(dw, di, ds, rounding, overflow)))
    check(pairs)


def test_hw_cast_ignores_bits_above_source_width():
    """A wider input value: only its low ``src.width`` bits are the source raw value."""
    src = FixedType(4, 2, True)
    dst = FixedType(6, 3, True, Rounding.RND, Overflow.SAT)
    wide = Signal(8)
    out = Signal(shape_of(dst))
    m = Module()
    m.d.comb += out.eq(cast(wide, src, dst))
    got = []

    async def bench(ctx):
        for v in range(256):
            ctx.set(wide, v)
            got.append(ctx.get(out))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    low = [((v & 15) ^ 8) - 8 for v in range(256)]  # sign-extended low 4 bits
    assert got == [int(x) for x in dst.cast(np.array(low), src)]


def test_hw_cast_covers_every_mode():
    modes = {(d.rounding, d.overflow) for r, o in MODES for _, d in random_pairs(r, o, PAIRS_PER_MODE, 0)}
    assert len(modes) == len(MODES) == 28
