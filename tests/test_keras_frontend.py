"""The Keras frontend: load_keras (every source kind) and graph_from_keras (the IR).

Tests marked ``keras`` need TensorFlow/Keras and are skipped without it; the Keras-2 JSON +
weights and legacy .h5 paths are tested without TensorFlow, on files written here with h5py
in the layout Keras 2 used.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from rtlnn import ir
from rtlnn.frontends import KerasModel, graph_from_keras, load_keras

REPO = Path(__file__).resolve().parents[1]


# ====================================================================== helpers
def evaluate(graph: ir.ModelGraph, x: np.ndarray) -> np.ndarray:
    """A float evaluation of the IR: matmul + bias, relu, reshape."""
    values: dict[str, np.ndarray] = {}
    for layer in graph:
        if isinstance(layer, ir.Input):
            values[layer.name] = np.asarray(x, dtype=np.float64)
            continue
        a = values[layer.inputs[0]]
        if isinstance(layer, ir.Dense):
            values[layer.name] = a @ layer.weight + layer.bias
        elif isinstance(layer, ir.Activation):
            assert layer.function in ("linear", "relu")
            values[layer.name] = np.maximum(a, 0.0) if layer.function == "relu" else a
        elif isinstance(layer, ir.Reshape):
            values[layer.name] = a.reshape((a.shape[0],) + layer.shape)
        else:
            raise AssertionError(f"unexpected layer kind {layer.kind}")
    (out,) = graph.outputs
    return values[out]


def summary(graph: ir.ModelGraph):
    return [(l.name, l.kind, l.inputs, l.shape) for l in graph]


def assert_untyped(graph: ir.ModelGraph):
    for layer in graph:
        assert all(t is None for t in layer.precisions().values()), layer.name


def _dense_cfg(name, units, activation="linear", use_bias=True):
    return {
        "name": name,
        "trainable": True,
        "units": units,
        "activation": activation,
        "use_bias": use_bias,
        "kernel_initializer": {"class_name": "VarianceScaling", "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": None,
        "bias_regularizer": None,
        "activity_regularizer": None,
        "kernel_constraint": None,
        "bias_constraint": None,
    }


def keras2_functional_config(n_in=6):
    """A Keras-2 ``Model`` JSON as hls4ml's example models ship: nested-list inbound_nodes."""

    def node(src):
        return [[[src, 0, 0, {}]]]

    layers = [
        {"name": "input_1", "class_name": "InputLayer",
         "config": {"batch_input_shape": [None, n_in], "dtype": "float32", "sparse": False, "name": "input_1"},
         "inbound_nodes": []},
        {"name": "fc1", "class_name": "Dense", "config": _dense_cfg("fc1", 5, "relu"), "inbound_nodes": node("input_1")},
        {"name": "dropout_1", "class_name": "Dropout",
         "config": {"name": "dropout_1", "trainable": True, "rate": 0.25, "noise_shape": None, "seed": None},
         "inbound_nodes": node("fc1")},
        {"name": "fc2", "class_name": "Dense", "config": _dense_cfg("fc2", 4), "inbound_nodes": node("dropout_1")},
        {"name": "relu2", "class_name": "Activation",
         "config": {"name": "relu2", "trainable": True, "activation": "relu"}, "inbound_nodes": node("fc2")},
        {"name": "output", "class_name": "Dense", "config": _dense_cfg("output", 3, use_bias=False),
         "inbound_nodes": node("relu2")},
    ]
    return {
        "class_name": "Model",
        "config": {"name": "model_1", "layers": layers,
                   "input_layers": [["input_1", 0, 0]], "output_layers": [["output", 0, 0]]},
        "keras_version": "2.1.5",
        "backend": "tensorflow",
    }


