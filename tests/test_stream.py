"""io_stream under Amaranth's simulator: the pixel-by-pixel wrapper under random backpressure and gaps,
FIFO sizing (analysis of a chain = simulation; a branch sized and verified by simulation), config."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from rtlnn import emulate, ir
from rtlnn.config import validate_config
from rtlnn.hw.stream_top import build_stream_network, fifo_depths_from_config
from rtlnn.passes import run_passes
from rtlnn.sim.stream_vectors import frame_words, pixel_words

from graphs import make_mlp


def _drive(design, frames_raw, *, seed, gaps, max_cycles=20000):
    """Stream raw input frames through design.top with random gaps/backpressure; return output pixels."""
    graph_in = design._inputs
    top = design.top
    words = frames_raw
    rng = np.random.default_rng(seed)
    got = []

    async def bench(ctx):
        sent = 0
        for _ in range(max_cycles):
            offer = sent < len(words) and (not gaps or rng.random() < 0.6)
            ctx.set(top.in_valid, int(offer))
            ctx.set(top.in_data, words[sent] if offer else int(rng.integers(0, 1 << 30)))
            ready = (not gaps) or rng.random() < 0.5
            ctx.set(top.out_ready, int(ready))
            if offer and ctx.get(top.in_ready):
                sent += 1
            if ready and ctx.get(top.out_valid):
                got.append(ctx.get(top.out_data))
            if sent == len(words) and len(got) == design.pixels_out * len(words) // design.pixels_in:
                return
            await ctx.tick()

    sim = Simulator(top)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return got


def _typed_mlp(sizes, rf, strategy="Latency", seed=0):
    graph = make_mlp(sizes, seed=seed)
    return run_passes(graph, {"Model": {"Precision": "fixed<8,3,RND,SAT>", "ReuseFactor": rf, "Strategy": strategy}})


@pytest.mark.parametrize("rf, strategy", [(1, "Latency"), (3, "Resource")])
def test_stream_mlp_bit_exact_under_backpressure_and_gaps(rf, strategy):
    g = _typed_mlp([5, 7, 3], rf, strategy)
    design = build_stream_network(g, name="smlp")
    rng = np.random.default_rng(1)
    t_in = g["input_1"].result_t
    x = rng.integers(t_in.min_raw, t_in.max_raw + 1, size=(40, 5))
    words = pixel_words([x], [(5,)], [t_in])
    got = _drive(design, words, seed=rf, gaps=True)
    ref = emulate.run_raw(g, {"input_1": x})["fc2"]
    assert got == pixel_words([ref], [(3,)], [g["fc2"].result_t])  # nothing lost, nothing duplicated


def test_chain_analysis_equals_simulation():
    g = _typed_mlp([4, 6, 5, 3], 2, "Resource")
    g["fc2"].reuse_factor = 5
    by_analysis = build_stream_network(g, name="a")
    by_sim = build_stream_network(g, name="a", sizing="simulation")
    assert by_analysis.sizing["method"] == "analysis" and by_sim.sizing["method"] == "simulation"
    assert by_analysis.latency == by_sim.latency
    assert by_sim.sizing["frame_interval"] == by_analysis.ii == 5
    assert by_sim.sizing["verified"]


def _branch_graph():
    """input -> fc_long (RF 1) -> relu -> fc_long2 -> add <- fc_short (linear) <- input: a fork whose
    branches differ in latency, joined by a Merge."""
    rng = np.random.default_rng(5)
    g = ir.ModelGraph(name="branch")
    g.add(ir.Input("x", [], (6,)))
    g.add(ir.Dense("a1", ["x"], (8,), weight=rng.normal(0, .5, (6, 8)), bias=rng.normal(0, .5, 8)))
    g.add(ir.Activation("a1_relu", ["a1"], (8,), function="relu"))
    g.add(ir.Dense("a2", ["a1_relu"], (4,), weight=rng.normal(0, .5, (8, 4)), bias=rng.normal(0, .5, 4)))
    g.add(ir.Dense("b1", ["x"], (4,), weight=rng.normal(0, .5, (6, 4)), bias=rng.normal(0, .5, 4)))
    g.add(ir.Merge("add", ["a2", "b1"], (4,), op="add"))
    g.outputs = ["add", "b1"]  # a branch output too: the output join
    return run_passes(g, {"Model": {"Precision": "fixed<10,4>"}, "LayerName": {"a2": {"ReuseFactor": 2}}})


def test_branch_sized_by_simulation_and_verified():
    g = _branch_graph()
    design = build_stream_network(g, name="br")
    rec = design.sizing
    assert rec["method"] == "simulation" and rec["verified"]
    assert rec["frame_interval"] == design.ii == 2
    depth = {f.name: f.depth for f in design.fifos}
    # the short branch waits for the long one: its FIFO into the merge must hold several pixels
    assert depth["b1_to_add_1"] > 2, depth
    assert all(d >= 2 for d in depth.values())
    rng = np.random.default_rng(2)
    t_in = g["x"].result_t
    x = rng.integers(t_in.min_raw, t_in.max_raw + 1, size=(30, 6))
    got = _drive(design, pixel_words([x], [(6,)], [t_in]), seed=4, gaps=True)
    ref = emulate.run_raw(g, {"x": x})
    assert got == pixel_words([ref["add"], ref["b1"]], [(4,), (4,)], [g["add"].result_t, g["b1"].result_t])


def test_undersized_fifo_on_branch_is_reported_by_the_verification_run():
    g = _branch_graph()
    design = build_stream_network(g, name="br", fifo_depths={"b1": 2})
    assert not design.sizing["verified"]
    assert "filled" in design.sizing["stall"] and "b1_to_add_1" in design.sizing["stall"]


def test_frame_words_round_trip_multi_pixel():
    from rtlnn.fixed import FixedType

    t = FixedType(5, 2)
    rng = np.random.default_rng(0)
    a = rng.integers(t.min_raw, t.max_raw + 1, size=(3, 2, 4))
    words = pixel_words([a], [(2, 4)], [t])
    assert len(words) == 6
    from rtlnn.vectors import pack
    assert frame_words(words, [(2, 4)], [t]) == pack([a], [t])


def test_fifo_depth_config():
    g = make_mlp([3, 2])
    validate_config({"Model": {"FifoDepth": "auto"}, "LayerName": {"fc1": {"FifoDepth": 8}}}, g)
    typed = run_passes(g, {"Model": {"Precision": "fixed<8,3>"}})
    assert fifo_depths_from_config({"LayerName": {"fc1": {"FifoDepth": 8}}}, typed) == {"input_1": None, "fc1": 8}
    design = build_stream_network(typed, name="f", fifo_depths={"fc1": 8})
    assert [f.depth for f in design.fifos if f.producer == "fc1"] == [8]
    with pytest.raises(ir.RtlnnError, match="FifoDepth"):
        build_stream_network(typed, name="f", fifo_depths={"fc1": 1})
