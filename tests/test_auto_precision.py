"""'auto' precisions: nothing overflows for any input in the input types (checked against exact
math over the whole input range, corners included), the width cap only drops fractional bits
(error within the propagated truncation bound), and the report lists the chosen types."""

from __future__ import annotations

import numpy as np
import pytest

from rtlnn import emulate, ir
from rtlnn.config import DEFAULT_MAX_PRECISION, config_from_graph
from rtlnn.fixed import FixedType
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes
from rtlnn.passes.auto_precision import capped, constant_type

IN_T = FixedType(8, 3)


def _dyadic_mlp(sizes, seed):
    """An MLP whose weights have 4 fractional bits, so exact types stay small and float64 is exact."""
    rng = np.random.default_rng(seed)
    g = ir.ModelGraph(name="auto")
    prev = g.add(ir.Input("x", [], (sizes[0],))).name
    for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = rng.integers(-40, 41, (a, b)) / 16
        prev = g.add(ir.Dense(f"fc{k}", [prev], (b,), weight=w, bias=rng.integers(-40, 41, b) / 16)).name
        if k < len(sizes) - 2:
            prev = g.add(ir.Activation(f"relu{k}", [prev], (b,), function="relu")).name
    g.outputs = [prev]
    return g


def _inputs_with_corners(rng, graph, n):
    """Random codes over the whole input range, plus the sign patterns that drive every first-layer
    output to its extremes (saturation edges of the accumulators)."""
    x = rng.integers(IN_T.min_raw, IN_T.max_raw + 1, (n, graph["x"].size))
    w = graph["fc0"].weight
    corners = [np.where(w[:, j] > 0, IN_T.max_raw, IN_T.min_raw) for j in range(w.shape[1])]
    corners += [np.where(w[:, j] > 0, IN_T.min_raw, IN_T.max_raw) for j in range(w.shape[1])]
    return np.concatenate([np.array(corners), np.full((1, w.shape[0]), IN_T.min_raw), x]).astype(np.int64)


def _float_reference(graph, x):
    """Every layer in float64 on the quantized constants: exact here (all values < 2**53, dyadic)."""
    vals = {}
    for layer in graph:
        if isinstance(layer, ir.Input):
            vals[layer.name] = x
        elif isinstance(layer, ir.Dense):
            vals[layer.name] = (vals[layer.inputs[0]] @ layer.weight_t.to_float(layer.weight_raw())
                                + layer.bias_t.to_float(layer.bias_raw()))
        else:
            vals[layer.name] = np.maximum(vals[layer.inputs[0]], 0)
    return vals


def _config(maximum=None):
    prec = {"default": "auto"} if maximum is None else {"default": "auto", "maximum": maximum}
    return {"Model": {"Precision": prec}, "LayerName": {"x": {"Precision": str(IN_T)}}}


@pytest.mark.parametrize("seed", range(4))
def test_auto_is_exact_when_under_the_cap(seed):
    """Under a generous cap every 'auto' type is the exact one: emulator == exact math, every layer."""
    rng = np.random.default_rng(seed)
    g = _dyadic_mlp([int(rng.integers(2, 12)) for _ in range(4)], seed)
    typed = run_passes(g, _config("fixed<64,32>"))
    x = _inputs_with_corners(rng, typed, 1000)
    traced = emulate.to_float(typed, emulate.run_raw(typed, {"x": x}, keep=True))
    ref = _float_reference(typed, IN_T.to_float(x))
    for name in typed.layers:
        np.testing.assert_array_equal(traced[name], ref[name], err_msg=name)
    for layer in typed:
        if isinstance(layer, ir.Dense):  # the weights really are exact (4 fractional bits chosen)
            assert layer.weight_t.frac == 4
            np.testing.assert_array_equal(layer.weight_t.to_float(layer.weight_raw()), layer.weight)


