"""QKeras quantizers and layers, read from their configs alone (QKeras is never imported).

Each quantizer is parsed from either form QKeras writes — a dict ``{"class_name":
"quantized_bits", "config": {...}}`` (Keras-2 JSON, qkeras-v3 ``.keras``) or a string such as
``"quantized_relu(6)"`` (``QActivation`` in Keras-2 JSON, ``activation=`` strings) — into a
:class:`Quantizer` that knows

* ``apply(x)``: the quantizer's forward value in numpy, with QKeras's semantics (used on the
  stored float kernels and biases, so the IR holds exactly the weights QKeras computes with);
* ``fixed_type()``: the FixedType whose cast reproduces it (``None`` where no cast does);
* ``function``: the IR activation function when it is used as an activation.

The mapping, QKeras -> rtlnn (``m = bits - keep_negative`` value bits):

==================================================  ====================================================
``quantized_bits(b, i, keep_negative=1)``           ``fixed<b, i+1, RND_CONV, SAT>``; QKeras rounds half
                                                    to even.  ``symmetric=1`` never makes the most
                                                    negative code: weights only (no cast does that)
``quantized_bits(b, i, keep_negative=0)``           ``ufixed<b, i, RND_CONV, SAT>``
``quantized_bits(1, 0)`` / ``binary()``             weights ±1 (``fixed<2,2>``); ``binary(use_01=1)``: 0/1
``ternary()``                                       weights -1, 0, 1 (threshold 0.33): ``fixed<2,2>``
``quantized_po2(b, max_value)``                     weights ±2^e, e clipped to the exponent range;
                                                    the narrowest type holding every weight exactly
``quantized_relu(b, i)``                            relu, then ``ufixed<b, i, RND_CONV, SAT>``
``quantized_tanh(b)``                               QKeras's default hard tanh is ``clip(x, -1, 1)``, so
                                                    a cast to ``fixed<b, 1, RND_CONV, SAT>`` (exact);
                                                    ``use_real_tanh=1``: ``tanh`` then that type (a
                                                    table: not bit-exact with TensorFlow's tanh)
==================================================  ====================================================

A ``QActivation`` that is the model input's only reader (a QAT model's input quantizer) also
sets the Input's type (:func:`input_type_for`), so a float input is rounded once, as QKeras
rounds it, rather than to the default input type first and then to the quantizer's grid.

``alpha``: ``None`` or ``1`` is exact; a power of two scales the type exactly; ``'auto'``
per-channel scales are computed from the kernel as QKeras does, and the scaled weights are
then held with :data:`AUTO_SCALE_EXTRA_BITS` more fractional bits than the quantizer's own, so
they differ from QKeras's float weights by at most half an LSB of that type (the report and
:func:`rtlnn.passes.quantizers` say so); ``'auto_po2'`` and stochastic rounding are refused.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field

import numpy as np

from .. import ir
from ..arith import exact_type
from ..fixed import FixedType, Overflow, Rounding
from ..ir import RtlnnError

__all__ = ["Quantizer", "parse_quantizer", "quantized_values_type", "input_type_for", "AUTO_SCALE_EXTRA_BITS",
           "QKERAS_LAYERS"]

#: Fractional bits added to a quantizer's own type to hold weights scaled by alpha='auto'.
AUTO_SCALE_EXTRA_BITS = 8

#: Keras's epsilon(), used by quantized_po2 for "zero".
_KERAS_EPSILON = 1e-7


def _round_half_even(x: np.ndarray) -> np.ndarray:
    """TensorFlow's round (``keras.ops.round``): to nearest, ties to even."""
    return np.round(x)


def quantized_values_type(values: np.ndarray, frac_hint: int = 0) -> FixedType:
    """The narrowest type holding every value exactly (values must be dyadic rationals)."""
    v = np.asarray(values, dtype=np.float64)
    frac = frac_hint
    while frac < 64 and np.any(np.ldexp(v, frac) != np.floor(np.ldexp(v, frac))):
        frac += 1
    if frac >= 64:
        raise RtlnnError("quantized values are not dyadic fractions of at most 64 bits")
    raw = np.ldexp(v, frac).astype(np.int64) if v.size else np.zeros(1, dtype=np.int64)
    return exact_type(min(int(raw.min()), 0), max(int(raw.max()), 0), frac)


