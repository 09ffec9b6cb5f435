"""Regenerate qkeras_v3_jet.keras + qkeras_v3_jet_ref.npz (run where qkeras-v3 is installed, NOT
in rtlnn's dev environment, whose QAT library is hgq2; both ship a top-level ``qkeras``):

    python -m venv --system-site-packages /tmp/qk && /tmp/qk/bin/pip install qkeras-v3
    /tmp/qk/bin/python tests/data/qat/make_qkeras_v3.py

A jet-tagger-shaped QKeras model (16 -> 64 -> 32 -> 32 -> 5, quantized_bits(6,0,alpha=1)
weights and biases, quantized_relu(6) activations, softmax), trained briefly on
rtlnn.datasets.jet_tagging; the reference file holds test inputs and the QKeras outputs
(logits and softmax) that the tests compare the converted model against.
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", ".."))

import keras  # noqa: E402
import numpy as np  # noqa: E402
from qkeras import QActivation, QDense, quantized_bits, quantized_relu  # noqa: E402

from rtlnn.datasets import jet_tagging  # noqa: E402
from rtlnn.fixed import FixedType  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def build():
    q = dict(kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(6, 0, alpha=1))
    x = keras.Input((16,), name="input_1")
    h = x
    for k, units in enumerate((64, 32, 32)):
        h = QDense(units, name=f"fc{k + 1}", **q)(h)
        h = QActivation(quantized_relu(6), name=f"relu{k + 1}")(h)
    h = QDense(5, name="output", **q)(h)
    y = keras.layers.Activation("softmax", name="softmax")(h)
    return keras.Model(x, y, name="qkeras_jet")


def main():
    keras.utils.set_random_seed(1)
    X, y = jet_tagging(20000, seed=3)
    model = build()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(X, y, epochs=4, batch_size=256, verbose=2)
    model.save(os.path.join(HERE, "qkeras_v3_jet.keras"))
    Xt, yt = jet_tagging(3000, seed=11)
    logits = keras.Model(model.input, model.get_layer("output").output)
    # the same inputs on rtlnn's default input grid (fixed<16,6>): there the outputs agree exactly
    x_grid = FixedType(16, 6).round_trip(Xt).astype(np.float32)
    np.savez_compressed(os.path.join(HERE, "qkeras_v3_jet_ref.npz"), x=Xt, y=yt,
                        logits=np.asarray(logits(Xt)), softmax=np.asarray(model(Xt)),
                        x_grid=x_grid, logits_grid=np.asarray(logits(x_grid)))
    print("accuracy", float(np.mean(np.argmax(model(Xt), 1) == yt)))


if __name__ == "__main__":
    main()
