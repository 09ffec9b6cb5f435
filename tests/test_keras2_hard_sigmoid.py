"""Keras 2 defined hard_sigmoid as clip(0.2 x + 0.5, 0, 1), Keras 3 as relu6(x + 3) / 6: a model
written by Keras 2 (its config's ``keras_version`` starts with "2.") converts with Keras 2's
slope, in the JSON + h5 pair, the legacy full-model .h5 and Keras 3 files alike."""

import json

import h5py
import numpy as np
import pytest

from rtlnn.emulate import quantize_inputs, run_raw, to_float
from rtlnn.fixed import FixedType
from rtlnn.frontends.keras import graph_from_keras, load_keras
from rtlnn.passes import run_passes

import qkeras_models as qm


def _model(tmp_path, version):
    layers = [{"class_name": "Activation", "name": "act", "inbound": ["input_1"],
               "config": {"name": "act", "trainable": True, "dtype": "float32", "activation": "hard_sigmoid"}},
              {"class_name": "Dense", "name": "d", "inbound": ["input_1"],
               "config": {"name": "d", "units": 2, "activation": "hard_sigmoid", "use_bias": True},
               "weights": {"kernel:0": np.array([[1.0, -0.5]], np.float32), "bias:0": np.zeros(2, np.float32)}}]
    qm.write_keras2(tmp_path / "m.json", tmp_path / "w.h5", 1, layers, ["act", "d"])
    cfg = json.loads((tmp_path / "m.json").read_text())
    cfg["keras_version"] = version
    (tmp_path / "m.json").write_text(json.dumps(cfg))
    return load_keras(str(tmp_path / "m.json"), weights=str(tmp_path / "w.h5"))


@pytest.mark.parametrize("version,slope", [("2.9.0", 0.2), ("2.4.3", 0.2), ("3.15.1", 1 / 6)])
def test_hard_sigmoid_slope_follows_the_keras_that_wrote_the_model(tmp_path, version, slope):
    km = _model(tmp_path, version)
    assert km.keras_version == version
    cfg = {"Model": {"Precision": "fixed<18,6,RND,SAT>"}}
    g = run_passes(graph_from_keras(km), cfg)
    assert g["act"].params == {"slope": slope, "shift": 0.5} and g["d_hard_sigmoid"].params == g["act"].params
    x = FixedType(18, 6).round_trip(np.linspace(-5, 5, 801))[:, None]
    out = to_float(g, run_raw(g, quantize_inputs(g, x)))
    want = np.clip(slope * x + 0.5, 0, 1)
    tol = 4 * 2.0 ** -12  # the slope and the result are fixed<18,6>: a few LSBs
    assert np.max(np.abs(out["act"] - want)) <= tol
    assert np.max(np.abs(out["d_hard_sigmoid"] - np.clip(slope * x * [1.0, -0.5] + 0.5, 0, 1))) <= tol


def test_legacy_full_model_h5_carries_its_keras_version(tmp_path):
    _model(tmp_path, "2.9.0")
    arch = (tmp_path / "m.json").read_text()
    full = tmp_path / "full.h5"
    with h5py.File(tmp_path / "w.h5", "r") as src, h5py.File(full, "w") as dst:
        src.copy(src["/"], dst, "model_weights")
        for k, v in src.attrs.items():
            dst["model_weights"].attrs[k] = v
        cfg = json.loads(arch)
        cfg.pop("keras_version")  # a full-model file keeps the version in its attributes
        dst.attrs["model_config"] = json.dumps(cfg)
        dst.attrs["keras_version"] = "2.9.0"
    km = load_keras(str(full))
    assert km.keras_version == "2.9.0"
    assert graph_from_keras(km)["act"].params["slope"] == 0.2
