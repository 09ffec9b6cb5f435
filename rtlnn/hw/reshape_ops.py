"""Zero padding, cropping, nearest upsampling and the stream Flatten: data movement only.

io_parallel: :class:`Rearrange` — each output element is an input element or zero, pure
wiring (latency 0).  The index map comes from running the layer's own arithmetic
(:mod:`rtlnn.arith_cnn`) on element numbers, so it cannot disagree with the emulator.

io_stream:

* ZeroPadding: a 1x1 :class:`~rtlnn.hw.line_buffer.Window` over the padded frame (it
  inserts the zero pixels itself); Cropping: a 1x1 Window that offers only the kept
  positions; Flatten of ``(H, W, C)``: a Window of the whole frame, i.e. one pixel of
  ``H * W * C`` channels per frame (the 1-D stream form).
* UpSampling: :class:`UpsampleStream`, a row buffer that replays each input row.
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Array, Cat, Const, Module, Signal, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .. import arith_cnn as ac
from .. import ir
from ..ir_cnn import spatial_shape
from .line_buffer import Window
from .pipeline import holding_register
from .source import one_source

__all__ = ["Rearrange", "UpsampleStream", "index_map", "make_rearrange", "make_zero_padding_stream",
           "make_cropping_stream", "make_upsampling_stream", "make_flatten_stream"]


def index_map(layer, in_shape) -> list[int]:
    """For each output element, the input element it copies, or -1 for a zero."""
    h, w, c = spatial_shape(tuple(in_shape), layer.spatial_ndim)
    x = np.arange(1, h * w * c + 1).reshape(1, h, w, c)  # 0 marks an inserted zero
    if isinstance(layer, ir.ZeroPadding2D):
        y = ac.pad_raw(x, layer.padding)
    elif isinstance(layer, ir.Cropping2D):
        y = ac.crop_raw(x, layer.cropping)
    elif isinstance(layer, ir.UpSampling2D):
        y = ac.upsample_raw(x, layer.factors)
    else:
        raise ir.RtlnnError(f"layer {layer.name!r}: {layer.kind} is not a rearranging layer")
    return [int(v) - 1 for v in y.ravel()]


class Rearrange(wiring.Component):
    """``len(index)`` output elements of ``width`` bits, element ``k`` = input ``index[k]`` (or 0)."""

    latency = 0
    ii = 1
    n_multipliers = 0

    def __init__(self, width: int, n_in: int, index: list[int]):
        self.width, self.n_in, self.index = width, n_in, list(index)
        super().__init__({
            "in_data": In(unsigned(n_in * width)),
            "in_valid": In(1),
            "out_data": Out(unsigned(len(self.index) * width)),
            "out_valid": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        w = self.width
        parts = [self.in_data[i * w:(i + 1) * w] if i >= 0 else Const(0, w) for i in self.index]
        m.d.comb += [self.out_data.eq(Cat(*parts)), self.out_valid.eq(self.in_valid)]
        return m


def make_rearrange(layer, sources, options) -> wiring.Component:
    """io_parallel ZeroPadding / Cropping / UpSampling (1-D and 2-D)."""
    src = one_source(layer, sources)
    if layer.result_t is not None and layer.result_t != src.type:
        raise ir.RtlnnError(f"{layer.kind} layer {layer.name!r}: result_t {layer.result_t} differs from its input's "
                            f"{src.type}; data movement keeps the type")
    return Rearrange(src.type.width, src.size, index_map(layer, src.shape))


class UpsampleStream(wiring.Component):
    """Nearest upsampling of frames of ``(H, W)`` pixels by ``size`` ``(rows, columns)``.

    A holding register takes each input pixel; the first copy of an input row is sent
    from it (each pixel ``size[1]`` times) and stored in a row buffer of ``W`` pixels, the
    other ``size[0] - 1`` copies are replayed from the buffer.  One output pixel per
    cycle: ``latency`` 2 (hold, output register), ``ii = H * W * size[0] * size[1]``.
    """

    n_multipliers = 0

    def __init__(self, in_hw: tuple[int, int], pixel_width: int, size: tuple[int, int], *, name: str):
        self._MustUse__silence = True
        (h, w), (sh, sw) = in_hw, size
        if min(h, w, sh, sw, pixel_width) < 1:
            raise ir.RtlnnError(f"layer {name!r}: upsampling needs positive sizes, not {in_hw} x {size}")
        self.in_hw, self.size, self.pixel_width = (h, w), (sh, sw), pixel_width
        self.latency = 2
        self.ii = h * w * sh * sw
        self.pixels_in, self.pixels_out = h * w, h * w * sh * sw
        del self._MustUse__silence
        super().__init__({
            "i": In(stream.Signature(unsigned(pixel_width))),
            "o": Out(stream.Signature(unsigned(pixel_width))),
        })

    def elaborate(self, platform):
        m = Module()
        (_, w), (sh, sw) = self.in_hw, self.size
        pw = self.pixel_width
        x = Signal(range(w), name="x")
        rep_c = Signal(range(sw), name="rep_col")
        rep_r = Signal(range(sh), name="rep_row")
        hold, held, consume = holding_register(m, self.i, pw)

        first_copy = Signal(name="first_copy")
        m.d.comb += first_copy.eq(rep_r == 0)
        go = Signal(name="step")
        m.d.comb += [go.eq((~self.o.valid | self.o.ready) & (~first_copy | held)),
                     consume.eq(go & first_copy & (rep_c == sw - 1))]
        pixel = Signal(pw, name="pixel")
        if sh > 1:
            row = Array(Signal(pw, name=f"row_{k}", reset_less=True) for k in range(w))
            m.d.comb += pixel.eq(row[x])
            with m.If(first_copy):
                m.d.comb += pixel.eq(hold)
                with m.If(go):
                    m.d.sync += row[x].eq(hold)
        else:
            m.d.comb += pixel.eq(hold)
        out = Signal(pw, name="out", reset_less=True)
        m.d.comb += self.o.payload.eq(out)
        with m.If(go):
            m.d.sync += [out.eq(pixel), self.o.valid.eq(1), rep_c.eq(rep_c + 1)]
            with m.If(rep_c == sw - 1):
                m.d.sync += [rep_c.eq(0), x.eq(x + 1)]
                with m.If(x == w - 1):
                    m.d.sync += [x.eq(0), rep_r.eq(rep_r + 1)]
                    with m.If(rep_r == sh - 1):
                        m.d.sync += rep_r.eq(0)
        with m.Elif(self.o.ready):
            m.d.sync += self.o.valid.eq(0)
        return m


def make_zero_padding_stream(layer, sources, options) -> wiring.Component:
    src = one_source(layer, sources)
    h, w, c = spatial_shape(tuple(src.shape), layer.spatial_ndim)
    return Window((h, w), c, src.type.width, (1, 1), padding=layer.padding, pad_value=0, name=layer.name)


def make_cropping_stream(layer, sources, options) -> wiring.Component:
    src = one_source(layer, sources)
    h, w, c = spatial_shape(tuple(src.shape), layer.spatial_ndim)
    ct, cb, cl, cr = layer.cropping
    return Window((h, w), c, src.type.width, (1, 1), out_rows=range(ct, h - cb), out_cols=range(cl, w - cr),
                  name=layer.name)


def make_upsampling_stream(layer, sources, options) -> wiring.Component:
    src = one_source(layer, sources)
    h, w, c = spatial_shape(tuple(src.shape), layer.spatial_ndim)
    return UpsampleStream((h, w), c * src.type.width, layer.factors, name=layer.name)


def make_flatten_stream(layer, sources, options) -> wiring.Component:
    """io_stream Flatten (a Reshape to 1-D): every pixel of a frame gathered into one pixel."""
    src = one_source(layer, sources)
    shape = tuple(src.shape)
    if len(layer.shape) != 1 or len(shape) not in (2, 3):
        raise ir.RtlnnError(f"Reshape layer {layer.name!r}: io_stream supports Flatten of a (L, C) or (H, W, C) "
                            f"tensor to 1-D, not {shape} -> {tuple(layer.shape)}")
    h, w, c = (1,) + shape if len(shape) == 2 else shape
    return Window((h, w), c, src.type.width, (h, w), name=layer.name)
