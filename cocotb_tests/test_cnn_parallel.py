"""io_parallel CNN layers in Verilator: several variants side by side as outputs of one design
(one build per design), every output bit-exact with the emulator on random inputs, with
random input gaps, and the measured latency and II equal to the generator's."""

from __future__ import annotations

import numpy as np
import pytest

from rtlnn import ir
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes


def _pads(hw, k, s, padding):
    if padding == "valid":
        return (0, 0, 0, 0)
    return ir.same_padding(hw[0], k[0], s[0]) + ir.same_padding(hw[1], k[1], s[1])


def _windowed(layer, hw, channels, ndim):
    ho, wo = layer.out_hw(*hw)
    layer.shape = (wo, channels) if ndim == 1 else (ho, wo, channels)
    return layer


def conv_design(seed=0):
    """Conv2D / DepthwiseConv2D / Conv1D / DepthwiseConv1D variants: kernels, strides,
    paddings, channel counts and reuse factors, on a 5x5x2 input and its 1-D view (10, 5)."""
    rng = np.random.default_rng(seed)
    g = ir.ModelGraph(name="cnn_conv")
    g.add(ir.Input("x", [], (5, 5, 2)))
    g.add(ir.Reshape("x1d", ["x"], (10, 5)))
    names, cfg = [], {}
    cases = [  # cls, source, c_out, kernel, strides, padding, RF
        (ir.Conv2D, "x", 2, (3, 3), (1, 1), "same", 1),
        (ir.Conv2D, "x", 3, (2, 3), (2, 1), "valid", 5),
        (ir.Conv2D, "x", 1, (1, 1), (2, 2), "valid", 1),
        (ir.DepthwiseConv2D, "x", 1, (3, 3), (2, 2), "same", 3),
        (ir.Conv1D, "x1d", 2, (1, 3), (1, 2), "same", 2),
        (ir.DepthwiseConv1D, "x1d", 2, (1, 2), (1, 1), "valid", 1),
    ]
    for n, (cls, src, cout, k, s, padding, rf) in enumerate(cases):
        ndim = 1 if src == "x1d" else 2
        hw = (1, 10) if ndim == 1 else (5, 5)
        c_in = 5 if ndim == 1 else 2
        name = f"{cls.__name__.lower()}_{n}"
        depthwise = cls in (ir.DepthwiseConv1D, ir.DepthwiseConv2D)
        w = rng.normal(0, 0.5, k + (c_in, cout))
        n_out = c_in * cout if depthwise else cout
        layer = cls(name, [src], (), strides=s, padding=_pads(hw, k, s, padding), weight=w,
                    bias=rng.normal(0, 0.5, n_out))
        g.add(_windowed(layer, hw, n_out, ndim))
        names.append(name)
        cfg[name] = {"ReuseFactor": rf, "Precision": {"result": "fixed<10,4,RND,SAT>"}}
    g.outputs = names
    return g, {"Model": {"Precision": "fixed<8,3>"}, "LayerName": cfg}


def pool_design():
    """Max / average / global pooling, zero padding, cropping and upsampling, 2-D and 1-D."""
    g = ir.ModelGraph(name="cnn_pool")
    g.add(ir.Input("x", [], (6, 5, 2)))
    g.add(ir.Reshape("x1d", ["x"], (10, 6)))
    layers = [
        _windowed(ir.Pooling2D("max_a", ["x"], (), kernel_size=(2, 2), strides=(2, 2)), (6, 5), 2, 2),
        _windowed(ir.Pooling2D("max_b", ["x"], (), kernel_size=(3, 3), strides=(2, 2),
                               padding=_pads((6, 5), (3, 3), (2, 2), "same")), (6, 5), 2, 2),
        _windowed(ir.Pooling2D("avg_a", ["x"], (), kernel_size=(3, 2), strides=(1, 2), op="average"), (6, 5), 2, 2),
        _windowed(ir.Pooling2D("avg_b", ["x"], (), kernel_size=(2, 2), strides=(2, 2), op="average"), (6, 5), 2, 2),
        _windowed(ir.Pooling1D("max_1d", ["x1d"], (), kernel_size=(1, 3), strides=(1, 2),
                               padding=_pads((1, 10), (1, 3), (1, 2), "same")), (1, 10), 6, 1),
        _windowed(ir.Pooling1D("avg_1d", ["x1d"], (), kernel_size=(1, 3), strides=(1, 3), op="average"),
                  (1, 10), 6, 1),
        ir.GlobalPooling2D("gmax", ["x"], (2,), op="max"),
        ir.GlobalPooling2D("gavg", ["x"], (2,), op="average"),
        ir.GlobalPooling1D("gavg_1d", ["x1d"], (6,), op="average"),
        ir.ZeroPadding2D("pad", ["x"], (9, 6, 2), padding=(1, 2, 0, 1)),
        ir.Cropping2D("crop", ["x"], (3, 2, 2), cropping=(2, 1, 1, 2)),
        ir.UpSampling2D("up", ["x"], (12, 15, 2), factors=(2, 3)),
        ir.ZeroPadding1D("pad_1d", ["x1d"], (13, 6), padding=(0, 0, 2, 1)),
        ir.Cropping1D("crop_1d", ["x1d"], (7, 6), cropping=(0, 0, 1, 2)),
        ir.UpSampling1D("up_1d", ["x1d"], (20, 6), factors=(1, 2)),
    ]
    for layer in layers:
        g.add(layer)
    g.outputs = [layer.name for layer in layers]
    cfg = {"Model": {"Precision": "fixed<8,3>"},
           "LayerName": {"avg_a": {"Precision": "fixed<9,3,RND_CONV,SAT>"}, "gavg": {"Precision": "fixed<12,3,RND>"},
                         "max_b": {"Precision": "fixed<6,2,RND,SAT>"}}}
    return g, cfg


@pytest.mark.parametrize("design", ["conv", "pool"])
def test_cnn_parallel_bit_exact(design, tmp_path, require_verilator):
    graph, config = conv_design() if design == "conv" else pool_design()
    typed = run_passes(graph, config)
    rm = RtlnnModel(typed, config, tmp_path / "prj", project_name=f"cnn_{design}")
    sim = rm.simulate(n_vectors=150, gaps=True, seed=3)
    assert sim.mismatches == 0, sim.first_mismatches
    assert sim.latency_cycles == rm.latency_cycles
    assert sim.ii == rm.ii
    assert sim.passed
    if design == "conv":
        layers = {l["name"]: l for l in rm.report()["layers"]}
        assert layers["conv2d_1"]["ii"] == 5 and layers["depthwiseconv2d_3"]["ii"] == 3
