"""io_stream CNN networks in Verilator (the stream bench: random input gaps and random output
backpressure): every output bit-exact with the emulator, and at full rate the measured
latency and cycles per frame equal to the generators'.  Each design chains many CNN layer
kinds so that one build checks them all."""

from __future__ import annotations

import numpy as np
import pytest

from rtlnn import ir
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes


def _conv(cls, name, src, in_hw, c_in, cout, k, s, pads, rng, ndim=2):
    w = rng.normal(0, 0.5, k + (c_in, cout))
    n_out = c_in * cout if cls in (ir.DepthwiseConv1D, ir.DepthwiseConv2D) else cout
    layer = cls(name, [src], (), strides=s, padding=pads, weight=w, bias=rng.normal(0, 0.5, n_out))
    ho, wo = layer.out_hw(*in_hw)
    layer.shape = (wo, n_out) if ndim == 1 else (ho, wo, n_out)
    return layer


def chain_2d(rng):
    g = ir.ModelGraph(name="cnn_stream_2d")
    g.add(ir.Input("x", [], (5, 5, 2)))
    g.add(ir.ZeroPadding2D("pad", ["x"], (6, 7, 2), padding=(1, 0, 0, 2)))
    g.add(_conv(ir.Conv2D, "conv_a", "pad", (6, 7), 2, 3, (3, 3), (2, 2), (0, 0, 0, 0), rng))  # 2x3x3
    g.add(ir.Activation("relu_a", ["conv_a"], (2, 3, 3), function="relu"))
    g.add(ir.UpSampling2D("up", ["relu_a"], (4, 6, 3), factors=(2, 2)))
    g.add(_conv(ir.DepthwiseConv2D, "dw", "up", (4, 6), 3, 1, (3, 3), (1, 1), (1, 1, 1, 1), rng))  # 4x6x3
    g.add(ir.Cropping2D("crop", ["dw"], (3, 4, 3), cropping=(0, 1, 1, 1)))
    g.add(_conv(ir.Conv2D, "pw", "crop", (3, 4), 3, 2, (1, 1), (1, 1), (0, 0, 0, 0), rng))  # 3x4x2
    g.add(ir.Pooling2D("avg", ["pw"], (1, 2, 2), kernel_size=(2, 2), strides=(2, 2), op="average"))
    g.add(ir.Reshape("flat", ["avg"], (4,)))
    g.add(ir.Dense("fc", ["flat"], (3,), weight=rng.normal(0, 0.5, (4, 3)), bias=rng.normal(0, 0.5, 3)))
    g.outputs = ["fc"]
    cfg = {"Model": {"Precision": "fixed<8,3,RND,SAT>"},
           "LayerName": {"conv_a": {"ReuseFactor": 3}, "dw": {"ReuseFactor": 2}, "avg": {"Precision": "fixed<10,3>"}}}
    return g, cfg


def chain_1d(rng):
    g = ir.ModelGraph(name="cnn_stream_1d")
    g.add(ir.Input("x", [], (9, 2)))
    g.add(_conv(ir.Conv1D, "conv", "x", (1, 9), 2, 3, (1, 3), (1, 1), (0, 0, 1, 1), rng, ndim=1))  # 9x3
    g.add(ir.Pooling1D("maxp", ["conv"], (5, 3), kernel_size=(1, 2), strides=(1, 2), padding=(0, 0, 0, 1)))
    g.add(_conv(ir.DepthwiseConv1D, "dw", "maxp", (1, 5), 3, 2, (1, 2), (1, 1), (0, 0, 0, 0), rng, ndim=1))  # 4x6
    g.add(ir.GlobalPooling1D("gmax", ["dw"], (6,), op="max"))
    g.outputs = ["gmax"]
    cfg = {"Model": {"Precision": "fixed<8,3>"}, "LayerName": {"conv": {"ReuseFactor": 2}}}
    return g, cfg


@pytest.mark.parametrize("design", ["2d", "1d"])
def test_cnn_stream_network_bit_exact(design, tmp_path, require_verilator):
    rng = np.random.default_rng(11)
    graph, config = chain_2d(rng) if design == "2d" else chain_1d(rng)
    typed = run_passes(graph, config)
    rm = RtlnnModel(typed, config, tmp_path / "prj", io_type="io_stream", project_name=f"cnn_stream_{design}")
    for gaps in (True, False):
        sim = rm.simulate(n_vectors=24, gaps=gaps, seed=5)
        assert sim.mismatches == 0, sim.first_mismatches
        assert sim.passed, sim.details
        if not gaps:
            assert sim.latency_cycles == rm.latency_cycles and sim.ii == rm.ii
