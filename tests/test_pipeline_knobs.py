"""The pipelining knobs (config ``Pipeline``: MultiplierRegisters, AdderLevelsPerStage): config
validation, the delay model's 'auto' choice, and the Latency / Resource Dense generators with
every setting under Amaranth's simulator — bit-exact with rtlnn.arith, latency = RF + K + T."""

from __future__ import annotations

import numpy as np
import pytest

from rtlnn import ir
from rtlnn.config import resolve_layer_settings, validate_config
from rtlnn.fixed import FixedType
from rtlnn.hw.adder_tree import adder_tree_latency
from rtlnn.hw.dense import Dense
from rtlnn.hw.dense_resource import DenseResource
from rtlnn.hw.generators import HwOptions, dense_pipeline
from rtlnn.hw.timing_model import dense_multiplier_registers
from rtlnn.hw.top import build_network
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes
from rtlnn.report import format_report

from graphs import make_mlp
from test_hw_support import check_dense_back_to_back, random_dense
from test_resource_dense import read_cycles


@pytest.mark.parametrize("cls", [Dense, DenseResource])
@pytest.mark.parametrize("rf, regs, levels", [(1, 0, 1), (1, 2, 3), (3, 0, 2), (3, 2, 1), (5, 2, 2), (4, 0, 3),
                                               (1, 3, 2), (4, 3, 1)])
def test_dense_every_knob_bit_exact(cls, rf, regs, levels):
    rng = np.random.default_rng(100 * rf + 10 * regs + levels)
    in_t = FixedType(10, 4, True)
    layer = random_dense(rng, "fc", "x", in_t, 7, 3, zero_fraction=0.2, rf=rf)
    dut = cls(layer, in_t, levels_per_stage=levels, multiplier_registers=regs)
    tree = max(adder_tree_latency(n, levels) for n in dut.n_terms)
    read = read_cycles(dut.n_multipliers, rf, regs) if cls is DenseResource else 0
    assert dut.latency == rf + regs + tree + read
    assert dut.pipeline == {"multiplier_registers": regs, "adder_levels_per_stage": levels}
    check_dense_back_to_back(dut, layer, in_t, rng, 4, seed=rf)


def test_bad_multiplier_registers_named():
    rng = np.random.default_rng(0)
    layer = random_dense(rng, "fc9", "x", FixedType(8, 3), 3, 2, rf=1)
    with pytest.raises(ir.RtlnnError, match=r"Dense layer 'fc9': multiplier_registers .* 0, 1, 2 or 3, not 4"):
        Dense(layer, FixedType(8, 3), multiplier_registers=4)


def _graph():
    return make_mlp([6, 5, 3], seed=4)


@pytest.mark.parametrize("pipeline, message", [
    ({"MultiplierRegisters": 4}, r"Model.Pipeline.MultiplierRegisters must be 0 .* not 4"),
    ({"MultiplierRegisters": True}, r"MultiplierRegisters must be"),
    ({"AdderLevelsPerStage": 0}, r"AdderLevelsPerStage must be a whole number >= 1"),
    ({"AdderLevelsPerStage": "fast"}, r"AdderLevelsPerStage must be .* 'auto'"),
    ({"Registers": 1}, r"unknown setting 'Registers'; supported: MultiplierRegisters, AdderLevelsPerStage"),
    (2, r"Model.Pipeline must be a mapping"),
])
def test_config_errors(pipeline, message):
    with pytest.raises(ir.RtlnnError, match=message):
        validate_config({"Model": {"Pipeline": pipeline}}, _graph())


def test_config_only_dense_layers():
    with pytest.raises(ir.RtlnnError, match=r"LayerName.fc1_relu.Pipeline: only Dense layers"):
        validate_config({"LayerName": {"fc1_relu": {"Pipeline": {"MultiplierRegisters": 0}}}}, _graph())