@dataclass(frozen=True)
class Quantizer:
    """One QKeras quantizer: ``name`` (its class) and ``params`` (its config, with defaults)."""

    name: str
    params: dict = field(default_factory=dict)
    where: str = ""

    # ---------------------------------------------------------------- helpers
    def _p(self, key, default=None):
        v = self.params.get(key, default)
        return default if v is None else v

    def _fail(self, what: str) -> RtlnnError:
        return RtlnnError(f"{self.where}: {self} {what}")

    def __str__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.name}({args})"

    def _check_common(self) -> None:
        if self._p("use_stochastic_rounding", False):
            raise self._fail("uses stochastic rounding, which has no fixed-point equivalent at inference; "
                             "retrain with use_stochastic_rounding=False")
        q = self._p("qnoise_factor", 1.0)
        if float(q) != 1.0:
            raise self._fail(f"has qnoise_factor={q}: only fully quantized models (qnoise_factor=1) convert")

    def _alpha_shift(self) -> "int | None":
        """log2 of a numeric alpha that is a power of two; 0 for None / 1; None otherwise."""
        alpha = self.params.get("alpha")
        if alpha is None or isinstance(alpha, str):
            return 0
        a = float(np.asarray(alpha, dtype=np.float64).ravel()[0]) if np.ndim(alpha) else float(alpha)
        if np.ndim(alpha) and np.unique(np.asarray(alpha, dtype=np.float64)).size != 1:
            return None
        if a > 0 and math.frexp(a)[0] == 0.5:
            return math.frexp(a)[1] - 1
        return None

    # ---------------------------------------------------------------- semantics
    @property
    def function(self) -> str:
        """The IR activation function applied before the cast when used as an activation."""
        if self.name == "quantized_relu":
            return "relu"
        if self.name == "quantized_tanh" and self._p("use_real_tanh", False):
            return "tanh"
        return "linear"

    def fixed_type(self) -> "FixedType | None":
        """The type whose cast (after :attr:`function`) is this quantizer, or None if no cast is."""
        self._check_common()
        n = self.name
        if n == "quantized_bits":
            bits, integer = int(self._p("bits", 8)), int(self._p("integer", 0))
            keep_negative = bool(self._p("keep_negative", True))
            shift = self._alpha_shift()
            if bits - keep_negative <= 0 or shift is None or isinstance(self.params.get("alpha"), str):
                return None  # sign() quantizers and data-dependent scales are not casts
            return FixedType(bits, integer + int(keep_negative) + shift, keep_negative, Rounding.RND_CONV, Overflow.SAT)
        if n == "quantized_relu":
            if float(self._p("negative_slope", 0.0)) != 0.0 or self._p("use_sigmoid", 0):
                return None
            if not self._p("is_quantized_clip", True) and self.params.get("relu_upper_bound") is not None:
                return None
            return FixedType(int(self._p("bits", 8)), int(self._p("integer", 0)), False, Rounding.RND_CONV, Overflow.SAT)
        if n == "quantized_tanh":
            return FixedType(int(self._p("bits", 8)), 1, True, Rounding.RND_CONV, Overflow.SAT)
        return None

    @property
    def is_cast(self) -> bool:
        """True when :meth:`fixed_type`'s cast is exactly this quantizer.  ``symmetric`` ones
        are not: they never produce the most negative code, while a cast (even ``SAT_SYM``,
        which acts on overflow only) rounds values near it onto it."""
        return self.fixed_type() is not None and not self._p("symmetric", False)

    def apply(self, x) -> np.ndarray:
        """The quantizer's forward value (float64) for float inputs, as QKeras computes it."""
        self._check_common()
        x = np.asarray(x, dtype=np.float32).astype(np.float64)
        n = self.name
        if n == "quantized_bits":
            return self._apply_bits(x)
        if n == "quantized_relu":
            t = self.fixed_type()
            if t is None:
                raise self._fail("(negative_slope, use_sigmoid or an unquantized upper bound) is not supported")
            return t.round_trip(np.maximum(x, 0.0))
        if n == "binary":
            alpha = self.params.get("alpha")
            if alpha not in (None, 1, 1.0):
                raise self._fail("has a scale alpha; only binary() / binary(alpha=1) convert")
            s = np.where(x >= 0, 1.0, -1.0)  # sign, with 0 -> +1
            return (s + 1.0) / 2.0 if self._p("use_01", False) else s
        if n == "ternary":
            if self.params.get("alpha") not in (None, 1, 1.0):
                raise self._fail("has a scale alpha; only ternary() / ternary(alpha=1) convert")
            thr = float(self._p("threshold", 0.33))
            return np.where(np.abs(x) >= thr, np.sign(x), 0.0)
        if n == "quantized_po2":
            return self._apply_po2(x)
        if n == "quantized_tanh":
            if self._p("use_real_tanh", False):
                raise self._fail("(use_real_tanh) is an activation, not a weight quantizer")
            q = self.fixed_type().round_trip(np.clip(x, -1.0, 1.0))
            return np.maximum(q, -self.fixed_type().max_value) if self._p("symmetric", False) else q
        raise self._fail("is not a supported weight quantizer")

    def _apply_bits(self, x: np.ndarray) -> np.ndarray:
        bits, integer = int(self._p("bits", 8)), int(self._p("integer", 0))
        keep_negative = bool(self._p("keep_negative", True))
        alpha = self.params.get("alpha")
        unsigned_bits = bits - keep_negative
        if isinstance(alpha, str):
            if alpha != "auto":
                raise self._fail(f"uses alpha={alpha!r}; supported: None, a number, 'auto'")
            # per output channel (the last axis): scale = 2 max|x / 2**integer| / levels
            m_i = 2.0 ** integer
            xs = x / m_i
            levels = (2 ** (bits - 1) - 1) * 2
            axis = tuple(range(x.ndim - 1)) if x.ndim > 1 else (0,)
            scale = np.max(np.abs(xs), axis=axis, keepdims=True) * 2.0 / levels
            scale = np.where(scale == 0, 1.0, scale).astype(np.float32).astype(np.float64)
            v = np.floor(np.abs(xs) / scale + 0.5)
            z = np.sign(xs) * np.minimum(v, levels / 2)
            return (scale * 2.0 ** unsigned_bits) * (m_i * z / 2.0 ** unsigned_bits)
        if unsigned_bits <= 0:  # one bit: sign, 0 -> +1
            q = np.where(x >= 0, 1.0, -1.0) if keep_negative else np.where(x >= 0, 1.0, 0.0)
        else:
            t = FixedType(bits, integer + int(keep_negative), keep_negative, Rounding.RND_CONV, Overflow.SAT)
            q = t.round_trip(x)
            if self._p("symmetric", 0) and keep_negative:  # the most negative code is never used
                q = np.maximum(q, -t.max_value)
        scale = 1.0 if alpha is None else np.asarray(alpha, dtype=np.float32).astype(np.float64)
        return q * scale

    def _apply_po2(self, x: np.ndarray) -> np.ndarray:
        bits = int(self._p("bits", 8))
        max_value = self.params.get("max_value")
        if self._p("quadratic_approximation", False) or self._p("log2_rounding", "rnd") != "rnd":
            raise self._fail("uses quadratic_approximation or log2_rounding='floor', which are not supported")
        need_sign = 1 if max_value is None or max_value > 1 else 0
        effect = bits - 1 - need_sign
        min_exp, max_exp = -(2 ** effect), 2 ** effect - 1
        sign = np.where(x >= 0, 1.0, -1.0)
        a = np.abs(x).astype(np.float32)
        filt = np.where(a < _KERAS_EPSILON, np.float32(_KERAS_EPSILON), a)
        if max_value is not None:
            filt = np.minimum(filt, np.float32(max_value))
        # TensorFlow computes log(x) / log(2) in float32, then rounds half to even
        e = _round_half_even((np.log(filt) / np.float32(np.log(2.0))).astype(np.float32)).astype(np.float64)
        e = np.where(a < _KERAS_EPSILON, min_exp, np.clip(e, min_exp, max_exp))
        return sign * np.ldexp(1.0, e.astype(np.int64))

    def weight_type(self, values: np.ndarray) -> FixedType:
        """The type of weights quantized by this quantizer: its own where it has one and holds
        them all, else the narrowest exact one (po2, binary, ternary, 'auto' scales)."""
        t = self.fixed_type()
        if t is not None and np.array_equal(t.round_trip(values), values):
            return t
        if isinstance(self.params.get("alpha"), str):  # 'auto': not dyadic; keep extra bits
            base = FixedType(int(self._p("bits", 8)), int(self._p("integer", 0)) + 1)
            frac = base.frac + AUTO_SCALE_EXTRA_BITS
            hi = float(np.max(np.abs(values))) if np.size(values) else 0.0
            ibits = max(int(math.floor(math.log2(hi))) + 2, 1) if hi > 0 else 1
            return FixedType(ibits + frac, ibits, True, Rounding.RND, Overflow.SAT)
        return quantized_values_type(values)


