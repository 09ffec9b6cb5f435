"""cocotb bench for the self-test wrapper (:mod:`rtlnn.hw.selftest`).

Loaded by cocotb inside the simulator (:func:`rtlnn.selftest.simulate_selftest` runs it).
It only resets the wrapper, lets it run, decodes its UART line and records the LEDs and
counters as JSON; the host judges.

Environment (set by the host):

- ``RTLNN_SELFTEST_RESULT``: where to write the JSON record
- ``RTLNN_SELFTEST_BIT_CYCLES``: clock cycles per UART bit
- ``RTLNN_SELFTEST_MAX_CYCLES``: give up after this many cycles
"""

from __future__ import annotations

import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from .bench_io import write_record

RESET_CYCLES = 4
PORTS = ("clk", "rst", "led_pass", "led_fail", "led_done", "uart_tx", "outputs_seen", "latency_measured",
         "cycles_measured", "errors")


def _int(handle) -> int:
    try:
        return int(handle.value)
    except ValueError:  # X/Z
        return -1


class UartDecoder:
    """8N1 receiver sampled once per clock cycle, each bit in its middle."""

    def __init__(self, bit_cycles: int):
        self.bit = bit_cycles
        self.text = ""
        self.framing_errors = 0
        self._count = -1  # cycles since the start bit's falling edge; -1 = idle
        self._byte = 0

    def sample(self, level: int) -> None:
        if self._count < 0:
            if level == 0:
                self._count, self._byte = 0, 0
            return
        self._count += 1
        phase, rem = divmod(self._count - self.bit // 2, self.bit)
        if rem != 0 or self._count < self.bit // 2:
            return
        if phase == 0 and level != 0:  # glitch, not a start bit
            self._count = -1
        elif 1 <= phase <= 8:
            self._byte |= (level & 1) << (phase - 1)
        elif phase == 9:
            if level != 1:
                self.framing_errors += 1
            self.text += chr(self._byte)
            self._count = -1


@cocotb.test()
async def selftest(dut) -> None:
    out_path = os.environ["RTLNN_SELFTEST_RESULT"]
    bit_cycles = int(os.environ["RTLNN_SELFTEST_BIT_CYCLES"])
    max_cycles = int(os.environ["RTLNN_SELFTEST_MAX_CYCLES"])
    missing = [p for p in PORTS if not hasattr(dut, p)]
    if missing:
        write_record(out_path, {"error": f"the self-test wrapper lacks port(s) {', '.join(missing)}"})
        return

    Clock(dut.clk, 10, unit="ns").start(start_high=False)
    edge, readonly = RisingEdge(dut.clk), ReadOnly()
    dut.rst.value = 1
    for _ in range(RESET_CYCLES):
        await edge
    dut.rst.value = 0

    uart = UartDecoder(bit_cycles)
    done_cycle = None
    cycle = 0
    while cycle < max_cycles:
        await readonly
        uart.sample(_int(dut.uart_tx))
        if done_cycle is None and _int(dut.led_done) == 1:
            done_cycle = cycle
        if uart.text.endswith("\n"):
            break
        await edge
        cycle += 1

    write_record(out_path, {
        "line": uart.text,
        "framing_errors": uart.framing_errors,
        "done_cycle": done_cycle,
        "cycles": cycle,
        **{p: _int(getattr(dut, p)) for p in PORTS[2:]},
    })