def keras2_sequential_config(n_in=6, as_list=False):
    """A tf.keras 2 Sequential: no InputLayer, ``batch_input_shape`` on the first layer."""
    first = _dense_cfg("fc1", 5, "relu")
    first["batch_input_shape"] = [None, n_in]
    first["dtype"] = "float32"
    layers = [
        {"class_name": "Dense", "config": first},
        {"class_name": "Dropout", "config": {"name": "dropout", "trainable": True, "rate": 0.5, "noise_shape": None, "seed": None}},
        {"class_name": "Flatten", "config": {"name": "flatten", "trainable": True, "data_format": "channels_last"}},
        {"class_name": "Dense", "config": _dense_cfg("fc2", 3)},
    ]
    config = layers if as_list else {"name": "sequential", "layers": layers}
    return {"class_name": "Sequential", "config": config, "keras_version": "2.4.0", "backend": "tensorflow"}


def random_weights(config, seed=0):
    """Keras-order weights, by layer name, for every Dense of a Keras-2 config."""
    rng = np.random.default_rng(seed)
    cfg = config["config"]
    entries = cfg if isinstance(cfg, list) else cfg["layers"]
    n = None
    weights = {}
    for entry in entries:
        c = entry["config"]
        name = c["name"]
        if n is None:  # the first layer declares the input width
            n = c["batch_input_shape"][1]
        if entry["class_name"] == "Dense":
            kernel = rng.normal(0, 0.5, size=(n, c["units"])).astype(np.float32)
            weights[name] = [kernel] + ([rng.normal(0, 0.5, size=c["units"]).astype(np.float32)] if c["use_bias"] else [])
            n = c["units"]
        else:
            weights[name] = []
    return weights


def write_keras2_weights(group, weights: dict, layer_order, chunked=False):
    """The Keras-2 weights structure: ``layer_names``, per-layer ``weight_names``, ``name/kernel:0`` datasets."""
    names = np.array([n.encode() for n in layer_order], dtype="S")
    if chunked:  # how Keras 2 stores attributes over 64 kB
        half = len(names) // 2
        group.attrs["layer_names0"] = names[:half]
        group.attrs["layer_names1"] = names[half:]
    else:
        group.attrs["layer_names"] = names
    group.attrs["backend"] = b"tensorflow"
    group.attrs["keras_version"] = b"2.1.5"
    for layer_name in layer_order:
        g = group.create_group(layer_name)
        arrays = weights.get(layer_name, [])
        wnames = [f"{layer_name}/{'kernel' if i == 0 else 'bias'}:0" for i in range(len(arrays))]
        g.attrs["weight_names"] = np.array([w.encode() for w in wnames], dtype="S") if wnames else np.array([])
        for wname, arr in zip(wnames, arrays):
            g.create_dataset(wname, data=arr)


def layer_names(config):
    cfg = config["config"]
    entries = cfg if isinstance(cfg, list) else cfg["layers"]
    return [e["config"]["name"] for e in entries]


def write_keras2_pair(tmp_path, config, weights, *, nested=False, chunked=False, stem="model"):
    js = tmp_path / f"{stem}.json"
    js.write_text(json.dumps(config))
    h5 = tmp_path / f"{stem}_weights.h5"
    with h5py.File(h5, "w") as f:
        write_keras2_weights(f.create_group("model_weights") if nested else f, weights, layer_names(config), chunked)
    return js, h5


def write_keras2_full_h5(path, config, weights):
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(config).encode()
        f.attrs["training_config"] = json.dumps({"loss": "mse"}).encode()
        f.attrs["keras_version"] = b"2.1.5"
        f.attrs["backend"] = b"tensorflow"
        write_keras2_weights(f.create_group("model_weights"), weights, layer_names(config))


def reference_mlp(x, weights, order, relu_after):
    """An independent float evaluation of the Keras-2 fixture models."""
    a = x
    for name in order:
        w = weights[name]
        a = a @ w[0].astype(np.float64) + (w[1].astype(np.float64) if len(w) > 1 else 0.0)
        if name in relu_after:
            a = np.maximum(a, 0.0)
    return a


