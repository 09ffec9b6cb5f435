"""cocotb bench for an io_parallel design written by rtlnn.

This module is loaded by cocotb inside the simulator process (``COCOTB_TEST_MODULES=
rtlnn.sim.bench``); :func:`rtlnn.sim.simulate` builds the design and runs it. The bench
only drives and records: it feeds the input vectors on a fixed schedule, samples every
cycle, and writes what it saw as JSON. All judging (mismatches, latency, II) happens in
the runner, so a broken design never makes the bench itself fail.

Environment (set by the runner):

- ``RTLNN_SIM_TB``: the design's ``tb/`` directory (``meta.json``, ``inputs.hex``)
- ``RTLNN_SIM_RESULT``: where to write the JSON record
- ``RTLNN_SIM_VECTORS``: how many vectors to feed (default: all)
- ``RTLNN_SIM_GAPS``: ``1`` to insert random idle cycles between vectors
- ``RTLNN_SIM_SEED``: seed for the idle-cycle junk and the gap schedule

Timing convention: cycle *k* is the interval after the *k*-th rising edge of the main
loop. Inputs for cycle *k* are driven right after that edge (so the design samples them
at edge *k+1*), outputs are sampled in the ReadOnly phase of cycle *k*. A design with one
register between ``in_valid`` and ``out_valid`` therefore measures latency 1.
"""

from __future__ import annotations

import random
import time

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from .bench_io import BenchRun

RESET_CYCLES = 4
PORTS = ("clk", "rst", "in_data", "in_valid", "out_data", "out_valid")
JUNK_POOL = 257  # distinct junk words, reused cyclically (no per-cycle allocation)


def schedule(n: int, ii: int, gaps: bool, latency: int, rng: random.Random) -> list[int]:
    """Cycles at which vectors are presented: every ``ii`` cycles, or with random gaps.

    Gaps are mostly short (pipeline partly busy), sometimes longer than the latency
    (pipeline drained), so both the steady state and restarts get exercised.
    """
    cycles = []
    c = 0
    for _ in range(n):
        cycles.append(c)
        gap = 0
        if gaps:
            r = rng.random()
            if r < 0.5:
                gap = 0
            elif r < 0.9:
                gap = rng.randint(1, 3)
            else:
                gap = rng.randint(4, latency + 4)
        c += ii + gap
    return cycles


@cocotb.test()
async def run_vectors(dut) -> None:
    run = BenchRun.from_env()
    meta, n, gaps, seed = run.meta, run.n, run.gaps, run.seed
    in_width = int(meta["in_width"])
    latency = int(meta["latency"])
    ii = int(meta["ii"])
    error = run.port_error(dut, PORTS, "io_parallel")
    if error:
        run.record({"error": error})
        return
    vecs = run.read_words(n)

    rng = random.Random(seed)
    junk = [rng.getrandbits(in_width) for _ in range(JUNK_POOL)]
    sends = schedule(n, ii, gaps, latency, random.Random(seed + 1))
    margin = max(16, 2 * latency) + 2 * ii
    end = (sends[-1] if sends else 0) + latency + margin
    tail = ii + 4  # cycles watched for extra outputs after the last expected one

    clk, rst = dut.clk, dut.rst
    din, vin, dout, vout = dut.in_data, dut.in_valid, dut.out_data, dut.out_valid

    t0 = time.perf_counter()
    Clock(clk, 10, unit="ns").start(start_high=False)
    edge = RisingEdge(clk)
    readonly = ReadOnly()

    rst.value = 1
    vin.value = 0
    din.value = junk[0]
    for _ in range(RESET_CYCLES):
        await edge
    rst.value = 0

    outputs: list[int | None] = []
    out_cycles: list[int] = []
    x_valid = 0
    j = 1
    i = 0
    next_send = sends[0] if n else -1
    valid_now = 0
    cycle = 0
    while cycle <= end:
        if cycle == next_send:
            din.value = vecs[i]
            if not valid_now:
                vin.value = 1
                valid_now = 1
            i += 1
            next_send = sends[i] if i < n else -1
        else:
            din.value = junk[j]
            j += 1
            if j == JUNK_POOL:
                j = 0
            if valid_now:
                vin.value = 0
                valid_now = 0
        await readonly
        try:
            v = int(vout.value)
        except ValueError:  # X/Z on out_valid
            x_valid += 1
            v = 0
        if v:
            try:
                outputs.append(dout.value.to_unsigned())
            except ValueError:  # X/Z in out_data
                outputs.append(None)
            out_cycles.append(cycle)
            if len(outputs) == n and cycle + tail < end:
                end = cycle + tail
        await edge
        cycle += 1

    run.record({
        "n_vectors": n,
        "in_cycles": sends,
        "out_cycles": out_cycles,
        "outputs": outputs,
        "cycles": cycle + RESET_CYCLES,
        "x_valid_cycles": x_valid,
        "bench_seconds": time.perf_counter() - t0,
    })
