"""The compressor tree (rtlnn/hw/compressor_tree.py): plans that shrink as counters say, and
hardware that computes the sum modulo 2**width for any terms, checked vector by vector."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.hdl import Module, Signal, signed, unsigned
from amaranth.sim import Simulator
from cells import truth_table_cell
from graphs import make_mlp
from hypothesis import given, settings
from hypothesis import strategies as st

from rtlnn.hw.compressor_tree import (
    HeapTerm,
    cell_levels,
    compress,
    counter_inputs,
    final_sum,
    leaf_rows,
    plan_heap,
)
from rtlnn.hw.xilinx_cells import SIMULATION_MODELS_FILE
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes


def _heap_module(plan, leaf_shapes, cells=False):
    """Every level combinational (a signal each, as ShiftAddDense makes them): leaves in, the sum out."""
    m = Module()
    lut = (lambda init, inputs: truth_table_cell(m, init, inputs)) if cells else None
    leaves = [Signal(s, name=f"x{i}") for i, s in enumerate(leaf_shapes)]
    v = leaf_rows(plan, leaves, lut)
    for level in range(1, len(plan.levels)):
        sig = Signal(len(v), name=f"level{level - 1}")
        m.d.comb += sig.eq(v)
        v = compress(plan, level, sig, lut)
    out = Signal(plan.width)
    m.d.comb += out.eq(final_sum(plan, v))
    return m, leaves, out


def _simulate(m, leaves, out, vectors):
    got = []

    async def bench(ctx):
        for vec in vectors:
            for s, x in zip(leaves, vec):
                ctx.set(s, x)
            got.append(ctx.get(out))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    return got


@st.composite
def heaps(draw):
    n_leaves = draw(st.integers(1, 5))
    leaves = [(draw(st.integers(1, 9)), draw(st.booleans())) for _ in range(n_leaves)]  # (width, signed)
    terms = [HeapTerm(i, draw(st.integers(0, 12)), draw(st.sampled_from([1, -1])), *leaves[i])
             for i in draw(st.lists(st.integers(0, n_leaves - 1), min_size=0, max_size=40))]
    return leaves, terms, draw(st.integers(-5000, 5000)), draw(st.integers(1, 24)), draw(st.sampled_from([3, 6]))


@settings(max_examples=60, deadline=None)
@given(heaps(), st.integers(0, 2**32 - 1), st.booleans())
def test_heap_is_the_sum_modulo_its_width(heap, seed, cells):
    """With counters as logic or as LUT cells (truth tables that also fold level 0's inversions
    and constant row)."""
    leaves, terms, constant, width, k = heap
    plan = plan_heap(terms, constant, width, k)
    assert len(plan.final_rows) <= 2
    shapes = [signed(w) if s else unsigned(w) for w, s in leaves]
    m, sigs, out = _heap_module(plan, shapes, cells)
    rng = np.random.default_rng(seed)
    vectors = []
    for _ in range(12):
        vectors.append([int(rng.integers(-(1 << (w - 1)) if s else 0, (1 << (w - 1)) if s else (1 << w)))
                        for w, s in leaves])
    vectors.append([-(1 << (w - 1)) if s else (1 << w) - 1 for w, s in leaves])  # the extremes
    got = _simulate(m, sigs, out, vectors)
    for vec, g in zip(vectors, got):
        want = (constant + sum(t.sign * (vec[t.leaf] << t.shift) for t in terms)) % (1 << width)
        assert g == want, (vec, g, want)


def test_levels_halve_with_6_3_counters_and_shrink_by_thirds_with_full_adders():
    terms = [HeapTerm(i % 16, i % 8, 1, 16, False) for i in range(170)]
    six = plan_heap(terms, 0, 26, counter_inputs(6))
    three = plan_heap(terms, 0, 26, counter_inputs(4))
    assert [len(rows) for rows in six.levels] == [170, 86, 44, 23, 12, 6, 3, 2]  # 6 rows -> 3, a last group of 2 passes
    assert len(three.levels[1]) == 114 and three.n_levels == 12  # 114, 76, 51, 34, 23, 16, 11, 8, 6, 4, 3, 2
    assert six.k == 6 and three.k == 3


def test_signed_terms_fold_their_sign_bits_into_one_constant_row():
    # -(x << 2) with x signed 4-bit: the low three bits go in inverted, the sign bit as it is
    plan = plan_heap([HeapTerm(0, 2, -1, 4, True)], 0, 8, 6)
    assert plan.terms[0].inverted(0) and not plan.terms[0].inverted(3)
    assert plan.constant == (-(0b111 << 2)) % 256
    assert plan.constant_row is not None and plan.constant_row.offset == 2
    assert plan_heap([HeapTerm(0, 9, 1, 4, True)], 0, 8, 6).terms == ()  # a term above the width is 0


@pytest.mark.parametrize("part", ["xc7a35tcpg236-1", "LFE5U-85F-6BG381C"])
def test_network_with_compressor_trees_is_bit_exact_in_verilator(tmp_path, part):
    """A ReLU MLP whose ShiftAdd layers add with compressor trees (6:3 counters as LUT cells on
    7-series, full adders as logic on ECP5): every output of 300 vectors equals the emulator's, at
    the reported latency."""
    graph = make_mlp([8, 6, 3], seed=3, zero_fraction=0.2)
    config = {"Model": {"Precision": {"default": "fixed<12,4>", "weight": "fixed<8,3>", "bias": "fixed<8,3>"},
                        "Strategy": "ShiftAdd", "Pipeline": {"Summation": "CompressorTree"}}}
    rm = RtlnnModel(run_passes(graph, config), config, tmp_path / "prj", part=part, clock_period=5.0)
    dense = [l for l in rm.design.layers if l.kind == "Dense"]
    assert all("compressor tree" in l.strategy_reason for l in dense)
    sim = rm.simulate(n_vectors=300, gaps=True)
    assert sim.mismatches == 0 and sim.passed
    assert sim.latency_cycles == rm.latency_cycles and sim.ii == 1
    # 7-series counters are LUT cells, simulated from the models in tb/ (not in rtl/, which synthesis reads)
    xilinx = part.startswith("xc7")
    assert all(cell_levels(h) >= 2 for l in dense for h in rm.design._nodes[l.name].component.heaps)
    rtl = "".join(p.read_text() for p in (rm.output_dir / "rtl").glob("*.v"))
    assert ("LUT6 #(" in rtl) == xilinx
    assert (rm.output_dir / "tb" / SIMULATION_MODELS_FILE).is_file() == xilinx