def load_without_tensorflow(cwd, *load_args) -> list[int]:
    """Load each argument list in a fresh interpreter; assert TensorFlow and Keras stay unimported.

    Returns the number of IR layers of each model.
    """
    script = (
        "import json, sys\n"
        "from rtlnn.frontends import load_keras, graph_from_keras\n"
        "sizes = [len(graph_from_keras(load_keras(*args))) for args in json.loads(sys.argv[1])]\n"
        "bad = [m for m in ('tensorflow', 'keras') if m in sys.modules]\n"
        "assert not bad, f'imported {bad}'\n"
        "print(json.dumps(sizes))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    run = subprocess.run([sys.executable, "-c", script, json.dumps(load_args)],
                         capture_output=True, text=True, env=env, cwd=cwd, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


# ====================================================================== Keras-2 files, no TensorFlow
class TestKeras2Files:
    def test_functional_json_pair(self, tmp_path):
        config = keras2_functional_config()
        weights = random_weights(config)
        js, h5 = write_keras2_pair(tmp_path, config, weights)
        km = load_keras(js, weights=h5)
        assert isinstance(km, KerasModel)
        assert km.name == "model_1" and km.inputs == ["input_1"] and km.outputs == ["output"]
        assert km.keras_model is None
        assert [l.name for l in km.layers] == layer_names(config)
        assert km.layer("dropout_1").inbound == ["fc1"]
        for name, arrays in weights.items():
            got = km.layer(name).weights
            assert len(got) == len(arrays) and all(np.array_equal(g, a) for g, a in zip(got, arrays))

        g = graph_from_keras(km)
        assert summary(g) == [
            ("input_1", "Input", [], (6,)),
            ("fc1", "Dense", ["input_1"], (5,)),
            ("fc1_relu", "Activation", ["fc1"], (5,)),
            ("fc2", "Dense", ["fc1_relu"], (4,)),  # the Dropout is gone
            ("relu2", "Activation", ["fc2"], (4,)),
            ("output", "Dense", ["relu2"], (3,)),
        ]
        assert g.outputs == ["output"] and g.name == "model_1"
        assert g["fc1_relu"].function == "relu" and g["relu2"].function == "relu"
        assert_untyped(g)
        for name in ("fc1", "fc2"):
            assert g[name].weight.dtype == np.float64
            assert np.array_equal(g[name].weight, weights[name][0]) and np.array_equal(g[name].bias, weights[name][1])
        assert np.array_equal(g["output"].bias, np.zeros(3))  # use_bias=False

        x = np.random.default_rng(1).normal(size=(16, 6))
        ref = reference_mlp(x, weights, ["fc1", "fc2", "output"], {"fc1", "fc2"})
        np.testing.assert_allclose(evaluate(g, x), ref, rtol=0, atol=1e-12)

    @pytest.mark.parametrize("as_list", [False, True], ids=["dict", "list"])
    def test_sequential_json_pair(self, tmp_path, as_list):
        config = keras2_sequential_config(as_list=as_list)
        weights = random_weights(config, seed=2)
        js, h5 = write_keras2_pair(tmp_path, config, weights)
        g = graph_from_keras(load_keras(str(js), weights=str(h5)))
        # tf.keras names the implicit input "<first layer>_input"; Dropout and 1-D Flatten vanish
        assert summary(g) == [
            ("fc1_input", "Input", [], (6,)),
            ("fc1", "Dense", ["fc1_input"], (5,)),
            ("fc1_relu", "Activation", ["fc1"], (5,)),
            ("fc2", "Dense", ["fc1_relu"], (3,)),
        ]
        assert g.outputs == ["fc2"]
        x = np.random.default_rng(3).normal(size=(8, 6))
        np.testing.assert_allclose(evaluate(g, x), reference_mlp(x, weights, ["fc1", "fc2"], {"fc1"}), atol=1e-12)

    @pytest.mark.parametrize("nested,chunked", [(True, False), (False, True)], ids=["model_weights-group", "chunked-attrs"])
    def test_weights_layouts(self, tmp_path, nested, chunked):
        config = keras2_functional_config()
        weights = random_weights(config, seed=4)
        js, h5 = write_keras2_pair(tmp_path, config, weights, nested=nested, chunked=chunked)
        g = graph_from_keras(load_keras(js, weights=h5))
        assert np.array_equal(g["fc2"].weight, weights["fc2"][0])

    def test_legacy_full_model_h5(self, tmp_path):
        config = keras2_functional_config()
        weights = random_weights(config, seed=5)
        path = tmp_path / "model.h5"
        write_keras2_full_h5(path, config, weights)
        km = load_keras(path)
        assert km.source == str(path)
        g = graph_from_keras(km)
        assert [l.name for l in g] == ["input_1", "fc1", "fc1_relu", "fc2", "relu2", "output"]
        assert np.array_equal(g["output"].weight, weights["output"][0])

    def test_loads_without_tensorflow(self, tmp_path):
        config = keras2_functional_config()
        weights = random_weights(config)
        js, h5 = write_keras2_pair(tmp_path, config, weights)
        full = tmp_path / "full.h5"
        write_keras2_full_h5(full, config, weights)
        assert load_without_tensorflow(tmp_path, [str(js), str(h5)], [str(full)]) == [6, 6]


# ====================================================================== graph building from hand-made specs
def _spec_model(layers, inputs=("in",), outputs=None) -> KerasModel:
    from rtlnn.frontends import KerasLayer

    specs = [KerasLayer(*l) if isinstance(l, tuple) else l for l in layers]
    return KerasModel("m", specs, list(inputs), list(outputs or [specs[-1].name]), source="test")


def _input(name="in", shape=(4,)):
    return ("InputLayer", name, {"name": name, "batch_shape": [None, *shape]}, [])


def _dense(name, src, n_in, n_out, activation="linear", seed=0):
    rng = np.random.default_rng(seed)
    return ("Dense", name, {"name": name, "units": n_out, "activation": activation, "use_bias": True}, [src],
            [rng.normal(size=(n_in, n_out)).astype(np.float32), rng.normal(size=n_out).astype(np.float32)])


class TestGraph:
    def test_flatten_becomes_reshape(self):
        km = _spec_model([_input(shape=(2, 3)), ("Flatten", "flat", {"name": "flat"}, ["in"]), _dense("d", "flat", 6, 2)])
        g = graph_from_keras(km)
        assert summary(g) == [("in", "Input", [], (2, 3)), ("flat", "Reshape", ["in"], (6,)), ("d", "Dense", ["flat"], (2,))]
        x = np.random.default_rng(0).normal(size=(5, 2, 3))
        np.testing.assert_allclose(evaluate(g, x), x.reshape(5, 6) @ g["d"].weight + g["d"].bias)

    def test_removed_layer_as_output(self):
        km = _spec_model([_input(), _dense("d", "in", 4, 3, "relu"), ("Dropout", "drop", {"rate": 0.5}, ["d"]),
                          ("Flatten", "flat", {}, ["drop"])])
        g = graph_from_keras(km)
        assert [l.name for l in g] == ["in", "d", "d_relu"] and g.outputs == ["d_relu"]

    def test_relu_layer_and_linear_activation(self):
        km = _spec_model([_input(), _dense("d", "in", 4, 3),
                          ("ReLU", "r", {"max_value": None, "negative_slope": 0.0, "threshold": 0.0}, ["d"]),
                          ("Activation", "lin", {"activation": "linear"}, ["r"])])
        g = graph_from_keras(km)
        assert [(l.name, getattr(l, "function", None)) for l in g][2:] == [("r", "relu"), ("lin", "linear")]

    def test_serialized_activation_dict(self):
        act = {"module": "keras.activations", "class_name": "function", "config": "relu", "registered_name": "function"}
        g = graph_from_keras(_spec_model([_input(), _dense("d", "in", 4, 3, act)]))
        assert g.outputs == ["d_relu"]

    def test_topological_order_from_unordered_config(self):
        layers = [_dense("d2", "d1", 3, 2), _input(), _dense("d1", "in", 4, 3)]
        g = graph_from_keras(_spec_model(layers, outputs=["d2"]))
        assert [l.name for l in g] == ["in", "d1", "d2"]

    def test_activation_name_collision(self):
        km = _spec_model([_input(), _dense("fc", "in", 4, 3, "relu"), ("Activation", "fc_relu", {"activation": "relu"}, ["fc"])])
        g = graph_from_keras(km)
        assert [l.name for l in g] == ["in", "fc", "fc_relu_2", "fc_relu"]
        assert g["fc_relu"].inputs == ["fc_relu_2"]


# ====================================================================== error paths
def _raises(match, fn, *args, **kwargs):
    with pytest.raises(ir.RtlnnError, match=match) as info:
        fn(*args, **kwargs)
    return str(info.value)


class TestErrors:
    def test_missing_file(self, tmp_path):
        msg = _raises("no such model file", load_keras, tmp_path / "nope.h5")
        assert str(tmp_path / "nope.h5") in msg

    def test_missing_weights_file(self, tmp_path):
        js, _ = write_keras2_pair(tmp_path, keras2_functional_config(), random_weights(keras2_functional_config()))
        _raises("nope_weights.h5: no such weights file", load_keras, js, weights=tmp_path / "nope_weights.h5")

    def test_directory(self, tmp_path):
        _raises("is a directory", load_keras, tmp_path)

    def test_not_a_model_file(self, tmp_path):
        p = tmp_path / "notes.txt"
        p.write_text("hello")
        msg = _raises("not a Keras model file", load_keras, p)
        assert str(p) in msg and ".keras" in msg and ".h5" in msg

    def test_truncated_h5(self, tmp_path):
        config = keras2_functional_config()
        path = tmp_path / "model.h5"
        write_keras2_full_h5(path, config, random_weights(config))
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])
        msg = _raises("cannot read it as HDF5", load_keras, path)
        assert str(path) in msg and "full-model .h5" in msg

    def test_h5_without_model(self, tmp_path):
        path = tmp_path / "other.h5"
        with h5py.File(path, "w") as f:
            f["x"] = np.arange(3)
        _raises("no 'model_config'", load_keras, path)

    def test_weights_only_h5_as_source(self, tmp_path):
        config = keras2_functional_config()
        _, h5 = write_keras2_pair(tmp_path, config, random_weights(config))
        _raises("holds weights but no model_config.*architecture JSON", load_keras, h5)

    def test_weights_without_layer_names(self, tmp_path):
        config = keras2_functional_config()
        js, _ = write_keras2_pair(tmp_path, config, random_weights(config))
        h5 = tmp_path / "other.h5"
        with h5py.File(h5, "w") as f:
            f.create_group("layers")
        _raises("no 'layer_names' attribute.*Keras-2", load_keras, js, weights=h5)

    def test_keras3_weights_with_json(self, tmp_path):
        config = keras2_functional_config()
        js, _ = write_keras2_pair(tmp_path, config, random_weights(config))
        h5 = tmp_path / "k3.weights.h5"
        with h5py.File(h5, "w") as f:  # Keras 3's object-path layout
            f.create_group("layers/dense/vars")
            f.create_group("vars")
        _raises("Keras 3 weights .*save the whole model", load_keras, js, weights=h5)

    def test_json_without_weights(self, tmp_path):
        js, _ = write_keras2_pair(tmp_path, keras2_functional_config(), random_weights(keras2_functional_config()))
        _raises("architecture JSON holds no weights.*weights=", load_keras, js)

    def test_invalid_json(self, tmp_path):
        config = keras2_functional_config()
        js, h5 = write_keras2_pair(tmp_path, config, random_weights(config))
        js.write_text("{ not json")
        _raises("not valid JSON", load_keras, js, weights=h5)

    def test_json_not_a_model(self, tmp_path):
        config = keras2_functional_config()
        js, h5 = write_keras2_pair(tmp_path, config, random_weights(config))
        js.write_text(json.dumps({"hello": 1}))
        _raises("not a Keras model config", load_keras, js, weights=h5)

    def test_weights_with_h5_source(self, tmp_path):
        config = keras2_functional_config()
        full = tmp_path / "full.h5"
        write_keras2_full_h5(full, config, random_weights(config))
        _raises("weights= is only used with an architecture .json", load_keras, full, weights=full)

    def test_weights_file_missing_a_layer(self, tmp_path):
        config = keras2_functional_config()
        weights = random_weights(config)
        js = tmp_path / "m.json"
        js.write_text(json.dumps(config))
        h5 = tmp_path / "w.h5"
        with h5py.File(h5, "w") as f:
            write_keras2_weights(f, weights, [n for n in layer_names(config) if n != "fc2"])
        msg = _raises("holds no weights for layer 'fc2' \\(Dense\\)", load_keras, js, weights=h5)
        assert str(h5) in msg

    def test_weights_for_another_architecture(self, tmp_path):
        config = keras2_functional_config(n_in=6)
        js, h5 = write_keras2_pair(tmp_path, config, random_weights(keras2_functional_config(n_in=7)))
        _raises("layer 'fc1' \\(Dense\\).*kernel of shape \\(7, 5\\), expected \\(6, 5\\)", graph_from_keras, load_keras(js, weights=h5))

    def test_dense_with_no_weights(self):
        km = _spec_model([_input(), ("Dense", "d", {"units": 3, "use_bias": True}, ["in"], [])])
        _raises("layer 'd' \\(Dense\\).*0 weight arrays, expected 2", graph_from_keras, km)

    def test_unsupported_layer(self):
        km = _spec_model([_input(), ("LSTM", "conv", {"units": 2}, ["in"])])
        msg = _raises("layer 'conv' \\(LSTM\\).*'LSTM' is not supported", graph_from_keras, km)
        assert "supported layer classes: InputLayer, Dense, Activation, ReLU, Dropout, Flatten" in msg

    def test_nested_model(self):
        km = _spec_model([_input(), ("Sequential", "inner", {"layers": []}, ["in"])])
        _raises("nested model", graph_from_keras, km)

    @pytest.mark.parametrize("where", ["dense", "layer"])
    def test_unsupported_activation(self, where):
        if where == "dense":
            km = _spec_model([_input(), _dense("out", "in", 4, 3, "gelu")])
        else:
            km = _spec_model([_input(), _dense("d", "in", 4, 3), ("Activation", "out", {"activation": "gelu"}, ["d"])])
        msg = _raises("layer 'out'.*activation 'gelu' is not supported", graph_from_keras, km)
        assert "supported activations: linear, relu" in msg

    @pytest.mark.parametrize("setting,value", [("max_value", 6.0), ("max_value", 0.0), ("negative_slope", 0.1), ("threshold", 1.0)])
    def test_relu_with_settings(self, setting, value):
        cfg = {"max_value": None, "negative_slope": 0.0, "threshold": 0.0, setting: value}
        km = _spec_model([_input(), ("ReLU", "r", cfg, ["in"])])
        layer = graph_from_keras(km)["r"]  # Keras ReLU settings become the relu's params
        assert (layer.function, layer.params) == ("relu", {setting: value})

    def test_dense_on_multidimensional_input(self):
        km = _spec_model([_input(shape=(2, 4)), _dense("d", "in", 4, 3)])
        _raises("layer 'd' \\(Dense\\).*2-D tensor of shape \\(2, 4\\).*not support.*Flatten", graph_from_keras, km)

    def test_input_with_unknown_dimension(self):
        km = _spec_model([_input(shape=(None, 4)), ("Flatten", "f", {}, ["in"])])
        _raises("layer 'in' \\(InputLayer\\).*dimension", graph_from_keras, km)

    def test_shared_layer(self, tmp_path):
        config = keras2_functional_config()
        config["config"]["layers"][1]["inbound_nodes"].append([["input_1", 0, 0, {}]])
        js, h5 = write_keras2_pair(tmp_path, config, random_weights(config))
        _raises("layer 'fc1' \\(Dense\\) is called 2 times", load_keras, js, weights=h5)

    def test_unknown_inbound_layer(self):
        km = _spec_model([_input(), _dense("d", "ghost", 4, 3)])
        _raises("layer 'd' .*reads 'ghost', which is not a layer", graph_from_keras, km)

    def test_corrupt_keras_archive(self, tmp_path):
        p = tmp_path / "bad.keras"
        with zipfile.ZipFile(p, "w") as z:
            z.writestr("readme.txt", "x")
        msg = _raises("without config.json", load_keras, p)
        assert str(p) in msg

    def test_not_a_model_object(self):
        _raises("cannot read a model from 'int'", load_keras, 42)


