"""Convolutional layers: the Keras frontend mapping, the config keys, and the bit-accurate
emulator against Keras' float outputs.

At ``fixed<32,12>`` everywhere the only differences from float are the input and weight
quantization (2**-20) and, for average pooling, the 18-bit reciprocal of ``1/N``: every
layer must agree with Keras within 1e-4 on inputs in [-2, 2] with weights ~ N(0, 0.5).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from rtlnn import ir
from rtlnn.arith_cnn import RECIPROCAL_FRAC, reciprocal, window_patches
from rtlnn.config import LAYER_TYPE_ALIASES, _PRECISION_KEYS
from rtlnn.emulate import EMULATORS
from rtlnn.passes import run_passes

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
TOLERANCE = 1e-4


def _layers():
    from keras import layers as L

    return [
        ((6, 6, 2), [L.Conv2D(3, 3, padding="same", strides=2, activation="relu")]),
        ((6, 7, 2), [L.Conv2D(3, (2, 3), padding="valid")]),
        ((5, 5, 1), [L.Conv2D(2, 1, use_bias=False)]),
        ((8, 3), [L.Conv1D(4, 3, padding="same", strides=2)]),
        ((9, 2), [L.Conv1D(2, 4, padding="valid", strides=3, activation="relu")]),
        ((6, 6, 2), [L.DepthwiseConv2D(3, depth_multiplier=2, padding="same")]),
        ((7, 5, 3), [L.DepthwiseConv2D((2, 3), strides=(2, 1))]),
        ((8, 2), [L.DepthwiseConv1D(3, padding="same")]),
        ((6, 6, 2), [L.SeparableConv2D(3, 3, padding="same", activation="relu")]),
        ((6, 6, 2), [L.MaxPooling2D(2)]),
        ((7, 7, 2), [L.MaxPooling2D(3, strides=2, padding="same")]),
        ((6, 6, 2), [L.AveragePooling2D(3, strides=1)]),
        ((8, 8, 1), [L.AveragePooling2D(2)]),
        ((8, 3), [L.MaxPooling1D(2), L.AveragePooling1D(3)]),
        ((6, 6, 2), [L.GlobalMaxPooling2D()]),
        ((6, 6, 2), [L.GlobalAveragePooling2D()]),
        ((8, 3), [L.GlobalAveragePooling1D()]),
        ((8, 3), [L.GlobalMaxPooling1D()]),
        ((5, 5, 2), [L.ZeroPadding2D(((1, 2), (0, 1))), L.Cropping2D(((1, 0), (2, 1))), L.UpSampling2D((2, 3))]),
        ((5, 2), [L.ZeroPadding1D((1, 2)), L.Cropping1D((2, 1)), L.UpSampling1D(2), L.Flatten(), L.Dense(3)]),
    ]


@pytest.mark.keras
def test_emulator_matches_keras_float():
    keras = pytest.importorskip("keras")
    import rtlnn

    rng = np.random.default_rng(0)
    seen = set()
    for shape, layers in _layers():
        x_in = keras.Input(shape)
        y = x_in
        for layer in layers:
            y = layer(y)
        model = keras.Model(x_in, y)
        for w in model.weights:
            w.assign(rng.normal(0, 0.5, w.shape))
        x = rng.uniform(-2, 2, (16,) + shape)
        rm = rtlnn.convert_from_keras_model(model, {"Model": {"Precision": "fixed<32,12>"}})
        seen.update(layer.kind for layer in rm.graph)
        got, want = rm.predict(x), model(x).numpy()
        assert got.shape == want.shape, [type(l).__name__ for l in layers]
        assert np.max(np.abs(got - want)) < TOLERANCE, [type(l).__name__ for l in layers]
    assert {"Conv1D", "Conv2D", "DepthwiseConv1D", "DepthwiseConv2D", "Pooling1D", "Pooling2D", "GlobalPooling1D",
            "GlobalPooling2D", "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "UpSampling1D",
            "UpSampling2D", "Reshape"} <= seen


@pytest.mark.keras
def test_frontend_mapping_and_errors():
    keras = pytest.importorskip("keras")
    from keras import layers as L

    import rtlnn

    x_in = keras.Input((6, 6, 2))
    y = L.SeparableConv2D(3, 3, padding="same", activation="relu", name="sep")(x_in)
    y = L.MaxPooling2D(2, name="pool")(y)
    model = keras.Model(x_in, y)
    g = rtlnn.convert_from_keras_model(model).graph
    assert [l.name for l in g] == ["input_layer", "sep_depthwise", "sep", "sep_relu", "pool"] or \
        [l.kind for l in g][1:] == ["DepthwiseConv2D", "Conv2D", "Activation", "Pooling2D"]
    assert g["sep_depthwise"].padding == (1, 1, 1, 1) and g["sep"].kernel_size == (1, 1)
    assert g["pool"].shape == (3, 3, 3)
    for bad, words in ((L.Conv2D(2, 3, dilation_rate=2), "dilation_rate"),
                       (L.AveragePooling2D(2, padding="same"), "padding='same'"),
                       (L.UpSampling2D(2, interpolation="bilinear"), "bilinear"),
                       (L.Conv1D(2, 3, padding="causal"), "causal")):
        x_in = keras.Input((7, 7, 2) if "1D" not in type(bad).__name__ else (7, 2))
        with pytest.raises(ir.RtlnnError, match=words):
            rtlnn.convert_from_keras_model(keras.Model(x_in, bad(x_in)))


def test_tables_know_every_cnn_kind():
    kinds = {"Conv1D", "Conv2D", "DepthwiseConv1D", "DepthwiseConv2D", "Pooling1D", "Pooling2D", "GlobalPooling1D",
             "GlobalPooling2D", "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "UpSampling1D",
             "UpSampling2D"}
    assert kinds <= set(EMULATORS) and kinds <= set(_PRECISION_KEYS)
    assert kinds <= set(LAYER_TYPE_ALIASES.values())
    assert LAYER_TYPE_ALIASES["MaxPooling2D"] == "Pooling2D"


def test_reciprocal_and_patches():
    for n in (1, 2, 4, 16):  # powers of two are exact
        r, t = reciprocal(n)
        assert t.to_float(r) == 1 / n
    r, t = reciprocal(9)
    assert abs(t.to_float(r) - 1 / 9) <= 2.0 ** -(RECIPROCAL_FRAC + 1)
    x = np.arange(2 * 3 * 4 * 1).reshape(2, 3, 4, 1)
    p = window_patches(x, (2, 2), (1, 2), (0, 1, 1, 0), pad_value=-7)
    assert p.shape == (2, 3, 2, 4)
    assert list(p[0, 0, 0]) == [-7, 0, -7, 4]


def test_conv_config_precisions_and_reuse():
    g = ir.ModelGraph()
    g.add(ir.Input("x", [], (5, 5, 2)))
    rng = np.random.default_rng(1)
    g.add(ir.Conv2D("c", ["x"], (5, 5, 3), padding=(1, 1, 1, 1), weight=rng.normal(0, 1, (3, 3, 2, 3)),
                    bias=rng.normal(0, 1, 3)))
    g.add(ir.Pooling2D("p", ["c"], (2, 2, 3), kernel_size=(2, 2), strides=(2, 2), op="average"))
    g.outputs = ["p"]
    cfg = {"Model": {"Precision": "fixed<8,3>"},
           "LayerType": {"Conv2D": {"ReuseFactor": 6, "Precision": {"weight": "fixed<6,2>"}},
                         "AveragePooling2D": {"Precision": "fixed<10,4>"}}}
    t = run_passes(g, cfg)
    assert t["c"].reuse_factor == 6 and str(t["c"].weight_t) == "fixed<6,2>" and t["c"].accum_t is not None
    assert str(t["p"].result_t) == "fixed<10,4>"
    cfg["LayerType"]["Conv2D"]["ReuseFactor"] = 1000
    with pytest.raises(ir.RtlnnError, match="ReuseFactor 1000 is out of range"):
        run_passes(g, cfg)


def test_config_from_graph_offers_conv_reuse_factor():
    from rtlnn.config import config_from_graph

    g = ir.ModelGraph()
    g.add(ir.Input("x", [], (4, 4, 1)))
    g.add(ir.Conv2D("c", ["x"], (2, 2, 2), weight=np.ones((3, 3, 1, 2)), bias=np.zeros(2)))
    g.add(ir.Pooling2D("p", ["c"], (1, 1, 2), kernel_size=(2, 2), strides=(2, 2)))
    assert config_from_graph(g, "name")["LayerName"]["c"]["ReuseFactor"] == 1
    types = config_from_graph(g, "type")["LayerType"]
    assert types["Conv2D"]["ReuseFactor"] == 1 and "ReuseFactor" not in types["Pooling2D"]
