"""Activations and softmax in Verilator: every variant side by side in one design (one build
each), bit-exact with the emulator, latency and II as reported.

* activations: input fixed<12,5> with 2 elements; 2048 vectors walk all 4096 input codes
  (element 0 the lower half, element 1 the upper half), so every function sees its whole
  input range, both saturation edges included.
* softmax: stable, latency, legacy, argmax over 5 inputs of fixed<10,5>, 2100 vectors:
  random codes, all-min, all-max, ties, one maximal element among minimal ones.
"""

import numpy as np

from rtlnn import ir
from rtlnn.fixed import parse_type
from rtlnn.hw.softmax import softmax_latency
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes

ACTIVATIONS = [
    ("sigmoid", {}, {"table_size": 1024}),
    ("tanh", {}, {"table_size": 256, "Precision": {"table": "fixed<12,2,RND,SAT>"}}),
    ("softsign", {}, {"table_size": 512, "table_range": [-16, 16]}),
    ("softplus", {}, {"table_size": 256}),
    ("elu", {"alpha": 0.7}, {"table_size": 128}),
    ("selu", {}, {"table_size": 256}),
    ("relu", {"max_value": 6.0, "negative_slope": 0.1, "threshold": 0.5}, {}),
    ("relu6", {}, {}),
    ("leaky_relu", {"alpha": 0.25}, {}),
    ("leaky_relu", {"alpha": 0.3}, {}),
    ("thresholded_relu", {"theta": 1.0}, {}),
    ("hard_sigmoid", {}, {}),
    ("hard_tanh", {}, {}),
    ("linear", {}, {}),
    ("relu", {}, {}),
]


def _codes_to_floats(t, raw):
    return t.to_float(np.asarray(raw, dtype=np.int64))


def test_activations_rtl_bit_exact(tmp_path, require_verilator):
    in_t = parse_type("fixed<12,5>")
    g = ir.ModelGraph(name="acts")
    g.add(ir.Input("x", [], (2,)))
    names = {}
    for k, (fn, params, settings) in enumerate(ACTIVATIONS):
        name = f"a{k}_{fn}"
        g.add(ir.Activation(name, ["x"], (2,), function=fn, params=params))
        names[name] = dict(settings, Precision=dict(settings.get("Precision", {}), result="fixed<14,4,RND,SAT>"))
    g.add(ir.PReLU("prelu", ["x"], (2,), alpha=np.array([0.25, -0.37])))
    names["prelu"] = {"Precision": {"result": "fixed<16,6>"}}
    g.outputs = list(names)
    names["x"] = {"Precision": {"result": str(in_t)}}
    cfg = {"Model": {"Precision": "fixed<16,6>"}, "LayerName": names}
    typed = run_passes(g, cfg)
    rm = RtlnnModel(typed, cfg, tmp_path / "prj", project_name="acts")
    codes = np.arange(in_t.min_raw, in_t.max_raw + 1)
    raw = np.stack([codes[:2048], codes[2048:]], axis=1)
    x = _codes_to_floats(in_t, raw)
    sim = rm.simulate(x)
    assert sim.n_vectors == 2048
    assert sim.mismatches == 0, sim.first_mismatches
    assert rm.latency_cycles == 1  # table reads take one cycle, the rest is combinational
    assert (sim.latency_cycles, sim.ii) == (rm.latency_cycles, rm.ii) == (1, 1)
    assert sim.passed
    by_name = {l["name"]: l for l in rm.report()["layers"]}
    for k, (fn, _, _) in enumerate(ACTIVATIONS):
        table = fn in ("sigmoid", "tanh", "softsign", "softplus", "elu", "selu")
        assert by_name[f"a{k}_{fn}"]["latency_cycles"] == (1 if table else 0)


def test_softmax_rtl_bit_exact(tmp_path, require_verilator):
    in_t = parse_type("fixed<10,5>")
    n = 5
    g = ir.ModelGraph(name="softmaxes")
    g.add(ir.Input("x", [], (n,)))
    names = {"x": {"Precision": {"result": str(in_t)}}}
    impls = {
        "stable": {"Precision": {"result": "ufixed<16,0,RND,SAT>"}},
        "latency": {"table_size": 512, "exp_table_t": "ufixed<20,12,RND,SAT>", "table_range": [-8, 8],
                    "Precision": {"result": "ufixed<14,0,RND,SAT>"}},
        "legacy": {"table_size": 256, "Precision": {"result": "ufixed<12,0,RND,SAT>", "inv_table": "ufixed<12,1,RND,SAT>"}},
        "argmax": {"Precision": {"result": "ufixed<1,1>"}},
    }
    for impl, settings in impls.items():
        g.add(ir.Softmax(f"sm_{impl}", ["x"], (n,)))
        names[f"sm_{impl}"] = dict(settings, implementation=impl)
    g.outputs = [f"sm_{impl}" for impl in impls]
    cfg = {"Model": {"Precision": "fixed<16,6>"}, "LayerName": names}
    typed = run_passes(g, cfg)
    rm = RtlnnModel(typed, cfg, tmp_path / "prj", project_name="softmaxes")
    rng = np.random.default_rng(7)
    raw = rng.integers(in_t.min_raw, in_t.max_raw + 1, size=(2100, n))
    raw[:100] = rng.integers(-40, 40, size=(100, n))  # close logits: the interesting middle
    raw[100] = in_t.min_raw
    raw[101] = in_t.max_raw
    raw[102] = [3, 3, 3, 1, 3]  # ties: argmax takes the first
    raw[103] = [in_t.min_raw] * 4 + [in_t.max_raw]
    raw[104] = [in_t.max_raw] + [in_t.min_raw] * 4
    sim = rm.simulate(_codes_to_floats(in_t, raw))
    assert sim.n_vectors == 2100
    assert sim.mismatches == 0, sim.first_mismatches
    assert rm.latency_cycles == max(softmax_latency(i, n) for i in impls) == 8
    assert (sim.latency_cycles, sim.ii) == (rm.latency_cycles, rm.ii)
    assert sim.passed
    by_name = {l["name"]: l for l in rm.report()["layers"]}
    assert {i: by_name[f"sm_{i}"]["latency_cycles"] for i in impls} == \
        {"stable": 8, "latency": 6, "legacy": 6, "argmax": 3}
