"""A Dense layer with the ``Resource`` strategy: weights in a memory, multipliers time-shared.

Same arithmetic, product schedule, partial accumulators and adder trees as the ``Latency``
:class:`~rtlnn.hw.dense.Dense` (this class only changes where the multiplier operands come
from), so it is bit-exact with :func:`rtlnn.arith.dense_raw` by the same argument.

Weights.  Product ``p`` of the schedule runs on multiplier ``p // RF`` in phase ``p % RF``;
word ``t`` of the weight memory holds, side by side, the weight every multiplier uses in
phase ``t`` (multiplier 0 in the low bits): ``RF`` words of ``n_multipliers * weight
width`` bits.  The memory has one synchronous read port — the structure block RAM
implements — and carries ``rom_style`` (``"block"`` for RF >= 2; a one-word memory is a
set of constants and is left to the fabric as ``"distributed"``), which Yosys and Vivado
both honour.

Timing.  The cycle ``in_valid`` is high (phase 0) the input is loaded into Latency's
rotating register ``x_rot`` (``x_reg`` at RF 1) and the memory is addressed with phase 0;
the weights of phase ``t`` come out of the memory one cycle after their address, and both
operands are then read from registers (the input operand from a tap of ``x_rot`` for
cycle ``t + 1``, as Latency reads it for cycle ``t``).  So the whole
multiply-accumulate runs one cycle behind Latency's: latency = RF + K + T + 1 (K multiplier
registers, as in Latency; RF + T + 2 at the default K = 1), II = RF, with
``ceil(P / RF)`` multipliers for P nonzero weights (RF from 1 to P: one multiplier per
output at RF = n_in, a single multiplier at RF = P).
"""

from __future__ import annotations

from amaranth.hdl import Signal, unsigned
from amaranth.lib.memory import Memory

from .pipeline import phase_counter
from .. import ir
from ..fixed import FixedType
from .cast import shape_of
from .dense import Dense

__all__ = ["DenseResource", "weight_words"]


def weight_words(schedule, weight_t: FixedType) -> list[int]:
    """The weight memory's contents: word ``t`` = every multiplier's weight in phase ``t``."""
    width = weight_t.width
    mask = (1 << width) - 1
    words = []
    for t in range(schedule.reuse_factor):
        word = 0
        for mlt in range(schedule.n_multipliers):
            p = schedule.product(mlt, t)
            if p is not None:
                word |= (p[2] & mask) << (mlt * width)
        words.append(word)
    return words


class DenseResource(Dense):
    """One ``ir.Dense`` layer with its weights in a memory (see the module doc).

    Same ports and attributes as :class:`~rtlnn.hw.dense.Dense`, plus ``rom_style`` and
    ``weight_memory_bits`` (the memory's size, for reports).
    """

    strategy = "Resource"

    def __init__(self, layer: ir.Dense, in_t: FixedType, *, levels_per_stage: int = 2,
                 multiplier_registers: int = 1):
        super().__init__(layer, in_t, levels_per_stage=levels_per_stage, multiplier_registers=multiplier_registers)
        self.latency += 1  # the weight memory's read register
        self.rom_style = "block" if self.reuse_factor > 1 else "distributed"
        self.words = weight_words(self.schedule, self.weight_t)
        self.word_width = max(1, self.n_multipliers * self.weight_t.width)
        self.weight_memory_bits = self.word_width * self.reuse_factor

    def _multipliers(self, m):
        rf, sch = self.reuse_factor, self.schedule
        ww = self.weight_t.width
        x_shape, w_shape = shape_of(self.in_t), shape_of(self.weight_t)

        if rf == 1:
            x_reg = Signal(len(self.in_data), name="x_reg", reset_less=True)
            with m.If(self.in_valid):
                m.d.sync += x_reg.eq(self.in_data)
        else:
            x_rot = self._x_rotation(m)
        mem = Memory(shape=unsigned(self.word_width), depth=rf, init=self.words,
                     attrs={"rom_style": self.rom_style})
        m.submodules.weights = mem
        rd = mem.read_port(domain="sync")

        phase_d = phase_k = None
        if rf > 1:
            # The address is the phase: in_valid forces 0, then it free-runs modulo RF.
            phase = phase_counter(m, self.in_valid, rf)
            m.d.comb += rd.addr.eq(phase)
            # phase_d: of the memory's data; then one more per multiplier register (of the products)
            delayed = [phase]
            for n in range(1 + self.multiplier_registers):
                r = Signal(range(rf), name="phase_d" + "d" * n, reset_less=True)
                m.d.sync += r.eq(delayed[-1])
                delayed.append(r)
            phase_d, phase_k = delayed[1], delayed[-1]

        prods = []
        for mlt in range(sch.n_multipliers):
            b = rd.data[mlt * ww:(mlt + 1) * ww]
            b = b.as_signed() if self.weight_t.signed else b
            if rf == 1:
                a = Signal(x_shape, name=f"mul_{mlt}_x")
                m.d.comb += a.eq(self._element(x_reg, sch.product(mlt, 0)[1]))
            else:
                a = self._x_operand(m, mlt, phase_d, 1, x_rot)
            bw = Signal(w_shape, name=f"mul_{mlt}_w")
            m.d.comb += bw.eq(b)
            prods.append(self._multiply(m, mlt, a, bw))
        return prods, phase_k
