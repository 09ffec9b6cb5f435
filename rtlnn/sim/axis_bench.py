"""cocotb bench for the AXI4-Stream / AXI4-Lite wrapper (:mod:`rtlnn.flows.axis_wrapper`).

Loaded by cocotb inside the simulator; :func:`rtlnn.flows.axis_wrapper.simulate_axis_wrapper`
runs it and judges. The bench writes ``FRAME_LEN`` over AXI4-Lite, streams the test vectors
in — the first half with random ``TVALID`` gaps and random ``m_axis_tready`` backpressure,
the second half (after the first has drained) back to back with ``TREADY`` held high — then
reads every register, and records what it saw as JSON.

Environment: ``RTLNN_AXIS_TB`` (tb/ folder), ``RTLNN_AXIS_RESULT`` (JSON record),
``RTLNN_AXIS_VECTORS``, ``RTLNN_AXIS_FRAME``, ``RTLNN_AXIS_READY_P`` (probability of TREADY
in the first half), ``RTLNN_AXIS_SEED``, ``RTLNN_AXIS_REGISTERS`` (name -> address, JSON).

Timing: values are sampled in the ReadOnly phase before a rising edge (a handshake fires at
that edge when TVALID and TREADY are both high there) and driven right after the edge.
"""

from __future__ import annotations

import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from .bench_io import write_record

RESET_CYCLES = 5
LITE_TIMEOUT = 50


class Bench:
    def __init__(self, dut):
        self.dut = dut
        self.edge = RisingEdge(dut.aclk)
        self.readonly = ReadOnly()
        self.cycle = 0

    async def tick(self):
        await self.edge
        self.cycle += 1

    async def litewrite_record(self, addr: int, data: int) -> None:
        d = self.dut
        d.s_axi_awaddr.value, d.s_axi_awvalid.value = addr, 1
        d.s_axi_wdata.value, d.s_axi_wstrb.value, d.s_axi_wvalid.value = data, 0xF, 1
        d.s_axi_bready.value = 1
        aw = w = False
        for _ in range(LITE_TIMEOUT):
            await self.readonly
            aw = aw or bool(int(d.s_axi_awready.value))
            w = w or bool(int(d.s_axi_wready.value))
            b = bool(int(d.s_axi_bvalid.value))
            await self.tick()
            if aw:
                d.s_axi_awvalid.value = 0
            if w:
                d.s_axi_wvalid.value = 0
            if b:
                d.s_axi_bready.value = 0
                return
        raise TimeoutError(f"AXI4-Lite write to 0x{addr:02x} got no response")

    async def lite_read(self, addr: int) -> int:
        d = self.dut
        d.s_axi_araddr.value, d.s_axi_arvalid.value, d.s_axi_rready.value = addr, 1, 1
        for _ in range(LITE_TIMEOUT):
            await self.readonly
            ar = bool(int(d.s_axi_arready.value))
            r = bool(int(d.s_axi_rvalid.value))
            data = int(d.s_axi_rdata.value) if r else None
            await self.tick()
            if ar:
                d.s_axi_arvalid.value = 0
            if r:
                d.s_axi_rready.value = 0
                return data
        raise TimeoutError(f"AXI4-Lite read of 0x{addr:02x} got no response")


@cocotb.test()
async def axis_stream(dut) -> None:
    out_path = os.environ["RTLNN_AXIS_RESULT"]
    tb = os.environ["RTLNN_AXIS_TB"]
    n = int(os.environ["RTLNN_AXIS_VECTORS"])
    frame = int(os.environ["RTLNN_AXIS_FRAME"])
    ready_p = float(os.environ["RTLNN_AXIS_READY_P"])
    rng = random.Random(int(os.environ.get("RTLNN_AXIS_SEED", "0")))
    registers = json.loads(os.environ["RTLNN_AXIS_REGISTERS"])
    with open(os.path.join(tb, "inputs.hex")) as f:
        vectors = [int(line, 16) for line in f.read().split()][:n]
    with open(os.path.join(tb, "meta.json")) as f:
        meta = json.load(f)

    Clock(dut.aclk, 10, unit="ns").start(start_high=False)
    b = Bench(dut)
    for sig in ("s_axis_tvalid", "m_axis_tready", "s_axi_awvalid", "s_axi_wvalid", "s_axi_bready",
                "s_axi_arvalid", "s_axi_rready", "s_axi_awaddr", "s_axi_araddr", "s_axi_wdata", "s_axi_wstrb"):
        getattr(dut, sig).value = 0
    dut.s_axis_tdata.value = 0
    dut.aresetn.value = 0
    for _ in range(RESET_CYCLES):
        await b.tick()
    dut.aresetn.value = 1
    await b.tick()

    try:
        await b.litewrite_record(registers["FRAME_LEN"], frame)
    except TimeoutError as e:
        write_record(out_path, {"error": str(e)})
        return

    half = n // 2
    max_cycles = b.cycle + 40 * n + 20 * int(meta["latency"]) * max(1, int(meta["ii"])) + 1000
    outputs, lasts, accepts_full = [], [], []
    backpressure = 0
    sent = 0
    tvalid = tready = 0
    while b.cycle < max_cycles and len(outputs) < n:
        await b.readonly
        in_fire = tvalid and int(dut.s_axis_tready.value)
        out_valid = int(dut.m_axis_tvalid.value)
        if out_valid and tready:
            outputs.append(int(dut.m_axis_tdata.value))
            lasts.append(int(dut.m_axis_tlast.value))
        elif out_valid:
            backpressure += 1
        if in_fire:
            if sent >= half:
                accepts_full.append(b.cycle)
            sent += 1
        await b.tick()
        full_rate = len(outputs) >= half  # the first half has drained
        if tvalid and not in_fire:
            pass  # AXI4-Stream: hold TVALID and TDATA until accepted
        elif sent < half or (sent < n and full_rate):
            tvalid = 1 if full_rate else int(rng.random() < 0.7)
            dut.s_axis_tdata.value = vectors[sent] if tvalid else rng.getrandbits(len(dut.s_axis_tdata))
        else:
            tvalid = 0
        dut.s_axis_tvalid.value = tvalid
        tready = 1 if full_rate else int(rng.random() < ready_p)
        dut.m_axis_tready.value = tready
    dut.s_axis_tvalid.value = 0
    dut.m_axis_tready.value = 0
    for _ in range(4):
        await b.tick()

    regs = {}
    try:
        for name, addr in registers.items():
            regs[name] = await b.lite_read(addr)
    except TimeoutError as e:
        write_record(out_path, {"error": str(e)})
        return
    spacing = [y - x for x, y in zip(accepts_full, accepts_full[1:])]
    write_record(out_path, {
        "outputs": outputs, "lasts": lasts, "registers": regs, "backpressure_cycles": backpressure,
        "full_rate_spacing": max(spacing) if spacing else None, "cycles": b.cycle,
    })
