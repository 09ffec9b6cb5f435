"""HGQ2 models convert from their .keras files alone (HGQ2 is not installed here) with the precisions
their quantizers fix, element by element, and reproduce HGQ2's own outputs: the committed jet
tagger (tests/data/hgq2, made by scripts/make_hgq2_fixture.py) bit for bit, and every quantizer
mode against HGQ2's documented formulas; the per-element cast's arithmetic, report and errors."""

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from fresh_process import assert_emulates_without_importing
from rtlnn.element_types import describe, element_cast_raw, union
from rtlnn.emulate import quantize_inputs, run_raw
from rtlnn.fixed import FixedType, Overflow, Rounding
from rtlnn.frontends.hgq2 import HgqQuantizer
from rtlnn.frontends.keras import graph_from_keras, load_keras
from rtlnn.ir import Cast, Input, ModelGraph, RtlnnError
from rtlnn.passes import run_passes

DATA = Path(__file__).resolve().parent / "data" / "hgq2"
JET = DATA / "hgq2_jet.keras"
JET_REF = DATA / "hgq2_jet_ref.npz"
EINSUM, EINSUM_REF = DATA / "hgq2_einsum.keras", DATA / "hgq2_einsum_ref.npz"
LAYERS = ("fc1", "fc2", "fc3", "output")


@pytest.fixture(scope="module")
def jet():
    graph = run_passes(graph_from_keras(load_keras(str(JET))), {})  # no precision written by hand
    ref = np.load(JET_REF)
    values = run_raw(graph, quantize_inputs(graph, ref["x"]), keep=True)
    floats = {name: graph[name].result_t.to_float(v) for name, v in values.items()}
    return graph, ref, floats


# ---------------------------------------------------------------------- the HGQ2 jet tagger
def test_hgq2_jet_takes_every_precision_from_its_quantizers(jet):
    graph, _, _ = jet
    assert [l.kind for l in graph] == ["Input"] + ["Cast", "Dense", "Activation"] * 3 + ["Cast", "Dense"]
    for name in LAYERS:
        cast, dense = graph[f"{name}_iq"], graph[name]
        assert isinstance(cast, Cast) and len(cast.element_t) == cast.size
        assert cast.result_t == union(cast.element_t)  # one bus type holding every element exactly
        assert dense.result_t == dense.accum_t  # HGQ2 adds in float: the exact sum
        assert np.array_equal(dense.weight_t.round_trip(dense.weight), dense.weight)  # held exactly
    # heterogeneous where HGQ2's defaults are, one type where the fixture asked for per-tensor
    assert len(set(graph["fc1_iq"].element_t)) > 1 and len(set(graph["fc3_iq"].element_t)) == 1
    assert graph["fc3_iq"].element_t[0] == FixedType(3, 2, True, Rounding.TRN, Overflow.SAT)
    assert {t.rounding for t in graph["output_iq"].element_t if t} == {Rounding.RND_CONV}
    assert graph["input_1"].result_t.rounding is Rounding.TRN
    # pruned inputs (zero bits) are constant zero and their kernel rows cost nothing
    zero = [j for j, t in enumerate(graph["output_iq"].element_t) if t is None]
    assert zero and np.all(graph["output"].weight[zero, :] == 0)
    assert graph["fc3"].n_products() < graph["fc3"].weight.size


def test_hgq2_jet_emulator_equals_hgq2_bit_for_bit(jet):
    graph, ref, floats = jet
    logits = floats["output"]
    # every logit of every input (2,000 jets and 500 scaled x4 beyond the traced ranges) is equal
    assert np.array_equal(logits, ref["logits"].astype(np.float64))
    assert np.mean(logits.argmax(1) == ref["logits"].argmax(1)) == 1.0
    n = len(ref["q_fc1"])
    for name in LAYERS:  # and so is every layer's quantized input and output
        assert np.array_equal(floats[f"{name}_iq"][:n], ref[f"q_{name}"].astype(np.float64)), name
        out = floats[f"{name}_relu" if name != "output" else name][:n]
        assert np.array_equal(out, ref[f"out_{name}"].astype(np.float64)), name
    acc = np.mean(logits[:len(ref["labels"])].argmax(1) == ref["labels"])
    assert acc > 0.7, acc  # measured 0.741


def test_hgq2_archive_is_read_without_hgq2_keras_or_tensorflow():
    assert_emulates_without_importing(repr(str(JET)), JET_REF, "x", "logits", ("hgq", "keras", "tensorflow", "jax"))


