"""Convolutions (Conv1D/2D, DepthwiseConv1D/2D; SeparableConv2D arrives as depthwise +
pointwise) for io_parallel and io_stream, built from the Dense generator.

A convolution is a Dense layer applied at every output position (:mod:`rtlnn.arith_cnn`),
so the hardware is the Dense hardware — its product schedule, reuse factor, adder trees,
casts and ``Strategy`` — fed in two ways:

* io_parallel: one Dense over the whole flattened tensor whose weight matrix holds the
  kernel at every output position (:func:`expanded_dense`).  Padded positions and the
  zeros outside each window are zero weights, which cost nothing, so the multipliers are
  exactly the products of the convolution (divided by the reuse factor).  Latency and II
  are the Dense's (II = reuse factor).  Meant for small inputs.
* io_stream: a :class:`~rtlnn.hw.line_buffer.Window` (zero padding, strides) stepping
  once every ``reuse_factor`` cycles, feeding one Dense over a window (``kh * kw * C``
  elements, the kernel matrix) wrapped by
  :class:`~rtlnn.hw.stream_pixelwise.PixelwiseStream`.  ``ceil(P / RF)`` multipliers for
  the ``P`` nonzero kernel weights; ``ii = Hp * Wp * RF`` cycles per frame.

A depthwise convolution is the convolution with a block-diagonal kernel matrix; its zeros
cost nothing either.
"""

from __future__ import annotations

import numpy as np
from amaranth.lib import wiring

from .. import ir
from ..arith_cnn import window_patches
from ..ir_cnn import spatial_shape
from .line_buffer import Window, WindowedStream, conv_positions
from .source import one_source

__all__ = ["expanded_dense", "window_dense", "make_conv", "make_conv_stream"]


def _check(layer) -> None:
    for what in ("weight_t", "bias_t", "accum_t", "result_t"):
        if getattr(layer, what) is None:
            raise ir.RtlnnError(f"{layer.kind} layer {layer.name!r}: {what} is not set; run the precision passes "
                                "before generating hardware")


def window_dense(layer) -> ir.Dense:
    """The Dense layer computing one output pixel from one window (the kernel matrix)."""
    _check(layer)
    return ir.Dense(layer.name, list(layer.inputs), (layer.n_out,), weight=layer.kernel_matrix().copy(),
                    bias=layer.bias.copy(), weight_t=layer.weight_t, bias_t=layer.bias_t, accum_t=layer.accum_t,
                    result_t=layer.result_t, reuse_factor=layer.reuse_factor, strategy=layer.strategy)


def expanded_dense(layer, in_shape) -> ir.Dense:
    """The Dense layer computing the whole output tensor from the whole flattened input."""
    _check(layer)
    h, w, c = spatial_shape(tuple(in_shape), layer.spatial_ndim)
    idx = window_patches(np.arange(h * w * c).reshape(1, h, w, c), layer.kernel_size, layer.strides,
                         layer.padding, -1)[0]  # (Ho, Wo, K): input element of each window element, -1 = pad
    ho, wo, k = idx.shape
    kernel = layer.weight_t.round_trip(layer.kernel_matrix())  # quantized once, as the emulator does
    n_out = layer.n_out
    weight = np.zeros((h * w * c, ho * wo * n_out))
    for p, row in enumerate(idx.reshape(ho * wo, k)):
        inside = row >= 0
        weight[row[inside], p * n_out:(p + 1) * n_out] = kernel[inside]
    return ir.Dense(layer.name, list(layer.inputs), (ho * wo * n_out,), weight=weight,
                    bias=np.tile(layer.bias, ho * wo), weight_t=layer.weight_t, bias_t=layer.bias_t,
                    accum_t=layer.accum_t, result_t=layer.result_t, reuse_factor=layer.reuse_factor,
                    strategy=layer.strategy)


def make_conv(layer, sources, options) -> wiring.Component:
    """io_parallel convolution: the expanded Dense (see the module doc)."""
    from .generators import GENERATORS
    from .source import Source

    src = one_source(layer, sources)
    dense = expanded_dense(layer, src.shape)
    products = dense.n_products()
    if not 1 <= layer.reuse_factor <= max(products, 1):
        raise ir.RtlnnError(f"{layer.kind} layer {layer.name!r}: ReuseFactor {layer.reuse_factor} is out of range for "
                            f"io_parallel, where the layer computes {products} products; use 1..{max(products, 1)}")
    comp = GENERATORS["Dense"](dense, [Source(src.name, src.type, src.size, (src.size,))], options)
    comp.reuse_factor = layer.reuse_factor
    return comp


def make_conv_stream(layer, sources, options) -> wiring.Component:
    """io_stream convolution: line buffer + one Dense per window (see the module doc)."""
    from .generators import GENERATORS
    from .source import Source
    from .stream_pixelwise import PixelwiseStream

    src = one_source(layer, sources)
    h, w, c = spatial_shape(tuple(src.shape), layer.spatial_ndim)
    (kh, kw), (sh, sw), (pt, pb, pl, pr) = layer.kernel_size, layer.strides, layer.padding
    dense = window_dense(layer)
    n_window = kh * kw * c
    inner = GENERATORS["Dense"](dense, [Source(src.name, src.type, n_window, (n_window,))], options)
    rf = inner.ii
    win = Window((h, w), c, src.type.width, (kh, kw), padding=layer.padding, pad_value=0,
                 out_rows=conv_positions(h + pt + pb, kh, sh), out_cols=conv_positions(w + pl + pr, kw, sw),
                 step_cycles=rf, name=layer.name)
    stage = PixelwiseStream(inner, [n_window * src.type.width], layer.n_out * layer.result_t.width,
                            win.pixels_out, name=layer.name)
    return WindowedStream(win, stage, name=layer.name)
