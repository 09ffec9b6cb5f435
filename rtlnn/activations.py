"""The arithmetic of Activation, PReLU and Softmax layers on raw integers.

One *plan* per layer and input type (:func:`activation_plan`, :func:`prelu_plan`,
:func:`softmax_plan`) holds every constant, table and bit width; the emulator calls the
plan's ``apply`` and the hardware generators (:mod:`rtlnn.hw.activation`,
:mod:`rtlnn.hw.softmax`) build exactly the same steps from the same plan, so they agree bit
for bit.

Activation functions (``params`` by Keras name, quantized to ``param_t``):

* comparator / piecewise-linear, no table, combinational in hardware:
  ``linear``; ``relu`` with optional ``max_value``, ``negative_slope``, ``threshold``
  (Keras ``ReLU``: ``max_value`` where ``x >= max_value``, ``x`` where ``x >= threshold``,
  else ``negative_slope * (x - threshold)``); ``relu6``; ``leaky_relu`` (``alpha``);
  ``thresholded_relu`` (``theta``: ``x`` where ``x > theta``, else 0); ``hard_sigmoid``
  (``clip(slope * x + shift, 0, 1)``, Keras 3's ``slope`` 1/6 and ``shift`` 0.5 by default);
  ``hard_tanh`` (``clip(x, -1, 1)``).  Every product and sum is exact; one cast to
  ``result_t`` at the end.
* table-driven (a ROM, see :mod:`rtlnn.tables`): ``sigmoid``, ``tanh``, ``softsign``,
  ``softplus``, ``elu`` (``alpha``), ``selu``.  The table is stored already cast to
  ``result_t``.  ``softplus``, ``elu`` and ``selu`` are linear above the table's range
  (``x``, ``x`` and ``scale * x``): there the output is that linear function, exact, then
  cast, instead of the last entry.

``param_t`` left unset is chosen from the values: 18 bits, signed, RND/SAT, with the integer
bits the largest magnitude needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .arith import exact_type, product_type
from .fixed import FixedType, Overflow, Rounding, parse_type, raw_array
from .ir import Activation, PReLU, RtlnnError, Softmax
from .tables import DEFAULT_TABLE_SIZE, DEFAULT_TABLE_T, TableIndex, table_index, table_values

__all__ = ["FUNCTIONS", "TABLE_FUNCTIONS", "PIECEWISE_FUNCTIONS", "SOFTMAX_IMPLEMENTATIONS", "auto_param_type",
           "activation_plan", "prelu_plan", "softmax_plan", "ReluPlan", "ClipPlan", "TablePlan", "CastPlan",
           "PReluPlan", "SoftmaxPlan", "DEFAULT_RANGES", "SELU_ALPHA", "SELU_SCALE"]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

#: function -> {param: default}
PIECEWISE_FUNCTIONS = {
    "linear": {},
    "relu": {"max_value": None, "negative_slope": 0.0, "threshold": 0.0},
    "relu6": {},
    "leaky_relu": {"alpha": 0.3},
    "thresholded_relu": {"theta": 1.0},
    "hard_sigmoid": {"slope": 1.0 / 6.0, "shift": 0.5},
    "hard_tanh": {},
}
TABLE_FUNCTIONS = {
    "sigmoid": {},
    "tanh": {},
    "softsign": {},
    "softplus": {},
    "elu": {"alpha": 1.0},
    "selu": {},
}
FUNCTIONS = tuple(PIECEWISE_FUNCTIONS) + tuple(TABLE_FUNCTIONS)
#: Default input range [lo, hi) of each table (as hls4ml: tanh over [-4, 4), the rest [-8, 8)).
DEFAULT_RANGES = {"sigmoid": (-8, 8), "tanh": (-4, 4), "softsign": (-8, 8), "softplus": (-8, 8),
                  "elu": (-8, 0), "selu": (-8, 0)}
SOFTMAX_IMPLEMENTATIONS = ("stable", "latency", "legacy", "argmax")
#: Default exp-table input ranges of softmax (stable: x - max in [-8, 0]).
SOFTMAX_RANGES = {"stable": (-8, 0), "latency": (-8, 8), "legacy": (-8, 8)}
SOFTMAX_EXP_T = {"stable": "ufixed<18,1,RND,SAT>", "latency": DEFAULT_TABLE_T, "legacy": DEFAULT_TABLE_T}
SOFTMAX_INV_T = "ufixed<18,1,RND,SAT>"


def _table_fn(function: str, params: dict):
    if function == "sigmoid":
        return lambda x: 1.0 / (1.0 + np.exp(-x))
    if function == "tanh":
        return np.tanh
    if function == "softsign":
        return lambda x: x / (1.0 + np.abs(x))
    if function == "softplus":
        return lambda x: np.logaddexp(0.0, x)
    if function == "elu":
        a = float(params["alpha"])
        return lambda x: np.where(x >= 0, x, a * np.expm1(np.minimum(x, 0)))
    if function == "selu":
        return lambda x: SELU_SCALE * np.where(x >= 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))
    raise AssertionError(function)


def auto_param_type(values) -> FixedType:
    """18 bits, signed, RND/SAT, with as many integer bits as the largest ``|value|`` needs."""
    vals = [abs(float(v)) for v in np.ravel(values) if v is not None]
    big = max(vals, default=0.0)
    integer = 1 if big == 0 else math.floor(math.log2(big)) + 2
    return FixedType(18, integer, True, Rounding.RND, Overflow.SAT)


def _where(layer) -> str:
    return f"{layer.kind} layer {layer.name!r}"


def _need_types(where: str, **types) -> None:
    for what, t in types.items():
        if not isinstance(t, FixedType):
            raise RtlnnError(f"{where}: {what} must be a FixedType, not {t!r}; run the precision passes first")


def _big(*widths) -> bool:
    return sum(widths) + 4 > 62


def _shl(raw, bits: int):
    """``raw * 2**bits`` for ``bits >= 0`` (exact, object arrays past int64)."""
    return raw * (1 << bits) if bits else raw


def resolved_params(layer: Activation) -> dict:
    """The layer's params with defaults filled, unknown ones rejected."""
    where = _where(layer)
    fn = layer.function
    spec = PIECEWISE_FUNCTIONS.get(fn, TABLE_FUNCTIONS.get(fn))
    if spec is None:
        raise RtlnnError(f"{where}: activation {fn!r} is not supported; supported: {', '.join(FUNCTIONS)} "
                         "(and softmax as a Softmax layer)")
    params = dict(layer.params or {})
    unknown = set(params) - set(spec)
    if unknown:
        raise RtlnnError(f"{where}: activation {fn!r} takes no parameter(s) {sorted(unknown)}; "
                         f"its parameters: {', '.join(spec) or 'none'}")
    out = {k: params.get(k, d) for k, d in spec.items()}
    for k, v in out.items():
        if v is not None and not (isinstance(v, (int, float, np.integer, np.floating)) and math.isfinite(float(v))):
            raise RtlnnError(f"{where}: parameter {k} = {v!r} must be a finite number")
    if fn == "relu6":
        out = {"max_value": 6.0, "negative_slope": 0.0, "threshold": 0.0}
    return out


