"""BatchNormalization: folded into the Dense before it (rescale in float, quantize once) or,
where it cannot be folded, a standalone scale-and-shift layer that is bit-exact in hardware."""

from __future__ import annotations

import numpy as np
import pytest

from rtlnn import emulate, ir
from rtlnn.elementwise import scale_shift_exact_type, scale_shift_raw
from rtlnn.fixed import FixedType
from rtlnn.hw.top import build_network
from rtlnn.passes import run_passes

from test_hw_support import random_inputs, random_type, run_io_parallel


def _bn_graph(fold_blockers=False):
    rng = np.random.default_rng(4)
    g = ir.ModelGraph(name="bn")
    g.add(ir.Input("x", [], (4,)))
    g.add(ir.Dense("fc", ["x"], (3,), weight=rng.normal(0, 0.5, (4, 3)), bias=rng.normal(0, 0.5, 3)))
    g.add(ir.BatchNormalization("bn", ["fc"], (3,), scale=np.array([2.0, -0.5, 1.5]), bias=np.array([0.25, 1.0, -1.0])))
    g.outputs = ["bn"]
    if fold_blockers:  # a second reader of the Dense keeps the BatchNormalization standalone
        g.add(ir.Activation("side", ["fc"], (3,), function="relu"))
        g.outputs.append("side")
    return g


def test_fold_rescales_in_float_then_quantizes_once():
    g = _bn_graph()
    cfg = {"Model": {"Precision": "fixed<16,6>"}, "LayerName": {"bn": {"Precision": {"result": "fixed<12,5,RND,SAT>"}}}}
    typed = run_passes(g, cfg)
    assert "bn" not in typed.layers and typed.outputs == ["fc"]
    fc = typed["fc"]
    w = g["fc"].weight * g["bn"].scale[None, :]
    b = g["fc"].bias * g["bn"].scale + g["bn"].bias
    np.testing.assert_array_equal(fc.weight_raw(), fc.weight_t.quantize(w))
    np.testing.assert_array_equal(fc.bias_raw(), fc.bias_t.quantize(b))
    assert fc.result_t == FixedType(12, 5, True, "RND", "SAT")  # the BatchNormalization's result type


def test_no_fold_when_the_dense_has_another_reader():
    typed = run_passes(_bn_graph(fold_blockers=True), {"Model": {"Precision": "fixed<16,6>"}})
    assert typed["bn"].kind == "BatchNormalization" and typed["bn"].inputs == ["fc"]


def test_standalone_matches_exact_math():
    """x * scale + bias is exact before the one cast: compare with float math on the raw values."""
    rng = np.random.default_rng(7)
    for _ in range(40):
        in_t, s_t, b_t = (random_type(rng, 2, 12, modes=False) for _ in range(3))
        n = 5
        s_raw = s_t.quantize(rng.normal(0, 2, n))
        b_raw = b_t.quantize(rng.normal(0, 2, n))
        exact = scale_shift_exact_type(s_raw, b_raw, in_t, s_t, b_t)
        x = random_inputs(rng, in_t, 50, n)
        x[0], x[1] = in_t.min_raw, in_t.max_raw
        got = exact.to_float(scale_shift_raw(x, in_t, s_raw, s_t, b_raw, b_t, exact))
        want = in_t.to_float(x) * s_t.to_float(s_raw) + b_t.to_float(b_raw)  # exact in float64 (< 53 bits)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("seed", range(6))
