"""Helpers for the hardware tests (random types, packing, an io_parallel Amaranth testbench),
and tests of the helpers themselves."""

from __future__ import annotations

import numpy as np
from amaranth.sim import Simulator

from rtlnn import arith, ir
from rtlnn.fixed import FixedType, Overflow, Rounding


def random_type(rng, lo=2, hi=24, *, signed=None, modes=True) -> FixedType:
    width = int(rng.integers(lo, hi + 1))
    integer = int(rng.integers(-3, width + 4))
    s = bool(rng.integers(0, 2)) if signed is None else signed
    rnd = list(Rounding)[int(rng.integers(0, len(Rounding)))] if modes else Rounding.TRN
    ovf = list(Overflow)[int(rng.integers(0, len(Overflow)))] if modes else Overflow.WRAP
    return FixedType(width, integer, s, rnd, ovf)


def random_values(rng, t: FixedType, shape, zero_fraction=0.0) -> np.ndarray:
    """Floats on ``t``'s grid (plus some off-grid noise), some exactly zero."""
    raw = rng.integers(t.min_raw, t.max_raw + 1, size=shape)
    x = np.ldexp(raw.astype(np.float64), -t.frac) + rng.normal(0, t.lsb * 0.3, size=shape)
    x[rng.random(shape) < zero_fraction] = 0.0
    return x


def random_dense(rng, name, src, in_t, n_in, n_out, *, zero_fraction=None, rf=None, exact_accum=None):
    """A fully typed ir.Dense with random weights, precisions and a random valid reuse factor."""
    weight_t, bias_t, result_t = random_type(rng), random_type(rng), random_type(rng)
    if zero_fraction is None:
        zero_fraction = float(rng.choice([0.0, 0.3, 0.7, 1.0], p=[0.3, 0.35, 0.3, 0.05]))
    w = random_values(rng, weight_t, (n_in, n_out), zero_fraction)
    b = random_values(rng, bias_t, (n_out,), 0.3)
    exact = arith.dense_accum_type(weight_t.quantize(w), bias_t.quantize(b), in_t, weight_t, bias_t)
    if exact_accum is None:
        exact_accum = bool(rng.integers(0, 2))
    if exact_accum:
        accum_t = exact
    else:  # narrower and with random modes: exercises the single accumulator cast
        width = int(rng.integers(2, max(3, min(exact.width, 30)) + 1))
        accum_t = FixedType(
            width, width - exact.frac + int(rng.integers(-2, 3)), exact.signed or bool(rng.integers(0, 2)),
            list(Rounding)[int(rng.integers(0, len(Rounding)))], list(Overflow)[int(rng.integers(0, len(Overflow)))])
    layer = ir.Dense(name, [src], (n_out,), result_t=result_t, weight=w, bias=b,
                     weight_t=weight_t, bias_t=bias_t, accum_t=accum_t)
    p = layer.n_products()
    layer.reuse_factor = int(rng.integers(1, max(p, 1) + 1)) if rf is None else rf
    return layer


def dense_ref(layer: ir.Dense, x_raw, in_t):
    return arith.dense_raw(x_raw, in_t, layer.weight_raw(), layer.weight_t, layer.bias_raw(), layer.bias_t,
                           layer.accum_t, layer.result_t)


def check_dense_back_to_back(dut, layer: ir.Dense, in_t, rng, n_vec=4, *, seed=None):
    """Drive a Dense generator with ``n_vec`` random vectors back to back, one every II cycles
    (garbage in between): out_valid exactly ``latency`` cycles after each in_valid, and every
    output bit-exact with :func:`rtlnn.arith.dense_raw`."""
    x = random_inputs(rng, in_t, n_vec, layer.n_in)
    outs, cycles = run_io_parallel(dut, x, [in_t] * layer.n_in, [layer.result_t] * layer.n_out, dut.ii,
                                   seed=int(rng.integers(1 << 30)) if seed is None else seed)
    assert cycles == [k * dut.ii + dut.latency for k in range(n_vec)]
    ref = dense_ref(layer, x, in_t)
    assert outs.shape == ref.shape
    mismatch = np.argwhere(outs != ref.astype(object))
    assert mismatch.size == 0, (f"{layer.name} (RF {layer.reuse_factor}): first mismatch at {mismatch[0]}: "
                                f"hw {outs[tuple(mismatch[0])]} vs {ref[tuple(mismatch[0])]}")


def random_inputs(rng, t: FixedType, n_vec, n):
    """Raw inputs over the full range of ``t``, extremes included."""
    x = rng.integers(t.min_raw, t.max_raw + 1, size=(n_vec, n))
    if n_vec >= 2:
        x[0, :] = t.min_raw
        x[1, :] = t.max_raw
    return x


def pack(values, types) -> int:
    """Raw integers to one word, element 0 in the least significant bits."""
    word, pos = 0, 0
    for v, t in zip(values, types):
        word |= (int(v) & ((1 << t.width) - 1)) << pos
        pos += t.width
    return word


def unpack(word: int, types) -> list[int]:
    out, pos = [], 0
    for t in types:
        v = (word >> pos) & ((1 << t.width) - 1)
        if t.signed and v >> (t.width - 1):
            v -= 1 << t.width
        out.append(v)
        pos += t.width
    return out


def run_io_parallel(dut, vectors, in_types, out_types, ii, *, seed=0, extra=None):
    """Drive ``dut`` (in_data/in_valid/out_data/out_valid) with one vector every ``ii`` cycles,
    garbage on ``in_data`` in between; return (outputs, cycles at which out_valid was high),
    counting the cycle of the first ``in_valid`` as 0."""
    rng = np.random.default_rng(seed)
    n_cycles = len(vectors) * ii + (dut.latency if extra is None else extra) + ii + 3
    in_width = len(dut.in_data)
    outs, cycles = [], []

    async def bench(ctx):
        for c in range(n_cycles):
            k, r = divmod(c, ii)
            if r == 0 and k < len(vectors):
                ctx.set(dut.in_data, pack(vectors[k], in_types))
                ctx.set(dut.in_valid, 1)
            else:
                ctx.set(dut.in_data, int(rng.integers(0, 1 << 62)) % (1 << in_width) if in_width else 0)
                ctx.set(dut.in_valid, 0)
            if ctx.get(dut.out_valid):
                cycles.append(c)
                outs.append(unpack(ctx.get(dut.out_data), out_types))
            await step(ctx)

    sim = Simulator(dut)
    step = add_clock(sim)
    sim.add_testbench(bench)
    sim.run()
    return np.array(outs, dtype=object), cycles


def add_clock(sim, period=1e-8):
    """A clock on ``sync`` if the design has that domain; returns the awaitable "next cycle" step
    (a plain delay for purely combinational designs)."""
    try:
        sim.add_clock(period)
    except NameError:
        return lambda ctx: ctx.delay(period)
    return lambda ctx: ctx.tick()


def test_pack_unpack_round_trip():
    rng = np.random.default_rng(0)
    for _ in range(50):
        types = [random_type(rng) for _ in range(int(rng.integers(1, 6)))]
        vals = [int(rng.integers(t.min_raw, t.max_raw + 1)) for t in types]
        assert unpack(pack(vals, types), types) == vals


def test_random_dense_is_typed_and_valid():
    rng = np.random.default_rng(1)
    for _ in range(20):
        in_t = random_type(rng)
        layer = random_dense(rng, "d", "x", in_t, 3, 4)
        assert all(isinstance(t, FixedType) for t in layer.precisions().values())
        assert 1 <= layer.reuse_factor <= max(layer.n_products(), 1)