def activation_param_values(layer: Activation) -> list:
    """The constants of an Activation that get quantized to ``param_t`` (for the automatic type)."""
    if layer.function in TABLE_FUNCTIONS:
        return [SELU_SCALE] if layer.function == "selu" else []
    return [v for v in resolved_params(layer).values() if v is not None]


# --------------------------------------------------------------------------- plans
@dataclass(frozen=True)
class CastPlan:
    """``linear``: the cast alone."""

    in_t: FixedType
    result_t: FixedType

    def apply(self, x):
        return self.result_t.cast(x, self.in_t)


@dataclass(frozen=True)
class ReluPlan:
    """The relu family on raw integers.

    ``x`` aligned to ``frac`` fractional bits (``up`` = left shift) is compared with
    ``threshold`` (``>`` when ``strict``) and ``max_value`` (both at ``frac``); the selected
    branch is expressed at ``out_frac`` = ``frac + slope_frac``: ``max_value``, ``x``, or
    ``slope * (x - threshold)`` (``slope`` raw at ``slope_frac`` fractional bits; 0 costs
    nothing); ``src_t`` is the exact type of that value, cast once to ``result_t``.
    """

    in_t: FixedType
    result_t: FixedType
    up: int
    threshold: int
    strict: bool
    max_value: int | None
    slope: int
    slope_frac: int
    src_t: FixedType

    @property
    def wide(self) -> bool:
        return _big(self.in_t.width, self.up, self.slope_frac, max(self.slope.bit_length(), 1) + 1)

    def apply(self, x):
        x = raw_array(x)
        if self.wide:
            x = x.astype(object)
        xf = _shl(x, self.up)
        keep = xf > self.threshold if self.strict else xf >= self.threshold
        y = np.where(keep, _shl(xf, self.slope_frac), self.slope * (xf - self.threshold))
        if self.max_value is not None:
            y = np.where(xf >= self.max_value, self.max_value << self.slope_frac, y)
        return self.result_t.cast(y, self.src_t)


