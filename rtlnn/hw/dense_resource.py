"""A Dense layer with the ``Resource`` strategy: weights in a memory, multipliers time-shared.

Same arithmetic, product schedule, partial accumulators and adder trees as the ``Latency``
:class:`~rtlnn.hw.dense.Dense` (this class only changes where the multiplier operands come
from), so it is bit-exact with :func:`rtlnn.arith.dense_raw` by the same argument.

Weights.  Product ``p`` of the schedule runs on multiplier ``p // RF`` in phase ``p % RF``;
word ``t`` of :func:`weight_words` holds, side by side, the weight every multiplier uses in
phase ``t`` (multiplier 0 in the low bits).  At RF > 1 each group of :data:`PHASE_GROUP`
multipliers has its own memory of its fields of those words (``RF`` words), so a memory sits by
its multipliers and is addressed by their group's counter.  A memory has one synchronous read
port — the structure block RAM implements — and carries ``rom_style`` (``"block"`` for RF >= 2;
at RF 1 the one word is a set of constants, left to the fabric as ``"distributed"``), which
Yosys and Vivado both honour.

Timing (RF > 1).  The phase reaches the layer through a pipelined tree
(:func:`~rtlnn.hw.pipeline.phase_fanout`, ``L`` counter levels): ``in_valid`` resets one root
counter, each level below follows the one above a cycle later, four counters per counter, down
to a counter per group, which addresses the group's memory, and each multiplier's own copy
follows its group's counter a cycle later again; no net runs from the previous layer, or
from one counter, to the whole layer (on ECP5 such nets, across the device's DSP rows, were the
critical paths in turn).  The weights of phase ``t`` come out of the memory one cycle after
their address and then its output register (DP16KD ``OUTREG`` on ECP5, packed by
:mod:`rtlnn.flows.ecp5_bram`; without it the block's clock-to-out alone is 5.6 ns there), and
with ``MultiplierRegisters`` 3 a register in the fabric (the route from the block RAM's row to
the DSP's gets a cycle).  The
input is registered as it comes (``x``, ``L + 1`` registers without enable: only its value
``L + 1`` cycles after ``in_valid`` is read, so ``in_valid`` does not fan out to the input bits).  The
input operand of phase ``t`` is read when the multiplier's copy is ``t`` (from ``x`` for phase
0, behind a registered flag, then a tap of Latency's rotating register ``x_rot``, each element
loaded from ``x`` by the flag of a multiplier that reads it) and delayed a cycle to meet its
weight; the copy, delayed, selects the multiplier's accumulators.  So the multiply-accumulate
runs ``R`` cycles behind Latency's (R = 1 at RF 1, where the operands are read from ``x``
directly; L + 2 at RF > 1, L + 3 at K 3): latency = RF + K + T + R (K multiplier registers, as in Latency),
II = RF, with ``ceil(P / RF)`` multipliers for P nonzero weights (RF from 1 to P: one
multiplier per output at RF = n_in, a single multiplier at RF = P; more with ``OperandTaps``,
see :func:`rtlnn.hw.dense.dense_schedule`).
"""

from __future__ import annotations

from amaranth.hdl import Signal, unsigned
from amaranth.lib.memory import Memory

from .pipeline import delay, phase_fanout, phase_fanout_levels
from .. import ir
from ..fixed import FixedType
from .cast import shape_of
from .dense import Dense

__all__ = ["DenseResource", "weight_words", "PHASE_GROUP"]

