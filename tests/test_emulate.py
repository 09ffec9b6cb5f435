"""The emulator: exact where the types are wide, the configured casts where they are not."""

from fractions import Fraction

import numpy as np
import pytest

from rtlnn import emulate
from rtlnn.passes import run_passes

from graphs import make_mlp


def _exact_reference(graph, x):
    """Fraction arithmetic over the quantized weights, with the configured casts, per sample."""
    vals = {}
    for layer in graph:
        if layer.kind == "Input":
            raw = layer.result_t.quantize(x)
            vals[layer.name] = [[Fraction(int(v)) * Fraction(2) ** -layer.result_t.frac for v in row] for row in raw]
        elif layer.kind == "Dense":
            w = layer.weight_raw(); b = layer.bias_raw()
            out = []
            for row in vals[layer.inputs[0]]:
                res = []
                for j in range(layer.n_out):
                    s = sum(row[i] * Fraction(int(w[i, j])) * Fraction(2) ** -layer.weight_t.frac for i in range(layer.n_in))
                    s += Fraction(int(b[j])) * Fraction(2) ** -layer.bias_t.frac
                    res.append(s)
                out.append(res)
            vals[layer.name] = [[_q(v, layer.result_t) for v in row] for row in out]
        else:
            vals[layer.name] = [[_q(max(v, 0), layer.result_t) for v in row] for row in vals[layer.inputs[0]]]
    return vals


def _q(v, t):
    # only TRN/WRAP results are used below: floor then wrap
    raw = (v * 2 ** t.frac).__floor__()
    span = 1 << t.width
    raw = (raw - t.min_raw) % span + t.min_raw
    return Fraction(raw) * Fraction(2) ** -t.frac


def test_exact_accumulator_matches_fraction_arithmetic():
    g = run_passes(make_mlp([5, 4, 3], seed=3), {"Model": {"Precision": "fixed<12,4>"}})
    x = np.random.default_rng(0).uniform(-8, 8, size=(40, 5))
    got = emulate.run_raw(g, emulate.quantize_inputs(g, x), keep=True)
    ref = _exact_reference(g, x)
    for name in ("fc1", "fc1_relu", "fc2"):
        t = g[name].result_t
        expect = np.array([[int(v * 2 ** t.frac) for v in row] for row in ref[name]])
        assert np.array_equal(got[name], expect), name


def test_reuse_factor_does_not_change_numbers():
    x = np.random.default_rng(1).normal(size=(50, 8))
    base = make_mlp([8, 6, 4, 3], seed=1)
    a = run_passes(base, {"Model": {"Precision": "fixed<10,3>"}})
    b = run_passes(base, {"Model": {"Precision": "fixed<10,3>", "ReuseFactor": 5}})
    ya = emulate.run_raw(a, emulate.quantize_inputs(a, x))
    yb = emulate.run_raw(b, emulate.quantize_inputs(b, x))
    assert np.array_equal(ya["fc3"], yb["fc3"])


def test_narrow_accumulator_wraps_like_hls4ml():
    g = make_mlp([3, 1], relu=False, seed=0)
    g["fc1"].weight[:] = [[1.0], [1.0], [1.0]]
    g["fc1"].bias[:] = [0.0]
    cfg = {"Model": {"Precision": "fixed<8,4>"}, "LayerName": {"fc1": {"Precision": {"accum": "fixed<6,3>"}}}}
    typed = run_passes(g, cfg)
    y = emulate.run_raw(typed, emulate.quantize_inputs(typed, np.array([[3.0, 2.0, 1.0]])))["fc1"]
    # 3+2+1 = 6 wraps in fixed<6,3> (range -4..3.875) to -2; fixed<8,4> holds -2 exactly
    assert typed["fc1"].result_t.to_float(y)[0, 0] == -2.0


def test_wide_precision_uses_exact_python_integers():
    g = run_passes(make_mlp([4, 3, 2], seed=2), {"Model": {"Precision": "fixed<40,20>"}})
    x = np.random.default_rng(2).normal(size=(10, 4))
    out = emulate.run_raw(g, emulate.quantize_inputs(g, x))["fc2"]
    assert out.dtype == np.int64 or out.dtype == object
    # at 20 fractional bits the fixed result is within a few LSBs of float math
    w1, b1, w2, b2 = g["fc1"].weight, g["fc1"].bias, g["fc2"].weight, g["fc2"].bias
    ref = np.maximum(x @ w1 + b1, 0) @ w2 + b2
    assert np.allclose(g["fc2"].result_t.to_float(out), ref, atol=1e-4)


def test_input_shape_errors():
    g = run_passes(make_mlp([4, 2]), {})
    with pytest.raises(Exception, match=r"shape \(batch, 4\)"):
        emulate.quantize_inputs(g, np.zeros((3, 5)))