def test_most_specific_level_wins_per_setting():
    cfg = {"Model": {"Pipeline": {"MultiplierRegisters": 2, "AdderLevelsPerStage": 3}},
           "LayerType": {"Dense": {"Pipeline": {"AdderLevelsPerStage": 1}}},
           "LayerName": {"fc2": {"Pipeline": {"MultiplierRegisters": "auto"}}}}
    validate_config(cfg, _graph())
    assert resolve_layer_settings(cfg, "fc1", "Dense")["pipeline"] == {"multiplier_registers": 2,
                                                                       "adder_levels_per_stage": 1}
    g = run_passes(_graph(), cfg)
    assert (g["fc1"].multiplier_registers, g["fc1"].adder_levels_per_stage) == (2, 1)
    assert (g["fc2"].multiplier_registers, g["fc2"].adder_levels_per_stage) == ("auto", 1)


def test_auto_follows_the_clock():
    """'auto': the product register alone where the operand mux and the multiplier fit a stage,
    operand registers too where they do not (always on ECP5 at 5 ns: its DSP alone is ~4 ns)."""
    g = run_passes(make_mlp([16, 8], seed=1), {"Model": {"Precision": "fixed<16,6>", "ReuseFactor": 1}})
    fc1, in_t = g["fc1"], g["input_1"].result_t
    assert dense_multiplier_registers(fc1, in_t, 5.0, "xc7") == 1
    assert dense_multiplier_registers(fc1, in_t, 5.0, "ecp5") == 2
    assert dense_multiplier_registers(fc1, in_t, 50.0, "ecp5") == 1
    fc1.reuse_factor = 16  # a 16:1 operand mux in front of the multiplier
    assert dense_multiplier_registers(fc1, in_t, 5.0, "xc7") == 2
    assert dense_pipeline(fc1, in_t, HwOptions()) == {"levels_per_stage": 2, "multiplier_registers": 1,
                                                      "operand_taps": None}
    fc1.multiplier_registers, fc1.adder_levels_per_stage = 0, 4
    assert dense_pipeline(fc1, in_t, HwOptions(clock_period=5.0, family="ecp5")) == {
        "levels_per_stage": 4, "multiplier_registers": 0, "operand_taps": 1}
    assert dense_pipeline(fc1, in_t, HwOptions(clock_period=5.0, family="xc7"))["operand_taps"] is None


def test_network_report_shows_the_knobs(tmp_path):
    cfg = {"Model": {"Precision": "fixed<12,4>", "ReuseFactor": 2},
           "LayerName": {"fc1": {"Pipeline": {"MultiplierRegisters": 2, "AdderLevelsPerStage": 1}},
                         "fc2": {"Strategy": "ShiftAdd", "ReuseFactor": 1}}}
    g = run_passes(_graph(), cfg)
    rm = RtlnnModel(g, cfg, tmp_path / "p", clock_period=5.0)
    rep = rm.report()
    layers = {entry["name"]: entry for entry in rep["layers"]}
    assert layers["fc1"]["pipeline"] == {"multiplier_registers": 2, "adder_levels_per_stage": 1}
    assert layers["fc2"]["pipeline"] is None and layers["fc1_relu"]["pipeline"] is None
    # every register is a cycle: fc1 = RF 2 + 2 registers + ceil(log2(7 terms) / 1) tree levels
    assert layers["fc1"]["latency_cycles"] == 2 + 2 + 3
    text = format_report(rep)
    (row,) = [line for line in text.splitlines() if line.startswith("fc1 ")]
    assert row.split()[-1] == "m2/a1"


def test_explicit_levels_reschedule_shift_add():
    """AdderLevelsPerStage on a ShiftAdd layer replaces its delay-driven schedule by n levels a stage."""
    base = {"Model": {"Precision": "fixed<12,4>", "Strategy": "ShiftAdd"}}
    one = {**base, "LayerType": {"Dense": {"Pipeline": {"AdderLevelsPerStage": 1}}}}
    many = {**base, "LayerType": {"Dense": {"Pipeline": {"AdderLevelsPerStage": 8}}}}
    lat = [build_network(run_passes(make_mlp([8, 6, 3], seed=2), c), clock_period=5.0).latency for c in (one, many)]
    assert lat[0] > lat[1]