@dataclass(frozen=True)
class ClipPlan:
    """``clip(slope * x + shift, lo, hi)``: ``slope`` raw at ``slope_frac`` (None: 1), the
    product at ``in_t.frac + slope_frac`` shifted left by ``up`` to ``out_frac``, where
    ``shift``, ``lo`` and ``hi`` are raw; ``src_t`` is the exact type of the result."""

    in_t: FixedType
    result_t: FixedType
    slope: int | None
    slope_frac: int
    up: int
    shift: int
    lo: int
    hi: int
    src_t: FixedType

    def apply(self, x):
        x = raw_array(x)
        if _big(self.in_t.width, self.slope_frac, self.up, 20):
            x = x.astype(object)
        p = x * self.slope if self.slope is not None else x
        y = _shl(p, self.up) + self.shift
        y = np.where(y < self.lo, self.lo, np.where(y > self.hi, self.hi, y))
        return self.result_t.cast(y, self.src_t)


@dataclass(frozen=True)
class TablePlan:
    """A table lookup, ``rom`` already in ``result_t``; at or above ``linear_from`` (raw ``x``),
    the output is ``x`` (``slope`` None) or ``x * slope`` (raw of ``slope_t``) cast to ``result_t``."""

    in_t: FixedType
    result_t: FixedType
    index: TableIndex
    table_t: FixedType
    rom: np.ndarray = field(compare=False)
    linear_from: int | None = None
    slope: int | None = None
    slope_t: FixedType | None = None

    def linear(self, x):
        if self.slope is None:
            return self.result_t.cast(x, self.in_t)
        pt = product_type(self.in_t, self.slope_t)
        xs = x.astype(object) if pt.width > 60 else x
        return self.result_t.cast(xs * self.slope, pt)

    def apply(self, x):
        x = raw_array(x)
        y = self.rom[self.index.raw(x)]
        if self.linear_from is not None:
            y = np.where(x >= self.linear_from, self.linear(x), y)
        return raw_array(y)


def _align(value: Fraction, frac: int) -> int:
    v = value * (Fraction(2) ** frac)
    assert v.denominator == 1
    return int(v)


def _quant(t: FixedType, v) -> Fraction:
    """The exact value of ``v`` quantized to ``t``."""
    raw = int(t.quantize(float(v)))
    return Fraction(raw) * (Fraction(2) ** -t.frac)


