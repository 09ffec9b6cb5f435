"""The phase of a time-shared layer and its copies (rtlnn.hw.pipeline) under Amaranth's simulator,
with start pulses at random times (not only every ``period`` cycles): a copy is the phase one
cycle (phase_copy) late; phase_fanout's group counters are it two cycles late, its copies three,
and its flag is high exactly when its copy is 0."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.hdl import Module, Signal
from amaranth.sim import Simulator

from rtlnn.hw.pipeline import phase_copy, phase_counter, phase_fanout


@pytest.mark.parametrize("period, n, group", [(2, 1, 4), (5, 7, 3), (8, 9, 4), (3, 4, 1)])
def test_copies_follow_the_phase_after_random_starts(period, n, group):
    m = Module()
    start = Signal()
    phase = phase_counter(m, start, period)
    copy = phase_copy(m, start, period, name="copy")
    groups, copies, zero = phase_fanout(m, start, period, n, name="fan", group=group)
    rng = np.random.default_rng(period * 100 + n)
    starts = [int(s) for s in rng.random(300) < 0.15]
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
    assert len(groups) == len(set(map(id, zero))) == -(-n // group)  # one counter and one flag per group
    for c in range(3, len(trace)):
        assert trace[c][1] == trace[c - 1][0]  # phase_copy: the phase one cycle late
        assert trace[c][4] == [trace[c - 2][0]] * len(groups)  # the group counters: two cycles late
        assert trace[c][2] == [trace[c - 3][0]] * n  # every copy: three cycles late
        assert trace[c][3] == [int(trace[c - 3][0] == 0)] * n
