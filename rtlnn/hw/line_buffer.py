"""The io_stream sliding window: pixels of a frame in, windows of pixels out.

:class:`Window` is the one line buffer of rtlnn; convolutions, pooling, zero padding,
cropping and the stream Flatten are all built on it.  It walks the *padded* frame
(``Hp = pt + H + pb`` rows of ``Wp = pl + W + pr`` positions) in row-major order, one
position per *step*: a pad position shifts in ``pad_value`` (the same code in every
channel), a real position shifts in the next input pixel.  The pixels live in one shift
register chain of ``(kh - 1) * Wp + kw`` pixels (registers with an enable and no reset,
which synthesis maps to shift-register LUTs), so after the step at padded position
``(r, c)`` the window element ``(ky, kx)`` — the pixel at ``(r - kh + 1 + ky,
c - kw + 1 + kx)`` — is chain entry ``(kh - 1 - ky) * Wp + (kw - 1 - kx)``.  A window is
offered on ``o`` after a step whose row is in ``out_rows`` and column in ``out_cols``
(for a convolution: ``kh - 1 + k * sh`` and ``kw - 1 + k * sw``); its payload is the
``kh * kw`` pixels in (row, column) order, pixel (0, 0) in the low bits.

Input.  A one-pixel holding register takes the input (``i.ready`` is high while it is
empty or being emptied), so ``latency`` counts from a pixel's acceptance.  The leading pad
positions of a frame (those before its first real pixel) are only stepped once that
first pixel is held, so nothing of a frame leaves before its first pixel arrived; the
other pad positions are stepped without waiting for input.

Timing.  A step needs the previous window taken (``o`` not holding an unread window) and
at least ``step_cycles`` cycles since the previous step (the reuse factor of a
convolution: its multipliers need that long per window).  With the input at full rate
and no backpressure the step of padded position ``p`` (``p = r * Wp + c``) is in cycle
``1 + p * step_cycles`` after the frame's first pixel was accepted, so ``latency = 2 +
p_first * step_cycles`` (``p_first`` the first window position) and ``ii = Hp * Wp *
step_cycles``.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Signal, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from ..ir import RtlnnError
from .pipeline import holding_register

__all__ = ["Window", "WindowedStream", "conv_positions"]


def conv_positions(size_padded: int, kernel: int, stride: int) -> list[int]:
    """Padded rows (or columns) at which a window of ``kernel`` at ``stride`` is complete."""
    return list(range(kernel - 1, size_padded, stride))


class Window(wiring.Component):
    """Sliding windows over frames of ``(H, W)`` pixels of ``channels`` elements of ``width`` bits.

    ``padding`` is ``(top, bottom, left, right)``; ``out_rows`` / ``out_cols`` are the padded
    rows / columns after whose step a window is offered (see the module doc).
    """

    def __init__(self, in_hw: tuple[int, int], channels: int, width: int, kernel: tuple[int, int], *,
                 padding=(0, 0, 0, 0), pad_value: int = 0, out_rows=None, out_cols=None, step_cycles: int = 1,
                 name: str = "window"):
        self._MustUse__silence = True
        (h, w), (kh, kw) = in_hw, kernel
        pt, pb, pl, pr = padding
        hp, wp = h + pt + pb, w + pl + pr
        where = f"layer {name!r} (line buffer)"
        if min(h, w, channels, width, kh, kw, step_cycles) < 1 or min(padding) < 0:
            raise RtlnnError(f"{where}: sizes must be positive and paddings >= 0 (input {in_hw}, {channels} channels "
                             f"of {width} bits, kernel {kernel}, padding {padding}, step {step_cycles})")
        if kh > hp or kw > wp:
            raise RtlnnError(f"{where}: the {kh}x{kw} window is larger than the padded {hp}x{wp} frame")
        out_rows = conv_positions(hp, kh, 1) if out_rows is None else sorted(set(out_rows))
        out_cols = conv_positions(wp, kw, 1) if out_cols is None else sorted(set(out_cols))
        if not out_rows or not out_cols or out_rows[0] < kh - 1 or out_cols[0] < kw - 1 \
                or out_rows[-1] >= hp or out_cols[-1] >= wp:
            raise RtlnnError(f"{where}: window rows {out_rows} / columns {out_cols} must lie in "
                             f"{kh - 1}..{hp - 1} / {kw - 1}..{wp - 1}")
        self.in_hw, self.channels, self.width, self.kernel = (h, w), channels, width, (kh, kw)
        self.padding, self.padded = (pt, pb, pl, pr), (hp, wp)
        self.pad_value, self.step_cycles = pad_value, step_cycles
        self.out_rows, self.out_cols = out_rows, out_cols
        self.pixel_width = channels * width
        self.chain_length = (kh - 1) * wp + kw
        self.pixels_in = h * w
        self.pixels_out = len(out_rows) * len(out_cols)
        first = out_rows[0] * wp + out_cols[0]
        self.latency = 2 + first * step_cycles
        self.ii = hp * wp * step_cycles
        self.n_multipliers = 0
        del self._MustUse__silence
        super().__init__({
            "i": In(stream.Signature(unsigned(self.pixel_width))),
            "o": Out(stream.Signature(unsigned(kh * kw * self.pixel_width))),
        })

    def tap(self, ky: int, kx: int) -> int:
        """The chain entry holding window element ``(ky, kx)``."""
        kh, kw = self.kernel
        return (kh - 1 - ky) * self.padded[1] + (kw - 1 - kx)

    def elaborate(self, platform):
        m = Module()
        (h, w), (kh, kw) = self.in_hw, self.kernel
        pt, pb, pl, pr = self.padding
        hp, wp = self.padded
        pw = self.pixel_width

        # Position of the next step in the padded frame.
        r = Signal(range(hp), name="row")
        c = Signal(range(wp), name="col")
        is_pad = Signal(name="is_pad")
        leading = Signal(name="leading")  # a pad position before the frame's first pixel
        m.d.comb += [
            is_pad.eq((r < pt) | (r >= pt + h) | (c < pl) | (c >= pl + w)),
            leading.eq((r < pt) | ((r == pt) & (c < pl))),
        ]

        # The holding register in front of the chain.
        hold, held, consume = holding_register(m, self.i, pw)

        # When a step happens.
        free = Signal(name="free")
        m.d.comb += free.eq(~self.o.valid | self.o.ready)
        if self.step_cycles > 1:
            wait = Signal(range(self.step_cycles), name="wait")
            ready_to_step = free & (wait == 0)
        else:
            ready_to_step = free
        go = Signal(name="step")
        m.d.comb += [
            go.eq(ready_to_step & ((is_pad & (~leading | held)) | (~is_pad & held))),
            consume.eq(go & ~is_pad),
        ]
        if self.step_cycles > 1:
            with m.If(go):
                m.d.sync += wait.eq(self.step_cycles - 1)
            with m.Elif(wait != 0):
                m.d.sync += wait.eq(wait - 1)

        # The chain.
        code = self.pad_value & ((1 << self.width) - 1)
        pad_pixel = Const(sum(code << (k * self.width) for k in range(self.channels)), pw)
        chain = [Signal(pw, name=f"px_{k}", reset_less=True) for k in range(self.chain_length)]
        incoming = Signal(pw, name="incoming")
        m.d.comb += incoming.eq(hold)
        with m.If(is_pad):
            m.d.comb += incoming.eq(pad_pixel)
        with m.If(go):
            m.d.sync += chain[0].eq(incoming)
            m.d.sync += [chain[k].eq(chain[k - 1]) for k in range(1, self.chain_length)]

        # Window valid: the stepped position is a window position.
        rows = Const(sum(1 << y for y in self.out_rows), hp)
        cols = Const(sum(1 << x for x in self.out_cols), wp)
        with m.If(go):
            m.d.sync += self.o.valid.eq(rows.bit_select(r, 1) & cols.bit_select(c, 1))
            with m.If(c == wp - 1):
                m.d.sync += c.eq(0)
                m.d.sync += r.eq(r + 1)
                with m.If(r == hp - 1):
                    m.d.sync += r.eq(0)
            with m.Else():
                m.d.sync += c.eq(c + 1)
        with m.Elif(self.o.ready):
            m.d.sync += self.o.valid.eq(0)
        m.d.comb += self.o.payload.eq(Cat(*[chain[self.tap(ky, kx)] for ky in range(kh) for kx in range(kw)]))
        return m


class WindowedStream(wiring.Component):
    """A :class:`Window` feeding a stream stage that computes one output pixel per window
    (a :class:`~rtlnn.hw.stream_pixelwise.PixelwiseStream` around a Dense or a pooling
    reduction).  ``latency`` adds up (the stage takes a window the cycle it is offered);
    ``ii`` is the window's, which the stage sustains as long as its own II is at most the
    window's ``step_cycles``."""

    def __init__(self, window: Window, stage: wiring.Component, *, name: str):
        self._MustUse__silence = True
        if getattr(stage, "inner_ii", 1) > window.step_cycles:
            raise RtlnnError(f"layer {name!r}: its per-window stage needs {stage.inner_ii} cycles per window but the "
                             f"line buffer steps every {window.step_cycles}")
        self.window, self.stage, self.layer_name = window, stage, name
        window._MustUse__silence = stage._MustUse__silence = True  # elaborated only through this component
        self.latency = window.latency + stage.latency
        self.ii = window.ii
        self.pixels_in, self.pixels_out = window.pixels_in, window.pixels_out
        self.n_multipliers = stage.n_multipliers
        self.reuse_factor = window.step_cycles
        del self._MustUse__silence
        super().__init__({
            "i": In(stream.Signature(window.i.payload.shape())),
            "o": Out(stream.Signature(stage.o.payload.shape())),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.window = self.window
        m.submodules.stage = self.stage
        wiring.connect(m, wiring.flipped(self.i), self.window.i)
        wiring.connect(m, self.window.o, self.stage.i)
        wiring.connect(m, self.stage.o, wiring.flipped(self.o))
        return m
