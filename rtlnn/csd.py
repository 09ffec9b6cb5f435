"""Constant matrix-vector products as adder graphs: canonical signed digits and shared subexpressions.

Pure integer arithmetic, no hardware.  :func:`build_adder_graph` turns ``y = x @ C + c``
(``C`` an integer matrix, ``c`` integer constants) into a DAG of two-operand adders whose
operands are shifted, possibly negated, earlier values; :mod:`rtlnn.hw.shift_add` builds
it in hardware and :func:`evaluate` computes it in Python, so tests can check that the
graph is exactly ``x @ C + c`` for any integers.

1. **Recoding.**  Every coefficient is written in canonical signed digits (CSD:
   :func:`csd`): digits in {-1, 0, +1}, no two adjacent nonzero, so a ``B``-bit weight
   has at most ``ceil((B + 1) / 2)`` nonzero digits (about ``B / 3`` on average) where
   binary has up to ``B``.  Output ``j`` starts as the list of terms ``±(x_i << e)``.
2. **Sharing (two-term CSE).**  A pair of terms of one output, ``s1·(v1 << e1) +
   s2·(v2 << e2)`` with ``e1 <= e2``, is the pattern ``v1 + s1·s2·(v2 << (e2 - e1))``
   shifted by ``e1``; the same pattern occurs in many outputs (and inside one output at
   other shifts).  Greedily, the pattern with the most occurrences becomes one new adder
   and every non-overlapping occurrence becomes one term of it — the classic iterative
   two-term elimination of the multiple-constant-multiplication literature, as used by
   distributed-arithmetic compilers for neural networks.  Counts are kept incrementally
   (a replacement only changes the pairs of the terms it touches) and the best pattern is
   found with a lazily updated heap, so a 64x32 layer takes well under a second.
   A pattern is only taken while its adder's depth stays within ``max_cse_depth``, which
   bounds how much sharing may lengthen the critical path.
3. **Summation.**  The remaining terms of each output are added pairwise, the two
   shallowest first (a depth-balanced tree: a term computed deep in the graph is added
   last), so an output's depth is the smallest its terms allow.  Identical adders are
   built once (structural hashing), across outputs too.

Every adder is ``a + s·(b << d)`` with ``a`` unshifted and positive, ``s = ±1``, ``d >= 0``
— so the hardware passes the low ``d`` bits of ``a`` through and adds only above them —
or, when ``a`` would be negative, ``(b << d) - a``.  Values are exact integers; the
hardware derives each adder's width from the exact range of its linear form.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

__all__ = ["csd", "csd_digits", "Term", "Adder", "AdderGraph", "build_adder_graph", "evaluate"]


def csd(n: int) -> list[tuple[int, int]]:
    """The canonical signed-digit form of ``n``: ``[(shift, sign), ...]``, shifts ascending,
    ``n == sum(sign << shift)``, no two shifts adjacent."""
    n = int(n)
    out = []
    shift = 0
    while n:
        if n & 1:
            d = 2 - (n & 3)  # +1 when n = 1 mod 4, -1 when n = 3 mod 4
            out.append((shift, d))
            n -= d
        n >>= 1
        shift += 1
    return out


def csd_digits(values) -> int:
    """Total nonzero CSD digits of ``values`` (an integer array): the adders a graph
    without sharing needs is this minus the number of outputs."""
    return sum(len(csd(int(v))) for v in np.asarray(values).ravel() if int(v))


@dataclass(frozen=True)
class Term:
    """``sign * (var << shift)``: ``var`` indexes the graph's values (leaves, then adders)."""

    var: int
    shift: int
    sign: int


@dataclass(frozen=True)
class Adder:
    """``a + b`` over two terms; by construction ``a.shift == 0`` or ``b.shift == 0``, and
    at most one of them is negative."""

    a: Term
    b: Term