# ---------------------------------------------------------------------- parsing
_NAMES = ("quantized_bits", "quantized_relu", "quantized_tanh", "quantized_po2", "binary", "ternary")
_POSITIONAL = {
    "quantized_bits": ("bits", "integer", "symmetric", "keep_negative", "alpha", "use_stochastic_rounding"),
    "quantized_relu": ("bits", "integer", "use_sigmoid", "negative_slope", "use_stochastic_rounding",
                       "relu_upper_bound"),
    "quantized_tanh": ("bits", "use_stochastic_rounding", "symmetric", "use_real_tanh"),
    "quantized_po2": ("bits", "max_value", "use_stochastic_rounding", "quadratic_approximation"),
    "binary": ("use_01", "alpha"),
    "ternary": ("alpha", "threshold"),
}
_ALIASES = {"stochastic_binary": None, "stochastic_ternary": None, "quantized_ulaw": None,
            "quantized_sigmoid": None, "quantized_relu_po2": None, "quantized_hswish": None,
            "quantized_linear": None, "bernoulli": None}


def parse_quantizer(obj, where: str) -> "Quantizer | None":
    """A QKeras quantizer from its dict or string config; None for ``None`` / ``"linear"``."""
    if obj is None:
        return None
    if isinstance(obj, str):
        text = obj.strip()
        if text in ("", "linear", "None"):
            return None
        try:
            call = ast.parse(text, mode="eval").body
        except SyntaxError:
            raise RtlnnError(f"{where}: cannot read the quantizer {text!r}") from None
        if isinstance(call, ast.Name):
            name, args, kwargs = call.id, [], {}
        elif isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
            name = call.func.id
            try:
                args = [ast.literal_eval(a) for a in call.args]
                kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
            except ValueError:
                raise RtlnnError(f"{where}: the quantizer {text!r} has arguments that are not literals") from None
        else:
            raise RtlnnError(f"{where}: cannot read the quantizer {text!r}")
        _known(name, where)
        names = _POSITIONAL[name]
        if len(args) > len(names):
            raise RtlnnError(f"{where}: {text!r} has {len(args)} positional arguments; {name} takes at most {len(names)}")
        params = dict(zip(names, args))
        params.update(kwargs)
        return Quantizer(name, params, where)
    if isinstance(obj, dict):
        name = obj.get("class_name")
        if name is None:
            raise RtlnnError(f"{where}: a quantizer config without class_name: {obj!r}")
        if name in ("linear", "Linear"):
            return None
        _known(name, where)
        return Quantizer(name, dict(obj.get("config") or {}), where)
    raise RtlnnError(f"{where}: cannot read the quantizer {obj!r}")


