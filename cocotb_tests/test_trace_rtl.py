"""The RTL in trace mode: every layer's outputs from the simulated Verilog, bit-exact with the
emulator's per-layer values, on a DAG whose layers finish at different cycles (delay lines),
with a reuse factor (II > 1); latency and II measured equal to the generator's."""

import numpy as np

from rtlnn import ir
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes
from rtlnn.trace import compare, rtl_trace


def _dag():
    """input -> fc1 (RF 2) -> relu -> fc3 ; input -> fc2 ; add(relu(fc1)->fc3, fc2) -> out."""
    rng = np.random.default_rng(5)
    g = ir.ModelGraph(name="dag")
    g.add(ir.Input("x", [], (6,)))
    g.add(ir.Dense("fc1", ["x"], (5,), weight=rng.normal(0, 0.6, (6, 5)), bias=rng.normal(0, 0.3, 5)))
    g.add(ir.Activation("fc1_relu", ["fc1"], (5,), function="relu"))
    g.add(ir.Dense("fc3", ["fc1_relu"], (4,), weight=rng.normal(0, 0.6, (5, 4)), bias=rng.normal(0, 0.3, 4)))
    g.add(ir.Dense("fc2", ["x"], (4,), weight=rng.normal(0, 0.6, (6, 4)), bias=rng.normal(0, 0.3, 4)))
    g.add(ir.Merge("add", ["fc3", "fc2"], (4,), op="add"))
    g.add(ir.Dense("out", ["add"], (3,), weight=rng.normal(0, 0.6, (4, 3)), bias=rng.normal(0, 0.3, 3)))
    g.outputs = ["out"]
    config = {"Model": {"Precision": "fixed<10,4,RND,SAT>"},
              "LayerName": {"fc1": {"ReuseFactor": 2}, "fc1_relu": {"Precision": "fixed<8,3>"},
                            "add": {"Precision": "fixed<9,4,TRN,WRAP>"}}}
    return run_passes(g, config), config


def test_rtl_trace_every_layer_bit_exact(tmp_path, require_verilator):
    graph, config = _dag()
    rm = RtlnnModel(graph, config, tmp_path / "prj", project_name="dagtrace")
    x = np.random.default_rng(9).normal(0, 2.0, (150, 6))  # large enough to saturate and wrap somewhere
    tr = rtl_trace(rm, x)
    emu = rm.trace(x)
    names = ["fc1", "fc1_relu", "fc3", "fc2", "add", "out"]
    assert list(tr.values) == names
    assert tr.passed and tr.mismatches == 0
    for name in names:
        assert tr.layer_mismatches[name] == 0, name
        assert tr.raw[name].shape == (150,) + graph[name].shape
        assert np.array_equal(tr.values[name], emu[name]), name
    # the layers finish at different cycles, yet the trace top measures the design's own timing
    starts = {i.name: i.start for i in rm.design.layers}
    assert starts["fc2"] != starts["fc3"]
    assert tr.latency_cycles == tr.expected_latency_cycles == rm.latency_cycles
    assert tr.ii == tr.expected_ii == rm.ii == 2
    # the side-by-side view carries the RTL column
    cmp = compare(None, rm, x[:40], rtl=True, output_dir=tmp_path / "trace2")
    assert all(lt.rtl_mismatches == 0 for lt in cmp.layers if lt.kind != "Input")
    assert np.array_equal(cmp["add"].rtl, emu["add"][:40])