#: Multipliers per group of the phase tree at RF > 1, and per weight memory (4 weights of up to
#: 18 bits fill a 72-bit block RAM word: Xilinx's 36 Kb simple dual port, two ECP5 DP16KD).
PHASE_GROUP = 4


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
                 multiplier_registers: int = 1, operand_taps: int | None = None):
        super().__init__(layer, in_t, levels_per_stage=levels_per_stage, multiplier_registers=multiplier_registers,
                         operand_taps=operand_taps)
        self.rom_style = "block" if self.reuse_factor > 1 else "distributed"
        # cycles from in_valid to the weights: for block memories the phase tree's counter
        # levels down to the groups' (the address), the read register and the output register;
        # a one-word memory is read every cycle
        self.phase_levels = phase_fanout_levels(self.n_multipliers, PHASE_GROUP) if self.reuse_factor > 1 else 0
        # (+ with MultiplierRegisters 3, a fabric register between the memory and the multipliers)
        self.route_register = self.rom_style == "block" and self.multiplier_registers >= 3
        self.read_latency = self.phase_levels + 2 + self.route_register if self.rom_style == "block" else 1
        self.latency += self.read_latency
        # the accumulators' phases lead the products by up to 2 cycles (Dense._sum_and_output),
        # of the products' delay from a multiplier's phase copy at RF > 1: read_latency - lag
        # (1 + route_register) + K
        self.phases_lead = min(2, 1 + int(self.route_register) + self.multiplier_registers)
        self.words = weight_words(self.schedule, self.weight_t)
        self.word_width = max(1, self.n_multipliers * self.weight_t.width)
        self.weight_memory_bits = self.word_width * self.reuse_factor

    def _weight_memory(self, m, first: int, count: int, name: str):
        """The weights of multipliers ``first .. first + count - 1``: a memory of their fields of
        :attr:`words`, and its read port."""
        ww = self.weight_t.width
        mask = (1 << (count * ww)) - 1
        init = [(word >> (first * ww)) & mask for word in self.words]
        mem = Memory(shape=unsigned(max(1, count * ww)), depth=self.reuse_factor, init=init,
                     attrs={"rom_style": self.rom_style})
        m.submodules[name] = mem
        return mem.read_port(domain="sync")

    def _multipliers(self, m):
        rf, sch = self.reuse_factor, self.schedule
        ww, n_mult = self.weight_t.width, sch.n_multipliers
        x_shape, w_shape = shape_of(self.in_t), shape_of(self.weight_t)

        # The input, registered as it comes (no enable: only its value `lag` cycles after
        # in_valid is read, so in_valid does not fan out to every input bit); the operands run
        # `lag` cycles behind Latency's, with x_reg for in_data.
        lag = self.phase_levels + 1 if rf > 1 else 1
        x_reg = delay(m, self.in_data, lag, name="x")

        if rf == 1:  # one word: constants, no phase
            weights = [self._weight_memory(m, 0, n_mult, "weights").data]
            group = max(n_mult, 1)
        else:
            # The phase reaches the multipliers through a pipelined tree (phase_fanout): a group
            # counter per PHASE_GROUP multipliers addresses their own weight memory (0 L cycles
            # after in_valid), and each multiplier's own copy (0 L + 1 cycles after) selects its
            # input tap and (delayed) its accumulators; `firsts`: registers high when a copy is 0.
            # No net runs from the previous layer, or from one counter, to the whole layer.
            group = PHASE_GROUP
            groups, owns, firsts = phase_fanout(m, self.in_valid, rf, n_mult, name="mul_phase", group=group)
            weights = []
            for g, counter in enumerate(groups):
                rd = self._weight_memory(m, g * group, min(group, n_mult - g * group), f"weights_{g}")
                m.d.comb += rd.addr.eq(counter)
                # A block memory's data is registered once more: the block's own output register
                # (DP16KD OUTREG, packed by rtlnn.flows.ecp5_bram; a BRAM's DO_REG on Xilinx),
                # whose clock-to-out is short where the bare read's is most of a period.
                data = delay(m, rd.data, 1, name=f"weights_{g}_out")
                # MultiplierRegisters 3: the route between the hard blocks (block RAM to DSP, placed
                # in their own rows, up to 6.3 ns apart in the whole demo on ECP5) gets a cycle
                weights.append(delay(m, data, int(self.route_register), name=f"weights_{g}_fabric"))
            # x_rot element k loads (from x_reg) the cycle the copy of a multiplier that reads it
            # is 0, by that copy's flag (a decoded net from a distant copy was the critical path
            # of the demo's fc2 at RF 24)
            owner = self._tap_readers()
            x_rot = self._x_rotation(m, x_reg, load=lambda k: firsts[owner.get(k, k % n_mult)])

        prods, phases = [], []
        for mlt in range(n_mult):
            g, j = divmod(mlt, group)
            b = weights[g][j * ww:(j + 1) * ww]
            b = b.as_signed() if self.weight_t.signed else b
            if rf == 1:
                a = Signal(x_shape, name=f"mul_{mlt}_x")
                m.d.comb += a.eq(self._element(x_reg, sch.product(mlt, 0)[1]))
            else:
                # the tap `lag` cycles after the phase, delayed to meet the weights; the
                # products' phase comes K cycles after them
                a = delay(m, self._x_operand(m, mlt, owns[mlt], 0, x_rot, source=x_reg, first=firsts[mlt]),
                          self.read_latency - lag, name=f"mul_{mlt}_x_align")
                # the products' phase `phases_lead` cycles ahead, for the accumulators' registered
                # enables
                phases.append(delay(m, owns[mlt], self.read_latency - lag + self.multiplier_registers
                                    - self.phases_lead, name=f"mul_{mlt}_phase"))
            bw = Signal(w_shape, name=f"mul_{mlt}_w")
            m.d.comb += bw.eq(b)
            prods.append(self._multiply(m, mlt, a, bw))
        return prods, phases

    def _tap_readers(self) -> dict[int, int]:
        """``x_rot`` element -> a multiplier that reads it (the first in multiplier order)."""
        sch, n = self.schedule, self.n_in
        owner = {}
        for mlt in range(sch.n_multipliers):
            for t in range(1, self.reuse_factor):
                p = sch.product(mlt, t)
                if p is not None:
                    owner.setdefault((p[1] - t) % n, mlt)
        return owner
