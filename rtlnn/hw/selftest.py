"""The on-board self-test: stored test vectors through the network at full rate, checked in hardware.

:class:`SelfTest` holds ``N`` input vectors and their expected outputs in ROMs
(``amaranth.lib.memory``), presents one input every ``ii`` cycles from the first cycle
after reset, compares every output with its expected vector, and measures

- ``latency``: cycles from the first ``in_valid`` to the first ``out_valid``,
- ``cycles``: cycles from the first ``in_valid`` to the last ``out_valid``
  (``(N - 1) * ii + latency`` for a cycle-exact network).

It passes when every output matches, exactly ``N`` came out, and both figures equal the
generator's.  ``led_done`` rises when the last output arrives (or when it is overdue),
``led_pass`` / ``led_fail`` with it, and one line goes out on ``uart_tx`` (8N1)::

    PASS n=16 lat=7 cycles=22 err=0\\r\\n

so a user proves on the board that the bitstream computes what the emulator does.

The network is either an Amaranth component with the io_parallel ports (``core=``, for
Amaranth's simulator) or, by default, an ``Instance`` of the written Verilog module
``core_module`` (the files of ``rtl/``), so board builds reuse the emitted RTL unchanged.
"""

from __future__ import annotations

from amaranth.hdl import Array, C, Cat, ClockSignal, Elaboratable, Instance, Module, ResetSignal, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..ir import RtlnnError

__all__ = ["SelfTest", "UartTx", "message_tokens", "baud_divisor"]

COUNTER_WIDTH = 32
DIGITS = 10  # decimal digits of a 32-bit counter

# Message tokens: (kind << 8) | payload
_CHAR, _VERDICT, _FIELD, _END = 0, 1, 2, 3
#: Numeric fields, in the order of :attr:`SelfTest` outputs
FIELDS = ("n", "lat", "cycles", "err")


def message_tokens() -> list[int]:
    """``PASS|FAIL n=<n> lat=<lat> cycles=<cycles> err=<err>\\r\\n`` as a token ROM."""
    tokens = [(_VERDICT << 8) | k for k in range(4)]
    for k, field in enumerate(FIELDS):
        tokens += [(_CHAR << 8) | ord(ch) for ch in f" {field}="]
        tokens.append((_FIELD << 8) | k)
    tokens += [(_CHAR << 8) | ord("\r"), (_CHAR << 8) | ord("\n"), _END << 8]
    return tokens


def baud_divisor(clk_freq: float, baud: int) -> int:
    """Clock cycles per UART bit; the baud rate must be reachable within 2 %."""
    if clk_freq <= 0 or baud <= 0:
        raise RtlnnError(f"self-test UART: clock {clk_freq!r} Hz and baud {baud!r} must be positive")
    div = round(clk_freq / baud)
    if div < 2:
        raise RtlnnError(f"self-test UART: {baud} baud is too fast for a {clk_freq / 1e6:g} MHz clock "
                         "(fewer than 2 cycles per bit); choose a lower baud rate")
    error = abs(clk_freq / div - baud) / baud
    if error > 0.02:
        raise RtlnnError(f"self-test UART: {baud} baud from {clk_freq / 1e6:g} MHz is off by "
                         f"{error:.1%} (more than 2 %); choose another baud rate")
    return div


class UartTx(wiring.Component):
    """8N1 transmitter: a byte on ``data`` with ``start`` high for one cycle while ``busy`` is low."""

    def __init__(self, divisor: int):
        if divisor < 2:
            raise RtlnnError(f"UartTx: divisor must be at least 2, got {divisor}")
        self.divisor = divisor
        super().__init__({"data": In(8), "start": In(1), "busy": Out(1), "tx": Out(1, init=1)})

    def elaborate(self, platform):
        m = Module()
        shift = Signal(10, init=0x3FF)  # stop bit, 8 data bits LSB first, start bit
        bits = Signal(range(11))
        timer = Signal(range(self.divisor))
        m.d.comb += [self.tx.eq(shift[0]), self.busy.eq(bits != 0)]
        with m.If(bits == 0):
            with m.If(self.start):
                m.d.sync += [shift.eq(Cat(C(0, 1), self.data, C(1, 1))), bits.eq(10),
                             timer.eq(self.divisor - 1)]
        with m.Elif(timer == 0):
            m.d.sync += [shift.eq(Cat(shift[1:], C(1, 1))), bits.eq(bits - 1), timer.eq(self.divisor - 1)]
        with m.Else():
            m.d.sync += timer.eq(timer - 1)
        return m


