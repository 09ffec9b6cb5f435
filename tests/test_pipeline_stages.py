"""The delay model's cycle count at 200 MHz on ECP5 (calibrated by scripts/min_cycles_200mhz.py:
the count it picks meets 200 MHz in nextpnr, one fewer does not), the ``Pipeline: {Stages: n}``
knob that forces a ShiftAdd layer's count, and inputs from registers needing no input allowance."""

import sys
from pathlib import Path

import pytest

from rtlnn import ir
from rtlnn.hw.timing_model import delay_model, fewest_stage_schedule, schedule
from rtlnn.hw.top import build_network
from rtlnn.passes import run_passes

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

ECP5 = "LFE5U-85F-6BG381C"


def _quiet(design):
    for node in design._nodes.values():
        if node.component is not None:
            node.component._MustUse__silence = True
    return design


def _sa_8x8x4(stages=None, period=5.0, part=ECP5):
    from calibrate_timing import CASES, mlp

    sizes, strategy, prec, wprec = CASES["sa_8x8x4"]
    config = {"Model": {"Precision": prec, "Strategy": strategy},
              "LayerType": {"Dense": {"Precision": {"weight": wprec}}}}
    if stages:
        config["LayerName"] = {f"fc{k + 1}": {"Pipeline": {"Stages": n}} for k, n in enumerate(stages)}
    return _quiet(build_network(run_passes(mlp(sizes, 1), config), clock_period=period, part=part))


def _worst_stage(design) -> float:
    comps = [n.component for n in design._nodes.values() if hasattr(n.component, "stage_delays")]
    return max(max(c.stage_delays) for c in comps) + delay_model("ecp5").t_reg


def test_200mhz_ecp5_count_is_the_calibrated_one():
    """nextpnr-ecp5 (scripts/min_cycles_200mhz.py, seeds 1-3): 9 cycles (4 + 5) meet 200 MHz,
    the best 8-cycle split (4 + 4: the ReLU and an adder in one stage) does not.  The model must
    pick 9 and rate the 8-cycle split slower than 5 ns."""
    auto = _sa_8x8x4()
    assert auto.latency == 9
    assert [n.component.latency for n in auto._nodes.values() if n.layer.kind == "Dense"] == [4, 5]
    assert _worst_stage(auto) <= 5.0
    fewer = _sa_8x8x4(stages=(4, 4))
    assert fewer.latency == 8 and _worst_stage(fewer) > 5.0
    # every other split of 8 or fewer cycles is no better in the model
    for split in [(3, 5), (5, 3), (2, 6), (3, 4), (2, 4)]:
        assert _worst_stage(_sa_8x8x4(stages=split)) >= _worst_stage(fewer), split


def test_first_layer_reads_registers():
    """The network input comes from registers: the first layer's first stage holds an adder,
    a layer behind a ReLU keeps the allowance for it."""
    d = _sa_8x8x4()
    fc1, fc2 = d._nodes["fc1"].component, d._nodes["fc2"].component
    assert fc1.stage_delays[0] > 2.0  # an adder, not the empty input allowance
    assert fc2.stage_delays[0] == pytest.approx(delay_model("ecp5").t_input)


def test_stages_knob_sets_each_layer_count():
    for split in [(1, 1), (2, 3), (4, 5), (6, 7)]:
        d = _sa_8x8x4(stages=split)
        assert [d._nodes[f"fc{k}"].component.latency for k in (1, 2)] == list(split)
        assert d.latency == sum(split) and d.n_multipliers == 0
    # more stages, never a slower stage (the model's view)
    worst = [_worst_stage(_sa_8x8x4(stages=(n, n))) for n in (1, 2, 3, 4)]
    assert worst == sorted(worst, reverse=True)
    # without a clock the model of the part's family still balances the stages
    d = _sa_8x8x4(stages=(2, 2), period=None)
    assert d.latency == 4


def test_fewest_stage_schedule():
    chain = [(), (0,), (1,), (2,), (3,)]
    delays = [0.0, 1.0, 1.0, 1.0, 1.0]
    s = fewest_stage_schedule(chain, delays, 2, [4])
    assert s.stages == 2 and max(s.finish) == pytest.approx(2.0, abs=2e-3)
    assert fewest_stage_schedule(chain, delays, 4, [4]).stages == 4
    assert fewest_stage_schedule(chain, delays, 9, [4]).stages == 4  # cannot use more than one op a stage
    s = fewest_stage_schedule(chain, delays, 1, [4])
    assert s.stages == 1 and s.stage == schedule(chain, delays, 4.1).stage


@pytest.mark.parametrize("pipeline, strategy, match", [
    ({"Stages": 0}, "ShiftAdd", "whole number >= 1"),
    ({"Stages": 2.5}, "ShiftAdd", "whole number >= 1"),
    ({"Stages": 2, "AdderLevelsPerStage": 1}, "ShiftAdd", "set one of them"),
    ({"Stages": 2}, "Latency", "ShiftAdd layer only"),
])
def test_stages_errors(pipeline, strategy, match):
    from graphs import make_mlp

    g = make_mlp([6, 4], seed=3)
    config = {"Model": {"Precision": "fixed<10,4>", "Strategy": strategy},
              "LayerType": {"Dense": {"Pipeline": pipeline}}}
    with pytest.raises(ir.RtlnnError, match=match):
        build_network(run_passes(g, config), clock_period=5.0, part=ECP5)

