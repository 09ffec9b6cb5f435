"""io_stream CNN layers under Amaranth's simulator: every output pixel equal to the emulator's,
with random input gaps and random output backpressure, and at full rate the measured
latency (first pixel accepted -> first output valid) and II (cycles per frame in steady
state) equal to what the generator states."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from rtlnn import ir
from rtlnn.emulate import run_raw
from rtlnn.hw.generators import HwOptions, Source
from rtlnn.hw.stream_generators import STREAM_GENERATORS
from rtlnn.passes import run_passes


def pack(values, width: int) -> int:
    word = 0
    for k, v in enumerate(values):
        word |= (int(v) & ((1 << width) - 1)) << (k * width)
    return word


def unpack(word: int, n: int, width: int, signed: bool) -> list[int]:
    out = []
    for k in range(n):
        v = (word >> (k * width)) & ((1 << width) - 1)
        if signed and v >> (width - 1):
            v -= 1 << width
        out.append(v)
    return out


def run_stream(dut, pixels: list[int], n_out: int, *, gaps: float = 0.0, stall: float = 0.0, seed: int = 0,
               max_cycles: int = 200000):
    """Feed ``pixels`` into ``dut.i``, collect ``n_out`` pixels from ``dut.o``; returns
    (outputs, accept cycles, output cycles)."""
    rng = np.random.default_rng(seed)
    result = {"out": [], "acc": [], "oc": []}

    async def bench(ctx):
        k, cycle = 0, 0
        while len(result["out"]) < n_out:
            valid = k < len(pixels) and rng.random() >= gaps
            ctx.set(dut.i.valid, int(valid))
            ctx.set(dut.i.payload, pixels[k] if valid else int(rng.integers(0, 1 << 30)))
            ready = rng.random() >= stall
            ctx.set(dut.o.ready, int(ready))
            if valid and ctx.get(dut.i.ready):
                result["acc"].append(cycle)
                k += 1
            if ready and ctx.get(dut.o.valid):
                result["out"].append(ctx.get(dut.o.payload))
                result["oc"].append(cycle)
            await ctx.tick()
            cycle += 1
            assert cycle < max_cycles, f"stalled: {len(result['out'])} of {n_out} outputs after {cycle} cycles"

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return result["out"], result["acc"], result["oc"]


def check_layer(graph: ir.ModelGraph, config: dict, name: str, *, frames: int = 3, seed: int = 0,
                timing: bool = True):
    """Build the stream generator of layer ``name`` (its input is the graph's Input) and check it."""
    g = run_passes(graph, config)
    layer, src_layer = g[name], g[g[name].inputs[0]]
    src = Source(src_layer.name, src_layer.result_t, src_layer.size, tuple(src_layer.shape))
    rng = np.random.default_rng(seed)
    t = src_layer.result_t
    x = rng.integers(t.min_raw, t.max_raw, size=(frames,) + tuple(src_layer.shape), endpoint=True)
    want = run_raw(g, {src_layer.name: x}, keep=True)[name]
    c_in = src_layer.shape[-1] if len(src_layer.shape) > 1 else src_layer.size
    c_out = layer.shape[-1] if len(layer.shape) > 1 else layer.size
    pixels = [pack(p, t.width) for p in x.reshape(-1, c_in)]
    expect = [list(p) for p in want.reshape(-1, c_out)]
    out_t = layer.result_t
    results = {}
    modes = [("random", 0.3, 0.4)] + ([("full", 0.0, 0.0)] if timing else [])
    for mode, gaps, stall in modes:
        dut = STREAM_GENERATORS[layer.kind](layer, [src], HwOptions())
        assert dut.pixels_in * frames == len(pixels) and dut.pixels_out * frames == len(expect)
        out, acc, oc = run_stream(dut, pixels, len(expect), gaps=gaps, stall=stall, seed=seed)
        got = [unpack(w, c_out, out_t.width, out_t.signed) for w in out]
        assert got == expect, f"{name} ({mode}): first mismatch at pixel " \
                              f"{next(i for i, (a, b) in enumerate(zip(got, expect)) if a != b)}"
        if mode == "full":
            assert oc[0] - acc[0] == dut.latency, (name, oc[0] - acc[0], dut.latency)
            per = dut.pixels_out
            spacing = {oc[f * per] - oc[(f - 1) * per] for f in range(1, frames)}
            assert spacing == {dut.ii}, (name, spacing, dut.ii)
        results[mode] = dut
    return results


def _graph(in_shape, *layers):
    g = ir.ModelGraph()
    g.add(ir.Input("x", [], in_shape))
    for layer in layers:
        g.add(layer)
    g.outputs = [layers[-1].name]
    return g


CFG = {"Model": {"Precision": "fixed<8,3>"}}


def test_zero_padding_cropping_upsampling_flatten():
    check_layer(_graph((4, 5, 2), ir.ZeroPadding2D("z", ["x"], (7, 6, 2), padding=(1, 2, 0, 1))), CFG, "z")
    check_layer(_graph((5, 5, 2), ir.Cropping2D("c", ["x"], (2, 3, 2), cropping=(1, 2, 2, 0))), CFG, "c")
    check_layer(_graph((3, 4, 2), ir.UpSampling2D("u", ["x"], (6, 12, 2), factors=(2, 3))), CFG, "u")
    check_layer(_graph((6, 3), ir.UpSampling1D("u", ["x"], (12, 3), factors=(1, 2))), CFG, "u")
    check_layer(_graph((3, 4, 2), ir.Reshape("f", ["x"], (24,))), CFG, "f")


def _conv(cls, name, in_shape, cout, k, s, padding, rng, **kw):
    h, w, c = (1,) + in_shape if len(in_shape) == 2 else in_shape
    pads = (tuple(x for ax in ((h, k[0], s[0]), (w, k[1], s[1])) for x in ir.same_padding(*ax))
            if padding == "same" else (0, 0, 0, 0))
    if cls in (ir.DepthwiseConv2D, ir.DepthwiseConv1D):
        weight = rng.normal(0, 0.5, k + (c, cout))
        n_out = c * cout
    else:
        weight = rng.normal(0, 0.5, k + (c, cout))
        n_out = cout
    layer = cls(name, ["x"], (), strides=s, padding=pads, weight=weight, bias=rng.normal(0, 0.5, n_out), **kw)
    ho, wo = layer.out_hw(h, w)
    layer.shape = (wo, n_out) if len(in_shape) == 2 else (ho, wo, n_out)
    return layer


CONV_CASES = [  # (class, input shape, c_out, kernel, strides, padding, reuse factor)
    (ir.Conv2D, (6, 6, 2), 3, (3, 3), (1, 1), "same", 1),
    (ir.Conv2D, (6, 5, 2), 2, (3, 2), (2, 1), "valid", 3),
    (ir.Conv2D, (5, 5, 1), 2, (2, 2), (2, 2), "same", 1),
    (ir.Conv2D, (4, 4, 3), 4, (1, 1), (1, 1), "valid", 2),
    (ir.Conv1D, (8, 2), 3, (1, 3), (1, 2), "same", 1),
    (ir.DepthwiseConv2D, (5, 6, 2), 2, (3, 3), (1, 2), "same", 4),
    (ir.DepthwiseConv1D, (7, 3), 1, (1, 2), (1, 1), "valid", 1),
]


@pytest.mark.parametrize("case", range(len(CONV_CASES)))
def test_conv_stream(case):
    cls, in_shape, cout, k, s, padding, rf = CONV_CASES[case]
    rng = np.random.default_rng(case)
    layer = _conv(cls, "conv", in_shape, cout, k, s, padding, rng)
    cfg = {"Model": {"Precision": "fixed<8,3>"}, "LayerName": {"conv": {"ReuseFactor": rf,
                                                                         "Precision": {"result": "fixed<10,4,RND,SAT>"}}}}
    done = check_layer(_graph(in_shape, layer), cfg, "conv", seed=case)
    dut = done["full"]
    assert dut.reuse_factor == rf and dut.ii == np.prod(dut.window.padded) * rf


POOL_CASES = [  # (class, input shape, op, pool, strides, padding)
    (ir.Pooling2D, (6, 6, 2), "max", (2, 2), (2, 2), "valid"),
    (ir.Pooling2D, (5, 5, 2), "max", (3, 3), (2, 2), "same"),
    (ir.Pooling2D, (6, 5, 1), "average", (3, 2), (1, 2), "valid"),
    (ir.Pooling2D, (4, 4, 2), "average", (2, 2), (2, 2), "valid"),
    (ir.Pooling1D, (9, 2), "average", (1, 3), (1, 3), "valid"),
    (ir.Pooling1D, (7, 2), "max", (1, 2), (1, 1), "same"),
]


@pytest.mark.parametrize("case", range(len(POOL_CASES)))
def test_pooling_stream(case):
    cls, in_shape, op, k, s, padding = POOL_CASES[case]
    h, w, c = (1,) + in_shape if len(in_shape) == 2 else in_shape
    pads = (tuple(x for ax in ((h, k[0], s[0]), (w, k[1], s[1])) for x in ir.same_padding(*ax))
            if padding == "same" else (0, 0, 0, 0))
    layer = cls("pool", ["x"], (), kernel_size=k, strides=s, padding=pads, op=op)
    ho, wo = layer.out_hw(h, w)
    layer.shape = (wo, c) if len(in_shape) == 2 else (ho, wo, c)
    cfg = {"Model": {"Precision": "fixed<8,3>"}, "LayerName": {"pool": {"Precision": "fixed<9,3,RND_CONV,SAT>"}}}
    check_layer(_graph(in_shape, layer), cfg, "pool", seed=case)


@pytest.mark.parametrize("op", ["max", "average"])
def test_global_pooling_stream(op):
    check_layer(_graph((3, 4, 2), ir.GlobalPooling2D("g", ["x"], (2,), op=op)), CFG, "g")
    check_layer(_graph((5, 3), ir.GlobalPooling1D("g", ["x"], (3,), op=op)), CFG, "g")


@pytest.mark.parametrize("strategy", ["Resource", "Latency"])
def test_conv_stream_strategy(strategy):
    """The Dense inside a stream convolution follows the layer's Strategy (weights in a memory for
    Resource): still bit-exact, and the window steps at the Dense's II."""
    rng = np.random.default_rng(5)
    layer = _conv(ir.Conv2D, "conv", (5, 4, 2), 3, (3, 3), (1, 1), "same", rng)
    cfg = {"Model": {"Precision": "fixed<8,3>"},
           "LayerName": {"conv": {"ReuseFactor": 6, "Strategy": strategy}}}
    dut = check_layer(_graph((5, 4, 2), layer), cfg, "conv", frames=2)["full"]
    assert dut.window.step_cycles == 6 and dut.n_multipliers == -(-54 // 6)


def test_errors_name_the_layer():
    rng = np.random.default_rng(0)
    with pytest.raises(ir.RtlnnError, match="layer 'p'.*average pooling with padding='same'"):
        ir.Pooling2D("p", ["x"], (3, 3, 1), kernel_size=(2, 2), padding=(0, 1, 0, 1), op="average")
    with pytest.raises(ir.RtlnnError, match="layer 'c'.*bias shape"):
        ir.Conv2D("c", ["x"], (), weight=rng.normal(size=(3, 3, 1, 2)), bias=np.zeros(3))
    layer = _conv(ir.Conv2D, "c", (4, 4, 1), 2, (2, 2), (1, 1), "valid", rng)
    g = run_passes(_graph((4, 4, 1), layer), CFG)
    from rtlnn.hw.conv import make_conv
    g["c"].reuse_factor = 10 ** 6
    with pytest.raises(ir.RtlnnError, match="Conv2D layer 'c': ReuseFactor 1000000 is out of range"):
        make_conv(g["c"], [Source("x", g["x"].result_t, 16, (4, 4, 1))], HwOptions())
