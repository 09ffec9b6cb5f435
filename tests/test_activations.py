"""Activations, PReLU and softmax: table indexing, emulator vs float within stated tolerances,
generators bit-exact with the emulator under Amaranth's simulator (latency and II measured),
config keys and errors, Keras layers converting."""


import numpy as np
import pytest

from rtlnn import ir
from rtlnn.activations import (FUNCTIONS, SELU_ALPHA, SELU_SCALE, TABLE_FUNCTIONS, activation_plan, prelu_plan,
                               softmax_plan)
from rtlnn.fixed import FixedType, parse_type
from rtlnn.hw.activation import Activation, PReLU
from rtlnn.hw.softmax import Softmax, softmax_latency
from rtlnn.passes import run_passes
from rtlnn.tables import table_index

from test_hw_support import run_io_parallel

FLOAT = {
    "linear": lambda v: v,
    "relu": lambda v: np.maximum(v, 0),
    "relu6": lambda v: np.clip(v, 0, 6),
    "leaky_relu": lambda v: np.where(v > 0, v, 0.3 * v),
    "thresholded_relu": lambda v: np.where(v > 1.0, v, 0),
    "hard_sigmoid": lambda v: np.clip(v / 6 + 0.5, 0, 1),
    "hard_tanh": lambda v: np.clip(v, -1, 1),
    "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
    "tanh": np.tanh,
    "softsign": lambda v: v / (1 + np.abs(v)),
    "softplus": lambda v: np.logaddexp(0, v),
    "elu": lambda v: np.where(v >= 0, v, np.expm1(np.minimum(v, 0))),
    "selu": lambda v: SELU_SCALE * np.where(v >= 0, v, SELU_ALPHA * np.expm1(np.minimum(v, 0))),
}
#: Largest slope of each table function over its default range (for the error bound).
SLOPE = {"sigmoid": 0.25, "tanh": 1.0, "softsign": 1.0, "softplus": 1.0, "elu": 1.0, "selu": SELU_SCALE * SELU_ALPHA}
RANGE = {"sigmoid": 8, "tanh": 4, "softsign": 8, "softplus": 8, "elu": 8, "selu": 8}


def all_codes(t: FixedType) -> np.ndarray:
    return np.arange(t.min_raw, t.max_raw + 1, dtype=np.int64)


# ----------------------------------------------------------------------------- indexing
def test_table_index_is_floor_of_the_bin_and_clamps():
    in_t = parse_type("fixed<12,5>")
    idx = table_index(in_t, -8, 8, 256, "t")
    x = all_codes(in_t)
    v = in_t.to_float(x)
    expect = np.clip(np.floor((v + 8) / (16 / 256)), 0, 255)
    assert np.array_equal(idx.raw(x), expect)
    # a centred range (half-step lo) as the stable softmax uses
    idx2 = table_index(in_t, -8 + 1 / 64, 1 / 64, 256, "t")
    assert np.array_equal(idx2.raw(x), np.clip(np.floor((v + 8 - 1 / 64) / (1 / 32)), 0, 255))


@pytest.mark.parametrize("size,rng,msg", [(1000, (-8, 8), "power of two"), (1024, (-8, 7), "not a power of two"),
                                          (1024, (3, 3), "empty")])
def test_table_index_errors(size, rng, msg):
    with pytest.raises(ir.RtlnnError, match=msg):
        table_index(parse_type("fixed<16,6>"), rng[0], rng[1], size, "layer 'a'")


def test_coarse_inputs_read_the_exact_function():
    """An input coarser than the table step reads f at exactly its own value."""
    in_t = parse_type("fixed<8,4>")  # lsb 1/16; tanh table step 8/1024
    res = parse_type("fixed<18,2,RND,SAT>")
    layer = ir.Activation("a", ["x"], (1,), result_t=res, table_t=parse_type("fixed<18,2,RND,SAT>"), function="tanh")
    x = all_codes(in_t)[:, None]
    y = res.to_float(activation_plan(layer, in_t).apply(x))[:, 0]
    v = in_t.to_float(x[:, 0])
    inside = np.abs(v) < 4
    assert np.max(np.abs(y[inside] - np.tanh(v[inside]))) <= 2 * 2.0 ** -16


