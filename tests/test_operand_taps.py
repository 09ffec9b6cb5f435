"""``Pipeline: {OperandTaps: n}``: a time-shared multiplier Dense whose multipliers each read at
most n taps of the rotating input — the schedule's invariants, and the Latency / Resource
generators under Amaranth's simulator, bit-exact with rtlnn.arith and with latency and II
measured."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rtlnn import ir
from rtlnn.config import validate_config
from rtlnn.fixed import FixedType
from rtlnn.hw.dense import Dense, dense_schedule
from rtlnn.hw.dense_resource import DenseResource
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes

from graphs import make_mlp
from test_hw_support import check_dense_back_to_back, random_dense
from test_resource_dense import read_cycles


def _taps(schedule, n_in: int) -> list[set]:
    """Per multiplier, the taps (i - phase) mod n_in it reads (phase 0's input counts as tap i)."""
    return [{(p[1] - t) % n_in for t in range(schedule.reuse_factor) if (p := schedule.product(m, t)) is not None}
            for m in range(schedule.n_multipliers)]


def _random_raw(rng, n_in, n_out, zero_fraction):
    w = rng.integers(-40, 41, size=(n_in, n_out))
    w[rng.random((n_in, n_out)) < zero_fraction] = 0
    return w


@pytest.mark.parametrize("seed", range(30))
def test_schedule_every_weight_once_and_taps_bounded(seed):
    rng = np.random.default_rng(seed)
    n_in, n_out = int(rng.integers(1, 20)), int(rng.integers(1, 12))
    w = _random_raw(rng, n_in, n_out, float(rng.choice([0.0, 0.2, 0.5, 0.8])))
    p = int(np.count_nonzero(w))
    if p == 0:
        return
    rf = int(rng.integers(2, p + 2)) if p > 1 else 2
    free = dense_schedule(w, rf)
    assert free.n_multipliers == math.ceil(p / rf)
    for max_taps in (1, 2, 3):
        sch = dense_schedule(w, rf, max_taps)
        nonzero = [(j, i, v) for prod in sch.products if prod is not None for (j, i, v) in [prod] if v != 0]
        assert sorted(nonzero) == sorted((j, i, int(w[i, j])) for j in range(n_out) for i in range(n_in) if w[i, j])
        # a zero product is a real zero weight of the walk, and every (j, i) at most once
        assert all(w[i, j] == v for prod in sch.products if prod is not None for (j, i, v) in [prod])
        pairs = [(prod[0], prod[1]) for prod in sch.products if prod is not None]
        assert len(pairs) == len(set(pairs))
        assert max(len(t) for t in _taps(sch, n_in)) <= max_taps
        assert sch.n_multipliers >= free.n_multipliers
        # the groups cover exactly the scheduled phases of each multiplier, one output each
        covered = {(g.mult, t) for g in sch.groups for t in range(g.first, g.last + 1)}
        assert covered == {(m, t) for m in range(sch.n_multipliers) for t in range(rf) if sch.product(m, t)}
        assert all(sch.product(g.mult, t)[0] == g.out for g in sch.groups for t in range(g.first, g.last + 1))


def test_dense_weights_need_no_extra_multiplier():
    """Without zero weights one tap per multiplier is free: the walk's tap never changes."""
    w = np.arange(1, 8 * 5 + 1).reshape(8, 5)
    for rf in (2, 3, 7, 8, 13, 40):
        sch = dense_schedule(w, rf, 1)
        assert sch.n_multipliers == math.ceil(40 / rf) and all(len(t) == 1 for t in _taps(sch, 8))


@pytest.mark.parametrize("cls", [Dense, DenseResource])
@pytest.mark.parametrize("seed, rf, taps", [(1, 3, 1), (2, 5, 1), (3, 4, 2), (4, 7, 1), (5, 2, 3), (6, 9, 1)])
def test_tap_limited_dense_bit_exact(cls, seed, rf, taps):
    rng = np.random.default_rng(900 + seed)
    in_t = FixedType(10, 4, True)
    layer = random_dense(rng, "fc", "x", in_t, int(rng.integers(5, 11)), int(rng.integers(2, 6)),
                         zero_fraction=0.45, rf=rf)
    dut = cls(layer, in_t, multiplier_registers=int(rng.integers(0, 4)), operand_taps=taps)
    free = cls(layer, in_t, multiplier_registers=dut.multiplier_registers)
    free._MustUse__silence = True  # read for its counts only
    # the taps change where operands come from, not when; only the adder trees may have more terms
    # (and Resource's phase tree more levels, for more multipliers)
    def core(d):
        return d.latency - d.tree_latency - (read_cycles(d.n_multipliers, rf, d.multiplier_registers)
                                             if cls is DenseResource else 0)
    assert core(dut) == core(free) and dut.ii == rf
    assert dut.n_multipliers >= free.n_multipliers
    assert max(len(t) for t in _taps(dut.schedule, layer.n_in)) <= taps
    assert dut.pipeline["operand_taps"] == taps
    check_dense_back_to_back(dut, layer, in_t, rng, 5, seed=seed)


def test_bad_operand_taps_named():
    rng = np.random.default_rng(0)
    layer = random_dense(rng, "fc7", "x", FixedType(8, 3), 3, 2, rf=2)
    with pytest.raises(ir.RtlnnError, match=r"Dense layer 'fc7': operand_taps .* whole number >= 1 .* not 0"):
        Dense(layer, FixedType(8, 3), operand_taps=0)
    with pytest.raises(ir.RtlnnError, match=r"Model.Pipeline.OperandTaps must be a whole number >= 1"):
        validate_config({"Model": {"Pipeline": {"OperandTaps": 0}}}, make_mlp([6, 5, 3], seed=4))


@pytest.mark.parametrize("part, expected", [("LFE5U-85F-6BG381C", 1), ("xc7a100tcsg324-1", None)])
def test_auto_taps_by_family_and_config_override(tmp_path, part, expected):
    """'auto': one tap a multiplier on ECP5 at RF > 1 (the operand mux was its critical path),
    no limit on 7-series; an explicit OperandTaps wins; RF 1 layers have no taps to limit."""
    cfg = {"Model": {"Precision": "fixed<12,4>", "ReuseFactor": 4, "Strategy": "Resource"},
           "LayerName": {"fc2": {"Pipeline": {"OperandTaps": 2}}, "fc3": {"ReuseFactor": 1}}}
    g = run_passes(make_mlp([12, 8, 6, 3], seed=5), cfg)
    rm = RtlnnModel(g, cfg, tmp_path / "p", part=part, clock_period=6.667)
    layers = {entry["name"]: entry for entry in rm.report()["layers"]}
    assert layers["fc1"]["pipeline"].get("operand_taps") == expected
    assert layers["fc2"]["pipeline"]["operand_taps"] == 2
    assert "operand_taps" not in layers["fc3"]["pipeline"]


def test_long_runs_schedule_without_recursion_limits():
    """RF in the thousands (a run as long as the layer) with tap changes to spend."""
    rng = np.random.default_rng(7)
    w = _random_raw(rng, 60, 60, 0.5)
    p = int(np.count_nonzero(w))
    for rf in (1500, p):
        sch = dense_schedule(w, rf, 3)
        assert max(len(t) for t in _taps(sch, 60)) <= 3
        assert sum(1 for prod in sch.products if prod is not None and prod[2] != 0) == p