def _known(name: str, where: str) -> None:
    if name not in _NAMES:
        extra = " (a QKeras quantizer rtlnn does not convert yet)" if name in _ALIASES else ""
        raise RtlnnError(f"{where}: quantizer {name!r} is not supported{extra}; supported: {', '.join(_NAMES)}")


# ---------------------------------------------------------------------- layers
def _activation_layer(conv, spec, src: str, q: "Quantizer | None", name: str, function_if_plain=None) -> str:
    """Add the IR Activation for a quantizer (or a plain Keras activation); returns its name."""
    shape = conv.shape(src)
    if q is None:
        function = function_if_plain or "linear"
        if function == "linear":
            return src
        conv.check_activation(spec, function)
        conv.graph.add(ir.Activation(name, [src], shape, function=function))
        return name
    t = q.fixed_type()
    if t is None or not q.is_cast:
        raise RtlnnError(f"{conv.where(spec)}: activation quantizer {q} has no fixed-point cast equivalent; "
                         "supported activation quantizers: quantized_bits (alpha=None/1/power of two, not "
                         "symmetric), quantized_relu (no negative_slope / use_sigmoid), quantized_tanh (not "
                         "symmetric)")
    layer = ir.Activation(name, [src], shape, function=q.function)
    layer.quantizer_t = {"result": t}
    conv.graph.add(layer)
    return name