@pytest.mark.parametrize("maximum", ["fixed<10,4>", "fixed<12,6>", "fixed<16,8>"])
def test_cap_drops_fraction_bits_never_overflows(maximum):
    """With a tight cap the integer bits are kept: the error stays within the propagated
    truncation bound (a wrap would be off by 2**integer), on corners and random inputs."""
    rng = np.random.default_rng(11)
    g = _dyadic_mlp([8, 10, 6, 3], 5)
    typed = run_passes(g, _config(maximum))
    cap = FixedType.parse(maximum)
    x = _inputs_with_corners(rng, typed, 2000)
    traced = emulate.to_float(typed, emulate.run_raw(typed, {"x": x}, keep=True))
    exact = run_passes(g, _config("fixed<64,32>"))  # same quantized weights? compare on its own constants
    bound = {"x": 0.0}
    for layer in typed:
        if isinstance(layer, ir.Input):
            continue
        assert layer.result_t.width <= cap.width, layer.name
        src = bound[layer.inputs[0]]
        if isinstance(layer, ir.Dense):
            w = np.abs(layer.weight_t.to_float(layer.weight_raw()))
            # weights/bias themselves may be rounded by the cap: count that error against the exact graph
            w_exact = exact[layer.name].weight_t.to_float(exact[layer.name].weight_raw())
            b_err = np.abs(layer.bias_t.to_float(layer.bias_raw())
                           - exact[layer.name].bias_t.to_float(exact[layer.name].bias_raw()))
            in_max = max(abs(IN_T.min_value), IN_T.max_value) if layer.inputs[0] == "x" else \
                max(abs(typed[layer.inputs[0]].result_t.min_value), typed[layer.inputs[0]].result_t.max_value)
            bound[layer.name] = float(np.max(w.sum(axis=0) * src + np.abs(w - w_exact).sum(axis=0) * in_max + b_err)
                                      + layer.accum_t.lsb + layer.result_t.lsb)
        else:
            bound[layer.name] = src + layer.result_t.lsb
    ref = _float_reference(exact, IN_T.to_float(x))
    for name in typed.layers:
        err = np.max(np.abs(traced[name] - ref[name]))
        assert err <= bound[name], (name, err, bound[name])
        t = typed[name].result_t
        # no value sits at a type's edge because of a wrap: every result is inside its range
        assert np.all(traced[name] >= t.min_value) and np.all(traced[name] <= t.max_value)


def test_relu_drops_the_sign_bit_and_capped_keeps_integers():
    g = _dyadic_mlp([3, 2, 2], 0)
    typed = run_passes(g, _config("fixed<64,32>"))
    fc, relu = typed["fc0"].result_t, typed["relu0"].result_t
    assert relu == FixedType(fc.width - 1, fc.integer - 1, False)
    assert capped(FixedType(40, 12), FixedType(16, 6)) == FixedType(16, 12)
    assert constant_type([0.75, -0.5], FixedType(16, 6)) == FixedType(3, 1)
    assert constant_type([0.1], FixedType(16, 6)).width == 16  # inexact: the whole width
    assert constant_type([0.0, 0.0], FixedType(16, 6)) == FixedType(2, 1)


def test_auto_merges_concat_and_batchnorm_are_exact():
    g = ir.ModelGraph(name="m")
    g.add(ir.Input("a", [], (3,)))
    g.add(ir.Input("b", [], (3,)))
    for op in ("add", "subtract", "multiply", "average", "maximum", "minimum"):
        g.add(ir.Merge(op, ["a", "b"], (3,), op=op))
    g.add(ir.Concatenate("cat", ["a", "b"], (6,)))
    g.add(ir.BatchNormalization("bn", ["a"], (3,), scale=np.array([1.5, -0.25, 3.0]), bias=np.array([0.5, 0, -1])))
    g.outputs = ["add", "subtract", "multiply", "average", "maximum", "minimum", "cat", "bn"]
    cfg = {"Model": {"Precision": "auto"},
           "LayerName": {"a": {"Precision": "fixed<6,2>"}, "b": {"Precision": "ufixed<5,3>"}}}
    typed = run_passes(g, cfg)
    rng = np.random.default_rng(0)
    ta, tb = typed["a"].result_t, typed["b"].result_t
    xa = rng.integers(ta.min_raw, ta.max_raw + 1, (500, 3))
    xb = rng.integers(tb.min_raw, tb.max_raw + 1, (500, 3))
    xa[:2], xb[:2] = [[ta.min_raw] * 3, [ta.max_raw] * 3], [[tb.max_raw] * 3, [tb.max_raw] * 3]
    out = emulate.to_float(typed, emulate.run_raw(typed, {"a": xa, "b": xb}))
    fa, fb = ta.to_float(xa), tb.to_float(xb)
    bn = typed["bn"]
    want = {"add": fa + fb, "subtract": fa - fb, "multiply": fa * fb, "average": (fa + fb) / 2,
            "maximum": np.maximum(fa, fb), "minimum": np.minimum(fa, fb), "cat": np.concatenate([fa, fb], 1),
            "bn": fa * bn.scale_t.to_float(bn.scale_raw()) + bn.bias_t.to_float(bn.bias_raw())}
    for name, w in want.items():
        np.testing.assert_array_equal(out[name], w, err_msg=name)
    # exact ranges: max(signed, unsigned) >= 0 needs no sign bit; min(...) does
    assert not typed["maximum"].result_t.signed and typed["minimum"].result_t.signed


