"""The phase of a time-shared layer and its copies (rtlnn.hw.pipeline) under Amaranth's simulator,
with start pulses at random times (not only every ``period`` cycles): a copy is the phase one
cycle (phase_copy) late; phase_fanout's group counters are it L cycles late (L counter levels:
the root, then a level per factor of 4 in the group count), its copies L + 1, and each copy's zero
flag is high exactly when the copy is 0."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.hdl import Module, Signal
from amaranth.sim import Simulator

from rtlnn.hw.pipeline import phase_copy, phase_counter, phase_fanout, phase_fanout_levels


@pytest.mark.parametrize("period, n, group, levels", [(2, 1, 4, 1), (5, 7, 3, 2), (8, 9, 4, 2), (3, 4, 1, 2),
                                                       (4, 40, 2, 4), (6, 64, 4, 3), (1, 3, 2, 2), (64, 5, 4, 2)])
def test_copies_follow_the_phase_after_random_starts(period, n, group, levels):
    m = Module()
    start = Signal()
    phase = phase_counter(m, start, period)
    copy = phase_copy(m, start, period, name="copy")
    groups, copies, zero = phase_fanout(m, start, period, n, name="fan", group=group)
    rng = np.random.default_rng(period * 100 + n)
    starts = [int(s) for s in rng.random(300) < min(0.15, 1.0 / period)]  # some gaps longer than a period
    starts[0] = 1
    trace = []

    async def bench(ctx):
        for s in starts:
            ctx.set(start, s)
            trace.append((ctx.get(phase), ctx.get(copy), [ctx.get(c) for c in copies], [ctx.get(z) for z in zero],
                          [ctx.get(g) for g in groups]))
            await ctx.tick()

    sim = Simulator(m)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert len(groups) == -(-n // group)  # one counter per group
    assert len(set(map(id, zero))) == n  # a zero flag per copy
    assert phase_fanout_levels(n, group) == levels
    for c in range(levels + 1, len(trace)):
        assert trace[c][1] == trace[c - 1][0]  # phase_copy: the phase one cycle late
        assert trace[c][4] == [trace[c - levels][0]] * len(groups)  # the group counters: L cycles late
        assert trace[c][2] == [trace[c - levels - 1][0]] * n  # every copy: L + 1 cycles late
        assert trace[c][3] == [int(trace[c - levels - 1][0] == 0)] * n