def test_config_overrides_hgq2_quantizers_but_model_default_does_not():
    km = load_keras(str(JET))
    cfg = {"Model": {"Precision": "fixed<10,4>"},
           "LayerName": {"fc2": {"Precision": {"weight": "fixed<8,2>"}}, "fc3_iq": {"Precision": "fixed<6,3>"}}}
    g = run_passes(graph_from_keras(km), cfg)
    ref = run_passes(graph_from_keras(km), {})
    assert g["fc1"].weight_t == ref["fc1"].weight_t and g["fc1_iq"].result_t == ref["fc1_iq"].result_t
    assert g["input_1"].result_t == ref["input_1"].result_t  # the input quantizer's, not the default
    assert g["fc2"].weight_t == FixedType(8, 2)
    assert g["fc3_iq"].result_t == FixedType(6, 3) and g["fc3_iq"].element_t == ref["fc3_iq"].element_t


def test_hgq2_quantizer_layer_einsum_dense_and_output_quantizer_bit_exact():
    g = run_passes(graph_from_keras(load_keras(str(EINSUM))), {})
    assert [(l.name, l.kind) for l in g] == [("x", "Input"), ("qin", "Cast"), ("e1_iq", "Cast"), ("e1", "Dense"),
                                            ("e1_relu", "Activation"), ("e2_iq", "Cast"), ("e2", "Dense"),
                                            ("e2_oq", "Cast")]
    assert g.outputs == ["e2_oq"] and g["x"].result_t.rounding is Rounding.TRN
    ref = np.load(EINSUM_REF)
    out = g["e2_oq"].result_t.to_float(run_raw(g, quantize_inputs(g, ref["x"]))["e2_oq"])
    assert np.array_equal(out, ref["y"].astype(np.float64))


def test_einsum_that_is_not_a_dense_is_a_clear_error(tmp_path):
    path = _edited_archive(tmp_path, lambda ls: _set(ls, "e1", config__equation="bi,oi->bo"), EINSUM)
    with pytest.raises(RtlnnError, match=r"'e1'.*'bi,oi->bo'.*bi,io->bo"):
        graph_from_keras(load_keras(path))


# ---------------------------------------------------------------------- quantizer semantics
def _hgq_reference(x, k, i, f, round_mode, overflow_mode):
    """HGQ2's fixed-point quantizer at inference, from its documented definition, in float64:
    saturate (SAT: to [-k 2^i, 2^i - 2^-f]) then round, or round then wrap into k+i integer bits;
    i is raised to -f; an element with k+i+f <= 0 bits is 0."""
    ie = np.maximum(i, -f)
    if overflow_mode == "SAT":
        x = np.clip(x, -k * 2.0 ** ie, 2.0 ** ie - 2.0 ** -f)
    s = x * 2.0 ** f
    r = {"TRN": np.floor(s), "RND": np.floor(s + 0.5), "RND_CONV": np.round(s),
         "RND_INF": np.sign(s) * np.floor(np.abs(s) + 0.5), "RND_ZERO": -np.sign(s) * np.floor(-np.abs(s) + 0.5),
         "RND_MIN_INF": -np.floor(-s + 0.5), "TRN_ZERO": np.sign(s) * np.floor(np.abs(s))}[round_mode] / 2.0 ** f
    if overflow_mode == "WRAP":
        span, bias = 2.0 ** (ie + k), k * 2.0 ** (ie + k - 1)
        r = np.mod(r + bias, span) - bias
    return np.where(k + i + f > 0, r, 0.0)


def _quantizer(q_type, k, i, f, round_mode, overflow_mode, is_weight=False):
    """An HgqQuantizer from per-element k, i, f, its variables laid out as HGQ2 stores them."""
    k, i, f = (np.asarray(a) for a in (k, i, f))
    conf = {"q_type": q_type, "round_mode": round_mode, "overflow_mode": overflow_mode, "is_weight": is_weight}
    wrap = overflow_mode == "WRAP"
    var = {"k": k.astype(np.uint8), "i": i.astype(np.float32), "f": f.astype(np.float32),
           "b": (i + f).astype(np.float32), "decay": np.float32(0.01)}
    if q_type == "kbi":
        names = ["b"] + ([] if wrap else ["i"]) + ["k"] + (["i", "decay"] if wrap else [])
    else:
        names = ([] if wrap else ["i"]) + ["f", "k"] + (["i", "decay"] if wrap else [])
    return HgqQuantizer(conf, [var[n] for n in names], "test quantizer")


@pytest.mark.parametrize("q_type", ["kif", "kbi"])
@pytest.mark.parametrize("round_mode", ["TRN", "RND", "RND_CONV", "RND_INF", "RND_ZERO", "RND_MIN_INF", "TRN_ZERO",
                                        "S_RND"])
