"""HGQ2 layers and quantizers, read from a ``.keras`` archive's config and variables alone (HGQ2
is never imported: it cannot share an environment with qkeras-v3).

An HGQ2 fixed-point quantizer (``QuantizerConfig`` with ``q_type`` ``kbi`` or ``kif``) keeps its
bit widths as layer variables -- ``k`` (keep negative, uint8), and ``b``, ``i`` (``kbi``) or
``i``, ``f`` (``kif``) as floats that HGQ2 rounds half to even -- one value per element along the
heterogeneous axes (per element for HGQ2's defaults, one for the tensor with
``heterogeneous_axis=()``).  At inference it computes, per element, with ``f = b - i`` (``kbi``):

* ``k + i + f <= 0``: the constant 0 (a pruned element);
* else, with ``i' = max(i, -f)``, the cast to ``fixed<k+i'+f, k+i'>`` (unsigned when ``k = 0``),
  rounding as its ``round_mode`` (TRN, RND, RND_CONV, ...; the stochastic S_RND / S_RND_CONV are
  RND / RND_CONV at inference) and overflow as its ``overflow_mode`` (WRAP, SAT).  HGQ2 saturates
  before rounding; with bounds on the grid that is the same as ``ap_fixed``'s rounding first.

``SAT_SYM`` on a signed activation has no ``ap_fixed`` twin (HGQ2 clips to ``±max`` before
rounding, so the most negative code never occurs) and is refused there; on weights and biases
every quantizer is applied numerically, in float32 with HGQ2's own operation order, and the
layer gets the narrowest type holding the results.

Layers (``HGQ2_LAYERS``):

* ``QDense``: input quantizer ``iq`` -> a per-element :class:`~rtlnn.ir.Cast` ``<name>_iq``;
  quantized kernel and bias (kernel rows of zero-bit inputs zeroed: they cost nothing); the
  exact sum (HGQ2 adds in float); ``activation`` (relu and linear are exact; other Keras
  activations become rtlnn's tables); output quantizer ``oq`` (``enable_oq``) -> ``<name>_oq``.
* ``QEinsumDense`` in a Dense's form (``bi,io->bo``, ``...i,io->...o``): as ``QDense``.
* ``Quantizer`` (a stand-alone HGQ2 quantizer layer) -> a per-element Cast.

A model input read only by HGQ2 layers gets a type that a float input is truncated to
before them: their union with ``INPUT_EXTRA_BITS`` more fractional bits (1 when every one
rounds TRN or RND, which is then exactly HGQ2's rounding of the float input; 8 otherwise, where
only inputs with bits beyond those can differ).
"""

from __future__ import annotations

import math

import numpy as np

from .. import ir
from ..element_types import union
from ..fixed import FixedType, Overflow, Rounding
from ..ir import RtlnnError
from .qkeras import quantized_values_type

__all__ = ["HGQ2_LAYERS", "HgqQuantizer", "parse_hgq_quantizer", "is_hgq2", "unsupported_layer_error"]

_ROUNDING = {"TRN": Rounding.TRN, "RND": Rounding.RND, "RND_CONV": Rounding.RND_CONV, "TRN_ZERO": Rounding.TRN_ZERO,
             "RND_ZERO": Rounding.RND_ZERO, "RND_MIN_INF": Rounding.RND_MIN_INF, "RND_INF": Rounding.RND_INF,
             "S_RND": Rounding.RND, "S_RND_CONV": Rounding.RND_CONV}
_OVERFLOW = {"WRAP": Overflow.WRAP, "SAT": Overflow.SAT, "SAT_SYM": Overflow.SAT}  # SAT_SYM: unsigned only

#: Extra fractional bits of a model input ahead of its input quantizers (see the module doc).
INPUT_EXTRA_BITS = {"exact": 1, "other": 8}


def is_hgq2(spec) -> bool:
    """True for a layer whose class comes from HGQ2 (module ``hgq...``)."""
    return str(getattr(spec, "module", "") or "").split(".")[0] == "hgq"


def _half_even(v) -> np.ndarray:
    return np.round(np.asarray(v, dtype=np.float32)).astype(np.float64)


