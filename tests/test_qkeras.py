"""QKeras models convert with the precisions their quantizers fix, and reproduce QKeras's outputs:
the quantizer mapping against a numpy reference of QKeras's formulas, the committed qkeras-v3
jet tagger (argmax agreement on float inputs, exact equality on the input grid), the classic
Keras-2 JSON + h5 format without TensorFlow, and the config-over-quantizer precedence."""


import numpy as np
import pytest

from fresh_process import assert_emulates_without_importing
from rtlnn.emulate import quantize_inputs, run_raw, to_float
from rtlnn.fixed import FixedType, Overflow, Rounding
from rtlnn.frontends.keras import graph_from_keras, load_keras
from rtlnn.frontends.qkeras import parse_quantizer
from rtlnn.ir import RtlnnError
from rtlnn.passes import run_passes

import qkeras_models as qm


def _emulate(graph, x, name):
    return to_float(graph, run_raw(graph, quantize_inputs(graph, x)))[name]


def _logits_only(km):
    """The model up to its logits: the final softmax is checked where rtlnn converts softmax."""
    km.layers = [spec for spec in km.layers if spec.name != "softmax"]
    km.outputs = ["output"]
    return km


# ---------------------------------------------------------------------- quantizer mapping
def test_quantizer_strings_and_dicts_parse_alike():
    a = parse_quantizer("quantized_bits(6, 0, alpha=1)", "here")
    b = parse_quantizer(qm.qb(6, 0), "here")
    assert a.fixed_type() == b.fixed_type() == FixedType(6, 1, True, Rounding.RND_CONV, Overflow.SAT)
    assert parse_quantizer("quantized_relu(6)", "here").fixed_type() == FixedType(6, 0, False, Rounding.RND_CONV,
                                                                                  Overflow.SAT)
    assert not parse_quantizer("quantized_bits(8,3,1)", "h").is_cast  # symmetric: weights only
    assert parse_quantizer("quantized_bits(8,3,keep_negative=0)", "h").fixed_type() == FixedType(
        8, 3, False, Rounding.RND_CONV, Overflow.SAT)
    assert parse_quantizer("linear", "h") is None and parse_quantizer(None, "h") is None


@pytest.mark.parametrize("bits,integer,symmetric,keep_negative", [
    (6, 0, 0, True), (4, 2, 0, True), (8, 3, 1, True), (5, 0, 0, False), (3, -1, 0, True), (10, 4, 1, True)])
def test_quantized_bits_is_a_cast_matching_qkeras(bits, integer, symmetric, keep_negative):
    rng = np.random.default_rng(bits * 7 + integer)
    span = 2.0 ** (integer + 1)
    x = np.concatenate([rng.uniform(-span, span, 3000),
                        # ties: exactly half an LSB between grid points, where rounding modes differ
                        (np.arange(-40, 40) + 0.5) * 2.0 ** (integer - bits + keep_negative)])
    q = parse_quantizer(qm.qb(bits, integer, symmetric, keep_negative), "t")
    want = qm.ref_quantized_bits(x.astype(np.float32), bits, integer, symmetric, keep_negative)
    assert np.array_equal(q.apply(x), want)
    t = q.fixed_type()
    assert q.is_cast == (not symmetric)
    if q.is_cast:
        assert np.array_equal(t.round_trip(x.astype(np.float32)), want)  # the IR cast is the quantizer
    assert np.array_equal(q.weight_type(want).round_trip(want), want)  # weights are held exactly


@pytest.mark.parametrize("bits,integer", [(6, 0), (8, 3), (4, 2), (16, 6)])
def test_quantized_relu_is_relu_then_cast(bits, integer):
    from rtlnn.arith import relu_raw

    rng = np.random.default_rng(bits)
    x = np.concatenate([rng.uniform(-2 ** (integer + 1), 2 ** (integer + 1), 3000),
                        (np.arange(-20, 60) + 0.5) * 2.0 ** (integer - bits)])
    src_t = FixedType(24, integer + 3)
    x = src_t.round_trip(x)
    q = parse_quantizer(f"quantized_relu({bits},{integer})", "t")
    assert q.function == "relu"
    got = q.fixed_type().to_float(relu_raw(src_t.quantize(x), src_t, q.fixed_type()))
    assert np.array_equal(got, qm.ref_quantized_relu(x, bits, integer))