@dataclass
class AdderGraph:
    """Values ``0 .. n_leaves-1`` are the leaves (``leaf_values[k]`` is ``('x', i)`` for
    input ``i`` or ``('c', value)`` for a constant); value ``n_leaves + k`` is ``adders[k]``.
    ``outputs[j]`` is a :class:`Term` or None (the output is 0)."""

    n_inputs: int
    leaf_values: list
    adders: list = field(default_factory=list)
    outputs: list = field(default_factory=list)
    depth: list = field(default_factory=list)  # adder levels of every value

    @property
    def n_leaves(self) -> int:
        return len(self.leaf_values)

    @property
    def n_adders(self) -> int:
        return len(self.adders)

    @property
    def max_depth(self) -> int:
        outs = [self.depth[t.var] + (t.sign < 0) for t in self.outputs if t is not None]
        return max(outs, default=0)

    def linear_forms(self) -> list[tuple[dict, int]]:
        """Every value as ``({input: coefficient}, constant)``: the exact function it computes."""
        forms: list[tuple[dict, int]] = []
        for leaf in self.leaf_values:
            forms.append(({leaf[1]: 1}, 0) if leaf[0] == "x" else ({}, int(leaf[1])))
        for add in self.adders:
            coefs: dict = {}
            const = 0
            for t in (add.a, add.b):
                f, c = forms[t.var]
                k = t.sign << t.shift
                for i, v in f.items():
                    coefs[i] = coefs.get(i, 0) + k * v
                const += k * c
            forms.append(({i: v for i, v in coefs.items() if v}, const))
        return forms

    def ranges(self, input_ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        """The exact ``(lo, hi)`` of every value when input ``i`` ranges over ``input_ranges[i]``
        independently (exact because each value is a linear form)."""
        out = []
        for coefs, const in self.linear_forms():
            lo = hi = const
            for i, k in coefs.items():
                a, b = k * input_ranges[i][0], k * input_ranges[i][1]
                lo += min(a, b)
                hi += max(a, b)
            out.append((lo, hi))
        return out


#: Pattern keys are packed into one integer (fast to hash and compare): shifts below 2**_DB.
_DB = 10


def _key(t1, t2) -> int:
    """The shift-normalized pattern of two terms ``(var, shift, sign)``, packed: the lower
    term ``(v1, e1, s1)`` and the other ``(v2, e2, s2)`` give ``v1 + s1*s2*(v2 << (e2 - e1))``."""
    if (t1[1], t1[0]) > (t2[1], t2[0]):
        t1, t2 = t2, t1
    return ((((t1[0] << 24) | t2[0]) << _DB | (t2[1] - t1[1])) << 1) | (t1[2] != t2[2])


def _unkey(key: int) -> tuple[int, int, int, int]:
    neg = key & 1
    key >>= 1
    d = key & ((1 << _DB) - 1)
    key >>= _DB
    return key >> 24, key & ((1 << 24) - 1), d, -1 if neg else 1


def build_adder_graph(coefs, consts=None, *, cse: bool = True, max_cse_depth: int | None = None,
                      shareable=None) -> AdderGraph:
    """The adder graph of ``y = x @ coefs + consts`` (``coefs`` an ``(n_in, n_out)`` integer array).

    ``max_cse_depth`` bounds the depth of shared subexpressions (None: unbounded).
    ``shareable`` (optional ``(n_in,)`` booleans) excludes inputs from sharing.
    """
    C = np.asarray(coefs, dtype=object)
    if C.ndim != 2:
        raise ValueError(f"coefs must be a 2-D (n_in, n_out) integer array, not shape {C.shape}")
    n_in, n_out = C.shape
    consts = [0] * n_out if consts is None else [int(v) for v in consts]
    if len(consts) != n_out:
        raise ValueError(f"{len(consts)} constants for {n_out} outputs")
    g = AdderGraph(n_in, [("x", i) for i in range(n_in)])
    const_leaf = {}
    for c in consts:
        if c and c not in const_leaf:
            const_leaf[c] = len(g.leaf_values)
            g.leaf_values.append(("c", c))
    g.depth = [0] * len(g.leaf_values)
    no_share = set(const_leaf.values())
    if shareable is not None:
        no_share |= {i for i in range(n_in) if not shareable[i]}

    # terms[j]: {(var, shift): sign}
    terms = []
    for j in range(n_out):
        tj = {}
        for i in range(n_in):
            for shift, sign in csd(int(C[i, j])):
                tj[(i, shift)] = sign
        if consts[j]:
            tj[(const_leaf[consts[j]], 0)] = 1
        terms.append(tj)

    if cse:
        _eliminate(g, terms, no_share, max_cse_depth)

    memo: dict = {}
    g.outputs = [_sum_terms(g, tj, memo) for tj in terms]
    return g


def _pairs_of(tj, no_share):
    items = [(v, e, s) for (v, e), s in tj.items() if v not in no_share]
    for a in range(len(items)):
        ta = items[a]
        for b in range(a + 1, len(items)):
            yield _key(ta, items[b])


def _eliminate(g: AdderGraph, terms: list[dict], no_share: set, max_depth: int | None) -> None:
    """Greedy two-term common subexpression elimination, in place on ``terms``."""
    count: dict = {}
    where: dict = {}  # key -> set of outputs holding it
    for j, tj in enumerate(terms):
        for key in _pairs_of(tj, no_share):
            count[key] = count.get(key, 0) + 1
            where.setdefault(key, set()).add(j)
    heap = [(-n, key) for key, n in count.items() if n >= 2]
    heapq.heapify(heap)

    push = heapq.heappush

    def touch(tj, j, term, delta):
        """Count the pairs of ``term`` with every other term of output ``j`` up or down."""
        v, e, s = term
        if v in no_share:
            return
        for (v2, e2), s2 in tj.items():
            if v2 in no_share or (v2 == v and e2 == e):
                continue
            if (e, v) < (e2, v2):  # inline _key: the lower term first
                key = ((((v << 24) | v2) << _DB | (e2 - e)) << 1) | (s != s2)
            else:
                key = ((((v2 << 24) | v) << _DB | (e - e2)) << 1) | (s != s2)
            n = count.get(key, 0) + delta
            if delta > 0:
                count[key] = n
                ws = where.get(key)
                if ws is None:
                    where[key] = {j}
                else:
                    ws.add(j)
                if n >= 2:
                    push(heap, (-n, key))
            elif n:
                count[key] = n
            else:
                del count[key]

    while heap:
        negn, key = heapq.heappop(heap)
        n = count.get(key, 0)
        if n != -negn:  # stale: stored counts only ever overestimate; requeue the true one
            if n >= 2:
                heapq.heappush(heap, (-n, key))
            continue
        v1, v2, d, s = _unkey(key)
        depth = max(g.depth[v1], g.depth[v2]) + 1
        if max_depth is not None and depth > max_depth:
            continue  # never valid again: depths of existing values do not change
        new = g.n_leaves + len(g.adders)
        g.adders.append(Adder(Term(v1, 0, 1), Term(v2, d, s)))
        g.depth.append(depth)
        found = False
        for j in sorted(where.get(key, ())):
            tj = terms[j]
            for (v, e), sign in sorted(tj.items()):
                if v != v1 or (v, e) not in tj:
                    continue
                other = (v2, e + d)
                if other not in tj or tj[other] != sign * s or other == (v, e):
                    continue
                s_other = tj[other]
                # remove both terms (and their pairs), add the new one
                for dead in ((v, e, sign), (v2, e + d, s_other)):  # their pair is dropped once
                    del tj[(dead[0], dead[1])]
                    touch(tj, j, dead, -1)
                tj[(new, e)] = sign
                touch(tj, j, (new, e, sign), +1)
                found = True
        if not found:  # cannot happen (counts are exact); guard against an unused adder
            g.adders.pop()
            g.depth.pop()
            count.pop(key, None)


def _sum_terms(g: AdderGraph, tj: dict, memo: dict):
    """One output's terms summed two at a time, shallowest first: its final :class:`Term`."""
    if not tj:
        return None
    heap = [(g.depth[v], n, Term(v, e, s)) for n, ((v, e), s) in enumerate(sorted(tj.items()))]
    heapq.heapify(heap)
    order = len(heap)
    while len(heap) > 1:
        da, _, a = heapq.heappop(heap)
        db, _, b = heapq.heappop(heap)
        m = min(a.shift, b.shift)
        a, b = Term(a.var, a.shift - m, a.sign), Term(b.var, b.shift - m, b.sign)
        # first operand: positive and unshifted when possible
        cands = sorted([(a, b), (b, a)], key=lambda p: (p[0].sign < 0, p[0].shift != 0, p[0].var))
        first, second = cands[0]
        sign = first.sign
        node = Adder(Term(first.var, first.shift, 1), Term(second.var, second.shift, second.sign * sign))
        var = memo.get(node)
        if var is None:
            var = g.n_leaves + len(g.adders)
            g.adders.append(node)
            g.depth.append(max(da, db) + 1)
            memo[node] = var
        heapq.heappush(heap, (g.depth[var], order, Term(var, m, sign)))
        order += 1
    return heap[0][2]


def evaluate(g: AdderGraph, x) -> np.ndarray:
    """The graph on integer inputs ``x`` (``(batch, n_in)``): ``(batch, n_out)`` exact integers."""
    x = np.asarray(x, dtype=object)
    batch = x.shape[0]
    vals = []
    for leaf in g.leaf_values:
        vals.append(x[:, leaf[1]] if leaf[0] == "x" else np.full(batch, int(leaf[1]), dtype=object))

    def term(t):
        return vals[t.var] * (t.sign << t.shift)

    for add in g.adders:
        vals.append(term(add.a) + term(add.b))
    out = np.zeros((batch, len(g.outputs)), dtype=object)
    for j, t in enumerate(g.outputs):
        if t is not None:
            out[:, j] = term(t)
    return out
