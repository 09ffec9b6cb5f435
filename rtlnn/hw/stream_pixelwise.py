"""io_stream form of the layers that work on one pixel at a time (Dense, activations, merges ...).

:class:`PixelwiseStream` wraps the io_parallel generator of a layer, built for ONE pixel
(``channels`` elements: a Dense over the last axis, an elementwise function, a merge of
equal-shaped inputs), and gives it the stream contract of :mod:`rtlnn.hw.stream_generators`.
The wrapped generator keeps its structure, arithmetic, latency ``L`` and II ``R``.

Backpressure.  The io_parallel pipelines have no enables (they never stall), so the wrapper
stalls at its *input* instead: a result is only started when it is sure to have a place.
Results land in an output queue of ``D`` pixels; a credit counter ``used`` counts pixels
started and not yet taken by the consumer, and a pixel is accepted only when ``used < D``
and at least ``R`` cycles have passed since the last one.  Nothing is ever dropped, and
with ``D = ceil((L + 1) / R) + 1`` a consumer that is always ready never throttles the
layer (each credit comes back ``L + 1`` cycles after it was taken).  Several inputs
(``i_0``, ``i_1``, ...) are joined: a pixel is taken from every input in the same cycle.

Timing: ``latency`` = L + 1 (the output queue's cycle), ``ii`` = R cycles per pixel times
the pixels of a frame.  A combinational generator (L = 0, R = 1: linear/ReLU, Concatenate)
needs no queue: its stream is passed through (``latency`` 0) with ``ready`` from the consumer.
"""

from __future__ import annotations

import math

from amaranth.hdl import Module, Signal, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.fifo import SyncFIFO
from amaranth.lib.wiring import In, Out

from .. import ir

__all__ = ["PixelwiseStream", "output_queue_depth"]


def output_queue_depth(latency: int, ii: int) -> int:
    """Output-queue pixels that let a pipeline of ``latency`` and ``ii`` run at full rate."""
    return math.ceil((latency + 1) / ii) + 1


class PixelwiseStream(wiring.Component):
    """A pixel-at-a-time io_parallel component ``inner`` (ports ``in_data``/``in_data_k``,
    ``in_valid``, ``out_data``, ``out_valid``) run on every pixel of a ``pixels``-pixel frame."""

    def __init__(self, inner: wiring.Component, in_widths: list[int], out_width: int, pixels: int, *,
                 name: str):
        self._MustUse__silence = True
        for attr in ("latency", "ii", "n_multipliers"):
            if not isinstance(getattr(inner, attr, None), int):
                raise ir.RtlnnError(f"layer {name!r}: its generator states no integer {attr}")
        if inner.latency == 0 and inner.ii != 1:
            raise ir.RtlnnError(f"layer {name!r}: a combinational generator must have II 1, not {inner.ii}")
        inner._MustUse__silence = True  # elaborated as a submodule, or only read for its figures
        self.inner, self.layer_name = inner, name
        self.n_inputs = len(in_widths)
        self.inner_latency, self.inner_ii = inner.latency, inner.ii
        self.queue_depth = output_queue_depth(inner.latency, inner.ii) if inner.latency else 0
        self.latency = inner.latency + 1 if inner.latency else 0
        self.ii = inner.ii * pixels
        self.pixels_in = self.pixels_out = pixels
        self.n_multipliers = inner.n_multipliers
        self.reuse_factor = getattr(inner, "reuse_factor", 1)
        ports = {"o": Out(stream.Signature(unsigned(out_width)))}
        if self.n_inputs == 1:
            ports["i"] = In(stream.Signature(unsigned(in_widths[0])))
        else:
            ports.update({f"i_{k}": In(stream.Signature(unsigned(w))) for k, w in enumerate(in_widths)})
        del self._MustUse__silence
        super().__init__(ports)

    @property
    def inputs(self) -> list:
        return [self.i] if self.n_inputs == 1 else [getattr(self, f"i_{k}") for k in range(self.n_inputs)]

    def elaborate(self, platform):
        m = Module()
        inner = self.inner
        m.submodules.inner = inner
        ins = self.inputs
        all_valid = Signal(name="all_valid")
        m.d.comb += all_valid.eq(ins[0].valid if len(ins) == 1 else wiring_and([s.valid for s in ins]))
        if self.n_inputs == 1:
            m.d.comb += inner.in_data.eq(ins[0].payload)
        else:
            m.d.comb += [getattr(inner, f"in_data_{k}").eq(s.payload) for k, s in enumerate(ins)]
        take = Signal(name="take")  # a pixel is taken from every input this cycle

        if self.inner_latency == 0:
            m.d.comb += [take.eq(all_valid & self.o.ready),
                         self.o.valid.eq(all_valid), self.o.payload.eq(inner.out_data)]
        else:
            depth, ii = self.queue_depth, self.inner_ii
            m.submodules.queue = queue = SyncFIFO(width=len(self.o.payload), depth=depth)
            used = Signal(range(depth + 1), name="used")  # started and not yet read out
            room = Signal(name="room")
            m.d.comb += room.eq(used < depth)
            if ii > 1:
                wait = Signal(range(ii), name="wait")  # cycles until the pipeline takes a new pixel
                m.d.comb += take.eq(all_valid & room & (wait == 0))
                with m.If(take):
                    m.d.sync += wait.eq(ii - 1)
                with m.Elif(wait != 0):
                    m.d.sync += wait.eq(wait - 1)
            else:
                m.d.comb += take.eq(all_valid & room)
            read = Signal(name="read")
            m.d.comb += [
                queue.w_data.eq(inner.out_data), queue.w_en.eq(inner.out_valid),
                self.o.payload.eq(queue.r_data), self.o.valid.eq(queue.r_rdy), queue.r_en.eq(self.o.ready),
                read.eq(queue.r_rdy & self.o.ready),
            ]
            m.d.sync += used.eq(used + take - read)
        m.d.comb += inner.in_valid.eq(take)
        m.d.comb += [s.ready.eq(take) for s in ins]
        return m


def wiring_and(values):
    out = values[0]
    for v in values[1:]:
        out = out & v
    return out