class SelfTest(wiring.Component):
    """Stream ``inputs`` through the network every ``ii`` cycles and check ``expected`` (see module doc).

    ``clk_freq`` (Hz) and ``baud`` set the UART; ``resend_cycles`` repeats the report line
    that often (a terminal opened late still sees it), ``None`` sends it once.
    """

    def __init__(self, *, inputs: list[int], expected: list[int], in_width: int, out_width: int, latency: int,
                 ii: int, clk_freq: float, baud: int = 115200, core: Elaboratable | None = None,
                 core_module: str = "rtlnn_top", core_clocked: bool = True, resend_cycles: int | None = None):
        n = len(inputs)
        if n < 1:
            raise RtlnnError("self-test: at least one test vector is needed")
        if len(expected) != n:
            raise RtlnnError(f"self-test: {n} input vectors but {len(expected)} expected outputs")
        if ii < 1 or latency < 0 or in_width < 1 or out_width < 1:
            raise RtlnnError(f"self-test: invalid timing or widths (latency={latency}, ii={ii}, "
                             f"in_width={in_width}, out_width={out_width})")
        for what, words, width in (("input", inputs, in_width), ("expected", expected, out_width)):
            for k, w in enumerate(words):
                if not 0 <= w < (1 << width):
                    raise RtlnnError(f"self-test: {what} vector {k} does not fit in {width} bits")
        self.n, self.inputs, self.expected = n, list(inputs), list(expected)
        self.in_width, self.out_width, self.latency, self.ii = in_width, out_width, latency, ii
        self.divisor = baud_divisor(clk_freq, baud)
        self.total_cycles = (n - 1) * ii + latency
        self.timeout = latency + 2 * ii + 16  # after the last input: outputs overdue
        self.core, self.core_module, self.core_clocked = core, core_module, core_clocked
        self.resend_cycles = resend_cycles
        super().__init__({
            "led_pass": Out(1), "led_fail": Out(1), "led_done": Out(1), "uart_tx": Out(1, init=1),
            "outputs_seen": Out(COUNTER_WIDTH), "latency_measured": Out(COUNTER_WIDTH),
            "cycles_measured": Out(COUNTER_WIDTH), "errors": Out(COUNTER_WIDTH),
        })

    # --------------------------------------------------------------- the network
    def _core(self, m):
        in_data, in_valid = Signal(self.in_width), Signal()
        out_data, out_valid = Signal(self.out_width), Signal()
        if self.core is not None:
            m.submodules.core = core = self.core
            m.d.comb += [core.in_data.eq(in_data), core.in_valid.eq(in_valid),
                         out_data.eq(core.out_data), out_valid.eq(core.out_valid)]
        else:
            ports = dict(i_in_data=in_data, i_in_valid=in_valid, o_out_data=out_data, o_out_valid=out_valid)
            if self.core_clocked:
                ports.update(i_clk=ClockSignal("sync"), i_rst=ResetSignal("sync"))
            m.submodules.core = Instance(self.core_module, **ports)
        return in_data, in_valid, out_data, out_valid

    def elaborate(self, platform):
        m = Module()
        n = self.n
        in_data, in_valid, out_data, out_valid = self._core(m)

        m.submodules.in_rom = in_rom = Memory(shape=unsigned(self.in_width), depth=n, init=self.inputs)
        m.submodules.exp_rom = exp_rom = Memory(shape=unsigned(self.out_width), depth=n, init=self.expected)
        in_rd = in_rom.read_port()
        exp_rd = exp_rom.read_port()

        # ---- feed: one vector every ii cycles from the first cycle after reset
        in_idx = Signal(range(n + 1))
        cooldown = Signal(range(self.ii))
        issue = Signal()
        m.d.comb += [issue.eq((in_idx < n) & (cooldown == 0)), in_rd.addr.eq(in_idx)]
        with m.If(issue):
            m.d.sync += [in_idx.eq(in_idx + 1), cooldown.eq(self.ii - 1)]
        with m.Elif(cooldown != 0):
            m.d.sync += cooldown.eq(cooldown - 1)
        m.d.sync += in_valid.eq(issue)
        m.d.comb += in_data.eq(in_rd.data)

        # ---- measure: cycles since the first in_valid
        counting = Signal()
        elapsed = Signal(COUNTER_WIDTH)
        with m.If(counting | in_valid):
            m.d.sync += [counting.eq(1), elapsed.eq(elapsed + 1)]

        # ---- check: expected[k] is read one cycle ahead (address = index of the next output)
        out_count = self.outputs_seen
        done = Signal()
        m.d.comb += exp_rd.addr.eq(out_count + out_valid)
        with m.If(out_valid & ~done):
            m.d.sync += [out_count.eq(out_count + 1), self.cycles_measured.eq(elapsed)]
            with m.If(out_count == 0):
                m.d.sync += self.latency_measured.eq(elapsed)
            with m.If((out_count >= n) | (out_data != exp_rd.data)):
                m.d.sync += self.errors.eq(self.errors + 1)

        # ---- finish: all outputs seen, or overdue after the last input
        overdue = Signal(range(self.timeout + 1))
        with m.If((in_idx == n) & ~done):
            m.d.sync += overdue.eq(overdue + 1)
        with m.If(~done & ((out_count == n) | (overdue == self.timeout))):
            m.d.sync += done.eq(1)
        passed = Signal()
        m.d.comb += passed.eq((self.errors == 0) & (out_count == n) & (self.latency_measured == self.latency)
                              & (self.cycles_measured == self.total_cycles))
        m.d.comb += [self.led_done.eq(done), self.led_pass.eq(done & passed), self.led_fail.eq(done & ~passed)]

        self._report_line(m, done, passed)
        return m

    # --------------------------------------------------------------- the UART line
    def _report_line(self, m, done, passed):
        m.submodules.uart = uart = UartTx(self.divisor)
        m.d.comb += self.uart_tx.eq(uart.tx)
        tokens = message_tokens()
        # A ROM with a registered read (not a comb lookup): every simulator evaluates it from cycle 0.
        m.submodules.token_rom = token_rom = Memory(shape=unsigned(10), depth=len(tokens), init=tokens)
        token_rd = token_rom.read_port()
        fields = Array([self.outputs_seen, self.latency_measured, self.cycles_measured, self.errors])
        powers = Array(C(10 ** k, COUNTER_WIDTH + 4) for k in range(DIGITS))
        pass_text = Array(C(ord(ch), 8) for ch in "PASS")
        fail_text = Array(C(ord(ch), 8) for ch in "FAIL")

        idx = Signal(range(len(tokens)))
        token = token_rd.data
        kind, payload = token[8:], token[:8]
        m.d.comb += token_rd.addr.eq(idx)
        value = Signal(COUNTER_WIDTH)
        power = Signal(range(DIGITS))
        digit = Signal(4)
        leading = Signal()  # a non-zero digit has been sent
        wait = Signal(range(max(2, (self.resend_cycles or 1) + 1)))

        with m.FSM(name="report"):
            with m.State("RUN"):
                with m.If(done):
                    m.next = "FETCH"
            with m.State("FETCH"):  # the token ROM's read takes one cycle after idx changed
                m.next = "TOKEN"
            with m.State("TOKEN"):
                with m.If(kind == _CHAR):
                    m.d.sync += [uart.data.eq(payload), idx.eq(idx + 1)]
                    m.next = "SEND"
                with m.Elif(kind == _VERDICT):
                    m.d.sync += idx.eq(idx + 1)
                    with m.If(passed):
                        m.d.sync += uart.data.eq(pass_text[payload[:2]])
                    with m.Else():
                        m.d.sync += uart.data.eq(fail_text[payload[:2]])
                    m.next = "SEND"
                with m.Elif(kind == _FIELD):
                    m.d.sync += [value.eq(fields[payload[:2]]), power.eq(DIGITS - 1), digit.eq(0), leading.eq(0)]
                    m.next = "DIGIT"
                with m.Else():
                    m.d.sync += [idx.eq(0), wait.eq(0)]
                    m.next = "PAUSE"
            with m.State("SEND"):
                with m.If(~uart.busy):
                    m.d.comb += uart.start.eq(1)
                    m.next = "SENDING"
            with m.State("SENDING"):
                with m.If(~uart.busy):
                    m.next = "FETCH"
            with m.State("DIGIT"):
                with m.If(value >= powers[power]):
                    m.d.sync += [value.eq(value - powers[power]), digit.eq(digit + 1)]
                with m.Elif((digit != 0) | leading | (power == 0)):
                    m.d.sync += [uart.data.eq(ord("0") + digit), leading.eq(1)]
                    m.next = "DIGIT_SEND"
                with m.Else():
                    m.d.sync += power.eq(power - 1)
            with m.State("DIGIT_SEND"):
                with m.If(~uart.busy):
                    m.d.comb += uart.start.eq(1)
                    m.next = "DIGIT_SENDING"
            with m.State("DIGIT_SENDING"):
                with m.If(~uart.busy):
                    m.d.sync += digit.eq(0)
                    with m.If(power == 0):
                        m.d.sync += idx.eq(idx + 1)
                        m.next = "FETCH"
                    with m.Else():
                        m.d.sync += power.eq(power - 1)
                        m.next = "DIGIT"
            with m.State("PAUSE"):
                if self.resend_cycles:
                    m.d.sync += wait.eq(wait + 1)
                    with m.If(wait == self.resend_cycles):
                        m.next = "FETCH"
