"""Dense with Strategy Resource under Amaranth's simulator: bit-exact with rtlnn.arith at every reuse
factor, latency RF + T + 2 at RF 1 (RF + T + 1 + L + 2 at RF > 1: L phase-tree levels to the
address, the read and a block memory's output register) and II RF measured,
weights in a memory that carries rom_style."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from amaranth.back import rtlil

from rtlnn.fixed import FixedType
from rtlnn.hw.dense import Dense
from rtlnn.hw.dense_resource import DenseResource, weight_words

from test_hw_support import check_dense_back_to_back, random_dense, random_type


def read_cycles(n_multipliers: int, rf: int, multiplier_registers: int = 1) -> int:
    """Resource's cycles on top of Latency's: the read register at RF 1; at RF > 1 the phase
    tree's levels (the root, one more per factor of 4 in the groups of 4 multipliers), the read
    and the block memory's output register, and with MultiplierRegisters 3 a fabric register."""
    if rf == 1:
        return 1
    groups, levels = math.ceil(n_multipliers / 4), 1
    while groups > 1:
        groups, levels = math.ceil(groups / 4), levels + 1
    return levels + 2 + (multiplier_registers >= 3)


def _check(layer, in_t, rng, n_vec=4, levels_per_stage=2):
    dut = DenseResource(layer, in_t, levels_per_stage=levels_per_stage)
    lat = Dense(layer, in_t, levels_per_stage=levels_per_stage)
    lat._MustUse__silence = True  # read for its latency only
    assert dut.ii == layer.reuse_factor
    assert dut.n_multipliers == math.ceil(layer.n_products() / layer.reuse_factor)
    assert dut.latency == lat.latency + read_cycles(dut.n_multipliers, layer.reuse_factor)
    check_dense_back_to_back(dut, layer, in_t, rng, n_vec)
    return dut


@pytest.mark.parametrize("seed", range(12))
def test_resource_dense_random_bit_exact(seed):
    rng = np.random.default_rng(4000 + seed)
    n_in, n_out = int(rng.integers(1, 13)), int(rng.integers(1, 13))
    in_t = random_type(rng)
    layer = random_dense(rng, f"dense_{seed}", "x", in_t, n_in, n_out)
    layer.strategy = "Resource"
    _check(layer, in_t, rng, levels_per_stage=int(rng.integers(1, 4)))


def test_resource_dense_every_reuse_factor_down_to_one_multiplier():
    rng = np.random.default_rng(11)
    in_t = FixedType(8, 3, True)
    layer = random_dense(rng, "fc", "x", in_t, 6, 5, zero_fraction=0.0, rf=1)
    p = layer.n_products()
    assert p >= 20
    for rf in (1, 2, 5, 6, 7, 15, p - 1, p):  # RF = n_in: one multiplier per output; RF = P: one multiplier
        layer.reuse_factor = rf
        dut = _check(layer, in_t, rng)
        assert dut.n_multipliers == math.ceil(p / rf)
    assert dut.n_multipliers == 1


def test_weight_memory_contents_and_rom_style():
    rng = np.random.default_rng(3)
    in_t = FixedType(6, 2, True)
    layer = random_dense(rng, "fc", "x", in_t, 4, 3, zero_fraction=0.3, rf=3)
    dut = DenseResource(layer, in_t)
    words = weight_words(dut.schedule, dut.weight_t)
    assert len(words) == 3 and dut.weight_memory_bits == 3 * dut.n_multipliers * dut.weight_t.width
    # every nonzero weight appears once, at (multiplier, phase) as the schedule says
    ww = dut.weight_t.width
    for p_idx, (j, i, w) in enumerate(dut.schedule.products):
        mlt, t = divmod(p_idx, 3)
        field = (words[t] >> (mlt * ww)) & ((1 << ww) - 1)
        assert field == w & ((1 << ww) - 1)
    text = rtlil.convert(dut)
    assert "rom_style" in text and '"block"' in text
    # one $mul cell per multiplier, as the generator counts them
    assert len(re.findall(r"cell \$mul ", text)) == dut.n_multipliers


def test_config_strategy_resource_case_insensitive_builds_memory_dense():
    from rtlnn.hw.top import build_network
    from rtlnn.passes import run_passes

    from graphs import make_mlp

    graph = make_mlp([6, 5, 3], seed=2)
    config = {"Model": {"Precision": "fixed<10,4>", "ReuseFactor": 3},
              "LayerName": {"fc1": {"Strategy": "resource"}}}
    typed = run_passes(graph, config)
    assert typed["fc1"].strategy == "Resource" and typed["fc2"].strategy == "Latency"
    design = build_network(typed, name="res_top")
    by_name = {l.name: l for l in design.layers}
    assert isinstance(design._nodes["fc1"].component, DenseResource)
    assert not isinstance(design._nodes["fc2"].component, DenseResource)
    assert by_name["fc1"].ii == 3 and by_name["fc1"].latency == design._nodes["fc1"].component.latency
    assert "rom_style" in design.verilog_files()["res_top_fc1.v"]


@pytest.mark.parametrize("rf", [64] + [pytest.param(r, marks=pytest.mark.slow) for r in (1, 4, 16)])
def test_mlp_16_64_32_32_5_resource_multipliers_in_netlist(rf):
    """Every layer of the issue's MLP at Strategy Resource: $mul cells in the RTLIL netlist equal the
    generator's own count (ceil(P / RF)); the weight memory is rom_style=block from RF 2."""
    from rtlnn.passes import run_passes

    from graphs import make_mlp

    graph = make_mlp([16, 64, 32, 32, 5], seed=7)
    typed = run_passes(graph, {"Model": {"Precision": "fixed<8,3,RND,SAT>", "ReuseFactor": rf, "Strategy": "Resource"}})
    for layer in typed:
        if layer.kind != "Dense":
            continue
        dut = DenseResource(layer, typed[layer.inputs[0]].result_t)
        assert dut.ii == rf and dut.n_multipliers == math.ceil(layer.n_products() / rf)
        text = rtlil.convert(dut)
        assert len(re.findall(r"cell \$mul ", text)) == dut.n_multipliers, layer.name
        assert ('rom_style "block"' in text) == (rf > 1)