# ====================================================================== real Keras models
@pytest.fixture(scope="module")
def keras():
    try:
        import tensorflow  # noqa: F401
        import keras as k
    except Exception as e:  # pragma: no cover - depends on the environment
        pytest.skip(f"TensorFlow/Keras not importable: {e}")
    return k


def set_random_weights(model, seed):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.5, size=w.shape).astype(np.float32) for w in model.get_weights()])
    return model


@pytest.fixture(scope="module")
def sequential_model(keras):
    L = keras.layers
    model = keras.Sequential(
        [keras.Input((8,)), L.Dense(6, activation="relu", name="fc1"), L.Dropout(0.2, name="drop"),
         L.Dense(5, name="fc2"), L.ReLU(name="relu2"), L.Dense(3, use_bias=False, name="out")],
        name="seq",
    )
    return set_random_weights(model, 10)


@pytest.fixture(scope="module")
def functional_model(keras):
    L = keras.layers
    x = keras.Input((2, 4), name="x")
    h = L.Flatten(name="flat")(x)
    h = L.Dense(7, name="d1")(h)
    h = L.Activation("relu", name="act1")(h)
    h = L.Dropout(0.5, name="drop")(h)
    h = L.Dense(4, activation="relu", name="d2")(h)
    y = L.Dense(2, name="y")(h)
    return set_random_weights(keras.Model(x, y, name="func"), 11)


