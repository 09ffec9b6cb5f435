"""Which generator builds which layer kind for ``io_stream``: the table beside
:data:`rtlnn.hw.generators.GENERATORS`, with the same factory signature
``factory(layer, sources, options) -> Component``.

The stream contract every entry keeps (the network top relies on it):

- ports ``i: In(stream.Signature(unsigned(w_in)))`` (several inputs: ``i_0``, ``i_1``, ...)
  and ``o: Out(stream.Signature(unsigned(w_out)))`` from :mod:`amaranth.lib.stream`;
- a payload is one *pixel*: every channel of one position side by side, channel 0 in the
  least significant bits, each element two's complement (or unsigned) of its FixedType's
  width; a frame is the tensor's positions in row-major order ((H, W) for 2-D, (L,) for
  1-D), and a 1-D tensor of n elements is ONE pixel of n channels (:func:`pixel_layout`);
  no first/last markers, the pixel counts per frame are static;
- attributes ``latency`` (cycles from the first pixel accepted to the first output pixel
  valid, no backpressure, inputs at full rate), ``ii`` (cycles per frame in steady state),
  ``pixels_in``, ``pixels_out`` (per frame) and ``n_multipliers``;
- backpressure is honoured (``o.ready`` low: hold, lose nothing) and input gaps are
  tolerated (``i.valid`` low).

Layers that work on one pixel at a time get the io_parallel generator wrapped by
:class:`~rtlnn.hw.stream_pixelwise.PixelwiseStream`; sliding-window layers (convolutions,
pooling, ...) register their own entries here.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from amaranth.lib import wiring

from .. import ir
from .generators import GENERATORS, HwOptions, Source
from .stream_pixelwise import PixelwiseStream
from .cnn_layers import CNN_STREAM_GENERATORS

__all__ = ["STREAM_GENERATORS", "PIXELWISE_KINDS", "pixel_layout", "make_stream_generator", "pixelwise"]


def pixel_layout(shape) -> tuple[int, int]:
    """``(pixels per frame, channels per pixel)`` of a tensor of ``shape`` (batch axis excluded)."""
    shape = tuple(int(d) for d in shape)
    if len(shape) <= 1:
        return 1, (shape[0] if shape else 1)
    return int(np.prod(shape[:-1], dtype=np.int64)), shape[-1]


def _per_channel(layer, attr: str, channels: int) -> None:
    size = int(np.size(getattr(layer, attr)))
    if size != channels:
        raise ir.RtlnnError(f"{layer.kind} layer {layer.name!r}: io_stream applies it pixel by pixel, which needs one "
                            f"{attr} per channel ({channels}), not {size} values; use io_parallel")


def pixelwise(layer: ir.Layer, sources: list[Source], options: HwOptions) -> wiring.Component:
    """The layer's io_parallel generator built for one pixel, wrapped for io_stream."""
    layouts = [pixel_layout(s.shape) for s in sources]
    pixels = {p for p, _ in layouts}
    if len(pixels) != 1:
        listing = ", ".join(f"{s.name} {tuple(s.shape)}" for s in sources)
        raise ir.RtlnnError(f"{layer.kind} layer {layer.name!r}: its inputs have different pixel counts per frame "
                            f"({listing}); io_stream joins inputs pixel by pixel")
    (n_pixels,) = pixels
    out_pixels, out_channels = pixel_layout(layer.shape)
    if out_pixels != n_pixels:
        raise ir.RtlnnError(f"{layer.kind} layer {layer.name!r}: {n_pixels} pixels in but {out_pixels} out per frame; "
                            "a pixel-by-pixel layer keeps the positions")
    if layer.kind == "BatchNormalization":
        _per_channel(layer, "scale", layouts[0][1])
    if layer.kind == "PReLU":
        _per_channel(layer, "alpha", layouts[0][1])
    per_pixel = [Source(s.name, s.type, c, (c,)) for s, (_, c) in zip(sources, layouts)]
    factory = GENERATORS.get(layer.kind)
    if factory is None:
        raise ir.RtlnnError(f"layer {layer.name!r}: kind {layer.kind} has no hardware generator yet")
    inner = factory(layer, per_pixel, options)
    return PixelwiseStream(inner, [c * s.type.width for s, (_, c) in zip(sources, layouts)],
                           out_channels * layer.result_t.width, n_pixels, name=layer.name)


#: Layer kinds computed one pixel at a time by their io_parallel generator.
PIXELWISE_KINDS = ("Dense", "Activation", "PReLU", "Softmax", "Merge", "Concatenate", "BatchNormalization", "Cast")

#: IR kind -> factory(layer, sources, options) -> stream Component (see the module doc).
STREAM_GENERATORS: dict[str, Callable[[ir.Layer, list[Source], HwOptions], wiring.Component]] = {
    **{kind: pixelwise for kind in PIXELWISE_KINDS},
    **CNN_STREAM_GENERATORS,  # line-buffer layers and the image Flatten (hw/cnn_layers.py)
}


def make_stream_generator(layer: ir.Layer, sources: list[Source], options: HwOptions) -> wiring.Component:
    factory = STREAM_GENERATORS.get(layer.kind)
    if factory is None:
        supported = ", ".join(sorted(("Input", "Reshape") + tuple(STREAM_GENERATORS)))
        raise ir.RtlnnError(f"layer {layer.name!r}: kind {layer.kind} has no io_stream hardware generator yet "
                            f"(supported: {supported}); use io_parallel")
    comp = factory(layer, sources, options)
    for attr in ("latency", "ii", "pixels_in", "pixels_out", "n_multipliers"):
        if not isinstance(getattr(comp, attr, None), int):
            raise ir.RtlnnError(f"layer {layer.name!r}: its io_stream generator states no integer {attr!r}")
    return comp
