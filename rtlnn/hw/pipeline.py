"""Pipeline delay lines: the one way generators align data and valid signals in time."""

from __future__ import annotations

from amaranth.hdl import Module, Signal, Value

__all__ = ["delay", "phase_counter", "phase_copy", "phase_copy_with_zero", "phase_follower", "phase_fanout",
           "phase_fanout_levels", "holding_register"]


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
    return phase_copy_with_zero(m, start, period, name=name)[0]


def phase_copy_with_zero(m, start, period: int, *, name: str):
    """:func:`phase_copy` and a register ``{name}_zero`` high exactly when the copy is 0.

    Both the zero flag and the counter's own wrap (``{name}_last``, high when the copy is
    ``period - 1``) are registers computed a cycle ahead, so the counter's restart is one LUT,
    ``start | last``: with the wrap decoded from the counter, the placer put that LUT by a
    distant ``start`` (the previous layer's valid), two LUT levels and two routes from the
    counter (the whole demo at RF 64 on ECP5: 155 MHz)."""
    c = Signal(range(period), name=name, reset_less=True)
    zero = Signal(name=f"{name}_zero", reset_less=True)
    last = Signal(name=f"{name}_last", reset_less=True, init=period == 1)
    wraps = start | last
    m.d.sync += [zero.eq(wraps), last.eq((period == 1) | (~wraps & (c == period - 2)))]
    with m.If(wraps):
        m.d.sync += c.eq(0)
    with m.Else():
        m.d.sync += c.eq(c + 1)
    return c, zero


def phase_follower(m, leader_zero, period: int, *, name: str):
    """A copy of a leader counter one cycle late, restarted by the leader's zero flag (of
    :func:`phase_copy_with_zero` or another follower): ``(counter, zero flag)``.

    The leader is 0 at least every ``period`` cycles, so the follower needs no wrap of its
    own: its restart is the flag itself, a flip-flop, with no LUT between the route and the
    counter's reset.  Restarting from a decoded ``leader == 0``, or from the follower's own
    ``== period - 1``, put LUTs on both sides of the long route from a group's counter to a
    distant multiplier's copy: the critical path of the whole demo at RF 32 and 64 on ECP5
    (107, 122 and 138 MHz).  The follower's flag is the leader's, a cycle later."""
    c = Signal(range(period), name=name, reset_less=True)
    zero = Signal(name=f"{name}_zero", reset_less=True)
    # `| c == period - 1` changes nothing once the follower follows (it is then period - 1
    # exactly when the leader is 0) but makes each flag depend on its own counter: synthesis
    # merged the identical flags of one leader's followers into one register, so one flag
    # fanned out to 4 groups' copies (a 6.2 ns route at RF 32)
    m.d.sync += zero.eq(leader_zero | (c == period - 1))
    with m.If(leader_zero):
        m.d.sync += c.eq(0)
    with m.Else():
        m.d.sync += c.eq(c + 1)
    return c, zero


def phase_fanout_levels(n: int, group: int = 4, branching: int = 4) -> int:
    """The counter levels of :func:`phase_fanout` above its ``n`` copies (at least 1: the root)."""
    levels, nodes = 1, -(-n // group)
    while nodes > 1:
        levels += 1
        nodes = -(-nodes // branching)
    return levels


def phase_fanout(m, start, period: int, n: int, *, name: str, group: int = 4,
                 branching: int = 4) -> tuple[list, list, list]:
    """The phase of :func:`phase_counter` broadcast to ``n`` users through a pipelined tree.

    ``start`` (a layer's ``in_valid``, driven from the previous layer) reaches one root counter
    (:func:`phase_copy`, 0 the cycle after ``start``); each level below has up to ``branching``
    counters per counter above, restarted by its zero flag so a cycle later
    (:func:`phase_follower`), down to one counter per ``group`` users, and each user's copy
    follows its group's counter a cycle later again.  So every net of the broadcast has a few
    sinks, a cycle of its own and spans a part of the layer that shrinks level by level: a
    time-shared layer's multipliers and weight memories spread over the device (its DSP rows),
    and one net from the previous layer to all of them, to one counter per group, or from one
    counter to all group counters, was the critical path of the whole demo at RF 32 on ECP5 in
    turn (117, 126, 116 MHz).  Every
    net of the tree leaves a flip-flop (a counter, or its zero flag), and a follower's restart
    is its leader's flag itself.

    Returns ``(groups, copies, zero)``: the group counters (0 ``L`` cycles after ``start``,
    ``L`` = :func:`phase_fanout_levels`), the copies (0 ``L + 1`` cycles after; copy ``k``
    follows group ``k // group``), and per copy its zero flag (a register high exactly when the
    copy is 0)."""
    level = [phase_copy_with_zero(m, start, period, name=f"{name}_root")]
    sizes, nodes = [], -(-n // group)
    while nodes > 1:
        sizes.append(nodes)
        nodes = -(-nodes // branching)
    for depth, size in enumerate(reversed(sizes), start=1):
        level = [phase_follower(m, level[k // branching][1], period, name=f"{name}_l{depth}_{k}")
                 for k in range(size)]
    copies = [phase_follower(m, level[k // group][1], period, name=f"{name}_{k}") for k in range(n)]
    return [c for c, _ in level], [c for c, _ in copies], [zero for _, zero in copies]


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