def test_report_lists_chosen_types(tmp_path):
    g = _dyadic_mlp([4, 3, 2], 1)
    cfg = _config()
    typed = run_passes(g, cfg)
    report = RtlnnModel(typed, cfg, tmp_path / "prj").report()
    by_name = {l["name"]: l["precision"] for l in report["layers"]}
    for layer in typed:
        for key, t in layer.precisions().items():
            if t is not None:
                assert by_name[layer.name][key] == str(t)
                assert "auto" not in by_name[layer.name][key]
    assert FixedType.parse(by_name["fc0"]["result"]).width <= FixedType.parse(DEFAULT_MAX_PRECISION).width


def test_name_granularity_auto_config_and_errors():
    g = _dyadic_mlp([4, 3, 2], 2)
    cfg = config_from_graph(g, "name", default_precision="auto", max_precision="fixed<20,8>")
    assert cfg["Model"]["Precision"] == {"default": "auto", "maximum": "fixed<20,8>"}
    assert cfg["LayerName"]["fc0"]["Precision"]["result"] == "auto"
    typed = run_passes(g, cfg)
    assert typed["x"].result_t == FixedType(20, 8)  # an 'auto' input is the maximum type
    # an accumulator the config does not name is the exact one (as without 'auto'); the rest is capped
    assert all(t.width <= 20 for l in typed for k, t in l.precisions().items() if t is not None and k != "accum")
    g2 = _dyadic_mlp([4, 3], 3)
    g2.add(ir.Cast("c", ["fc0"], (3,)))
    g2.outputs = ["c"]
    with pytest.raises(ir.RtlnnError, match="'c'.*Cast.*give it one"):
        run_passes(g2, {"Model": {"Precision": "auto"}})


def _dyadic_cnn(seed):
    """Conv2D -> relu -> max pool -> average pool -> global average -> Dense, 4-fractional-bit constants."""
    rng = np.random.default_rng(seed)
    g = ir.ModelGraph(name="cnn")
    g.add(ir.Input("x", [], (6, 6, 2)))
    g.add(ir.Conv2D("c", ["x"], (6, 6, 3), padding=(1, 1, 1, 1), weight=rng.integers(-24, 25, (3, 3, 2, 3)) / 16,
                    bias=rng.integers(-8, 9, 3) / 16))
    g.add(ir.Activation("r", ["c"], (6, 6, 3), function="relu"))
    g.add(ir.Pooling2D("mp", ["r"], (3, 3, 3), kernel_size=(2, 2), strides=(2, 2)))
    g.add(ir.Pooling2D("ap", ["mp"], (1, 1, 3), kernel_size=(3, 3), strides=(3, 3), op="average"))
    g.add(ir.GlobalPooling2D("gp", ["mp"], (3,), op="average"))
    g.add(ir.Dense("d", ["gp"], (2,), weight=rng.integers(-24, 25, (3, 2)) / 16, bias=np.zeros(2)))
    g.outputs = ["ap", "d"]
    return g