def check_against_keras(km, model, in_shape, seed=0):
    g = graph_from_keras(km)
    assert_untyped(g)
    by_name = {l.name: l for l in model.layers}
    for layer in g:
        if isinstance(layer, ir.Dense):
            kw = by_name[layer.name].get_weights()
            assert np.array_equal(layer.weight, kw[0])
            assert np.array_equal(layer.bias, kw[1] if len(kw) > 1 else np.zeros(layer.n_out))
    x = np.random.default_rng(seed).normal(size=(32, *in_shape)).astype(np.float32)
    np.testing.assert_allclose(evaluate(g, x), model.predict(x, verbose=0), rtol=0, atol=1e-5)
    return g


@pytest.mark.keras
class TestKerasModels:
    def test_sequential_in_memory(self, sequential_model):
        km = load_keras(sequential_model)
        assert km.keras_model is sequential_model and km.name == "seq"
        assert km.inputs == [km.layers[0].name] and km.outputs == ["out"]
        g = check_against_keras(km, sequential_model, (8,))
        input_name = km.layers[0].name
        assert input_name.startswith("input_layer")
        assert summary(g) == [
            (input_name, "Input", [], (8,)),
            ("fc1", "Dense", [input_name], (6,)),
            ("fc1_relu", "Activation", ["fc1"], (6,)),
            ("fc2", "Dense", ["fc1_relu"], (5,)),
            ("relu2", "Activation", ["fc2"], (5,)),
            ("out", "Dense", ["relu2"], (3,)),
        ]

    def test_functional_in_memory(self, functional_model):
        km = load_keras(functional_model)
        assert km.inputs == ["x"] and km.outputs == ["y"]
        assert km.layer("d2").inbound == ["drop"]
        g = check_against_keras(km, functional_model, (2, 4))
        assert summary(g) == [
            ("x", "Input", [], (2, 4)),
            ("flat", "Reshape", ["x"], (8,)),
            ("d1", "Dense", ["flat"], (7,)),
            ("act1", "Activation", ["d1"], (7,)),
            ("d2", "Dense", ["act1"], (4,)),
            ("d2_relu", "Activation", ["d2"], (4,)),
            ("y", "Dense", ["d2_relu"], (2,)),
        ]

    @pytest.mark.parametrize("suffix", [".keras", ".h5"])
    @pytest.mark.parametrize("which", ["sequential", "functional"])
    def test_file_round_trip(self, request, tmp_path, suffix, which):
        model = request.getfixturevalue(f"{which}_model")
        path = tmp_path / f"model{suffix}"
        model.save(path)
        km = load_keras(path)
        assert km.source == str(path)
        if suffix == ".keras":
            assert km.keras_model is not None
        else:
            assert km.keras_model is None
        in_shape = (8,) if which == "sequential" else (2, 4)
        g = check_against_keras(km, model, in_shape)
        assert summary(g) == summary(graph_from_keras(load_keras(model)))

    def test_keras3_h5_loads_without_tensorflow(self, functional_model, tmp_path):
        path = tmp_path / "k3.h5"
        functional_model.save(path)
        assert load_without_tensorflow(tmp_path, [str(path)]) == [len(graph_from_keras(load_keras(functional_model)))]

    def test_sequential_with_input_shape_argument(self, keras):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = keras.Sequential([keras.layers.Dense(3, input_shape=(5,), activation="relu", name="d")])
        set_random_weights(model, 12)
        g = check_against_keras(load_keras(model), model, (5,))
        first = next(iter(g))
        assert isinstance(first, ir.Input) and first.shape == (5,) and g.outputs == ["d_relu"]

    def test_built_sequential_without_input(self, keras):
        model = keras.Sequential([keras.layers.Dense(3, name="d")])
        model.build((None, 4))
        set_random_weights(model, 13)
        g = check_against_keras(load_keras(model), model, (4,))
        assert next(iter(g)).kind == "Input"

    def test_unbuilt_sequential(self, keras):
        model = keras.Sequential([keras.layers.Dense(3)], name="lazy")
        _raises("Sequential model 'lazy' has no input shape.*keras.Input", load_keras, model)

    def test_subclassed_model(self, keras):
        class Net(keras.Model):
            def __init__(self):
                super().__init__(name="net")
                self.d = keras.layers.Dense(2)

            def call(self, x):
                return self.d(x)

        net = Net()
        net(np.zeros((1, 3), np.float32))
        _raises("model 'net' \\(Net\\).*not subclassed models", load_keras, net)

    def test_keras2_pair_matches_keras3_model(self, keras, tmp_path):
        """The same network as a Keras-2 JSON pair and as a live Keras 3 model gives the same numbers."""
        config = keras2_functional_config()
        weights = random_weights(config, seed=14)
        js, h5 = write_keras2_pair(tmp_path, config, weights)
        g = graph_from_keras(load_keras(js, weights=h5))
        L = keras.layers
        x_in = keras.Input((6,))
        h = L.Dense(5, activation="relu", name="fc1")(x_in)
        h = L.Dense(4, name="fc2")(L.Dropout(0.25)(h))
        y = L.Dense(3, use_bias=False, name="output")(L.Activation("relu")(h))
        model = keras.Model(x_in, y)
        for name in ("fc1", "fc2", "output"):
            model.get_layer(name).set_weights(weights[name])
        x = np.random.default_rng(15).normal(size=(20, 6)).astype(np.float32)
        np.testing.assert_allclose(evaluate(g, x), model.predict(x, verbose=0), rtol=0, atol=1e-5)

    def test_real_keras3_weights_file_with_json(self, sequential_model, tmp_path):
        config = keras2_functional_config()
        js, _ = write_keras2_pair(tmp_path, config, random_weights(config))
        h5 = tmp_path / "seq.weights.h5"
        sequential_model.save_weights(h5)
        _raises("Keras 3 weights", load_keras, js, weights=h5)

    def test_dense_on_3d_tensor(self, keras):
        x = keras.Input((3, 4), name="x")
        model = keras.Model(x, keras.layers.Dense(2, name="d")(x))
        _raises("layer 'd' \\(Dense\\).*2-D tensor of shape \\(3, 4\\)", graph_from_keras, load_keras(model))

    def test_unsupported_keras_layer(self, keras):
        model = keras.Sequential([keras.Input((4,)), keras.layers.LayerNormalization(name="ln")])
        _raises("layer 'ln' \\(LayerNormalization\\).*not supported", graph_from_keras, load_keras(model))

    def test_damaged_keras_archive(self, sequential_model, tmp_path):
        path = tmp_path / "damaged.keras"
        sequential_model.save(path)
        with zipfile.ZipFile(path) as z:
            config = z.read("config.json")
        with zipfile.ZipFile(path, "w") as z:  # config without weights
            z.writestr("config.json", config)
        msg = _raises("Keras could not load this .keras file", load_keras, path)
        assert str(path) in msg
