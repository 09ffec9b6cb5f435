"""Dense, adder tree and activation generators under Amaranth's simulator, bit-exact with rtlnn.arith."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from amaranth.back import rtlil
from amaranth.hdl import signed, unsigned
from amaranth.sim import Simulator

from rtlnn import arith, ir
from rtlnn.fixed import FixedType
from rtlnn.hw.activation import Activation
from rtlnn.hw.adder_tree import AdderTree, adder_tree_latency
from rtlnn.hw.dense import Dense

from test_hw_support import (add_clock, check_dense_back_to_back, random_dense, random_inputs, random_type,
                             run_io_parallel)


def _check_dense(layer, in_t, rng, n_vec=4, levels_per_stage=2):
    dut = Dense(layer, in_t, levels_per_stage=levels_per_stage)
    assert dut.ii == layer.reuse_factor
    assert dut.n_multipliers == math.ceil(layer.n_products() / layer.reuse_factor)
    check_dense_back_to_back(dut, layer, in_t, rng, n_vec)
    return dut


@pytest.mark.parametrize("seed", range(32))
def test_dense_random_bit_exact(seed):
    rng = np.random.default_rng(1000 + seed)
    # shapes from 1 to 64 wide, product kept small so that the simulation stays quick
    if seed % 4 == 0:
        n_in, n_out = int(rng.integers(20, 65)), int(rng.integers(1, 4))
    elif seed % 4 == 1:
        n_in, n_out = int(rng.integers(1, 4)), int(rng.integers(20, 65))
    else:
        n_in, n_out = int(rng.integers(1, 13)), int(rng.integers(1, 13))
    in_t = random_type(rng)
    layer = random_dense(rng, f"dense_{seed}", "x", in_t, n_in, n_out)
    _check_dense(layer, in_t, rng, levels_per_stage=int(rng.integers(1, 4)))


@pytest.mark.parametrize("rf", [1, 2, 3, 5, 7, 12])
def test_dense_every_reuse_factor_same_layer(rf):
    rng = np.random.default_rng(7)
    in_t = FixedType(9, 3, True)
    layer = random_dense(rng, "fc", "x", in_t, 4, 3, zero_fraction=0.0, rf=rf)
    assert layer.n_products() == 12
    _check_dense(layer, in_t, rng, n_vec=3)


def test_dense_all_weights_zero_gives_bias():
    rng = np.random.default_rng(3)
    in_t = FixedType(8, 2, True)
    layer = random_dense(rng, "zero", "x", in_t, 5, 4, zero_fraction=1.0, rf=1)
    assert layer.n_products() == 0
    dut = _check_dense(layer, in_t, rng, n_vec=3)
    assert dut.n_multipliers == 0


def test_dense_unsigned_everything_and_saturating_accum():
    rng = np.random.default_rng(5)
    in_t = FixedType(6, 2, False)
    for rf in (1, 4):
        layer = random_dense(rng, "u", "x", in_t, 3, 3, zero_fraction=0.0, rf=rf)
        layer.weight_t = FixedType(5, 1, False)
        layer.weight = np.abs(layer.weight)
        layer.accum_t = FixedType(6, 3, False, "RND", "SAT")
        _check_dense(layer, in_t, rng, n_vec=3)


@pytest.mark.parametrize("bad", [0, -1, 13, 100, 2.5, "4", True])
def test_dense_bad_reuse_factor(bad):
    rng = np.random.default_rng(7)
    in_t = FixedType(9, 3, True)
    layer = random_dense(rng, "fc_bad", "x", in_t, 4, 3, zero_fraction=0.0, rf=1)
    layer.reuse_factor = bad
    with pytest.raises(ir.RtlnnError) as e:
        Dense(layer, in_t)
    msg = str(e.value)
    assert "fc_bad" in msg and repr(bad) in msg and "1 to 12" in msg


def test_dense_all_zero_accepts_only_rf_1():
    rng = np.random.default_rng(7)
    in_t = FixedType(9, 3, True)
    layer = random_dense(rng, "z", "x", in_t, 4, 3, zero_fraction=1.0, rf=2)
    with pytest.raises(ir.RtlnnError, match="from 1 to 1"):
        Dense(layer, in_t)


def test_dense_untyped_layer_is_an_error():
    rng = np.random.default_rng(7)
    in_t = FixedType(9, 3, True)
    layer = random_dense(rng, "fc_untyped", "x", in_t, 4, 3, rf=1)
    layer.accum_t = None
    with pytest.raises(ir.RtlnnError, match="fc_untyped.*accum_t"):
        Dense(layer, in_t)


def _count_mul_cells(component) -> int:
    text = rtlil.convert(component, name="count_top")
    return len(re.findall(r"^\s*cell \$mul ", text, flags=re.M))


def test_multiplier_count_follows_zeros_and_reuse_factor():
    """16x64 Dense: $mul cells in the RTLIL equal ceil(P / RF); 70% zeros -> 70% fewer multipliers."""
    rng = np.random.default_rng(11)
    in_t = FixedType(4, 2, True)  # narrow types keep the RTLIL (and the test) small
    base = random_dense(rng, "fc16x64", "x", in_t, 16, 64, zero_fraction=0.0, rf=1, exact_accum=True)
    base.weight_t, base.bias_t, base.result_t = FixedType(4, 1), FixedType(4, 2), FixedType(6, 3)
    base.accum_t = arith.dense_accum_type(base.weight_raw(), base.bias_raw(), in_t, base.weight_t, base.bias_t)
    w = base.weight_t.quantize(base.weight)
    base.weight = np.where(w == 0, base.weight_t.lsb, base.weight)  # every weight nonzero
    sparse = base.copy()
    flat = sparse.weight.ravel()
    flat[rng.permutation(flat.size)[:int(round(0.7 * flat.size))]] = 0.0
    sparse.weight = flat.reshape(16, 64)
    assert base.n_products() == 1024 and sparse.n_products() == 1024 - 717
    for rf in (1, 2, 4, 8, 16):
        counts = {}
        for kind, layer in (("dense", base), ("sparse", sparse)):
            layer.reuse_factor = rf
            dut = Dense(layer, in_t)
            counts[kind] = _count_mul_cells(dut)
            assert counts[kind] == dut.n_multipliers == math.ceil(layer.n_products() / rf)
        assert counts["sparse"] <= math.ceil(0.3 * counts["dense"]) + 1


@pytest.mark.parametrize("levels_per_stage", [1, 2, 3])
def test_adder_tree_exact_with_mixed_shapes(levels_per_stage):
    rng = np.random.default_rng(levels_per_stage)
    for n in (0, 1, 2, 3, 5, 8, 11):
        shapes = [signed(int(rng.integers(2, 20))) if rng.integers(0, 2) else unsigned(int(rng.integers(1, 20)))
                  for _ in range(n)]
        tree = AdderTree(shapes, levels_per_stage=levels_per_stage)
        assert tree.latency == adder_tree_latency(n, levels_per_stage)
        vecs = [[int(rng.integers(s.signed and -(1 << (s.width - 1)) or 0,
                                  (1 << (s.width - 1)) if s.signed else (1 << s.width))) for s in shapes]
                for _ in range(4)]
        seen = []

        async def bench(ctx):
            for c in range(len(vecs) + tree.latency):
                if c < len(vecs):
                    for port, v in zip(tree.terms, vecs[c]):
                        ctx.set(port, v)
                if c >= tree.latency:
                    seen.append(ctx.get(tree.sum))
                await step(ctx)

        sim = Simulator(tree)
        step = add_clock(sim)
        sim.add_testbench(bench)
        sim.run()
        assert seen == [sum(v) for v in vecs], (n, shapes)


def test_adder_tree_latency_formula_and_padding():
    assert [adder_tree_latency(n, 2) for n in (1, 2, 3, 4, 5, 16, 17, 64)] == [0, 1, 1, 1, 2, 2, 3, 3]
    assert [adder_tree_latency(n, 1) for n in (1, 2, 4, 5)] == [0, 1, 2, 3]
    padded = AdderTree([unsigned(4)] * 4, latency=3)
    assert padded.latency == 3 and rtlil.convert(padded).count("cell $dff") == 1 + 2  # sum register + 2 pads
    with pytest.raises(ir.RtlnnError, match="below"):
        AdderTree([unsigned(4)] * 8, levels_per_stage=1, latency=2)
    with pytest.raises(ir.RtlnnError, match="levels_per_stage"):
        AdderTree([unsigned(4)] * 2, levels_per_stage=0)


@pytest.mark.parametrize("seed", range(6))
def test_activation_bit_exact(seed):
    rng = np.random.default_rng(seed)
    in_t, res_t = random_type(rng), random_type(rng)
    function = ["relu", "linear"][seed % 2]
    n = int(rng.integers(1, 9))
    dut = Activation(ir.Activation("act", ["x"], (n,), result_t=res_t, function=function), in_t, n)
    assert dut.latency == 0 and dut.ii == 1
    x = random_inputs(rng, in_t, 6, n)
    outs, cycles = run_io_parallel(dut, x, [in_t] * n, [res_t] * n, 1)
    assert cycles == list(range(6))
    ref = arith.relu_raw(x, in_t, res_t) if function == "relu" else res_t.cast(x, in_t)
    assert np.array_equal(outs.astype(object), ref.astype(object))


def test_activation_unknown_function():
    with pytest.raises(ir.RtlnnError, match="act_x.*'gelu'"):
        Activation(ir.Activation("act_x", ["x"], (2,), result_t=FixedType(8, 2), function="gelu"),
                   FixedType(8, 2), 2)
