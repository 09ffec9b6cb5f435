"""QKeras models as files, without QKeras: the classic Keras-2 JSON + HDF5 weights format written
by hand (as tf.keras 2 + QKeras 0.9 write it), a numpy reference of QKeras's quantizers written
from QKeras's documented formulas, and the committed qkeras-v3 fixture (tests/data/qat)."""

import json
from pathlib import Path

import h5py
import numpy as np

DATA = Path(__file__).resolve().parent / "data" / "qat"
QKERAS_V3_JET = DATA / "qkeras_v3_jet.keras"
QKERAS_V3_JET_REF = DATA / "qkeras_v3_jet_ref.npz"


def qb(bits, integer=0, symmetric=0, keep_negative=True, alpha=1):
    """A classic QKeras quantized_bits config dict."""
    return {"class_name": "quantized_bits",
            "config": {"bits": bits, "integer": integer, "symmetric": symmetric, "alpha": alpha,
                       "keep_negative": keep_negative, "use_stochastic_rounding": False, "qnoise_factor": 1.0}}


def qdense(name, inbound, units, kernel, bias, kernel_quantizer, bias_quantizer, activation="linear"):
    cfg = {"name": name, "trainable": True, "dtype": "float32", "units": units, "activation": activation,
           "use_bias": True, "kernel_initializer": {"class_name": "QInitializer", "config": {}},
           "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
           "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None,
           "bias_constraint": None, "kernel_quantizer": kernel_quantizer, "bias_quantizer": bias_quantizer,
           "kernel_range": None, "bias_range": None}
    return {"class_name": "QDense", "name": name, "config": cfg, "inbound": inbound,
            "weights": {"kernel:0": np.asarray(kernel, np.float32), "bias:0": np.asarray(bias, np.float32)}}


def qactivation(name, inbound, activation: str):
    return {"class_name": "QActivation", "name": name, "inbound": inbound,
            "config": {"name": name, "trainable": True, "dtype": "float32", "activation": activation}}


def write_keras2(json_path, h5_path, n_inputs, layers, outputs, input_name="input_1"):
    """A Keras-2 functional model: architecture JSON (model.to_json()) + weights (save_weights('.h5'))."""
    entries = [{"class_name": "InputLayer", "name": input_name, "inbound_nodes": [],
                "config": {"batch_input_shape": [None, n_inputs], "dtype": "float32", "sparse": False,
                           "ragged": False, "name": input_name}}]
    for layer in layers:
        entries.append({"class_name": layer["class_name"], "name": layer["name"], "config": layer["config"],
                        "inbound_nodes": [[[src, 0, 0, {}] for src in layer["inbound"]]]})
    model = {"class_name": "Functional", "keras_version": "2.9.0", "backend": "tensorflow",
             "config": {"name": "qmodel", "layers": entries, "input_layers": [[input_name, 0, 0]],
                        "output_layers": [[o, 0, 0] for o in outputs]}}
    Path(json_path).write_text(json.dumps(model))
    with h5py.File(h5_path, "w") as f:
        names = [input_name] + [layer["name"] for layer in layers]
        f.attrs["layer_names"] = np.array([n.encode() for n in names])
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.9.0"
        for n in names:
            g = f.create_group(n)
            ws = next((layer.get("weights", {}) for layer in layers if layer["name"] == n), {})
            g.attrs["weight_names"] = np.array([f"{n}/{w}".encode() for w in ws])
            for w, arr in ws.items():
                g.create_dataset(f"{n}/{w}", data=arr)


# ---------------------------------------------------------------------- numpy reference
def ref_quantized_bits(x, bits, integer=0, symmetric=0, keep_negative=True):
    """QKeras quantized_bits (alpha=1): round half to even on a 2**(integer - bits + sign) grid, clip."""
    m = 2.0 ** (bits - keep_negative)
    p = np.round(np.asarray(x, np.float64) * m / 2.0 ** integer)
    lo = -m + symmetric if keep_negative else 0
    return np.clip(p, lo, m - 1) * 2.0 ** integer / m


def ref_quantized_relu(x, bits, integer=0):
    m = 2.0 ** bits
    return 2.0 ** integer * np.clip(np.round(np.asarray(x, np.float64) * m / 2.0 ** integer) / m, 0, 1 - 1 / m)


def ref_quantized_tanh(x, bits):
    """QKeras's default quantized_tanh: 2 hard_sigmoid(x) - 1 = clip(x, -1, 1), rounded, clipped."""
    m = 2.0 ** (bits - 1)
    return np.clip(np.round(np.clip(x, -1, 1) * m) / m, -1.0, 1.0 - 1.0 / m)


def ref_po2(x, bits):
    """quantized_po2(bits) (no max_value): sign * 2**round(log2|x|), exponent in [-2**(bits-2), 2**(bits-2)-1]."""
    x = np.asarray(x, np.float64)
    lo, hi = -(2 ** (bits - 2)), 2 ** (bits - 2) - 1
    e = np.clip(np.round(np.log2(np.maximum(np.abs(x), 1e-7))), lo, hi)
    e = np.where(np.abs(x) < 1e-7, lo, e)
    return np.where(x >= 0, 1.0, -1.0) * 2.0 ** e