def activation_plan(layer: Activation, in_t: FixedType) -> "CastPlan | ReluPlan | ClipPlan | TablePlan":
    """The arithmetic of one Activation layer for inputs of ``in_t`` (validated)."""
    where = _where(layer)
    params = resolved_params(layer)
    fn = layer.function
    _need_types(where, **{"input type": in_t, "result_t": layer.result_t})
    res = layer.result_t
    if fn == "linear":
        return CastPlan(in_t, res)
    if fn in TABLE_FUNCTIONS:
        return _table_plan(layer, in_t, params)
    pt = layer.param_t
    if pt is None:
        pt = auto_param_type([v for v in params.values() if v is not None])
    _need_types(where, param_t=pt)
    pe = max(pt.frac, 0)  # fractional bits of the slope as an integer multiplier
    if fn in ("relu", "relu6", "leaky_relu", "thresholded_relu"):
        if fn == "leaky_relu":
            thr, strict, mx, slope = 0.0, False, None, params["alpha"]
        elif fn == "thresholded_relu":
            thr, strict, mx, slope = params["theta"], True, None, 0.0
        else:
            thr, strict, mx, slope = params["threshold"], False, params["max_value"], params["negative_slope"]
        frac = max(in_t.frac, pt.frac)
        thr_q = _align(_quant(pt, thr), frac) if thr else 0
        mx_q = _align(_quant(pt, mx), frac) if mx is not None else None
        slope_q = _quant(pt, slope) if slope else Fraction(0)
        slope_raw = _align(slope_q, pe)
        up = frac - in_t.frac
        lo_x, hi_x = in_t.min_raw << up, in_t.max_raw << up
        cands = [0, lo_x << pe, hi_x << pe, slope_raw * (lo_x - thr_q), slope_raw * (hi_x - thr_q)]
        if mx_q is not None:
            cands.append(mx_q << pe)
        src_t = exact_type(min(cands), max(cands), frac + pe)
        return ReluPlan(in_t, res, up, thr_q, strict, mx_q, slope_raw, pe, src_t)
    # hard_sigmoid, hard_tanh: clip(slope * x + shift, lo, hi)
    if fn == "hard_tanh":
        slope_raw, shift_q, lo_v, hi_v = None, Fraction(0), -1, 1
        base = in_t.frac
    else:
        slope_raw = _align(_quant(pt, params["slope"]), pe)
        shift_q, lo_v, hi_v = _quant(pt, params["shift"]), 0, 1
        base = in_t.frac + pe
    out_frac = max(base, pt.frac if fn == "hard_sigmoid" else 0, 0)
    up = out_frac - base
    shift = _align(shift_q, out_frac)
    lo, hi = lo_v << out_frac, hi_v << out_frac
    src_t = exact_type(min(lo, 0), max(hi, 0), out_frac)
    return ClipPlan(in_t, res, slope_raw, pe, up, shift, lo, hi, src_t)


def _table_plan(layer: Activation, in_t: FixedType, params: dict) -> TablePlan:
    where = _where(layer)
    fn = layer.function
    table_t = layer.table_t if layer.table_t is not None else parse_type(DEFAULT_TABLE_T)
    _need_types(where, table_t=table_t)
    size = layer.table_size if layer.table_size is not None else DEFAULT_TABLE_SIZE
    lo, hi = layer.table_range if layer.table_range is not None else DEFAULT_RANGES[fn]
    index = table_index(in_t, lo, hi, size, where)
    table = table_values(_table_fn(fn, params), index, table_t)
    rom = layer.result_t.cast(table, table_t)
    linear_from = slope = slope_t = None
    if fn in ("softplus", "elu", "selu"):
        start = math.ceil(Fraction(hi) * (Fraction(2) ** in_t.frac))
        if start <= in_t.max_raw:
            linear_from = max(start, in_t.min_raw)
            if fn == "selu":
                slope_t = layer.param_t if layer.param_t is not None else auto_param_type([SELU_SCALE])
                _need_types(where, param_t=slope_t)
                slope = int(slope_t.quantize(SELU_SCALE))
    return TablePlan(in_t, layer.result_t, index, table_t, raw_array(rom), linear_from, slope, slope_t)


# --------------------------------------------------------------------------- PReLU
@dataclass(frozen=True)
class PReluPlan:
    """``x`` where ``x >= 0`` else ``alpha_k * x``; ``alpha`` raw of ``param_t`` per element
    (flattened); the value at ``in_t.frac + pe`` (``x`` shifted left by ``pe``), exact in ``src_t``."""

    in_t: FixedType
    result_t: FixedType
    alpha: tuple
    pe: int
    src_t: FixedType

    def apply(self, x):
        x = raw_array(x)
        shape = x.shape
        flat = x.reshape(shape[0], -1)
        if _big(self.in_t.width, self.pe, max(abs(a) for a in self.alpha).bit_length() + 1):
            flat = flat.astype(object)
        a = np.array(self.alpha, dtype=flat.dtype)
        y = np.where(flat >= 0, _shl(flat, self.pe), flat * a[None, :])
        return self.result_t.cast(y, self.src_t).reshape(shape)