def _keras_activation(value):
    """(quantizer or None, plain Keras function name) of a layer's ``activation`` config."""
    from .keras_graph import activation_name

    if isinstance(value, dict) and value.get("class_name") in _NAMES + tuple(_ALIASES):
        return value, None
    if isinstance(value, str) and value.split("(")[0].strip() in _NAMES + tuple(_ALIASES):
        return value, None
    return None, activation_name(value)


def qdense(conv, spec, plain_class: str = "Dense") -> None:
    """QKeras ``QDense`` (and ``QConv1D`` / ``QConv2D`` as ``plain_class``): quantized kernel and
    bias, exact sum, then its activation."""
    from .keras_model import KerasLayer

    where = conv.where(spec)
    cfg = spec.config
    kq = parse_quantizer(cfg.get("kernel_quantizer"), f"{where}, kernel_quantizer")
    bq = parse_quantizer(cfg.get("bias_quantizer"), f"{where}, bias_quantizer")
    weights = list(spec.weights)
    precisions: dict = {}
    if kq is not None and weights:
        weights[0] = kq.apply(weights[0])
        precisions["weight"] = kq.weight_type(weights[0])
    if bq is not None and len(weights) > 1 and cfg.get("use_bias", True):
        weights[1] = bq.apply(weights[1])
        precisions["bias"] = bq.weight_type(weights[1])
    if precisions:
        precisions["result"] = "exact"  # QKeras adds quantized products in float: exact
    act_q, act_plain = _keras_activation(cfg.get("activation"))
    plain = KerasLayer(plain_class, spec.name, dict(cfg, activation="linear"), list(spec.inbound), weights)
    getattr(conv, plain_class)(plain)
    dense = conv.graph[spec.name]
    dense.quantizer_t = precisions
    act_q = parse_quantizer(act_q, f"{where}, activation") if act_q is not None else None
    name = conv.unique(f"{spec.name}_{act_q.function if act_q else act_plain}")
    conv.alias[spec.name] = _activation_layer(conv, spec, spec.name, act_q, name, act_plain)


def input_type_for(q: "Quantizer") -> "FixedType | None":
    """The Input type that makes a float input quantized once, by ``q`` alone: ``q``'s own type
    for a linear quantizer (``quantized_bits``, hard ``quantized_tanh``); for ``quantized_relu``
    the signed type on the same grid with the same maximum (a round-to-nearest with saturation
    commutes with relu, so the following relu + cast is then exact).  None when ``q`` is no cast."""
    t = q.fixed_type()
    if t is None or not q.is_cast or q.function not in ("linear", "relu"):
        return None
    if q.function == "relu" and not t.signed:
        return FixedType(t.width + 1, t.integer + 1, True, t.rounding, t.overflow)
    return t


def _quantize_input_once(conv, spec, src: str, q: "Quantizer | None") -> None:
    """A QActivation right after a model input (the input quantizer of a QAT model): give the
    Input the quantizer's type (:func:`input_type_for`), so a float input is rounded once, as
    QKeras rounds it — not first to the default input type (``fixed<16,6>``, truncating) and
    then to the quantizer's grid, which differs on and near the quantizer's ties.  Only when
    the QActivation is the input's one reader: any other reader sees the float input in QKeras.
    The config (LayerName / LayerType of the input) still wins over this."""
    inp = conv.graph[src]
    if q is None or not isinstance(inp, ir.Input) or inp.quantizer_t or spec.inbound != [src]:
        return
    if sum(src in other.inbound for other in conv.km.layers) != 1:
        return
    t = input_type_for(q)
    if t is not None:
        inp.quantizer_t = {"result": t}


def qactivation(conv, spec) -> None:
    """QKeras ``QActivation``: a quantizer (or a plain Keras activation) on its input."""
    src = conv.source(spec)
    act_q, act_plain = _keras_activation(spec.config.get("activation"))
    q = parse_quantizer(act_q, f"{conv.where(spec)}, activation") if act_q is not None else None
    out = _activation_layer(conv, spec, src, q, spec.name, act_plain)
    _quantize_input_once(conv, spec, src, q)
    if out == src:  # a linear QActivation computes nothing
        conv.alias[spec.name] = src
    else:
        conv.alias[spec.name] = spec.name


#: Keras class name -> handler(converter, spec): the QKeras layers rtlnn converts.
QKERAS_LAYERS = {"QDense": qdense, "QActivation": qactivation,
                 "QConv1D": lambda conv, spec: qdense(conv, spec, "Conv1D"),
                 "QConv2D": lambda conv, spec: qdense(conv, spec, "Conv2D")}