# ----------------------------------------------------------------------------- emulator vs float
@pytest.mark.parametrize("size", [256, 1024, 4096])
@pytest.mark.parametrize("fn", sorted(TABLE_FUNCTIONS))
def test_table_functions_track_float_within_bound(fn, size):
    """|emulated - f| <= slope * step / 2 + table LSB / 2 + result LSB inside the table's range."""
    in_t = parse_type("fixed<20,6>")
    table_t = parse_type("fixed<24,6,RND,SAT>")
    res = parse_type("fixed<24,6,RND,SAT>")
    layer = ir.Activation("a", ["x"], (1,), result_t=res, table_t=table_t, table_size=size, function=fn)
    x = all_codes(in_t)[::7, None]
    v = in_t.to_float(x[:, 0])
    y = res.to_float(activation_plan(layer, in_t).apply(x))[:, 0]
    lo = -RANGE[fn]
    hi = 0 if fn in ("elu", "selu") else RANGE[fn]
    step = (hi - lo) / size
    bound = SLOPE[fn] * step / 2 + table_t.lsb / 2 + res.lsb
    inside = (v >= lo) & (v < hi)
    err = np.abs(y - FLOAT[fn](v))
    assert err[inside].max() <= bound
    if fn in ("softplus", "elu", "selu"):
        # linear above the table: exact up to the result cast, selu's scale quantized to 18 bits
        # (relative 2**-17) and softplus' log1p(exp(-x)) <= log1p(exp(-hi)) dropped
        above = (v >= hi) & (np.abs(FLOAT[fn](v)) < 30)
        lin_bound = res.lsb + np.abs(v[above]) * 2.0 ** -17 + (np.log1p(np.exp(-hi)) if fn == "softplus" else 0)
        assert np.all(err[above] <= lin_bound)


@pytest.mark.parametrize("fn", sorted(set(FUNCTIONS) - set(TABLE_FUNCTIONS)))
def test_piecewise_functions_are_exact_up_to_the_cast(fn):
    in_t = parse_type("fixed<14,5>")
    res = parse_type("fixed<24,8>")
    params = {"leaky_relu": {"alpha": 0.3}, "thresholded_relu": {"theta": 1.0}}.get(fn, {})
    layer = ir.Activation("a", ["x"], (1,), result_t=res, function=fn, params=params)
    x = all_codes(in_t)[:, None]
    v = in_t.to_float(x[:, 0])
    y = res.to_float(activation_plan(layer, in_t).apply(x))[:, 0]
    # parameters are quantized to 18-bit param_t: relative error 2**-16 of the parameter
    assert np.max(np.abs(y - FLOAT[fn](v))) <= res.lsb + 16 * 2.0 ** -17


def test_relu_with_keras_settings():
    in_t = parse_type("fixed<14,5>")
    res = parse_type("fixed<24,8>")
    layer = ir.Activation("a", ["x"], (1,), result_t=res, function="relu",
                          params={"max_value": 6.0, "negative_slope": 0.125, "threshold": 0.5})
    x = all_codes(in_t)[:, None]
    v = in_t.to_float(x[:, 0])
    ref = np.where(v >= 6, 6, np.where(v >= 0.5, v, 0.125 * (v - 0.5)))
    assert np.array_equal(res.to_float(activation_plan(layer, in_t).apply(x))[:, 0], ref)


def _softmax_float(v):
    e = np.exp(v - v.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("impl,size,tol", [("stable", 256, 0.012), ("stable", 1024, 0.0035), ("stable", 4096, 0.0015),
                                           ("legacy", 1024, 0.02), ("latency", 1024, 0.01)])
def test_softmax_tracks_float(impl, size, tol):
    """Max |y - softmax(x)| over 3000 random 5-vectors (latency: logits kept in [-4, 4), where
    its exp table neither clamps nor saturates).  stable clamps x - max below -8: that alone costs
    up to (n - 1) e**-8 = 0.0013, the floor of its error at large tables."""
    in_t = parse_type("fixed<16,6>")
    res = parse_type("ufixed<18,0,RND,SAT>")
    rng = np.random.default_rng(3)
    v = rng.normal(0, 3 if impl != "latency" else 1.2, size=(3000, 5))
    if impl == "latency":
        v = np.clip(v, -4, 3.9)
    x = in_t.quantize(v)
    layer = ir.Softmax("s", ["x"], (5,), result_t=res, implementation=impl, table_size=size,
                       exp_table_t=parse_type("ufixed<24,8,RND,SAT>") if impl != "stable" else None)
    y = res.to_float(softmax_plan(layer, in_t, 5).apply(x))
    assert np.max(np.abs(y - _softmax_float(in_t.to_float(x)))) <= tol


def test_argmax_is_one_hot_of_the_first_maximum():
    in_t = parse_type("fixed<6,3>")
    res = parse_type("ufixed<1,1>")
    layer = ir.Softmax("s", ["x"], (4,), result_t=res, implementation="argmax")
    x = np.array([[1, 5, 5, 0], [-3, -3, -3, -3], [0, 0, 0, 7], [-32, 31, -32, 31]])
    y = softmax_plan(layer, in_t, 4).apply(x)
    assert y.tolist() == [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 1, 0, 0]]
    with pytest.raises(ir.RtlnnError, match="cannot hold"):
        softmax_plan(ir.Softmax("s", ["x"], (4,), result_t=parse_type("ufixed<8,0>"), implementation="argmax"),
                     in_t, 4)