def prelu_plan(layer: PReLU, in_t: FixedType) -> PReluPlan:
    where = _where(layer)
    _need_types(where, **{"input type": in_t, "result_t": layer.result_t})
    try:
        alpha = np.broadcast_to(np.asarray(layer.alpha, dtype=np.float64), layer.shape).ravel()
    except ValueError:
        raise RtlnnError(f"{where}: alpha of shape {np.shape(layer.alpha)} does not broadcast to the layer's "
                         f"shape {layer.shape}") from None
    pt = layer.param_t if layer.param_t is not None else auto_param_type(alpha)
    _need_types(where, param_t=pt)
    pe = max(pt.frac, 0)
    raw = [int(v) << (pe - pt.frac) for v in np.ravel(pt.quantize(alpha))]
    cands = [0, in_t.max_raw << pe] + [a * in_t.min_raw for a in raw]
    src_t = exact_type(min(cands), max(cands), in_t.frac + pe)
    return PReluPlan(in_t, layer.result_t, tuple(raw), pe, src_t)


# --------------------------------------------------------------------------- Softmax
@dataclass(frozen=True)
class SoftmaxPlan:
    """Everything a softmax computes, for ``n`` inputs of ``in_t`` (see :func:`softmax_plan`).

    stable:  ``e_i = EXP[idx(x_i - max x)]``;  latency: ``e_i = EXP[idx(x_i)]``;
    legacy:  ``S_i = 1 + sum_{j != i} EXP[idx(x_j - x_i)]``, numerator 1;
    then ``S = sum e`` (exact, unsigned ``sum_width`` bits), ``p`` = position of its leading one
    (0 when ``S == 0``), ``m`` = the ``inv_bits`` bits below it (the mantissa index),
    ``y_i = (num_i * INV[m]) << (sum_width - 1 - p)``, exact in ``y_t``, cast to ``result_t``.
    argmax: ``y`` is 1 (``one``, raw of ``result_t``) at the first largest input, else 0.
    """

    implementation: str
    n: int
    in_t: FixedType
    result_t: FixedType
    exp_index: TableIndex | None = None
    exp_t: FixedType | None = None
    exp_rom: np.ndarray | None = field(default=None, compare=False)
    inv_t: FixedType | None = None
    inv_bits: int = 0
    inv_rom: np.ndarray | None = field(default=None, compare=False)
    sum_width: int = 0
    legacy_one: int = 0  # 1.0 as a raw exp_t value (legacy)
    y_t: FixedType | None = None
    one: int = 0  # argmax

    def reciprocal_parts(self, s):
        """(p, mantissa index) of raw sums ``s`` (non-negative integer array)."""
        s = raw_array(s)
        W, k = self.sum_width, self.inv_bits
        p = np.zeros(s.shape, dtype=np.int64)
        for b in range(1, W):
            p = np.where((s >> b) > 0, b, p)
        norm = s * (np.int64(1) << (W - 1 - p)) if W < 62 else s.astype(object) * (1 << (W - 1 - p).astype(object))
        if W - 1 >= k:
            idx = (norm >> (W - 1 - k)) & ((1 << k) - 1)
        else:
            idx = (norm << (k - W + 1)) & ((1 << k) - 1)
        return p, np.asarray(idx, dtype=np.int64)

    def apply(self, x):
        x = raw_array(x)
        batch = x.shape[0]
        if self.implementation == "argmax":
            y = np.zeros(x.shape, dtype=np.int64)
            y[np.arange(batch), np.argmax(x, axis=1)] = self.one
            return y
        if self.implementation == "stable":
            d = x - x.max(axis=1, keepdims=True)
            e = self.exp_rom[self.exp_index.raw(d)]
            s = e.sum(axis=1, keepdims=True)
            num = e
        elif self.implementation == "latency":
            e = self.exp_rom[self.exp_index.raw(x)]
            s = e.sum(axis=1, keepdims=True)
            num = e
        else:  # legacy
            d = x[:, None, :] - x[:, :, None]  # d[b, i, j] = x_j - x_i
            e = self.exp_rom[self.exp_index.raw(d)]
            eye = np.eye(self.n, dtype=bool)[None]
            s = np.where(eye, 0, e).sum(axis=2) + self.legacy_one
            num = np.full(x.shape, self.legacy_one, dtype=np.int64)
        p, m = self.reciprocal_parts(s)
        inv = self.inv_rom[m]
        shift = self.sum_width - 1 - p
        wide = _big(self.y_t.width)
        num, inv = (num.astype(object), inv.astype(object)) if wide else (num, inv)
        shift = shift.astype(object) if wide else shift
        y = (num * inv) * (np.int64(1) << shift if not wide else 2 ** shift)
        return self.result_t.cast(y, self.y_t)