def test_quantized_tanh_default_is_a_saturating_cast():
    x = FixedType(16, 4).round_trip(np.linspace(-3, 3, 4001))
    q = parse_quantizer("quantized_tanh(6)", "t")
    assert q.function == "linear" and q.fixed_type() == FixedType(6, 1, True, Rounding.RND_CONV, Overflow.SAT)
    assert np.array_equal(q.fixed_type().round_trip(x), qm.ref_quantized_tanh(x, 6))
    assert parse_quantizer("quantized_tanh(8, use_real_tanh=1)", "t").function == "tanh"


def test_weight_quantizers_po2_binary_ternary():
    rng = np.random.default_rng(3)
    w = rng.normal(0, 0.7, (16, 8)).astype(np.float32)
    po2 = parse_quantizer("quantized_po2(5)", "t")
    v = po2.apply(w)
    assert np.array_equal(v, qm.ref_po2(w, 5))
    assert np.all(np.log2(np.abs(v)) == np.round(np.log2(np.abs(v))))  # powers of two
    t = po2.weight_type(v)
    assert np.array_equal(t.round_trip(v), v)  # held exactly
    b = parse_quantizer({"class_name": "binary", "config": {"use_01": False, "alpha": None}}, "t")
    assert set(np.unique(b.apply(w))) <= {-1.0, 1.0} and b.apply(np.zeros(3)).tolist() == [1, 1, 1]
    assert b.weight_type(b.apply(w)) == FixedType(2, 2)
    tern = parse_quantizer("ternary()", "t")
    tv = tern.apply(w)
    assert np.array_equal(tv, np.where(np.abs(w) >= 0.33, np.sign(w), 0))
    assert tern.weight_type(tv) == FixedType(2, 2)


def test_auto_alpha_weights_are_held_within_half_an_lsb():
    rng = np.random.default_rng(4)
    w = rng.normal(0, 0.3, (16, 8)).astype(np.float32)
    q = parse_quantizer("quantized_bits(6, 0, alpha='auto')", "t")
    v = q.apply(w)
    assert np.unique(v[:, 0]).size <= 2 ** 6  # per output channel, 6-bit levels times a scale
    t = q.weight_type(v)
    assert np.max(np.abs(t.round_trip(v) - v)) <= t.lsb / 2


@pytest.mark.parametrize("text,words", [
    ("quantized_bits(6,0,alpha='auto_po2')", ["auto_po2"]),
    ("quantized_bits(6,0,use_stochastic_rounding=True)", ["stochastic"]),
    ("quantized_ulaw(8)", ["quantized_ulaw", "not supported"]),
    ("quantized_relu(6, negative_slope=0.25)", ["negative_slope"]),
])
def test_unsupported_quantizers_are_clear_errors(text, words):
    with pytest.raises(RtlnnError) as e:
        q = parse_quantizer(text, "layer 'fc1'")
        q.apply(np.ones(3))
    assert "layer 'fc1'" in str(e.value) and all(w in str(e.value) for w in words)


# ---------------------------------------------------------------------- qkeras-v3 .keras jet tagger
@pytest.fixture(scope="module")
def jet():
    km = _logits_only(load_keras(str(qm.QKERAS_V3_JET)))
    graph = run_passes(graph_from_keras(km), {})  # no hand-written precision
    return graph, np.load(qm.QKERAS_V3_JET_REF)


def test_qkeras_v3_jet_takes_its_precisions_from_the_quantizers(jet):
    graph, _ = jet
    q6 = FixedType(6, 1, True, Rounding.RND_CONV, Overflow.SAT)
    relu6 = FixedType(6, 0, False, Rounding.RND_CONV, Overflow.SAT)
    for name in ("fc1", "fc2", "fc3", "output"):
        d = graph[name]
        assert d.weight_t == q6 and d.bias_t == q6
        assert d.result_t == d.accum_t  # QKeras adds in float: the exact sum
    for name in ("relu1", "relu2", "relu3"):
        assert graph[name].function == "relu" and graph[name].result_t == relu6


def test_qkeras_v3_jet_agrees_with_qkeras(jet):
    graph, ref = jet
    out = _emulate(graph, ref["x"], "output")
    agree = np.mean(out.argmax(1) == ref["logits"].argmax(1))
    assert agree >= 0.99, agree  # measured 0.998: the float inputs become fixed<16,6>
    # on inputs already on the fixed<16,6> grid nothing differs: every logit equal, bit for bit
    exact = _emulate(graph, ref["x_grid"], "output")
    assert np.array_equal(exact, ref["logits_grid"].astype(np.float64))


