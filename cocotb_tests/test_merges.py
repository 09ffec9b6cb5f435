"""Merges, Concatenate, Cast and a standalone BatchNormalization in Verilator, bit-exact with the
emulator on >= 2,000 vectors (whole input range plus every all-min / all-max corner), latency and
II as reported — all kinds side by side in one design — and a branching functional Keras model
(two Dense branches added, then concatenated with the input) converted and simulated."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rtlnn import ir
from rtlnn.elementwise import MERGE_OPS
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes

N_VECTORS = 2000


def _vectors(graph, rng, n):
    """Float inputs (exact codes of each input type): all-min / all-max corners of every input
    combination, then uniform random codes over each whole range."""
    names = graph.inputs
    types = [graph[name].result_t for name in names]
    sizes = [graph[name].size for name in names]
    rows = {name: [] for name in names}
    for corner in itertools.product((0, 1), repeat=len(names)):
        for name, t, size, c in zip(names, types, sizes, corner):
            rows[name].append(np.full(size, t.max_raw if c else t.min_raw))
    for name, t, size in zip(names, types, sizes):
        rows[name].append(np.arange(size) % 2 * (t.max_raw - t.min_raw) + t.min_raw)  # alternating extremes
    k = len(rows[names[0]])
    out = []
    for name, t, size in zip(names, types, sizes):
        raw = np.concatenate([np.array(rows[name]), rng.integers(t.min_raw, t.max_raw + 1, (n - k, size))])
        out.append(t.to_float(raw))
    return out


def _all_kinds_graph():
    g = ir.ModelGraph(name="merges")
    g.add(ir.Input("a", [], (4,)))
    g.add(ir.Input("b", [], (4,)))
    g.add(ir.Input("c", [], (4,)))
    for op in MERGE_OPS:
        g.add(ir.Merge(op, ["a", "b"], (4,), op=op))
    g.add(ir.Merge("add3", ["a", "b", "c"], (4,), op="add"))
    g.add(ir.Merge("max3", ["a", "b", "c"], (4,), op="maximum"))
    g.add(ir.Merge("mul3", ["a", "b", "c"], (4,), op="multiply"))
    g.add(ir.Concatenate("cat", ["a", "b", "c"], (12,)))
    g.add(ir.BatchNormalization("bn", ["a"], (4,), scale=np.array([1.37, -0.5, 0.0, 2.0]),
                                bias=np.array([0.3, -1.1, 0.75, 0.0])))
    g.add(ir.Cast("cast", ["c"], (4,)))
    g.outputs = list(MERGE_OPS) + ["add3", "max3", "mul3", "cat", "bn", "cast"]
    sat = "fixed<6,2,RND,SAT>"  # narrow, saturating results: the corners saturate
    cfg = {"Model": {"Precision": sat},
           "LayerName": {"a": {"Precision": "fixed<7,3>"}, "b": {"Precision": "ufixed<6,2>"},
                         "c": {"Precision": "fixed<5,1>"},
                         "add": {"Precision": "fixed<9,4>"},  # exact for a+b: no saturation there
                         "subtract": {"Precision": "fixed<5,2,RND_CONV,SAT_SYM>"},
                         "multiply": {"Precision": "fixed<7,3,RND_INF,SAT_ZERO>"},
                         "average": {"Precision": "fixed<6,2,TRN,WRAP>"},
                         "maximum": {"Precision": "ufixed<5,2,RND,SAT>"},
                         "mul3": {"Precision": "fixed<8,3,RND,SAT>"},
                         "cat": {"Precision": "fixed<6,2,RND_ZERO,SAT>"},
                         "bn": {"Precision": {"scale": "fixed<8,2>", "bias": "fixed<6,2>", "result": sat}},
                         "cast": {"Precision": "fixed<3,1,RND,SAT>"}}}
    return g, cfg


def test_all_merge_kinds_bit_exact(tmp_path, require_verilator):
    graph, cfg = _all_kinds_graph()
    typed = run_passes(graph, cfg)
    rm = RtlnnModel(typed, cfg, tmp_path / "prj", project_name="merges")
    lat = {l.name: l.latency for l in rm.design.layers}
    assert lat["add"] == lat["bn"] == 1 and lat["cat"] == lat["cast"] == 0
    assert lat["add3"] == 1 and lat["mul3"] == 2  # one multiplier level per stage
    x = _vectors(typed, np.random.default_rng(0), N_VECTORS)
    sim = rm.simulate(x, gaps=False, seed=1)
    assert sim.n_vectors == N_VECTORS
    assert sim.mismatches == 0, sim.first_mismatches
    assert sim.latency_cycles == rm.latency_cycles == 2 and sim.ii == rm.ii == 1
    assert sim.passed
    # the corners really saturate somewhere: some outputs sit at a type's edge
    got = rm.predict(x)
    t = typed["bn"].result_t
    assert np.any(got[list(typed.outputs).index("bn")] == t.max_value)


keras = pytest.importorskip("keras")


def _branching_model():
    rng = np.random.default_rng(5)
    x = keras.Input((6,), name="x")
    a = keras.layers.Dense(5, activation="relu", name="branch_a")(x)
    b = keras.layers.Dense(5, name="branch_b")(x)
    s = keras.layers.Add(name="sum")([a, b])
    out = keras.layers.Concatenate(name="joined")([s, x])
    model = keras.Model(x, out, name="branching")
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            w, bias = layer.get_weights()
            layer.set_weights([rng.normal(0, 0.7, w.shape), rng.normal(0, 0.3, bias.shape)])
    return model


def test_branching_keras_model_bit_exact(tmp_path, require_verilator):
    from rtlnn.converters import convert_from_keras_model

    model = _branching_model()
    cfg = {"Model": {"Precision": "fixed<12,4,RND,SAT>"},
           "LayerName": {"x": {"Precision": "fixed<8,3>"},
                         "branch_b": {"Precision": {"result": "fixed<8,2,RND,SAT>"}, "ReuseFactor": 3},
                         "sum": {"Precision": "fixed<9,3,RND,SAT>"}}}
    rm = convert_from_keras_model(model, cfg, output_dir=tmp_path / "prj", project_name="branching")
    kinds = {l.name: l.kind for l in rm.graph}
    assert kinds["sum"] == "Merge" and kinds["joined"] == "Concatenate"
    x = _vectors(rm.graph, np.random.default_rng(2), N_VECTORS)[0]
    # the float model agrees with the emulator up to the quantization (stated for context, not the RTL check)
    assert np.max(np.abs(rm.predict(x)[:, 5:] - x)) == 0  # the input half of the concat is exact
    sim = rm.simulate(x, gaps=True, seed=3)
    assert sim.n_vectors == N_VECTORS
    assert sim.mismatches == 0, sim.first_mismatches
    assert sim.latency_cycles == rm.latency_cycles and sim.ii == rm.ii == 3
    assert sim.passed