def test_standalone_hardware_bit_exact_and_timed(seed):
    rng = np.random.default_rng(70 + seed)
    n = 6
    g = ir.ModelGraph(name="bn_hw")
    in_t = random_type(rng, 2, 12)
    g.add(ir.Input("x", [], (n,), result_t=in_t))
    scale = rng.normal(0, 2, n)
    scale[:3] = [0.0, 2.0, -0.25]  # zero (bias only), power of two (a shift), negative power of two
    g.add(ir.BatchNormalization("bn", ["x"], (n,), scale=scale, bias=rng.normal(0, 2, n) * (rng.random(n) < 0.7),
                                scale_t=random_type(rng, 4, 10), bias_t=random_type(rng, 2, 10),
                                result_t=random_type(rng, 2, 14)))
    g.add(ir.BatchNormalization("ident", ["x"], (n,), scale=np.ones(n), bias=np.zeros(n), scale_t=FixedType(4, 2),
                                bias_t=FixedType(4, 2), result_t=random_type(rng, 2, 14)))
    g.outputs = ["bn", "ident"]
    design = build_network(g)
    info = {l.name: l for l in design.layers}
    assert info["bn"].latency == 1 and info["ident"].latency == 0 and info["bn"].ii == 1
    s_raw = g["bn"].scale_t.quantize(scale)
    assert info["bn"].n_multipliers == sum(1 for v in s_raw if v and abs(int(v)) & (abs(int(v)) - 1))
    raw = random_inputs(rng, in_t, 100, n)
    raw[0], raw[1] = in_t.min_raw, in_t.max_raw
    want = emulate.run_raw(g, {"x": raw})
    out_types = [g[o].result_t for o in g.outputs for _ in range(n)]
    got, cycles = run_io_parallel(design.top, [[int(v) for v in r] for r in raw], [in_t] * n, out_types, 1,
                                  extra=design.latency)
    expect = np.concatenate([want["bn"], want["ident"]], axis=1)
    assert (np.asarray(got, dtype=object) == expect.astype(object)).all()
    assert cycles == list(range(1, 101))


# ------------------------------------------------------------------ Keras
keras = pytest.importorskip("keras")


def _keras_bn_mlp(seed=0):
    """Dense -> BN (-> ReLU) after each Dense, with trained-looking moving statistics."""
    rng = np.random.default_rng(seed)
    x = keras.Input((8,), name="x")
    h = x
    for k, units in enumerate([12, 8, 4]):
        h = keras.layers.Dense(units, name=f"fc{k + 1}")(h)
        h = keras.layers.BatchNormalization(name=f"bn{k + 1}")(h)
        if k < 2:
            h = keras.layers.ReLU(name=f"relu{k + 1}")(h)
    model = keras.Model(x, h)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.get_weights()[0].shape[0]
            layer.set_weights([rng.uniform(0.5, 1.5, n), rng.normal(0, 0.3, n), rng.normal(0, 0.5, n),
                               rng.uniform(0.2, 2.0, n)])
        elif isinstance(layer, keras.layers.Dense):
            w, b = layer.get_weights()
            layer.set_weights([rng.normal(0, 0.4, w.shape), rng.normal(0, 0.1, b.shape)])
    return model


#: Emulator vs float Keras for the folded BN MLP at fixed<18,8> (10 fractional bits): the
#: quantization of inputs, folded weights and every truncating cast stay below this.
FOLDED_TOLERANCE = 0.03


def test_keras_bn_after_each_dense_folds_and_matches_float():
    from rtlnn.converters import convert_from_keras_model

    model = _keras_bn_mlp()
    rm = convert_from_keras_model(model, {"Model": {"Precision": "fixed<18,8>"}})
    kinds = [l.kind for l in rm.graph]
    assert "BatchNormalization" not in kinds and kinds.count("Dense") == 3
    rng = np.random.default_rng(1)
    x = rng.uniform(-2, 2, (2000, 8))
    want = model.predict(x, verbose=0)
    got = rm.predict(x)
    err = np.max(np.abs(got - want))
    assert err < FOLDED_TOLERANCE, err
    assert np.mean(np.abs(want)) > 0.1  # the comparison is not vacuous


def test_keras_standalone_bn_after_activation_and_input():
    from rtlnn.converters import convert_from_keras_model

    rng = np.random.default_rng(2)
    x = keras.Input((5,), name="x")
    h = keras.layers.BatchNormalization(name="bn_in")(x)
    h = keras.layers.Dense(4, activation="relu", name="fc")(h)
    h = keras.layers.BatchNormalization(name="bn_out", center=False)(h)
    model = keras.Model(x, h)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            ws = layer.get_weights()
            n = ws[0].shape[0]
            layer.set_weights([rng.uniform(0.5, 1.5, n)] + ([rng.normal(0, 0.3, n)] if len(ws) == 4 else [])
                              + [rng.normal(0, 0.5, n), rng.uniform(0.2, 2.0, n)])
    rm = convert_from_keras_model(model, {"Model": {"Precision": "fixed<18,8>"}})
    kinds = {l.name: l.kind for l in rm.graph}
    assert kinds["bn_in"] == kinds["bn_out"] == "BatchNormalization"
    xs = rng.uniform(-3, 3, (1000, 5))
    err = np.max(np.abs(rm.predict(xs) - model.predict(xs, verbose=0)))
    assert err < FOLDED_TOLERANCE, err
