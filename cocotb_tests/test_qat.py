"""Quantization-aware (QKeras) models in RTL: converted with no hand-written precision, simulated in
Verilator, every output bit-exact with the emulator and equal to QKeras's own arithmetic; latency
and II as reported.  One design holds four quantizer variants side by side as outputs."""

import numpy as np
import pytest

from rtlnn.emulate import quantize_inputs, run_raw, to_float
from rtlnn.fixed import FixedType
from rtlnn.frontends.keras import graph_from_keras, load_keras
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes

import qkeras_models as qm


def _variants(tmp_path):
    rng = np.random.default_rng(21)
    n = 8
    w = {k: (rng.normal(0, 0.5, (n, u)).astype(np.float32), rng.normal(0, 0.4, u).astype(np.float32))
         for k, u in (("a", 6), ("b", 5), ("c", 4), ("d", 4))}
    po2 = {"class_name": "quantized_po2", "config": {"bits": 4, "max_value": None}}
    layers = [
        qm.qdense("a", ["input_1"], 6, *w["a"], qm.qb(6, 0), qm.qb(6, 0)),
        qm.qactivation("a_relu", ["a"], "quantized_relu(6,0)"),
        qm.qdense("b", ["input_1"], 5, *w["b"], po2, qm.qb(8, 3)),
        qm.qactivation("b_bits", ["b"], "quantized_bits(8,2)"),
        qm.qdense("c", ["input_1"], 4, *w["c"], {"class_name": "binary", "config": {}}, qm.qb(8, 3)),
        qm.qactivation("c_tanh", ["c"], "quantized_tanh(6)"),
        qm.qdense("d", ["input_1"], 4, *w["d"], {"class_name": "ternary", "config": {}}, qm.qb(6, 2),
                  activation="quantized_relu(4,1)"),
    ]
    qm.write_keras2(tmp_path / "m.json", tmp_path / "w.h5", n, layers, ["a_relu", "b_bits", "c_tanh", "d"])
    km = load_keras(str(tmp_path / "m.json"), weights=str(tmp_path / "w.h5"))
    return run_passes(graph_from_keras(km), {}), w


def _qkeras_reference(x, w):
    """QKeras's arithmetic in float64 (exact here): quantized weights, exact sums, quantizers."""
    def dense(key, kq, bq):
        k, b = w[key]
        return x @ kq(k) + bq(b)
    a = qm.ref_quantized_relu(dense("a", lambda k: qm.ref_quantized_bits(k, 6), lambda b: qm.ref_quantized_bits(b, 6)),
                              6)
    b = qm.ref_quantized_bits(dense("b", lambda k: qm.ref_po2(k, 4), lambda b: qm.ref_quantized_bits(b, 8, 3)), 8, 2)
    c = qm.ref_quantized_tanh(dense("c", lambda k: np.where(k >= 0, 1.0, -1.0),
                                    lambda b: qm.ref_quantized_bits(b, 8, 3)), 6)
    d = qm.ref_quantized_relu(dense("d", lambda k: np.where(np.abs(k) >= 0.33, np.sign(k), 0.0),
                                    lambda b: qm.ref_quantized_bits(b, 6, 2)), 4, 1)
    return [a, b, c, d]


def test_qkeras_variants_rtl_bit_exact(tmp_path, require_verilator):
    graph, w = _variants(tmp_path)
    rng = np.random.default_rng(0)
    # the input range of fixed<16,6> and beyond, so every quantizer saturates somewhere
    x = FixedType(16, 6).round_trip(np.concatenate([rng.normal(0, 1.5, (1500, 8)), rng.uniform(-40, 40, (500, 8))]))
    emu = to_float(graph, run_raw(graph, quantize_inputs(graph, x)))
    for name, want in zip(graph.outputs, _qkeras_reference(x, w)):
        assert np.array_equal(emu[name], want), name  # the emulator is QKeras, exactly
    rm = RtlnnModel(graph, {}, tmp_path / "prj", project_name="qat_variants")
    sim = rm.simulate(x)
    assert sim.n_vectors == len(x)
    assert sim.mismatches == 0, sim.first_mismatches
    assert sim.latency_cycles == rm.latency_cycles and sim.ii == rm.ii == 1
    assert sim.passed


@pytest.mark.slow
def test_qkeras_v3_jet_tagger_rtl_bit_exact(tmp_path, require_verilator):
    """The committed qkeras-v3 jet tagger (16-64-32-32-5, logits): about 90 s of Verilator build."""
    km = load_keras(str(qm.QKERAS_V3_JET))
    km.layers = [spec for spec in km.layers if spec.name != "softmax"]
    km.outputs = ["output"]
    graph = run_passes(graph_from_keras(km), {})
    ref = np.load(qm.QKERAS_V3_JET_REF)
    rm = RtlnnModel(graph, {}, tmp_path / "prj", project_name="qkeras_jet")
    sim = rm.simulate(ref["x_grid"][:1000])
    assert sim.mismatches == 0, sim.first_mismatches
    assert sim.latency_cycles == rm.latency_cycles and sim.ii == rm.ii
    assert np.array_equal(rm.predict(ref["x_grid"][:1000]), ref["logits_grid"][:1000].astype(np.float64))