@pytest.mark.parametrize("overflow_mode", ["WRAP", "SAT"])
def test_element_cast_is_hgq2s_quantizer(q_type, round_mode, overflow_mode):
    # every (k, i, f) shape of element: signed / unsigned, i < -f, negative f, zero and one bit
    kif = [(k, i, f) for k in (0, 1) for i in (-3, -1, 0, 1, 3) for f in (-2, 0, 1, 2, 4)]
    k, i, f = (np.array(v) for v in zip(*kif))
    q = _quantizer(q_type, k, i, f, round_mode, overflow_mode)
    element_t = q.element_types(k.shape)
    assert sum(t is None for t in element_t) == int(np.sum(k + i + f <= 0))
    src = FixedType(16, 7)  # inputs on a grid finer than every element, over and beyond every range
    raw = np.arange(src.min_raw, src.max_raw + 1, 7)
    x = np.repeat(raw[:, None], len(kif), axis=1)
    got = union(element_t).to_float(element_cast_raw(x, src, element_t, union(element_t)))
    mode = round_mode[2:] if round_mode.startswith("S_") else round_mode
    want = _hgq_reference(src.to_float(x), k, i, f, mode, overflow_mode)
    assert np.array_equal(got, want)
    # the float32 path the frontend uses on kernels and biases computes the same values
    assert np.array_equal(q.apply(src.to_float(x).astype(np.float32)), want)


def test_sat_sym_is_for_weights_only():
    q = _quantizer("kbi", [1, 1], [1, 2], [3, 2], "RND", "SAT_SYM", is_weight=True)
    x = np.array([[-2.0, -4.0], [-1.99, 3.9]], dtype=np.float32)
    assert q.apply(x).tolist() == [[-1.875, -3.75], [-1.875, 3.75]]  # clipped to +-max: never -2^i
    with pytest.raises(RtlnnError, match="SAT_SYM"):
        q.element_types((2,))
    assert all(t.overflow is Overflow.SAT for t in _quantizer("kif", [0], [2], [2], "RND", "SAT_SYM").element_types((1,)))


# ---------------------------------------------------------------------- the per-element cast kind
def test_per_element_cast_report_and_union():
    types = (FixedType(4, 2, True, Rounding.RND, Overflow.SAT), None, FixedType(6, 1, False), None,
             FixedType(4, 2, True, Rounding.RND, Overflow.SAT))
    u = union(types)
    assert u.signed and u.frac == 5  # fixed<4,2> and ufixed<6,1>: every value of both, exactly
    for t in types[0], types[2]:
        assert u.min_value <= t.min_value and t.max_value <= u.max_value
    d = describe(types)
    assert d["zero_elements"] == 2 and d["distinct_types"] == 3 and d["width_range"] == [4, 6]
    assert d["total_bits"] == 14 and "union" in d["note"]
    g = ModelGraph(name="c")
    g.add(Input("x", [], (5,), result_t=FixedType(8, 4)))
    g.add(Cast("q", ["x"], (5,), result_t=u, element_t=types))
    g.outputs = ["q"]
    from rtlnn.model import RtlnnModel

    report = RtlnnModel(g, {}, "unused").report()
    entry = next(l for l in report["layers"] if l["name"] == "q")
    assert entry["precision"]["result"] == str(u) and entry["element_precision"]["zero_elements"] == 2


# ---------------------------------------------------------------------- errors
def _edited_archive(tmp_path, edit, source=JET) -> str:
    path = tmp_path / "edited.keras"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "config.json":
                cfg = json.loads(data)
                edit(cfg["config"]["layers"])
                data = json.dumps(cfg).encode()
            dst.writestr(item, data)
    return str(path)


def _set(layers, name, **changes):
    entry = next(e for e in layers if e["name"] == name)
    for path, value in changes.items():
        node = entry
        keys = path.split("__")
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value


@pytest.mark.parametrize("edit,words", [
    (lambda ls: _set(ls, "fc2", class_name="QDenseT"), ["'fc2'", "QDenseT", "supported HGQ2 layers", "QDense"]),
    (lambda ls: _set(ls, "fc3", config__iq_conf__config__q_type="float"), ["'fc3'", "iq", "'float'", "kif"]),
    (lambda ls: _set(ls, "fc3", config__iq_conf__config__overflow_mode="SAT_SYM"), ["'fc3'", "SAT_SYM", "signed"]),
    (lambda ls: _set(ls, "fc1", config__iq_conf__config__overflow_mode="SAT"), ["'fc1'", "iq", "variables", "SAT"]),
    (lambda ls: _set(ls, "fc1", config__kq_conf__config__scaler=3.0), ["'fc1'", "kq", "scaler", "power of two"]),
])
def test_unsupported_hgq2_models_are_clear_errors(tmp_path, edit, words):
    path = _edited_archive(tmp_path, edit)
    with pytest.raises(RtlnnError) as e:
        run_passes(graph_from_keras(load_keras(path)), {})
    assert all(w in str(e.value) for w in words), str(e.value)