class HgqQuantizer:
    """One HGQ2 fixed-point quantizer: its config and the per-element ``k``, ``i``, ``f``
    (integer arrays of the bit-width variables' shape, which broadcasts to the tensor's)."""

    def __init__(self, config: dict, variables: list, where: str):
        self.where = where
        self.config = config
        self.q_type = str(config.get("q_type", "")).lower()
        self.round_mode = str(config.get("round_mode", "TRN")).upper()
        self.overflow_mode = str(config.get("overflow_mode", "WRAP")).upper()
        self.is_weight = bool(config.get("is_weight", False))
        self.trainable = bool(config.get("trainable", True))
        if self.q_type not in ("kbi", "kif"):
            raise RtlnnError(f"{where}: quantizer type {self.q_type!r} is not supported; rtlnn reads HGQ2's "
                             "fixed-point quantizers (q_type 'kbi' and 'kif'), not 'float' or 'dummy'")
        if self.round_mode not in _ROUNDING:
            raise RtlnnError(f"{where}: round_mode {self.round_mode!r} is not supported; supported: "
                             f"{', '.join(_ROUNDING)}")
        if self.overflow_mode not in _OVERFLOW:
            raise RtlnnError(f"{where}: overflow_mode {self.overflow_mode!r} is not supported; supported: WRAP, "
                             "SAT, SAT_SYM")
        if config.get("affine") is not None:
            raise RtlnnError(f"{where}: a quantizer with affine={config['affine']} (a scale and shift after "
                             "quantizing) is not supported")
        self.shift = 0
        scaler = config.get("scaler")
        if scaler is not None:
            m, e = math.frexp(float(scaler))
            if m != 0.5:
                raise RtlnnError(f"{where}: scaler={scaler} is not a power of two; only power-of-two scalers "
                                 "convert exactly")
            self.shift = e - 1
        self.k, self.i, self.f = self._kif(variables)

    def _kif(self, variables):
        """k, i, f from the variables, stored trainable first, each group in creation order:
        ``kbi`` creates k, b, i; ``kif`` creates k, i, f; ``i`` is trainable unless WRAP, which
        also adds a scalar ``i_decay_speed``."""
        wrap = self.overflow_mode == "WRAP"
        if self.q_type == "kbi":
            names = ["b"] + ([] if wrap else ["i"]) + ["k"] + (["i", "decay"] if wrap else [])
        else:
            names = ([] if wrap else ["i"]) + ["f", "k"] + (["i", "decay"] if wrap else [])
        vars_ = [np.asarray(v) for v in variables]
        if len(vars_) != len(names) or vars_[names.index("k")].dtype != np.uint8:
            layout = ", ".join(f"{v.dtype}{list(v.shape)}" for v in vars_)
            raise RtlnnError(f"{self.where}: its variables ({layout or 'none'}) are not those of an HGQ2 {self.q_type} "
                             f"quantizer with {self.overflow_mode} ({', '.join(names)}); the archive comes from an "
                             "HGQ2 version rtlnn does not read")
        got = dict(zip(names, vars_))
        k = got["k"].astype(np.int64)
        i = _half_even(got["i"])
        if self.q_type == "kbi":
            f = _half_even(got["b"]) - i
        else:
            f = _half_even(got["f"])
        return k, i.astype(np.int64) + self.shift, f.astype(np.int64) - self.shift

    # ------------------------------------------------------------------ per element
    def broadcast(self, shape: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """k, i, f broadcast to ``shape`` (a datalane quantizer's arrays carry a leading batch 1)."""
        out = []
        for a in (self.k, self.i, self.f):
            if a.ndim == len(shape) + 1 and a.shape[0] == 1:
                a = a[0]
            try:
                out.append(np.broadcast_to(a, shape))
            except ValueError:
                raise RtlnnError(f"{self.where}: bit widths of shape {a.shape} do not fit its tensor of shape "
                                 f"{shape}") from None
        return out[0], out[1], out[2]

    def element_types(self, shape: tuple) -> tuple:
        """One FixedType (None: constant zero) per element of ``shape``, row-major."""
        rounding = _ROUNDING[self.round_mode]
        overflow = _OVERFLOW[self.overflow_mode]
        k, i, f = (a.ravel() for a in self.broadcast(shape))
        if self.overflow_mode == "SAT_SYM" and np.any(k[(k + i + f) > 0] > 0):
            raise RtlnnError(f"{self.where}: overflow_mode SAT_SYM on signed values has no fixed-point cast "
                             "equivalent (HGQ2 clips to +-max before rounding, so the most negative code never "
                             "occurs); use SAT or WRAP for activation quantizers")
        cache: dict = {}
        types = []
        for kk, ii, ff in zip(k.tolist(), i.tolist(), f.tolist()):
            if kk + ii + ff <= 0:
                types.append(None)
                continue
            key = (kk, max(ii, -ff), ff)
            if key not in cache:
                signed, integer = bool(kk), kk + key[1]
                cache[key] = FixedType(integer + ff, integer, signed, rounding, overflow)
            types.append(cache[key])
        return tuple(types)

    def apply(self, x) -> np.ndarray:
        """HGQ2's inference value of float constants (kernel, bias), in float32 as HGQ2 computes it."""
        x = np.asarray(x, dtype=np.float32)
        k, i, f = (a.astype(np.float32) for a in self.broadcast(x.shape))
        x = x / np.float32(2.0 ** self.shift) if self.shift else x
        i_eff = np.maximum(i, -f)
        wrap = self.overflow_mode == "WRAP"
        # HGQ2 quantizes a weight in WRAP mode by rounding alone (kif; kbi when it rounds RND)
        round_only = wrap and self.trainable and self.is_weight and (self.q_type == "kif" or self.round_mode == "RND")
        if not wrap:
            hi = np.float32(2.0) ** i_eff - np.float32(2.0) ** -f
            lo = -hi * k if self.overflow_mode == "SAT_SYM" else -(np.float32(2.0) ** i_eff) * k
            x = np.where(x > hi, hi, np.where(x < lo, lo, x))
        scale = np.float32(2.0) ** f
        x = _round(x * scale, self.round_mode) / scale
        if wrap and not round_only:
            bk = i_eff + k
            bias = k * np.float32(2.0) ** (bk - 1)
            x = np.mod(x + bias, np.float32(2.0) ** bk) - bias
        if not round_only:
            x = np.where(k + i + f > 0, x, np.float32(0.0))
        x = x * np.float32(2.0 ** self.shift) if self.shift else x
        return x.astype(np.float64)


def _round(x: np.ndarray, mode: str) -> np.ndarray:
    """HGQ2's rounding functions on float32 values (``x`` already scaled by ``2**f``)."""
    mode = mode[2:] if mode.startswith("S_") else mode
    half = np.float32(0.5)
    if mode == "TRN":
        return np.floor(x)
    if mode == "RND":
        return np.floor(x + half)
    if mode == "RND_CONV":
        return np.round(x)
    if mode == "TRN_ZERO":
        return np.floor(np.abs(x)) * np.sign(x)
    if mode == "RND_ZERO":
        return -np.floor(-np.abs(x) + half) * np.sign(x)
    if mode == "RND_MIN_INF":
        return -np.floor(-x + half)
    return np.floor(np.abs(x) + half) * np.sign(x)  # RND_INF


def parse_hgq_quantizer(conf, variables, where: str) -> HgqQuantizer:
    """An :class:`HgqQuantizer` from a serialized ``QuantizerConfig`` and its variables."""
    if isinstance(conf, dict) and "config" in conf and "class_name" in conf:
        if conf["class_name"] not in ("QuantizerConfig", "HardTanhConfig", "HardSigmoidConfig"):
            raise RtlnnError(f"{where}: quantizer config class {conf['class_name']!r} is not supported")
        conf = conf["config"]
    if not isinstance(conf, dict):
        raise RtlnnError(f"{where}: cannot read the quantizer config {conf!r}")
    if variables is None:
        raise RtlnnError(f"{where}: the archive stores no variables for this quantizer (its bit widths)")
    return HgqQuantizer(conf, variables, where)


# ---------------------------------------------------------------------- layers
def _quantizer(spec, conv, attr: str, conf_key: str) -> HgqQuantizer:
    where = f"{conv.where(spec)}, {attr}"
    return parse_hgq_quantizer(spec.config.get(conf_key), spec.sublayers.get(f"{attr}/quantizer"), where)


def _input_type(element_t: tuple, q: HgqQuantizer) -> FixedType:
    """The type a model input is truncated to ahead of the input quantizer ``q`` (module doc)."""
    u = union(element_t)
    exact = q.round_mode in ("TRN", "RND", "S_RND")
    extra = INPUT_EXTRA_BITS["exact" if exact else "other"]
    return FixedType(u.width + extra, u.integer, u.signed, Rounding.TRN, _OVERFLOW[q.overflow_mode])


def _element_cast(conv, spec, src: str, q: HgqQuantizer, name: str) -> tuple[str, tuple]:
    """Add the per-element Cast of quantizer ``q`` on ``src``; returns its name and element types."""
    shape = conv.shape(src)
    element_t = q.element_types(shape)
    cast = ir.Cast(name, [src], shape, element_t=element_t)
    cast.quantizer_t = {"result": union(element_t)}
    conv.graph.add(cast)
    conv.alias[name] = name
    inp = conv.graph[src]
    if isinstance(inp, ir.Input) and all(is_hgq2(r) for r in conv.km.layers if src in r.inbound):
        t = _input_type(element_t, q)
        old = inp.quantizer_t.get("result")
        inp.quantizer_t = {"result": t if old is None else union([old, t]).with_modes(Rounding.TRN, t.overflow)}
    return name, element_t


def qdense(conv, spec) -> None:
    """HGQ2 ``QDense``: input quantizer, quantized kernel and bias, exact sum, activation, output
    quantizer."""
    _quantized_dense(conv, spec, bool(spec.config.get("use_bias", True)))


def qeinsum_dense(conv, spec) -> None:
    """HGQ2 ``QEinsumDense`` in a Dense's form: ``equation`` ``bi,io->bo`` (any letters, or
    ``...i,io->...o``) with ``bias_axes`` None or the output letter; then as :func:`qdense`."""
    eq = str(spec.config.get("equation", "")).replace(" ", "")
    bias_axes = spec.config.get("bias_axes")
    try:
        inp, rest = eq.split(",")
        ker, out = rest.split("->")
    except ValueError:
        inp = ker = out = ""
    if inp.startswith("...") and out.startswith("..."):
        inp, out = inp[3:], out[3:]
    elif inp[:1] and inp[:1] == out[:1] and inp[:1] not in ker:
        inp, out = inp[1:], out[1:]
    if not (len(inp) == len(out) == 1 and ker == inp + out and bias_axes in (None, "", out)):
        raise RtlnnError(f"{conv.where(spec)}: equation {eq!r} with bias_axes {bias_axes!r} is not a Dense layer; "
                         "rtlnn converts QEinsumDense of the form 'bi,io->bo' (or '...i,io->...o') with bias_axes "
                         "None or the output axis")
    _quantized_dense(conv, spec, bool(bias_axes))


def _quantized_dense(conv, spec, use_bias: bool) -> None:
    from .keras_graph import activation_name
    from .keras_model import KerasLayer

    cfg = spec.config
    src = conv.source(spec)
    if len(conv.shape(src)) != 1:
        raise RtlnnError(f"{conv.where(spec)} is applied to a tensor of shape {conv.shape(src)}; rtlnn converts "
                         f"HGQ2 {spec.class_name} over 1-D inputs (put a Flatten before it)")
    weights = [np.asarray(w) for w in spec.weights]
    if len(weights) < (2 if use_bias else 1):
        raise RtlnnError(f"{conv.where(spec)} has {len(weights)} weight arrays: the kernel or bias is missing")
    kernel = _quantizer(spec, conv, "kq", "kq_conf").apply(weights[0])
    if cfg.get("enable_iq", True):
        src, element_t = _element_cast(conv, spec, src, _quantizer(spec, conv, "iq", "iq_conf"), conv.unique(f"{spec.name}_iq"))
        zero = np.array([t is None for t in element_t])
        if kernel.shape[0] == zero.size:
            kernel[zero, :] = 0.0  # a pruned input multiplies nothing
    precisions = {"weight": quantized_values_type(kernel), "result": "exact"}
    plain_weights = [kernel]
    if use_bias:
        bias = _quantizer(spec, conv, "bq", "bq_conf").apply(weights[1])
        precisions["bias"] = quantized_values_type(bias)
        plain_weights.append(bias)
    conv.alias.setdefault(src, src)
    plain_cfg = dict(cfg, activation="linear", use_bias=use_bias, units=int(kernel.shape[-1]))
    plain = KerasLayer("Dense", spec.name, plain_cfg, [src], plain_weights)
    conv.Dense(plain)
    conv.graph[spec.name].quantizer_t = precisions
    out = spec.name
    function = activation_name(cfg.get("activation"))
    if function != "linear":
        conv.check_activation(spec, function)
        act = conv.unique(f"{spec.name}_{function}")
        layer = conv.activation_layer(act, out, function)
        if function == "relu":
            layer.quantizer_t = {"result": "exact"}  # HGQ2 applies it in float: nothing is lost
        conv.graph.add(layer)
        out = act
    conv.alias[out] = out
    if cfg.get("enable_oq", False):
        out, _ = _element_cast(conv, spec, out, _quantizer(spec, conv, "oq", "oq_conf"), conv.unique(f"{spec.name}_oq"))
    conv.alias[spec.name] = out


def quantizer_layer(conv, spec) -> None:
    """A stand-alone HGQ2 ``Quantizer`` layer: its per-element cast."""
    src = conv.source(spec)
    where = conv.where(spec)
    q = parse_hgq_quantizer(spec.config.get("config"), spec.sublayers.get("quantizer"), where)
    name, _ = _element_cast(conv, spec, src, q, spec.name)
    conv.alias[spec.name] = name


#: HGQ2 class name -> handler(converter, spec): the HGQ2 layers rtlnn converts.
HGQ2_LAYERS = {"QDense": qdense, "QEinsumDense": qeinsum_dense, "Quantizer": quantizer_layer}


def unsupported_layer_error(conv, spec) -> RtlnnError:
    return RtlnnError(f"{conv.where(spec)}: the HGQ2 layer class {spec.class_name!r} is not supported; supported HGQ2 "
                      f"layers: {', '.join(HGQ2_LAYERS)} (and plain Keras layers between them)")
