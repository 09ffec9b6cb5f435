"""With qkeras-v3 installed (rtlnn's dev QAT library): a QKeras model built in memory converts from
memory and from its saved .keras, and the emulator reproduces the QKeras model's outputs exactly on
inputs of the input grid (argmax on float inputs)."""

import os

import numpy as np
import pytest

from rtlnn.emulate import quantize_inputs, run_raw, to_float
from rtlnn.fixed import FixedType
from rtlnn.frontends.keras import graph_from_keras, load_keras
from rtlnn.passes import run_passes

pytestmark = pytest.mark.keras

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
qkeras = pytest.importorskip("qkeras", reason="qkeras-v3 is not installed (pip install 'rtlnn[dev]')")
if not hasattr(qkeras, "quantized_po2"):
    pytest.skip("this `qkeras` is not qkeras-v3 (hgq2's compatibility layer?)", allow_module_level=True)
keras = pytest.importorskip("keras")


def _model():
    # binary() without alpha becomes alpha="auto_po2" inside QDense (per-channel learned scales,
    # refused with a clear error); binary(alpha=1) is plain +-1
    from qkeras import QActivation, QDense, binary, quantized_bits, quantized_po2, quantized_relu, quantized_tanh

    keras.utils.set_random_seed(7)
    x = keras.Input((10,), name="x")
    a = QDense(12, kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(6, 0, alpha=1),
               name="a")(x)
    a = QActivation(quantized_relu(6, 1), name="a_act")(a)
    b = QDense(8, kernel_quantizer=quantized_po2(4), bias_quantizer=quantized_bits(8, 3, alpha=1), name="b")(a)
    b = QActivation(quantized_tanh(6), name="b_act")(b)
    c = QDense(5, kernel_quantizer=binary(alpha=1), bias_quantizer=quantized_bits(8, 3, alpha=1),
               activation=quantized_bits(10, 4, alpha=1), name="c")(b)
    return keras.Model(x, c, name="qlive")


@pytest.mark.parametrize("source", ["memory", "keras_file"])
def test_qkeras_model_converts_and_matches(source, tmp_path):
    model = _model()
    if source == "keras_file":
        model.save(tmp_path / "m.keras")
        km = load_keras(str(tmp_path / "m.keras"))
    else:
        km = load_keras(model)
    graph = run_passes(graph_from_keras(km), {})
    rng = np.random.default_rng(1)
    x = FixedType(16, 6).round_trip(rng.normal(0, 1.5, (2000, 10))).astype(np.float32)
    want = np.asarray(model(x), dtype=np.float64)
    got = to_float(graph, run_raw(graph, quantize_inputs(graph, x)))[graph.outputs[0]]
    assert np.array_equal(got, want)
