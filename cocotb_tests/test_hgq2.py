"""HGQ2 models in RTL: the committed HGQ2 jet tagger (tests/data/hgq2), converted with no
hand-written precision, simulated in Verilator with every output bit-exact with the emulator
(which tests/test_hgq2.py shows equal to HGQ2's own outputs) and latency / II as reported.

The default run builds the model's last stage -- the heterogeneous RND_CONV input quantizer with
its pruned (zero-bit) elements, and the output QDense -- beside per-element casts of every
rounding and overflow mode over every code of a signed input (the saturation and wrap edges), in
one design; the whole network (about 2,900 multipliers: a long Verilator build) is a slow case."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rtlnn import ir
from rtlnn.element_types import union
from rtlnn.emulate import quantize_inputs, run_raw
from rtlnn.fixed import FixedType, Overflow, Rounding
from rtlnn.frontends.keras import graph_from_keras, load_keras
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "hgq2"
JET, JET_REF = DATA / "hgq2_jet.keras", DATA / "hgq2_jet_ref.npz"
EDGE_T = FixedType(12, 4)  # the signed input the edge casts read: 4,096 codes


def _jet():
    return run_passes(graph_from_keras(load_keras(str(JET))), {}), np.load(JET_REF)


def _edge_types() -> tuple:
    """Per-element types across every rounding and overflow mode, signed and unsigned, narrower
    and wider than the input on both ends (negative fractional bits too), and zero elements."""
    shapes = [(3, 2, True), (5, 1, False), (4, 4, True), (2, 5, True), (6, 3, False), (9, 5, True), (1, 1, False),
              (3, 6, False), (14, 5, True), (1, 2, True)]
    types = []
    for j, (w, i, s) in enumerate(shapes * 3):
        overflow = list(Overflow)[(j + j // len(shapes)) % len(Overflow)]
        if overflow is Overflow.SAT_SYM and s and w < 2:
            overflow = Overflow.SAT
        types.append(FixedType(w, i, s, list(Rounding)[j % len(Rounding)], overflow))
    types[7] = types[19] = None  # pruned elements: constant zero
    return tuple(types)


def _bundle(graph, ref):
    """The jet tagger's last stage (input: fc3's ReLU output) beside the edge casts, one design."""
    tail = ir.ModelGraph(name="hgq2_bundle")
    tail.add(ir.Input("fc3_out", [], graph["fc3_relu"].shape, result_t=graph["fc3_relu"].result_t))
    for name in ("output_iq", "output"):
        layer = graph[name].copy()
        layer.inputs = ["fc3_out" if i == "fc3_relu" else i for i in layer.inputs]
        tail.add(layer)
    edge_t = _edge_types()
    tail.add(ir.Input("edges", [], (len(edge_t),), result_t=EDGE_T))
    tail.add(ir.Cast("edge_cast", ["edges"], (len(edge_t),), result_t=union(edge_t), element_t=edge_t))
    tail.outputs = ["output", "edge_cast"]
    # inputs: fc3's real activations on the fixture's jets, then every code of both inputs
    trace = run_raw(graph, quantize_inputs(graph, ref["x"][:2000]), keep=True)["fc3_relu"]
    in_t = tail["fc3_out"].result_t
    n = EDGE_T.max_raw - EDGE_T.min_raw + 1
    size = tail["fc3_out"].size
    sweep = (np.arange(n)[:, None] * 37 + np.arange(size)[None, :] * 101) % (in_t.max_raw + 1)
    sweep[0], sweep[1] = in_t.max_raw, in_t.min_raw  # the corners
    fc3 = np.concatenate([trace, sweep[: n - len(trace)]])
    codes = (np.arange(n)[:, None] + 131 * np.arange(len(edge_t))[None, :]) % n + EDGE_T.min_raw
    return tail, [in_t.to_float(fc3), EDGE_T.to_float(codes)]


def test_hgq2_jet_last_stage_and_edge_casts_rtl_bit_exact(tmp_path, require_verilator):
    graph, ref = _jet()
    bundle, x = _bundle(graph, ref)
    assert sum(t is None for t in bundle["output_iq"].element_t) == 3  # pruned inputs in the design
    rm = RtlnnModel(bundle, {}, tmp_path / "prj", project_name="hgq2_bundle")
    emu = rm.predict(x)
    codes = np.unique(EDGE_T.quantize(x[1]))
    assert codes.size == 4096  # every input code, on every element, saturating and wrapping
    sim = rm.simulate(x)
    assert sim.n_vectors == 4096
    assert sim.mismatches == 0, sim.first_mismatches
    for got, want in zip(sim.outputs, emu):
        assert np.array_equal(got, want)
    assert sim.latency_cycles == rm.latency_cycles and sim.ii == rm.ii == 1
    assert sim.passed
    entry = next(l for l in rm.report()["layers"] if l["name"] == "output_iq")
    assert entry["element_precision"]["zero_elements"] == 3 and entry["multipliers"] == 0


@pytest.mark.slow
def test_hgq2_jet_tagger_rtl_bit_exact(tmp_path, require_verilator):
    """The whole converted HGQ2 jet tagger on the fixture's 2,500 inputs (2,000 jets and 500 beyond
    the traced ranges, where the input quantizers wrap): RTL = emulator = HGQ2."""
    graph, ref = _jet()
    rm = RtlnnModel(graph, {}, tmp_path / "prj", project_name="hgq2_jet")
    sim = rm.simulate(ref["x"])
    assert sim.n_vectors == len(ref["x"]) and sim.mismatches == 0, sim.first_mismatches
    assert np.array_equal(sim.outputs, ref["logits"].astype(np.float64))  # the RTL computes HGQ2's logits
    assert sim.latency_cycles == rm.latency_cycles and sim.ii == rm.ii == 1
