"""Merges (Add, Subtract, Multiply, Average, Maximum, Minimum), Concatenate, Cast and the
config's OutputCast: exact arithmetic against Fractions, hardware under Amaranth's simulator
bit-exact with the emulator and timed as stated, Keras functional models, and the errors."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from rtlnn import emulate, ir
from rtlnn.elementwise import MERGE_OPS, merge_exact_type, merge_raw
from rtlnn.fixed import FixedType
from rtlnn.hw.merge import merge_latency
from rtlnn.hw.top import build_network
from rtlnn.passes import run_passes

from test_hw_support import random_inputs, random_type, run_io_parallel

N = 3  # elements per input


def _exact(op, values):
    if op == "add":
        return sum(values)
    if op == "subtract":
        return values[0] - values[1]
    if op == "multiply":
        out = Fraction(1)
        for v in values:
            out *= v
        return out
    if op == "average":
        return sum(values) / len(values)
    return max(values) if op == "maximum" else min(values)


@pytest.mark.parametrize("op", MERGE_OPS)
def test_exact_type_holds_the_exact_result(op):
    """The exact intermediate equals Fraction arithmetic on every corner and random inputs."""
    rng = np.random.default_rng(hash(op) % 1000)
    for _ in range(30):
        k = 2 if op == "subtract" else int(rng.choice([2, 4] if op == "average" else [2, 3, 4]))
        types = [random_type(rng, 2, 14, modes=False) for _ in range(k)]
        exact = merge_exact_type(op, types)
        raws = [random_inputs(rng, t, 40, 1)[:, 0] for t in types]
        for r, t in zip(raws, types):  # corners
            r[:2] = [t.min_raw, t.max_raw]
        got = merge_raw(op, raws, types, exact)
        for row in range(40):
            want = _exact(op, [Fraction(int(r[row])) / (Fraction(2) ** t.frac) for r, t in zip(raws, types)])
            assert Fraction(int(got[row])) / (Fraction(2) ** exact.frac) == want


def _merge_graph(rng, k):
    """Every merge kind, a Concatenate, a Cast, side by side on ``k`` random-typed inputs."""
    g = ir.ModelGraph(name="merges")
    ins = [g.add(ir.Input(f"in{i}", [], (N,), result_t=random_type(rng, 2, 12))).name for i in range(k)]
    for op in MERGE_OPS:
        srcs = ins[:2] if op == "subtract" or (op == "average" and k == 3) else ins
        g.add(ir.Merge(op, srcs, (N,), op=op, result_t=random_type(rng, 2, 14)))
    g.add(ir.Concatenate("cat", ins, (N * k,), result_t=random_type(rng, 2, 14)))
    g.add(ir.Cast("cast", [ins[-1]], (N,), result_t=random_type(rng, 2, 14)))
    g.outputs = list(MERGE_OPS) + ["cat", "cast"]
    return g, ins


@pytest.mark.parametrize("seed", range(12))
def test_hardware_bit_exact_and_timed(seed):
    rng = np.random.default_rng(900 + seed)
    k = 2 + seed % 3
    g, ins = _merge_graph(rng, k)
    lps = 1 + seed % 2
    design = build_network(g, levels_per_stage=lps)
    info = {l.name: l for l in design.layers}
    for op in MERGE_OPS:
        assert info[op].latency == merge_latency(op, len(g[op].inputs), lps) >= 1
        assert info[op].ii == 1
    assert info["multiply"].n_multipliers == N * (k - 1)
    assert info["cat"].latency == info["cast"].latency == 0
    n_vec = 80
    raw = {n: random_inputs(rng, g[n].result_t, n_vec, N) for n in ins}
    for n in ins:  # saturation edges: every input at its minimum, then its maximum
        raw[n][0], raw[n][1] = g[n].result_t.min_raw, g[n].result_t.max_raw
    want = emulate.run_raw(g, raw)
    in_types = [g[n].result_t for n in ins for _ in range(N)]
    out_types = [g[o].result_t for o in g.outputs for _ in range(g[o].size)]
    vectors = [[int(v) for n in ins for v in raw[n][r]] for r in range(n_vec)]
    got, cycles = run_io_parallel(design.top, vectors, in_types, out_types, 1, extra=design.latency)
    expect = np.concatenate([np.asarray(want[o]).reshape(n_vec, -1) for o in g.outputs], axis=1)
    assert len(got) == n_vec
    assert (np.asarray(got, dtype=object) == expect.astype(object)).all()
    assert cycles == list(range(design.latency, design.latency + n_vec))


def test_average_semantics_exact_half_then_cast():
    """Average = exact sum, halved exactly, one cast (no intermediate truncation of the half LSB)."""
    t = FixedType(4, 4)  # integers -8..7
    res = FixedType(6, 5)  # one fractional bit: 3.5 is representable
    out = merge_raw("average", [np.array([3, -8, 7]), np.array([4, -7, 7])], [t, t], res)
    assert list(res.to_float(out)) == [3.5, -7.5, 7.0]
    trn = merge_raw("average", [np.array([3, -8]), np.array([4, -7])], [t, t], FixedType(5, 5))
    assert list(trn) == [3, -8]  # TRN of 3.5 and -7.5 toward minus infinity


@pytest.mark.parametrize("op, k, words", [
    ("subtract", 3, ["Subtract", "exactly 2"]),
    ("average", 3, ["Average of 3", "not exact"]),
    ("add", 1, ["at least 2"]),
    ("power", 2, ["unknown merge", "power"]),
])
def test_merge_errors(op, k, words):
    with pytest.raises(ir.RtlnnError) as e:
        merge_exact_type(op, [FixedType(8, 3)] * k, "layer 'm'")
    for w in words:
        assert w in str(e.value)


def test_hardware_errors_name_the_layer():
    g = ir.ModelGraph()
    g.add(ir.Input("a", [], (3,), result_t=FixedType(8, 3)))
    g.add(ir.Input("b", [], (4,), result_t=FixedType(8, 3)))
    g.add(ir.Merge("m", ["a", "b"], (3,), op="add", result_t=FixedType(8, 3)))
    g.outputs = ["m"]
    with pytest.raises(ir.RtlnnError, match="'m'.*differ in shape"):
        build_network(g)
    g = ir.ModelGraph()
    g.add(ir.Input("a", [], (2, 2), result_t=FixedType(8, 3)))
    g.add(ir.Input("b", [], (3,), result_t=FixedType(8, 3)))
    g.add(ir.Concatenate("c", ["a", "b"], (7,), result_t=FixedType(8, 3)))
    g.outputs = ["c"]
    with pytest.raises(ir.RtlnnError, match="'c'.*1-D.*axis -1"):
        build_network(g)


def test_output_cast_from_config():
    """LayerName.<layer>.OutputCast inserts <layer>_cast; readers and outputs move to it."""
    g = ir.ModelGraph()
    g.add(ir.Input("x", [], (2,)))
    g.add(ir.Dense("fc", ["x"], (2,), weight=np.array([[1.5, -2.0], [0.25, 1.0]]), bias=np.zeros(2)))
    g.add(ir.Activation("act", ["fc"], (2,), function="relu"))
    g.outputs = ["act"]
    cfg = {"Model": {"Precision": "fixed<16,6>"},
           "LayerName": {"fc": {"OutputCast": "fixed<6,3,RND,SAT>"}, "act": {"OutputCast": "ufixed<4,2>"}}}
    typed = run_passes(g, cfg)
    assert list(typed.layers) == ["x", "fc", "fc_cast", "act", "act_cast"]
    assert typed["act"].inputs == ["fc_cast"] and typed.outputs == ["act_cast"]
    assert typed["fc_cast"].result_t == FixedType(6, 3, True, "RND", "SAT")
    x = np.array([[3.0, 1.0], [-1.0, 0.5]])
    fc = typed["fc"].result_t.to_float(emulate.run_raw(typed, emulate.quantize_inputs(typed, x), keep=True)["fc"])
    y = emulate.run_raw(typed, emulate.quantize_inputs(typed, x))["act_cast"]
    want = np.clip(np.maximum(np.clip(np.round(fc * 8) / 8, -4, 4 - 1 / 8), 0), 0, 4 - 0.25)
    np.testing.assert_array_equal(FixedType(4, 2, False).to_float(y), np.floor(want * 4) / 4)
    design = build_network(typed)
    assert {l.name: l.latency for l in design.layers}["fc_cast"] == 0


# ------------------------------------------------------------------ Keras functional models
keras = pytest.importorskip("keras")


def _keras_merges_model():
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    outs = [keras.layers.Add(name="add")([a, b]), keras.layers.Subtract(name="sub")([a, b]),
            keras.layers.Multiply(name="mul")([a, b]), keras.layers.Average(name="avg")([a, b]),
            keras.layers.Maximum(name="max")([a, b]), keras.layers.Minimum(name="min")([a, b]),
            keras.layers.Concatenate(name="cat")([a, b]),
            keras.layers.Reshape((2, 2), name="rs")(a)]
    return keras.Model([a, b], outs, name="merges")


def test_keras_merges_convert_and_match_float_keras():
    from rtlnn.converters import convert_from_keras_model

    model = _keras_merges_model()
    # wide exact types: every merge of two fixed<8,3> inputs is exact in fixed<20,8>
    cfg = {"Model": {"Precision": "fixed<20,8>"}, "LayerName": {"a": {"Precision": "fixed<8,3>"},
                                                                "b": {"Precision": "fixed<8,3>"}}}
    rm = convert_from_keras_model(model, cfg)
    kinds = {l.name: (l.kind, getattr(l, "op", None)) for l in rm.graph}
    assert kinds["add"] == ("Merge", "add") and kinds["min"] == ("Merge", "minimum")
    assert kinds["cat"] == ("Concatenate", None) and kinds["rs"] == ("Reshape", None)
    rng = np.random.default_rng(3)
    t = FixedType(8, 3)
    xa, xb = t.round_trip(rng.uniform(-4, 4, (200, 4))), t.round_trip(rng.uniform(-4, 4, (200, 4)))
    want = model.predict([xa, xb], verbose=0)
    got = rm.predict([xa, xb])
    for w, g_ in zip(want, got):  # exact up to float32 rounding in Keras
        np.testing.assert_allclose(g_.reshape(w.shape), w, rtol=1e-6, atol=1e-6)


def test_keras_merge_errors():
    from rtlnn.converters import convert_from_keras_model

    a = keras.Input((4,), name="a")
    b = keras.Input((2, 2), name="b")
    model = keras.Model([a, b], keras.layers.Concatenate(name="cat")([a, keras.layers.Flatten()(b)]))
    convert_from_keras_model(model)  # flattened first: fine
    c = keras.Input((2, 2), name="c")
    model = keras.Model([b, c], keras.layers.Concatenate(name="cat2", axis=1)([b, c]))
    with pytest.raises(ir.RtlnnError, match="'cat2'.*1-D tensors along the last axis"):
        convert_from_keras_model(model)
    d = keras.Input((4,), name="d")
    e = keras.Input((4,), name="e")
    f = keras.Input((4,), name="f")
    model = keras.Model([d, e, f], keras.layers.Average(name="avg3")([d, e, f]))
    with pytest.raises(ir.RtlnnError, match="Average of 3"):
        convert_from_keras_model(model)