def test_auto_convolutions_and_pooling():
    """Conv2D is exact like Dense (over one window), max pooling keeps its input type, average
    pooling gets the exact mean's type: the emulator equals the same graph with 60-bit types."""
    from rtlnn.arith_cnn import mean_source_type

    g = _dyadic_cnn(0)
    typed = run_passes(g, _config("fixed<64,32>"))
    assert typed["c"].weight_t.frac == 4 and typed["c"].result_t == typed["c"].accum_t
    assert typed["mp"].result_t == typed["r"].result_t
    assert typed["ap"].result_t == mean_source_type(typed["mp"].result_t, 9)
    assert typed["gp"].result_t == mean_source_type(typed["mp"].result_t, 9)
    wide = {"Model": {"Precision": "fixed<60,30>"}, "LayerName": {
        "x": {"Precision": str(IN_T)},
        **{n: {"Precision": {"weight": str(typed[n].weight_t), "bias": str(typed[n].bias_t)}} for n in ("c", "d")}}}
    ref = run_passes(g, wide)
    rng = np.random.default_rng(1)
    x = rng.integers(IN_T.min_raw, IN_T.max_raw + 1, (300, 6, 6, 2))
    x[0], x[1] = IN_T.max_raw, IN_T.min_raw
    got = emulate.to_float(typed, emulate.run_raw(typed, {"x": x}, keep=True))
    want = emulate.to_float(ref, emulate.run_raw(ref, {"x": x}, keep=True))
    for name in ("c", "r", "mp"):
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
    for name in ("ap", "gp", "d"):  # the 60-bit means are truncated at 2**-30; 'auto' keeps every bit
        np.testing.assert_allclose(got[name], want[name], rtol=0, atol=2.0 ** -27, err_msg=name)


def test_auto_layer_feeding_a_quantized_layer(tmp_path):
    """A plain Dense left 'auto' feeding a QKeras QDense whose result is exact: the QDense's result
    type is resolved once its input's 'auto' type is known (this used to fail with a TypeError)."""
    import qkeras_models as qm
    from rtlnn.frontends.keras import graph_from_keras, load_keras

    rng = np.random.default_rng(3)
    k1, b1 = rng.integers(-24, 25, (4, 5)) / 16, rng.integers(-8, 9, 5) / 16
    k2, b2 = rng.normal(0, 0.5, (5, 3)), rng.normal(0, 0.3, 3)
    dense = {"class_name": "Dense", "name": "pre", "inbound": ["input_1"],
             "config": {"name": "pre", "units": 5, "activation": "linear", "use_bias": True},
             "weights": {"kernel:0": k1.astype(np.float32), "bias:0": b1.astype(np.float32)}}
    layers = [dense, qm.qdense("q", ["pre"], 3, k2, b2, qm.qb(6, 0), qm.qb(6, 1))]
    qm.write_keras2(tmp_path / "m.json", tmp_path / "w.h5", 4, layers, ["q"])
    g = graph_from_keras(load_keras(str(tmp_path / "m.json"), weights=str(tmp_path / "w.h5")))
    typed = run_passes(g, {"Model": {"Precision": {"default": "auto", "maximum": "fixed<40,16>"}},
                           "LayerName": {"input_1": {"Precision": str(IN_T)}}})
    q = typed["q"]
    assert q.result_t == q.accum_t and (q.weight_t.width, q.weight_t.integer) == (6, 1)
    x = rng.integers(IN_T.min_raw, IN_T.max_raw + 1, (400, 4))
    out = emulate.to_float(typed, emulate.run_raw(typed, {"input_1": x}))["q"]
    pre = IN_T.to_float(x) @ k1 + b1  # exact: dyadic constants, 'auto' keeps every bit under the cap
    want = pre @ q.weight_t.to_float(q.weight_raw()) + q.bias_t.to_float(q.bias_raw())
    np.testing.assert_array_equal(out, want)


keras = pytest.importorskip("keras")


def test_keras_functional_model_with_auto_converts():
    from rtlnn.converters import config_from_keras_model, convert_from_keras_model

    x = keras.Input((6,), name="x")
    a = keras.layers.Dense(4, name="a")(x)
    b = keras.layers.Dense(4, name="b")(x)
    s = keras.layers.Add(name="s")([a, b])
    out = keras.layers.Concatenate(name="cat")([keras.layers.BatchNormalization(name="bn")(s), x])
    model = keras.Model(x, out)
    cfg = config_from_keras_model(model, granularity="name", default_precision="auto", max_precision="fixed<24,10>")
    cfg["LayerName"]["x"]["Precision"] = {"result": "fixed<10,4>"}
    rm = convert_from_keras_model(model, cfg)
    xs = np.random.default_rng(0).uniform(-8, 8, (500, 6))
    err = np.max(np.abs(rm.predict(xs) - model.predict(FixedType(10, 4).round_trip(xs), verbose=0)))
    assert err < 1e-3, err  # 24-bit auto types: only the weights' quantization remains
