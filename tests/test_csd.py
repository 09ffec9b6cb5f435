"""Canonical signed digits and the shared adder graph of a constant matrix-vector product."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from rtlnn.csd import build_adder_graph, csd, csd_digits, evaluate


@given(st.integers(-(1 << 70), 1 << 70))
def test_csd_is_canonical(n):
    digits = csd(n)
    assert sum(s << e for e, s in digits) == n
    shifts = [e for e, _ in digits]
    assert shifts == sorted(shifts)
    assert all(b - a >= 2 for a, b in zip(shifts, shifts[1:]))  # no two adjacent nonzero digits
    assert all(s in (-1, 1) for _, s in digits)
    assert len(digits) <= (abs(n).bit_length() + 2) // 2 + 1


def test_csd_examples():
    assert csd(0) == []
    assert csd(7) == [(0, -1), (3, 1)]  # 8 - 1
    assert csd(-3) == [(0, 1), (2, -1)]  # 1 - 4
    assert csd_digits(np.array([[7, 0], [1, -3]])) == 5


matrices = st.integers(1, 9).flatmap(lambda n: st.integers(1, 7).flatmap(lambda m: hnp.arrays(
    np.int64, (n, m), elements=st.one_of(st.just(0), st.integers(-300, 300), st.sampled_from([1, -1, 64, -128, 255])))))


@settings(max_examples=150, deadline=None)
@given(matrices, st.data(), st.booleans(), st.sampled_from([None, 1, 2, 3]))
def test_graph_is_exact(w, data, cse, max_depth):
    n_in, n_out = w.shape
    consts = data.draw(hnp.arrays(np.int64, (n_out,), elements=st.integers(-1000, 1000)))
    g = build_adder_graph(w, consts, cse=cse, max_cse_depth=max_depth)
    x = data.draw(hnp.arrays(np.int64, (5, n_in), elements=st.integers(-(1 << 20), 1 << 20)))
    expect = x.astype(object) @ w.astype(object) + consts.astype(object)
    assert (evaluate(g, x) == expect).all()
    # every adder has an unshifted positive operand, or a positive shifted one minus an unshifted one
    for add in g.adders:
        assert add.a.sign > 0 and (add.a.shift == 0 or add.b.shift == 0)
    # exact ranges: each output's range ends are its values at the inputs' extremes
    lo, hi = -(1 << 20), 1 << 20
    ranges = g.ranges([(lo, hi)] * n_in)
    for j, t in enumerate(g.outputs):
        if t is None:
            assert not w[:, j].any() and consts[j] == 0
            continue
        top = evaluate(g, np.where(w[:, j] > 0, hi, lo)[None, :])[0, j]
        bottom = evaluate(g, np.where(w[:, j] > 0, lo, hi)[None, :])[0, j]
        ends = sorted(t.sign * (v << t.shift) for v in ranges[t.var])
        assert ends == [bottom, top]


def test_sharing_saves_adders_and_keeps_depth():
    rng = np.random.default_rng(1)
    w = rng.integers(-128, 128, size=(16, 16))
    plain = build_adder_graph(w, cse=False)
    shared = build_adder_graph(w)
    assert plain.n_adders <= csd_digits(w) - 16  # equal adders are built once even without CSE
    assert shared.n_adders < 0.85 * plain.n_adders
    assert shared.max_depth <= plain.max_depth + 1
    bounded = build_adder_graph(w, max_cse_depth=1)
    assert all(d <= 1 for d in bounded.depth[:bounded.n_leaves]) and bounded.n_adders >= shared.n_adders


def test_pruned_matrix_costs_less():
    rng = np.random.default_rng(2)
    w = rng.integers(-128, 128, size=(16, 32))
    pruned = np.where(rng.random(w.shape) < 0.7, 0, w)
    full, sparse = build_adder_graph(w).n_adders, build_adder_graph(pruned).n_adders
    assert sparse < 0.45 * full  # 30% of the weights left


def test_shared_patterns_and_equal_columns():
    # two equal columns: the second output is the first one's adders, nothing new
    w = np.array([[3, 3], [5, 5], [-7, -7]])
    g = build_adder_graph(w)
    assert g.outputs[0] == g.outputs[1]
    x = np.array([[1, 2, 3], [-4, 5, -6]])
    assert (evaluate(g, x) == x @ w).all()


def test_bad_input():
    with pytest.raises(ValueError):
        build_adder_graph(np.zeros(3))
    with pytest.raises(ValueError):
        build_adder_graph(np.ones((2, 2), dtype=int), [1])
