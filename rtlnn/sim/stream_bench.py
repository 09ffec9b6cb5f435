"""cocotb bench for an io_stream design written by rtlnn (see :mod:`rtlnn.sim.stream_vectors`).

Loaded by cocotb inside the simulator (``rtlnn.sim.runner`` picks it when ``tb/meta.json``
says ``io_type: io_stream``).  Like the io_parallel bench it only drives and records; the
runner judges.

Schedule.  Without ``RTLNN_SIM_GAPS`` every frame is offered at full rate (``in_valid``
held high, a pixel per cycle as ``in_ready`` allows) and ``out_ready`` is always high: the
first frame's latency and the steady-state frame interval (II) are measured.  With gaps
the first half of the frames still runs that way (so latency and II are measured too),
then the rest get random input gaps (``in_valid`` low, short and long) and random output
backpressure (``out_ready`` low for 1 to 2*latency cycles), seeded by ``RTLNN_SIM_SEED``.

Watchdog.  If no output pixel is taken for ``stall_cycles`` while output is outstanding,
the bench stops and records the FIFO occupancies read from the top's ``fifo_levels``
port (FIFOs that are full are named first): a deadlocked or starved design is reported,
never left to hang.

Timing convention as in the io_parallel bench: cycle *k* follows the *k*-th rising edge;
inputs are driven right after the edge, handshakes are sampled in the ReadOnly phase.
"""

from __future__ import annotations

import random
import time

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from .bench_io import BenchRun

RESET_CYCLES = 4
PORTS = ("clk", "rst", "in_data", "in_valid", "in_ready", "out_data", "out_valid", "out_ready", "fifo_levels")


def stall_cycles(latency: int, ii: int) -> int:
    """Cycles without output progress that count as a stall (longer than any forced backpressure)."""
    return 4 * (latency + ii) + 256


def decode_levels(word: int, fifos: list[dict]) -> list[dict]:
    out = []
    for f in fifos:
        level = (word >> f["offset"]) & ((1 << f["width"]) - 1)
        out.append({"name": f["name"], "level": level, "depth": f["depth"], "full": level >= f["depth"]})
    return out


@cocotb.test()
async def run_frames(dut) -> None:
    run = BenchRun.from_env()
    meta, n, gaps, seed = run.meta, run.n, run.gaps, run.seed
    in_width, latency, ii = int(meta["in_width"]), int(meta["latency"]), int(meta["ii"])
    p_in, p_out = int(meta["pixels_in"]), int(meta["pixels_out"])
    error = run.port_error(dut, PORTS, "io_stream")
    if error:
        run.record({"error": error})
        return
    pixels = run.read_words(n * p_in)

    rng = random.Random(seed)
    n_fast = n if not gaps else max(1, n // 2)  # frames at full rate, without backpressure
    fast_in, fast_out = n_fast * p_in, n_fast * p_out
    limit = stall_cycles(latency, ii)

    clk, rst = dut.clk, dut.rst
    t0 = time.perf_counter()
    Clock(clk, 10, unit="ns").start(start_high=False)
    edge, readonly = RisingEdge(clk), ReadOnly()
    rst.value = 1
    dut.in_valid.value = 0
    dut.in_data.value = 0
    dut.out_ready.value = 1
    for _ in range(RESET_CYCLES):
        await edge
    rst.value = 0

    outputs: list = []
    in_first: list[int] = []
    out_first: list[int] = []
    x_valid = 0
    sent = 0
    cycle = 0
    last_progress = 0
    gap_left = 0
    hold_left = 0
    stall = None
    tail = None  # cycles left to watch for extra outputs once all have come
    ready_now = 1
    while True:
        # drive: input pixel (or a gap), output readiness (or backpressure)
        if sent < n * p_in:
            if sent >= fast_in and gap_left == 0 and rng.random() < 0.15:
                gap_left = rng.randint(1, 3) if rng.random() < 0.8 else rng.randint(4, latency + 8)
            if gap_left:
                gap_left -= 1
                dut.in_valid.value = 0
                dut.in_data.value = rng.getrandbits(in_width)
                offering = False
            else:
                dut.in_valid.value = 1
                dut.in_data.value = pixels[sent]
                offering = True
        else:
            dut.in_valid.value = 0
            offering = False
        if len(outputs) >= fast_out and tail is None:
            if hold_left == 0 and rng.random() < 0.1:
                hold_left = rng.randint(1, 2 * latency + 2) if rng.random() < 0.3 else rng.randint(1, 3)
            ready = 0 if hold_left else 1
            hold_left = max(0, hold_left - 1)
        else:
            ready = 1
        if ready != ready_now:
            dut.out_ready.value = ready
            ready_now = ready
        await readonly
        if offering and int(dut.in_ready.value):
            if sent % p_in == 0:
                in_first.append(cycle)
            sent += 1
        try:
            v = int(dut.out_valid.value)
        except ValueError:
            x_valid += 1
            v = 0
        if v and ready:
            if len(outputs) % p_out == 0:
                out_first.append(cycle)
            try:
                outputs.append(dut.out_data.value.to_unsigned())
            except ValueError:
                outputs.append(None)
            last_progress = cycle
        if tail is None and len(outputs) >= n * p_out:
            tail = ii + latency + 8
        if tail is not None:
            tail -= 1
            if tail <= 0:
                break
        elif cycle - last_progress > limit:
            try:
                word = dut.fifo_levels.value.to_unsigned()
            except ValueError:
                word = 0
            levels = decode_levels(word, meta.get("fifos", []))
            stall = {"cycle": cycle, "idle_cycles": cycle - last_progress, "pixels_sent": sent,
                     "pixels_out": len(outputs), "levels": levels}
            break
        await edge
        cycle += 1

    run.record({
        "n_vectors": n, "n_fast": n_fast, "in_first": in_first, "out_first": out_first, "outputs": outputs,
        "cycles": cycle + RESET_CYCLES, "x_valid_cycles": x_valid, "stall": stall,
        "bench_seconds": time.perf_counter() - t0,
    })
