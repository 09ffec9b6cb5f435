"""The pipelining knobs (config ``Pipeline``) in Verilator: Dense layers with every multiplier-
register setting (0, 1, 2, 3) and several adder levels per stage, Latency and Resource, reuse
factors 1-4, and the operand-tap limit (``OperandTaps``) on pruned weights — side by side in one design (one Verilator build) fed by one input — bit-exact
with the emulator, latency and II measured equal to the generators'.  A branch whose stated
latency were off by one would deliver its neighbour vector's result and mismatch."""

from __future__ import annotations

import numpy as np

from rtlnn import ir
from rtlnn.hw.pipeline import phase_fanout_levels
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes

# branch name: (strategy, reuse factor, MultiplierRegisters, AdderLevelsPerStage[, OperandTaps])
BRANCHES = {
    "lat_m0": ("Latency", 1, 0, 1),
    "lat_m2": ("Latency", 3, 2, 3),
    "lat_m1": ("Latency", 4, 1, 1),
    "res_m0": ("Resource", 2, 0, 2),
    "res_m2": ("Resource", 4, 2, 1),
    "lat_m3": ("Latency", 2, 3, 2),
    "res_m3": ("Resource", 3, 3, 1),
    "res_t1": ("Resource", 4, 3, 1, 1),  # half the weights zero: products of 0 keep one tap a multiplier
    "lat_t1": ("Latency", 3, 2, 2, 1),
    "res_t2": ("Resource", 5, 1, 2, 2),
}


def _graph():
    rng = np.random.default_rng(11)
    g = ir.ModelGraph(name="knobs")
    g.add(ir.Input("x", [], (7,)))
    outputs = []
    for name, knobs in BRANCHES.items():
        w = rng.normal(0, 0.6, (7, 3))
        if len(knobs) > 4:
            w[rng.random((7, 3)) < 0.5] = 0.0
        g.add(ir.Dense(name, ["x"], (3,), weight=w, bias=rng.normal(0, 0.4, 3)))
        outputs.append(name)
    # a chain: an unregistered multiplier (0) behind a ReLU, into a fully registered one (2)
    g.add(ir.Dense("chain1", ["x"], (5,), weight=rng.normal(0, 0.6, (7, 5)), bias=rng.normal(0, 0.4, 5)))
    g.add(ir.Activation("chain1_relu", ["chain1"], (5,), function="relu"))
    g.add(ir.Dense("chain2", ["chain1_relu"], (2,), weight=rng.normal(0, 0.6, (5, 2)), bias=rng.normal(0, 0.4, 2)))
    g.outputs = outputs + ["chain2"]
    cfg = {"Model": {"Precision": "fixed<10,4,RND,SAT>"},
           "LayerName": {name: {"Strategy": s, "ReuseFactor": rf,
                                "Pipeline": {"MultiplierRegisters": k, "AdderLevelsPerStage": a,
                                             **({"OperandTaps": taps[0]} if taps else {})}}
                         for name, (s, rf, k, a, *taps) in BRANCHES.items()}}
    cfg["LayerName"]["chain1"] = {"Pipeline": {"MultiplierRegisters": 0, "AdderLevelsPerStage": 2}}
    cfg["LayerName"]["chain2"] = {"ReuseFactor": 2, "Pipeline": {"MultiplierRegisters": 2}}
    return g, cfg


def test_every_knob_in_one_design(tmp_path, require_verilator):
    graph, cfg = _graph()
    typed = run_passes(graph, cfg)
    rm = RtlnnModel(typed, cfg, tmp_path / "prj", project_name="knobs", clock_period=5.0)
    layers = {entry["name"]: entry for entry in rm.report()["layers"]}
    for name, (strategy, rf, k, a, *taps) in BRANCHES.items():
        assert layers[name]["pipeline"] == {"multiplier_registers": k, "adder_levels_per_stage": a,
                                            **({"operand_taps": taps[0]} if taps else {})}
        assert layers[name]["ii"] == rf
        # latency = RF + K multiplier registers + the adder tree (+ Resource's weight-memory read,
        # and at RF > 1 the phase tree's levels to the address, the block memory's output register
        # and at K 3 the weights' fabric register;
        # tests/test_phase_fanout.py measures the levels)
        tree = rm.design._nodes[name].component.tree_latency
        n_mult = rm.design._nodes[name].component.n_multipliers
        read = (1 if rf == 1 else phase_fanout_levels(n_mult) + 2 + (k == 3)) if strategy == "Resource" else 0
        assert layers[name]["latency_cycles"] == rf + k + tree + read
    assert layers["chain2"]["pipeline"]["multiplier_registers"] == 2
    rng = np.random.default_rng(3)
    t = typed["x"].result_t
    x = t.to_float(np.concatenate([np.full((1, 7), t.min_raw), np.full((1, 7), t.max_raw),
                                   rng.integers(t.min_raw, t.max_raw + 1, (398, 7))]))
    sim = rm.simulate(x, seed=2)
    assert sim.n_vectors == 400 and sim.mismatches == 0, sim.first_mismatches
    assert sim.latency_cycles == rm.latency_cycles and sim.ii == rm.ii == 5
    assert sim.passed