def test_qkeras_v3_jet_softmax_when_rtlnn_has_softmax():
    km = load_keras(str(qm.QKERAS_V3_JET))
    try:
        graph = run_passes(graph_from_keras(km), {})
    except RtlnnError as e:
        if "softmax" in str(e):
            pytest.skip(f"softmax does not convert yet: {e}")
        raise
    ref = np.load(qm.QKERAS_V3_JET_REF)
    out = _emulate(graph, ref["x"], graph.outputs[0])
    assert np.mean(out.argmax(1) == ref["softmax"].argmax(1)) >= 0.99


def test_config_overrides_quantizers_but_model_default_does_not(jet):
    km = _logits_only(load_keras(str(qm.QKERAS_V3_JET)))
    cfg = {"Model": {"Precision": "fixed<10,4>"},
           "LayerName": {"fc2": {"Precision": {"weight": "fixed<8,2>"}}, "relu3": {"Precision": "ufixed<8,1>"}}}
    g = run_passes(graph_from_keras(km), cfg)
    q6 = FixedType(6, 1, True, Rounding.RND_CONV, Overflow.SAT)
    assert g["fc1"].weight_t == q6  # the quantizer beats the Model default
    assert g["fc2"].weight_t == FixedType(8, 2) and g["fc2"].bias_t == q6  # LayerName beats the quantizer
    assert g["relu3"].result_t == FixedType(8, 1, False)
    assert g["input_1"].result_t == FixedType(10, 4)  # no quantizer: the config default
    for type_name in ("Activation", "QActivation"):  # hls4ml's LayerType names the Keras class
        g2 = run_passes(graph_from_keras(km), {"LayerType": {type_name: {"Precision": "ufixed<5,0>"}}})
        assert all(g2[n].result_t == FixedType(5, 0, False) for n in ("relu1", "relu2", "relu3"))


# ---------------------------------------------------------------------- classic Keras-2 JSON + h5
def _jet_as_keras2(tmp_path):
    """The fixture's weights written in the classic QKeras Keras-2 format (quantizers as dicts for
    QDense, as strings for QActivation, as tf.keras 2 + QKeras 0.9 write them)."""
    km = load_keras(str(qm.QKERAS_V3_JET))
    layers, prev = [], "input_1"
    for spec in km.layers:
        if spec.class_name == "QDense":
            k, b = spec.weights
            layers.append(qm.qdense(spec.name, [prev], k.shape[1], k, b, qm.qb(6, 0), qm.qb(6, 0)))
        elif spec.class_name == "QActivation":
            layers.append(qm.qactivation(spec.name, [prev], "quantized_relu(6,0)"))
        else:
            continue
        prev = spec.name
    qm.write_keras2(tmp_path / "model.json", tmp_path / "weights.h5", 16, layers, ["output"])
    return tmp_path / "model.json", tmp_path / "weights.h5"


def test_keras2_json_h5_qkeras_model_converts_without_tensorflow(tmp_path):
    js, h5 = _jet_as_keras2(tmp_path)
    assert_emulates_without_importing(f"{str(js)!r}, weights={str(h5)!r}", qm.QKERAS_V3_JET_REF, "x_grid",
                                      "logits_grid", ("tensorflow", "keras"))


def test_keras2_qdense_inline_quantized_activation(tmp_path):
    rng = np.random.default_rng(5)
    k, b = rng.normal(0, 0.5, (4, 3)), rng.normal(0, 0.3, 3)
    layers = [qm.qdense("d", ["input_1"], 3, k, b, qm.qb(5, 0), qm.qb(5, 1), activation="quantized_relu(4,1)")]
    qm.write_keras2(tmp_path / "m.json", tmp_path / "w.h5", 4, layers, ["d"])
    g = run_passes(graph_from_keras(load_keras(str(tmp_path / "m.json"), weights=str(tmp_path / "w.h5"))), {})
    assert [l.kind for l in g] == ["Input", "Dense", "Activation"]
    x = FixedType(16, 6).round_trip(rng.uniform(-2, 2, (200, 4)))
    want = qm.ref_quantized_relu(x @ qm.ref_quantized_bits(k.astype(np.float32), 5, 0)
                                 + qm.ref_quantized_bits(b.astype(np.float32), 5, 1), 4, 1)
    assert np.array_equal(_emulate(g, x, g.outputs[0]), want)
