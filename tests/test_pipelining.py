"""Register placement for a target clock: the delay model, the ASAP schedule, latencies that
fall as the period grows, and the jet-tagger figure at 200 MHz."""

import pytest

from rtlnn import ir
from rtlnn.hw.timing_model import (DELAY_MODELS, check_clock_period, delay_model, family_of_part, schedule,
                                   tree_levels_per_stage)
from rtlnn.hw.top import build_network
from rtlnn.passes import run_passes

from graphs import make_mlp


def test_families():
    assert family_of_part("LFE5U-85F-6BG381C") == "ecp5" and family_of_part("xc7a35tcpg236-1") == "xc7"
    assert delay_model("ecp5") is DELAY_MODELS["ecp5"] and delay_model("xczu9eg") is DELAY_MODELS["xc7"]
    for m in DELAY_MODELS.values():
        assert m.adder(32) > m.adder(8) > m.t_lut > 0 and m.multiplier(16, 8) > m.adder(24)


@pytest.mark.parametrize("bad", [0, -1.0, "5ns", True, 1e6])
def test_bad_clock_period(bad):
    with pytest.raises(ir.RtlnnError, match="clock_period"):
        check_clock_period(bad)


def test_schedule_asap():
    # a chain of four 1 ns steps from the inputs, budget 2 ns: two steps per stage
    s = schedule([(), (0,), (1,), (2,), (3,)], [0, 1, 1, 1, 1], 2.0)
    assert s.stage == (1, 1, 1, 2, 2) and s.stages == 2
    # an input ready late (start) pushes the first step into stage 2 when it does not fit
    s = schedule([(), (0,)], [0, 1.5], 2.0, start=1.0)
    assert s.stage == (1, 2)
    # a step slower than the budget gets a stage of its own, and the next one starts afresh
    s = schedule([(), (0,), (1,)], [0, 3.0, 0.5], 2.0)
    assert s.stage == (1, 1, 2) and s.finish[1] == 3.0


def test_tree_levels():
    m = delay_model("xc7")
    assert tree_levels_per_stage(m, 100.0, 16) > tree_levels_per_stage(m, 5.0, 16) >= \
        tree_levels_per_stage(m, 5.0, 48) >= 1
    assert tree_levels_per_stage(m, 0.5, 16) == 1


def _jet_shaped(strategy, weight="fixed<8,2>", zero_fraction=0.0):
    graph = make_mlp([16, 64, 32, 32, 5], seed=11, zero_fraction=zero_fraction)
    config = {"Model": {"Precision": "fixed<16,6>", "Strategy": strategy},
              "LayerType": {"Dense": {"Precision": {"weight": weight}}}}
    return run_passes(graph, config)


def _quiet(design):
    for node in design._nodes.values():
        if node.component is not None:
            node.component._MustUse__silence = True
    return design


@pytest.mark.parametrize("strategy", ["ShiftAdd", "Latency"])
@pytest.mark.parametrize("part", ["xc7a35t", "LFE5U-85F"])
def test_latency_falls_as_the_period_grows(strategy, part):
    graph = _jet_shaped(strategy, zero_fraction=0.5)
    periods = [2.0, 3.0, 4.0, 5.0, 6.5, 8.0, 12.0, 20.0, 50.0]
    lat = [_quiet(build_network(graph, clock_period=p, part=part)).latency for p in periods]
    assert lat == sorted(lat, reverse=True), lat
    assert lat[0] > lat[-1]


def test_jet_tagger_shape_at_200mhz():
    """The fully pipelined 16-64-32-32-5 network at 8-bit weights, 16-bit activations, 5 ns on
    7-series: at most 11 cycles with ShiftAdd (published HLS: 22 cycles at 200 MHz)."""
    design = _quiet(build_network(_jet_shaped("ShiftAdd"), clock_period=5.0, part="xc7a35tcpg236-1"))
    assert design.latency <= 11
    assert design.n_multipliers == 0 and design.ii == 1
    lat_dsp = _quiet(build_network(_jet_shaped("Latency"), clock_period=5.0, part="xc7a35tcpg236-1")).latency
    assert design.latency < lat_dsp


def test_levels_per_stage_without_clock_unchanged():
    """No clock_period: the multiplier Dense keeps its levels_per_stage pipelining."""
    graph = _jet_shaped("Latency")
    default = _quiet(build_network(graph))
    assert default.options.clock_period is None
    assert default.latency == _quiet(build_network(graph, levels_per_stage=2)).latency
    assert _quiet(build_network(graph, levels_per_stage=1)).latency > default.latency
