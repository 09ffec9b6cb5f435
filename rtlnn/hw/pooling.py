"""Pooling (max / average, windowed and global) for io_parallel and io_stream.

:class:`PoolReduce` is the arithmetic of :mod:`rtlnn.arith_cnn` in hardware: each output
element reduces a list of input elements — a :class:`~rtlnn.hw.max_tree.MaxTree` and a
cast for ``max``; an exact :class:`~rtlnn.hw.adder_tree.AdderTree`, a product with the
constant :func:`~rtlnn.arith_cnn.reciprocal` ``(N)`` and one cast for ``average`` — then an
output register.  Latency = tree latency + 1, II = 1.

* io_parallel: one PoolReduce over the whole tensor (every window, every channel).
* io_stream: a :class:`~rtlnn.hw.line_buffer.Window` (max pooling pads with the input
  type's smallest code) feeding a PoolReduce over one window per step; global pooling
  keeps a running max / exact sum per channel (:class:`GlobalPoolStream`).
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Cat, Const, Module, Mux, Signal, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .. import ir
from ..arith_cnn import RECIPROCAL_FRAC, mean_source_type, pool_pad_value, reciprocal, sum_type, window_patches
from ..fixed import FixedType
from ..ir_cnn import spatial_shape
from .adder_tree import AdderTree, adder_tree_latency
from .cast import cast, shape_of
from .line_buffer import Window, WindowedStream, conv_positions
from .max_tree import MaxTree, max_tree_latency
from .pipeline import delay
from .source import one_source

__all__ = ["PoolReduce", "GlobalPoolStream", "make_pooling", "make_global_pooling", "make_pooling_stream",
           "make_global_pooling_stream"]


class PoolReduce(wiring.Component):
    """``len(windows)`` outputs of ``result_t``, output ``k`` the max / average of the input
    elements ``windows[k]`` (``n_in`` elements of ``in_t`` on ``in_data``)."""

    ii = 1

    def __init__(self, op: str, in_t: FixedType, result_t: FixedType, n_in: int, windows, *,
                 levels_per_stage: int = 2, name: str = "pooling"):
        self._MustUse__silence = True
        where = f"pooling layer {name!r}"
        for what, t in (("input type", in_t), ("result_t", result_t)):
            if not isinstance(t, FixedType):
                raise ir.RtlnnError(f"{where}: {what} must be a FixedType, not {t!r}; run the precision passes first")
        if op not in ir.POOL_OPS:
            raise ir.RtlnnError(f"{where}: op {op!r} is not one of {', '.join(ir.POOL_OPS)}")
        windows = [list(map(int, w)) for w in windows]
        sizes = {len(w) for w in windows}
        if not windows or min(sizes) < 1 or (op == "average" and len(sizes) != 1):
            raise ir.RtlnnError(f"{where}: every window needs at least one element (and, for average, the same count)")
        self.op, self.in_t, self.result_t, self.n_in, self.windows = op, in_t, result_t, n_in, windows
        self.levels_per_stage = levels_per_stage
        self.layer_name = name
        n = max(sizes)
        self.tree_latency = (max_tree_latency(n, levels_per_stage) if op == "max"
                             else adder_tree_latency(n, levels_per_stage))
        self.latency = self.tree_latency + 1
        self.n = n
        power_of_two = n & (n - 1) == 0
        self.n_multipliers = 0 if op == "max" or power_of_two else len(windows)
        del self._MustUse__silence
        super().__init__({
            "in_data": In(unsigned(n_in * in_t.width)),
            "in_valid": In(1),
            "out_data": Out(unsigned(len(windows) * result_t.width)),
            "out_valid": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        w, rw = self.in_t.width, self.result_t.width
        xs = [self.in_data[i * w:(i + 1) * w] for i in range(self.n_in)]
        if self.in_t.signed:
            xs = [x.as_signed() for x in xs]
        outs = []
        for k, idx in enumerate(self.windows):
            res = Signal(shape_of(self.result_t), name=f"result_{k}")
            if self.op == "max":
                if len(idx) == 1:  # no tree: match the others' latency with a delay line
                    best = delay(m, xs[idx[0]], self.tree_latency, name=f"max_{k}")
                else:
                    tree = MaxTree(shape_of(self.in_t), len(idx), levels_per_stage=self.levels_per_stage,
                                   name=f"{self.layer_name} max {k}")
                    m.submodules[f"max_{k}"] = tree
                    m.d.comb += [getattr(tree, f"value_{j}").eq(xs[i]) for j, i in enumerate(idx)]
                    best = delay(m, tree.max, self.tree_latency - tree.latency, name=f"max_{k}_pad")
                m.d.comb += res.eq(cast(best, self.in_t, self.result_t))
            else:
                tree = AdderTree([shape_of(self.in_t)] * len(idx), levels_per_stage=self.levels_per_stage,
                                 latency=self.tree_latency, name=f"{self.layer_name} sum {k}")
                m.submodules[f"sum_{k}"] = tree
                m.d.comb += [port.eq(xs[i]) for port, i in zip(tree.terms, idx)]
                r, _ = reciprocal(len(idx))
                src = mean_source_type(self.in_t, len(idx))
                assert sum_type(self.in_t, len(idx)).frac + RECIPROCAL_FRAC == src.frac
                m.d.comb += res.eq(cast(tree.sum * Const(r, unsigned(RECIPROCAL_FRAC + 1)), src, self.result_t))
            outs.append(res.as_unsigned()[:rw])
        out = Signal(len(self.out_data), name="out", reset_less=True)
        m.d.sync += out.eq(Cat(*outs))
        m.d.comb += [self.out_data.eq(out),
                     self.out_valid.eq(delay(m, self.in_valid, self.latency, name="valid", reset_less=False))]
        return m


def _source(layer, sources):
    src = one_source(layer, sources)
    return src, spatial_shape(tuple(src.shape), layer.spatial_ndim)


def _pool_windows(layer, hwc) -> list[list[int]]:
    """Input element indices of every (position, channel) output, padded positions left out."""
    h, w, c = hwc
    idx = window_patches(np.arange(h * w * c).reshape(1, h, w, c), layer.kernel_size, layer.strides,
                         layer.padding, -1)
    idx = idx.reshape(-1, layer.kernel_size[0] * layer.kernel_size[1], c)
    return [[int(i) for i in idx[p, :, ch] if i >= 0] for p in range(idx.shape[0]) for ch in range(c)]


def make_pooling(layer, sources, options) -> wiring.Component:
    """io_parallel Pooling1D / Pooling2D."""
    src, hwc = _source(layer, sources)
    return PoolReduce(layer.op, src.type, layer.result_t, src.size, _pool_windows(layer, hwc),
                      levels_per_stage=options.levels_per_stage, name=layer.name)


def make_global_pooling(layer, sources, options) -> wiring.Component:
    """io_parallel GlobalPooling1D / GlobalPooling2D."""
    src, (h, w, c) = _source(layer, sources)
    windows = [[p * c + ch for p in range(h * w)] for ch in range(c)]
    return PoolReduce(layer.op, src.type, layer.result_t, src.size, windows,
                      levels_per_stage=options.levels_per_stage, name=layer.name)


def _stream(layer, src, hwc, kernel, strides, padding, options) -> wiring.Component:
    from .stream_pixelwise import PixelwiseStream

    h, w, c = hwc
    (kh, kw), (sh, sw), (pt, pb, pl, pr) = kernel, strides, padding
    win = Window((h, w), c, src.type.width, kernel, padding=padding, pad_value=pool_pad_value(layer.op, src.type),
                 out_rows=conv_positions(h + pt + pb, kh, sh), out_cols=conv_positions(w + pl + pr, kw, sw),
                 name=layer.name)
    windows = [[k * c + ch for k in range(kh * kw)] for ch in range(c)]
    reduce = PoolReduce(layer.op, src.type, layer.result_t, kh * kw * c, windows,
                        levels_per_stage=options.levels_per_stage, name=layer.name)
    stage = PixelwiseStream(reduce, [kh * kw * c * src.type.width], c * layer.result_t.width, win.pixels_out,
                            name=layer.name)
    return WindowedStream(win, stage, name=layer.name)


def make_pooling_stream(layer, sources, options) -> wiring.Component:
    """io_stream Pooling1D / Pooling2D: a line buffer and one reduction per window."""
    src, hwc = _source(layer, sources)
    return _stream(layer, src, hwc, layer.kernel_size, layer.strides, layer.padding, options)


class GlobalPoolStream(wiring.Component):
    """io_stream global pooling: one running max / exact running sum per channel over the
    ``pixels`` pixels of a frame (no line buffer).  The frame's last pixel goes through the
    final max / sum, the ``1/N`` product and the cast straight into the output register:
    ``latency = ii = pixels`` cycles (the last pixel arrives ``pixels - 1`` cycles after the
    first at full rate)."""

    def __init__(self, op: str, in_t: FixedType, result_t: FixedType, channels: int, pixels: int, *, name: str):
        self._MustUse__silence = True
        for what, t in (("input type", in_t), ("result_t", result_t)):
            if not isinstance(t, FixedType):
                raise ir.RtlnnError(f"pooling layer {name!r}: {what} must be a FixedType, not {t!r}; "
                                    "run the precision passes first")
        if op not in ir.POOL_OPS or channels < 1 or pixels < 1:
            raise ir.RtlnnError(f"pooling layer {name!r}: op {op!r} over {pixels} pixels of {channels} channels "
                                "is not a global pooling")
        self.op, self.in_t, self.result_t, self.channels, self.n = op, in_t, result_t, channels, pixels
        self.latency = self.ii = pixels
        self.pixels_in, self.pixels_out = pixels, 1
        self.n_multipliers = 0 if op == "max" or pixels & (pixels - 1) == 0 else channels
        del self._MustUse__silence
        super().__init__({
            "i": In(stream.Signature(unsigned(channels * in_t.width))),
            "o": Out(stream.Signature(unsigned(channels * result_t.width))),
        })

    def elaborate(self, platform):
        m = Module()
        w, rw, n = self.in_t.width, self.result_t.width, self.n
        count = Signal(range(n), name="count")
        last = Signal(name="last")
        take = Signal(name="take")
        m.d.comb += [last.eq(count == n - 1), self.i.ready.eq(~last | ~self.o.valid | self.o.ready),
                     take.eq(self.i.valid & self.i.ready)]
        acc_t = self.in_t if self.op == "max" else sum_type(self.in_t, n)
        outs = []
        for ch in range(self.channels):
            x = self.i.payload[ch * w:(ch + 1) * w]
            x = x.as_signed() if self.in_t.signed else x
            acc = Signal(shape_of(acc_t), name=f"acc_{ch}", reset_less=True)
            nxt = Signal(shape_of(acc_t), name=f"next_{ch}")
            if self.op == "max":
                m.d.comb += nxt.eq(Mux((count == 0) | (x > acc), x, acc))
                res = cast(nxt, self.in_t, self.result_t)
            else:
                m.d.comb += nxt.eq(Mux(count == 0, x, acc + x))
                r, _ = reciprocal(n)
                res = cast(nxt * Const(r, unsigned(RECIPROCAL_FRAC + 1)), mean_source_type(self.in_t, n),
                           self.result_t)
            with m.If(take):
                m.d.sync += acc.eq(nxt)
            outs.append(res.as_unsigned()[:rw])
        with m.If(take):
            m.d.sync += count.eq(Mux(last, 0, count + 1))
            with m.If(last):
                m.d.sync += [self.o.payload.eq(Cat(*outs)), self.o.valid.eq(1)]
        with m.If(self.o.ready & ~(take & last)):
            m.d.sync += self.o.valid.eq(0)
        return m


def make_global_pooling_stream(layer, sources, options) -> wiring.Component:
    """io_stream GlobalPooling1D / GlobalPooling2D: running max / sum per channel (:class:`GlobalPoolStream`)."""
    src, (h, w, c) = _source(layer, sources)
    return GlobalPoolStream(layer.op, src.type, layer.result_t, c, h * w, name=layer.name)
