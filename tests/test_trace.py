"""Per-layer traces against float Keras (the layer mapping, the first departing layer), the
error plot, and the model picture (as data)."""

import numpy as np
import pytest

import rtlnn
from rtlnn.datasets import jet_tagging
from rtlnn.demo import demo_model_path
from rtlnn.passes import run_passes
from rtlnn.trace import compare, keras_name_map, plot_errors, traced_layers

from graphs import make_mlp


@pytest.fixture(scope="module")
def demo_km():
    pytest.importorskip("keras")
    return rtlnn.load_keras(demo_model_path())


@pytest.mark.keras
def test_trace_locates_the_first_departing_layer(demo_km, tmp_path):
    x, _ = jet_tagging(1000, seed=11)
    cfg = rtlnn.config_from_keras_model(demo_km, granularity="name", default_precision="fixed<16,6>")
    good = rtlnn.convert_from_keras_model(demo_km, config=cfg, output_dir=tmp_path / "good")
    ok = compare(demo_km, good, x)
    assert [lt.name for lt in ok.layers] == [l.name for l in good.graph]
    assert ok.first_departure(0.05) is None
    for lt in ok.layers:  # fixed<16,6>: truncation errors grow layer by layer but stay small
        assert lt.relative_error < 0.03, (lt.name, lt.relative_error)
    assert ok["fc1"].max_abs_error < 64 * ok["fc1"].lsb

    cfg["LayerName"]["fc2"]["Precision"]["result"] = "fixed<16,2>"
    bad = rtlnn.convert_from_keras_model(demo_km, config=cfg, output_dir=tmp_path / "bad")
    tr = compare(demo_km, bad, x)
    first = tr.first_departure(0.05)
    assert first is not None and first.name == "fc2" and first.relative_error > 0.5
    assert tr["fc1_relu"].relative_error < 0.01  # upstream of the narrow layer nothing changed
    assert np.array_equal(tr["fc1_relu"].emulator, ok["fc1_relu"].emulator)
    assert tr["fc2"].keras_layer == "fc2" and tr["fc2_relu"].keras_layer == "fc2"
    data = tr.to_dict()
    assert data["n_samples"] == 1000 and data["layers"][3]["name"] == "fc2"
    assert "fc2" in tr.table()
    png = plot_errors(tr, tmp_path / "errors.png")
    assert png.read_bytes()[:4] == b"\x89PNG"


def _keras_branchy_model():
    """Dense with a fused ReLU, a Dense + BatchNormalization (folded), a separate Activation,
    an Add of two branches: every way an IR layer maps to a Keras output."""
    import keras

    rng = np.random.default_rng(3)
    inp = keras.Input((6,), name="x")
    a = keras.layers.Dense(8, activation="relu", name="d1")(inp)
    b = keras.layers.Dense(8, name="d2")(inp)
    b = keras.layers.BatchNormalization(name="bn")(b)
    b = keras.layers.Activation("relu", name="act")(b)
    s = keras.layers.Add(name="add")([a, b])
    out = keras.layers.Dense(3, name="out")(s)
    model = keras.Model(inp, out)
    for layer in model.layers:
        ws = layer.get_weights()
        if ws:
            new = [rng.normal(0, 0.5, w.shape) for w in ws]
            if layer.name == "bn":
                new[3] = rng.uniform(0.5, 2.0, ws[3].shape)  # variance > 0
            layer.set_weights(new)
    return model


@pytest.mark.keras
def test_keras_layer_mapping_with_fused_activation_and_folded_batchnorm(tmp_path):
    pytest.importorskip("keras")
    model = _keras_branchy_model()
    km = rtlnn.load_keras(model)
    rm = rtlnn.convert_from_keras_model(km, config={"Model": {"Precision": "fixed<32,12>"}},
                                        output_dir=tmp_path / "prj")
    names = [l.name for l in rm.graph]
    assert "bn" not in names  # folded into d2
    mapping = keras_name_map(model, rm.graph)
    assert mapping["d1"] == ("d1", "pre_activation") and mapping["d1_relu"] == ("d1", "output")
    assert mapping["d2"] == ("bn", "output") and mapping["act"] == ("act", "output")
    x = np.random.default_rng(0).normal(0, 1, (300, 6))
    tr = compare(model, rm, x)
    for lt in tr.layers:  # at 20 fractional bits every layer agrees with its float reference
        assert lt.float is not None, lt.name
        assert lt.max_abs_error < 1e-4, (lt.name, lt.max_abs_error)
    w, b = model.get_layer("d1").get_weights()
    assert np.allclose(tr["d1"].float, x @ w + b, atol=1e-4)  # the pre-activation, not the ReLU output
    assert tr["d1"].float.min() < 0 <= tr["d1_relu"].float.min()


def test_traced_layers_follow_trace_flags():
    graph = run_passes(make_mlp([4, 3, 2]), {"Model": {"Precision": "fixed<12,4>"},
                                              "LayerName": {"fc1_relu": {"Trace": True}}})
    assert traced_layers(graph) == ["fc1_relu"]
    assert traced_layers(graph, ["fc2", "fc1"]) == ["fc1", "fc2"]
    graph["fc1_relu"].trace = False
    assert traced_layers(graph) == ["fc1", "fc1_relu", "fc2"]
    with pytest.raises(rtlnn.RtlnnError, match="no layer"):
        traced_layers(graph, ["nope"])


def test_compare_without_keras_has_emulator_only(tmp_path):
    graph = run_passes(make_mlp([4, 3, 2]), {"Model": {"Precision": "fixed<12,4>"}})
    rm = rtlnn.RtlnnModel(graph, {}, tmp_path / "prj")
    x = np.random.default_rng(1).normal(0, 1, (20, 4))
    tr = compare(None, rm, x)
    assert all(lt.float is None and lt.max_abs_error is None for lt in tr.layers)
    assert np.array_equal(tr["fc2"].emulator, rm.predict(x))
    assert tr.first_departure() is None


def test_plot_model_returns_the_picture_as_data(tmp_path):
    graph = run_passes(make_mlp([8, 6, 4, 3]), {"Model": {"Precision": "fixed<10,4>"},
                                                 "LayerName": {"fc2": {"ReuseFactor": 3}}})
    rm = rtlnn.RtlnnModel(graph, {}, tmp_path / "prj")
    pic = rtlnn.plot_model(rm, tmp_path / "model.png")
    assert (tmp_path / "model.png").read_bytes()[:4] == b"\x89PNG"
    assert [r["name"] for r in pic.layers] == [l.name for l in graph]
    by = {r["name"]: r for r in pic.layers}
    built = {i.name: i for i in rm.design.layers}
    for name, r in by.items():
        assert r["latency_cycles"] == built[name].latency and r["start_cycle"] == built[name].start
    assert by["fc2"]["reuse_factor"] == 3 and by["fc2"]["ii"] == 3
    assert by["fc1"]["precision"]["weight"] == "fixed<10,4>" and "accum" in by["fc1"]["precision"]
    assert pic.edges == [("input_1", "fc1"), ("fc1", "fc1_relu"), ("fc1_relu", "fc2"), ("fc2", "fc2_relu"),
                         ("fc2_relu", "fc3")]
    assert pic.latency_cycles == rm.latency_cycles and pic.ii == rm.ii == 3
    assert by["fc3"]["output"] and not by["fc2"]["output"]
    ys = [pic.positions[n][1] for n in by]
    assert ys == sorted(ys, reverse=True)  # dataflow top to bottom
