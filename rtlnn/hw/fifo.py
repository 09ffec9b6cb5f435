"""The io_stream FIFO: an ``amaranth.lib.stream`` valid/ready queue between two layers.

A first-word-fall-through :class:`amaranth.lib.fifo.SyncFIFO`: a pixel written in cycle
``c`` is offered on ``o`` in cycle ``c + 1`` (``LATENCY``), and a FIFO of depth >= 2 moves
one pixel per cycle.  ``level`` (how many pixels it holds) is an output so that the
network top can expose every FIFO's occupancy to the test bench's stall watchdog and to
the depth-finding run of :mod:`rtlnn.hw.stream_top`.
"""

from __future__ import annotations

from amaranth.hdl import Module, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.fifo import SyncFIFO
from amaranth.lib.wiring import In, Out

from ..ir import RtlnnError

__all__ = ["StreamFifo", "LATENCY", "MIN_DEPTH"]

#: Cycles from a pixel entering an empty FIFO to it being offered at the output.
LATENCY = 1
#: The smallest depth that sustains one pixel per cycle (a depth-1 FIFO alternates full / empty).
MIN_DEPTH = 2


class StreamFifo(wiring.Component):
    """``depth`` pixels of ``width`` bits; ports ``i`` (in), ``o`` (out), ``level`` (out)."""

    def __init__(self, width: int, depth: int, *, name: str = "fifo"):
        if not isinstance(depth, int) or isinstance(depth, bool) or depth < MIN_DEPTH:
            raise RtlnnError(f"FIFO {name!r}: depth must be a whole number >= {MIN_DEPTH}, not {depth!r}")
        if not isinstance(width, int) or width < 1:
            raise RtlnnError(f"FIFO {name!r}: width must be a positive whole number, not {width!r}")
        self.width, self.depth, self.name = width, depth, name
        self.latency = LATENCY
        super().__init__({
            "i": In(stream.Signature(unsigned(width))),
            "o": Out(stream.Signature(unsigned(width))),
            "level": Out(range(depth + 1)),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.fifo = fifo = SyncFIFO(width=self.width, depth=self.depth)
        m.d.comb += [
            fifo.w_data.eq(self.i.payload),
            fifo.w_en.eq(self.i.valid),
            self.i.ready.eq(fifo.w_rdy),
            self.o.payload.eq(fifo.r_data),
            self.o.valid.eq(fifo.r_rdy),
            fifo.r_en.eq(self.o.ready),
            self.level.eq(fifo.level),
        ]
        return m