def softmax_plan(layer: Softmax, in_t: FixedType, n: int) -> SoftmaxPlan:
    where = _where(layer)
    impl = layer.implementation
    if impl not in SOFTMAX_IMPLEMENTATIONS:
        raise RtlnnError(f"{where}: implementation {impl!r} is not one of {', '.join(SOFTMAX_IMPLEMENTATIONS)}; "
                         "set LayerName.<layer>.implementation accordingly")
    _need_types(where, **{"input type": in_t, "result_t": layer.result_t})
    res = layer.result_t
    if impl == "argmax":
        one = res.quantize(1.0)
        if float(res.to_float(one)) != 1.0:
            raise RtlnnError(f"{where}: argmax outputs 1.0, which result_t {res} cannot hold; give the result "
                             "at least one integer bit above the sign (e.g. ufixed<1,1> or fixed<2,2>)")
        return SoftmaxPlan(impl, n, in_t, res, one=int(one))
    exp_t = layer.exp_table_t if layer.exp_table_t is not None else parse_type(SOFTMAX_EXP_T[impl])
    inv_t = layer.inv_table_t if layer.inv_table_t is not None else parse_type(SOFTMAX_INV_T)
    _need_types(where, exp_table_t=exp_t, inv_table_t=inv_t)
    size = layer.table_size if layer.table_size is not None else DEFAULT_TABLE_SIZE
    lo, hi = layer.table_range if layer.table_range is not None else SOFTMAX_RANGES[impl]
    frac = in_t.frac
    span_lo, span_hi = in_t.min_raw - in_t.max_raw, in_t.max_raw - in_t.min_raw
    if impl == "stable":
        if Fraction(hi) != 0:
            raise RtlnnError(f"{where}: the stable softmax's table_range covers x - max(x) <= 0, so it must end at "
                             f"0, not {hi}; give [lo, 0] such as [-8, 0]")
        d_t = exact_type(span_lo, 0, frac)
        step = (Fraction(hi) - Fraction(lo)) / max(int(size), 1)
        # centred bins: entry i holds exp(lo + (i + 1) * step), the last one exp(0) = 1
        index = table_index(d_t, Fraction(lo) + step / 2, Fraction(hi) + step / 2, size, where)
    elif impl == "latency":
        index = table_index(in_t, lo, hi, size, where)
    else:
        index = table_index(exact_type(span_lo, span_hi, frac), lo, hi, size, where)
    exp_rom = table_values(np.exp, index, exp_t)
    if np.any(exp_rom < 0):
        raise RtlnnError(f"{where}: exp_table_t {exp_t} cannot hold the exponentials of its table range "
                         f"[{lo}, {hi}] (they wrap to negative values); use a SAT type or more integer bits")
    k = index.size.bit_length() - 1
    m = 1.0 + (np.arange(index.size) + 0.5) / index.size
    inv_rom = inv_t.quantize(1.0 / m)
    if np.any(inv_rom <= 0):
        raise RtlnnError(f"{where}: inv_table_t {inv_t} cannot hold 1/m for m in [1, 2); it needs values in "
                         "(0.5, 1], e.g. ufixed<18,1,RND,SAT>")
    legacy_one = 0
    if impl == "legacy":
        if exp_t.frac < 0:
            raise RtlnnError(f"{where}: the legacy softmax adds exp(0) = 1, which exp_table_t {exp_t} cannot hold "
                             "exactly; give it at least 0 fractional bits")
        legacy_one = 1 << exp_t.frac
        bound = (n - 1) * int(exp_rom.max()) + legacy_one
        num_max = legacy_one
    else:
        bound = n * int(exp_rom.max())
        num_max = int(exp_rom.max())
    W = max(int(bound).bit_length(), 1)
    y_max = num_max * int(inv_rom.max()) << (W - 1)
    y_t = exact_type(0, y_max, inv_t.frac + W - 1)
    return SoftmaxPlan(impl, n, in_t, res, index, exp_t, raw_array(exp_rom), inv_t, k, raw_array(inv_rom), W,
                       legacy_one, y_t)