# ----------------------------------------------------------------------------- hardware (Amaranth sim)
def _check_hw(dut, plan, in_t, res, n, x):
    outs, cycles = run_io_parallel(dut, x, [in_t] * n, [res] * n, 1)
    assert len(outs) == len(x)
    assert cycles[0] == dut.latency and cycles == list(range(dut.latency, dut.latency + len(x)))  # II 1
    assert np.array_equal(outs.astype(np.int64), plan.apply(x))


def _sweep(in_t, n, count, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(in_t.min_raw, in_t.max_raw + 1, size=(count, n))
    x[0], x[1] = in_t.min_raw, in_t.max_raw
    x[2, :] = 0
    return x


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_activation_hardware_bit_exact(fn):
    in_t, res = parse_type("fixed<10,4>"), parse_type("fixed<12,3,RND,SAT>")
    params = {"relu": {"max_value": 3.0, "negative_slope": 0.1, "threshold": 0.25}, "elu": {"alpha": 0.7},
              "leaky_relu": {"alpha": 0.3}}.get(fn, {})
    layer = ir.Activation("a", ["x"], (3,), result_t=res, function=fn, params=params, table_size=256)
    dut = Activation(layer, in_t, 3)
    assert dut.latency == (1 if fn in TABLE_FUNCTIONS else 0)
    _check_hw(dut, activation_plan(layer, in_t), in_t, res, 3, _sweep(in_t, 3, 120, 1))


def test_prelu_hardware_bit_exact():
    in_t, res = parse_type("fixed<10,4>"), parse_type("fixed<14,5>")
    layer = ir.PReLU("p", ["x"], (4,), result_t=res, alpha=np.array([0.25, -0.3, 1.7, 0.0]))
    dut = PReLU(layer, in_t, 4)
    assert dut.n_multipliers == 2  # 0.25 is a shift, 0 is free
    _check_hw(dut, prelu_plan(layer, in_t), in_t, res, 4, _sweep(in_t, 4, 120, 2))


@pytest.mark.parametrize("impl", ["stable", "latency", "legacy", "argmax"])
@pytest.mark.parametrize("n", [1, 3, 6])
def test_softmax_hardware_bit_exact(impl, n):
    in_t = parse_type("fixed<9,4>")
    res = parse_type("ufixed<12,0,RND,SAT>" if impl != "argmax" else "ufixed<1,1>")
    layer = ir.Softmax("s", ["x"], (n,), result_t=res, implementation=impl, table_size=128)
    dut = Softmax(layer, in_t, n)
    assert dut.latency == softmax_latency(impl, n)
    _check_hw(dut, softmax_plan(layer, in_t, n), in_t, res, n, _sweep(in_t, n, 80, n))


# ----------------------------------------------------------------------------- config
def _graph():
    g = ir.ModelGraph(name="g")
    g.add(ir.Input("x", [], (5,)))
    g.add(ir.Activation("act", ["x"], (5,), function="sigmoid"))
    g.add(ir.Softmax("sm", ["act"], (5,)))
    g.outputs = ["sm"]
    return g


def test_config_sets_tables_and_softmax():
    cfg = {"Model": {"Precision": "fixed<16,6>"},
           "LayerName": {"act": {"table_size": 256, "table_range": [-4, 4], "Precision": {"table": "fixed<12,2>"}},
                         "sm": {"implementation": "Latency", "table_size": 512, "exp_table_t": "ufixed<20,10>",
                                "Precision": {"inv_table": "ufixed<16,1>", "result": "ufixed<16,0>"}}}}
    g = run_passes(_graph(), cfg)
    assert (g["act"].table_size, g["act"].table_range, str(g["act"].table_t)) == (256, (-4, 4), "fixed<12,2>")
    sm = g["sm"]
    assert (sm.implementation, sm.table_size, str(sm.exp_table_t), str(sm.inv_table_t), str(sm.result_t)) == \
           ("latency", 512, "ufixed<20,10>", "ufixed<16,1>", "ufixed<16,0>")
    # a layer-wide default precision does not set the tables (they keep their own defaults)
    g2 = run_passes(_graph(), {"Model": {"Precision": "fixed<16,6>"}})
    assert g2["act"].table_t is None and g2["sm"].exp_table_t is None and g2["sm"].implementation == "stable"


@pytest.mark.parametrize("entry,match", [
    ({"act": {"table_size": 1000}}, r"LayerName\.act.*table_size 1000.*power of two"),
    ({"sm": {"implementation": "fast"}}, r"LayerName\.sm\.implementation 'fast'"),
    ({"act": {"implementation": "stable"}}, r"only Softmax layers"),
    ({"act": {"table_range": [4, -4]}}, r"table_range must be \[lo, hi\]"),
    ({"sm": {"Precision": {"exp_table": "fixed<18"}}}, r"malformed precision"),
])
def test_config_errors_name_layer_and_fix(entry, match):
    with pytest.raises(ir.RtlnnError, match=match):
        run_passes(_graph(), {"LayerName": entry})


def test_bad_range_from_config_names_layer():
    g = run_passes(_graph(), {"LayerName": {"act": {"table_range": [-8, 7]}}})
    with pytest.raises(ir.RtlnnError, match=r"Activation layer 'act'.*not a power of two"):
        activation_plan(g["act"], g["x"].result_t)


# ----------------------------------------------------------------------------- Keras



def test_keras_activations_convert_and_track_float(tmp_path):
    keras = pytest.importorskip("keras")
    from rtlnn.converters import convert_from_keras_model

    rng = np.random.default_rng(0)
    inp = keras.Input((6,))
    h = keras.layers.Dense(8, activation="tanh")(inp)
    h = keras.layers.Dense(8)(h)
    h = keras.layers.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.25)(h)
    h = keras.layers.Dense(8, activation="sigmoid")(h)
    h = keras.layers.LeakyReLU(negative_slope=0.2)(keras.layers.Dense(8)(h))
    h = keras.layers.PReLU()(keras.layers.Dense(8)(h))
    h = keras.layers.ELU(alpha=0.8)(keras.layers.Dense(8)(h))
    h = keras.layers.Activation("softplus")(keras.layers.Dense(8)(h))
    h = keras.layers.Activation("hard_sigmoid")(keras.layers.Dense(8, activation="softsign")(h))
    h = keras.layers.Dense(8, activation="selu")(h)
    h = keras.layers.Dense(8, activation="relu6")(h)
    out = keras.layers.Softmax()(keras.layers.Dense(4)(h))
    model = keras.Model(inp, out)
    for layer in model.layers:
        if isinstance(layer, keras.layers.PReLU):
            layer.set_weights([rng.normal(0, 0.3, size=(8,))])
    cfg = {"Model": {"Precision": "fixed<26,10,RND,SAT>"},
           "LayerType": {"Activation": {"table_size": 4096, "Precision": {"table": "fixed<26,10,RND,SAT>"}},
                         "Softmax": {"table_size": 4096, "Precision": {"result": "ufixed<20,0,RND,SAT>"}}}}
    rm = convert_from_keras_model(model, hls_config=cfg, output_dir=str(tmp_path / "prj"))
    kinds = {l.kind for l in rm.graph}
    assert {"Activation", "PReLU", "Softmax"} <= kinds
    x = rng.normal(0, 1.5, size=(500, 6))
    ref = np.asarray(model.predict(x, verbose=0))
    assert np.max(np.abs(rm.predict(x) - ref)) < 0.01
    assert np.mean(rm.predict(x).argmax(1) == ref.argmax(1)) > 0.99
