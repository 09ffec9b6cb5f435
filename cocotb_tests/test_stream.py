"""io_stream designs in Verilator: RTL = emulator pixel by pixel under random input gaps and output
backpressure, latency and II measured equal to the design's, a branching network with automatically
sized FIFOs, an undersized FIFO and a deadlock reported (not hung)."""

from __future__ import annotations

import numpy as np
import pytest

from rtlnn import ir
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes
from rtlnn.sim import simulate

from graphs import make_mlp


def _mlp_model(tmp_path, sizes, rf, strategy, name, **kw):
    graph = make_mlp(sizes, seed=7)
    config = {"Model": {"Precision": "fixed<8,3,RND,SAT>", "ReuseFactor": rf, "Strategy": strategy}}
    return RtlnnModel(run_passes(graph, config), config, tmp_path / name, io_type="io_stream", project_name=name, **kw)


def _branch_model(tmp_path, name, fifo=None):
    rng = np.random.default_rng(5)
    g = ir.ModelGraph(name="branch")
    g.add(ir.Input("x", [], (6,)))
    g.add(ir.Dense("a1", ["x"], (8,), weight=rng.normal(0, .5, (6, 8)), bias=rng.normal(0, .5, 8)))
    g.add(ir.Activation("a1_relu", ["a1"], (8,), function="relu"))
    g.add(ir.Dense("a2", ["a1_relu"], (4,), weight=rng.normal(0, .5, (8, 4)), bias=rng.normal(0, .5, 4)))
    g.add(ir.Dense("b1", ["x"], (4,), weight=rng.normal(0, .5, (6, 4)), bias=rng.normal(0, .5, 4)))
    g.add(ir.Merge("add", ["a2", "b1"], (4,), op="add"))
    g.outputs = ["add", "b1"]
    config = {"Model": {"Precision": "fixed<10,4>"}, "LayerName": {"a2": {"ReuseFactor": 2}}}
    if fifo:
        config["LayerName"]["b1"] = {"FifoDepth": fifo}
    return RtlnnModel(run_passes(g, config), config, tmp_path / name, io_type="io_stream", project_name=name)


def test_stream_mlp_resource_rf4_gaps_and_backpressure(tmp_path, require_verilator):
    rm = _mlp_model(tmp_path, [8, 16, 8, 4], 4, "Resource", "smlp_r4")
    full = rm.simulate(n_vectors=120, seed=1)
    assert full.passed, full.details["errors"]
    assert full.mismatches == 0 and full.latency_cycles == rm.latency_cycles and full.ii == rm.ii == 4
    stressed = rm.simulate(n_vectors=300, gaps=True, seed=2)  # same RTL: the build is cached
    assert stressed.passed, stressed.details["errors"]
    assert stressed.mismatches == 0 and stressed.details["missing_outputs"] == 0
    assert stressed.ii == 4 and stressed.latency_cycles == rm.latency_cycles
    x = np.random.default_rng(0).normal(0, 2, size=(50, 8))
    sim = rm.simulate(x, gaps=True, seed=3)
    assert np.array_equal(sim.outputs, rm.predict(x))


def test_stream_branch_auto_fifos_gaps_and_backpressure(tmp_path, require_verilator):
    rm = _branch_model(tmp_path, "sbranch")
    assert rm.design.sizing["method"] == "simulation" and rm.design.sizing["verified"]
    sim = rm.simulate(n_vectors=300, gaps=True, seed=5)
    assert sim.passed, sim.details["errors"]
    assert sim.mismatches == 0 and sim.ii == rm.ii == 2 and sim.latency_cycles == rm.latency_cycles


def test_stream_undersized_fifo_detected(tmp_path, require_verilator):
    rm = _branch_model(tmp_path, "sunder", fifo=2)
    assert not rm.design.sizing["verified"] and "b1_to_add_1" in rm.design.sizing["stall"]
    sim = rm.simulate(n_vectors=60, seed=5)
    assert sim.mismatches == 0  # slower, never wrong
    assert not sim.passed and any("frame interval" in e for e in sim.details["errors"])
    assert rm.report()["stream"]["sizing"]["verified"] is False


def test_stream_deadlock_reported_by_the_watchdog(tmp_path, require_verilator):
    rm = _mlp_model(tmp_path, [3, 4, 2], 1, "Latency", "sdead")
    out_dir = rm.write(n_vectors=40)
    out_fifo = [f for f in rm.design.fifos if f.consumer == "output"][0]
    path = out_dir / "rtl" / f"sdead_fifo_w{out_fifo.width}_d{out_fifo.depth}.v"
    text = path.read_text()
    assert ".r_rdy(o__valid)," in text and "wire o__valid;" in text
    text = text.replace(".r_rdy(o__valid),", ".r_rdy(),").replace("wire o__valid;", "wire o__valid = 1'h0;")
    path.write_text(text)  # the output FIFO never offers its pixels: everything behind it fills up
    result = simulate(out_dir)
    assert not result.passed and result.stall
    assert "stall/deadlock" in result.stall
    assert f"{out_fifo.name} (occupancy {out_fifo.depth}/{out_fifo.depth})" in result.stall


@pytest.mark.slow
@pytest.mark.parametrize("rf", [1, 4, 16, 64])
def test_stream_mlp_16_64_32_32_5_resource(rf, tmp_path, require_verilator):
    rm = _mlp_model(tmp_path, [16, 64, 32, 32, 5], rf, "Resource", f"mlp5_r{rf}")
    sim = rm.simulate(n_vectors=200, gaps=True, seed=rf)
    assert sim.passed, sim.details["errors"]
    assert sim.mismatches == 0 and sim.ii == rm.ii == rf and sim.latency_cycles == rm.latency_cycles
