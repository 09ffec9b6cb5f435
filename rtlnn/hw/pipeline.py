"""Pipeline delay lines: the one way generators align data and valid signals in time."""

from __future__ import annotations

from amaranth.hdl import Module, Signal, Value

__all__ = ["delay", "phase_counter", "phase_copy", "phase_fanout", "holding_register"]


def delay(m: Module, value, cycles: int, *, name: str, reset_less: bool = True) -> Value:
    """``value`` delayed by ``cycles`` registers in ``m``'s ``sync`` domain (``value`` itself for 0).

    Data lines are ``reset_less`` (no reset fan-out); valid lines should pass
    ``reset_less=False`` so that no phantom valid pulse leaves a reset pipeline.
    """
    v = Value.cast(value)
    for k in range(cycles):
        r = Signal(v.shape(), name=f"{name}_d{k + 1}", reset_less=reset_less)
        m.d.sync += r.eq(v)
        v = r
    return v


def phase_counter(m, start, period: int):
    """The phase of a reuse-factor schedule: ``start`` forces phase 0, then it free-runs modulo
    ``period`` (so a new vector exactly ``period`` cycles later continues seamlessly)."""
    count = Signal(range(period), name="count", reset_less=True)
    phase = Signal(range(period), name="phase")
    m.d.comb += phase.eq(count)
    with m.If(start):
        m.d.comb += phase.eq(0)
    m.d.sync += count.eq(phase + 1)
    with m.If(phase == period - 1):
        m.d.sync += count.eq(0)
    return phase


def phase_copy(m, start, period: int, *, name: str):
    """A registered copy of :func:`phase_counter`'s phase one cycle late: 0 the cycle after
    ``start``, then counting modulo ``period`` (pass the counter's ``start``, or that start
    delayed by n cycles for a copy n + 1 cycles late).

    Each copy is its own counter (its next value depends on its own output), so synthesis
    cannot merge copies as it merges identical registers: a generator gives every cluster of
    logic (a multiplier's operand mux and accumulators) its own, and no phase net fans out
    across the whole layer — at RF > 1 on ECP5 such a net was the critical path."""
    c = Signal(range(period), name=name, reset_less=True)
    with m.If(start | (c == period - 1)):
        m.d.sync += c.eq(0)
    with m.Else():
        m.d.sync += c.eq(c + 1)
    return c


def phase_fanout(m, start, period: int, n: int, *, name: str, group: int = 4) -> tuple[list, list]:
    """``n`` copies of the phase two cycles late (0 two cycles after ``start``, then counting
    modulo ``period``), and for each a register that is high exactly when the copy is 0.

    A pipelined broadcast: ``start`` (a layer's ``in_valid``, driven from the previous layer)
    reaches only ``ceil(n / group)`` group counters (:func:`phase_copy`); each copy follows its
    group's counter a cycle later (a counter too, so synthesis cannot merge copies).  Resetting
    every copy from ``start`` itself made one net from the previous layer to every multiplier
    of the layer, across the device: the critical path of the whole demo at RF 32 on ECP5.
    Returns ``(copies, zero)``."""
    counters, flags = [], []
    for g in range(-(-n // group)):
        counter = phase_copy(m, start, period, name=f"{name}_group_{g}")
        flag = Signal(name=f"{name}_group_{g}_zero", reset_less=True)
        m.d.sync += flag.eq(counter == 0)
        counters.append(counter)
        flags.append(flag)
    copies = []
    for k in range(n):
        c = Signal(range(period), name=f"{name}_{k}", reset_less=True)
        with m.If((counters[k // group] == 0) | (c == period - 1)):
            m.d.sync += c.eq(0)
        with m.Else():
            m.d.sync += c.eq(c + 1)
        copies.append(c)
    return copies, [flags[k // group] for k in range(n)]


def holding_register(m: Module, sink, width: int):
    """A one-payload register in front of a stream consumer, so the consumer can take its input
    in a later cycle than the handshake.

    ``sink`` is the consumer's input stream (payload, valid, ready).  Returns ``(hold, held,
    consume)``: the payload held, whether one is held, and a signal the caller drives high in
    the cycle that uses it up.  ``ready`` is high while the register is empty or being
    emptied, so a stream at full rate passes without a bubble.
    """
    hold = Signal(width, name="hold", reset_less=True)
    held = Signal(name="held")
    consume = Signal(name="consume")
    m.d.comb += sink.ready.eq(~held | consume)
    with m.If(sink.valid & sink.ready):
        m.d.sync += [hold.eq(sink.payload), held.eq(1)]
    with m.Elif(consume):
        m.d.sync += held.eq(0)
    return hold, held, consume
