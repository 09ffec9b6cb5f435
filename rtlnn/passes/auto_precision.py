"""Automatic precision inference: every precision the config set to ``"auto"``.

In the spirit of hls4ml's ``InferPrecisionTypes`` (widths chosen so that nothing is lost),
with two differences that come from rtlnn's exact arithmetic:

* Ranges are exact, not worst-case by bit width: a Dense accumulator's range comes from
  the actual quantized weights (:func:`rtlnn.arith.dense_accum_type`), a merge's from its
  inputs' types, a BatchNormalization's from its constants.  So the integer bits chosen
  are the fewest with which **no value can overflow** for any input in the input types.
* The cap, ``Model.Precision.maximum`` (default :data:`rtlnn.config.DEFAULT_MAX_PRECISION`,
  ``max_precision=`` of ``config_from_keras_model``), limits the *width* only: integer bits
  are never cut (that would overflow); the fractional bits are the exact ones, dropped
  from the bottom (truncation, ``TRN``) where the width would exceed the cap.  hls4ml caps
  the integer part as well; rtlnn does not, since 'auto' promises no overflow.

Per kind (each result is then capped):

=================  ===================================================================
Input ``result``   the maximum type itself (an input's range is not in the model: set it)
weight/bias/scale  integer bits for the largest constant, the fewest fractional bits
                   that hold every constant exactly, at most the maximum width
Dense ``accum``    the exact sum's type; ``result``: the accumulator's type (Conv1D/2D and
                   the depthwise ones likewise, over one window)
Activation         ``relu``: the input type without its sign bit; ``linear``: the input
                   type; sigmoid / hard_sigmoid / softmax: ``ufixed<W,1>``; tanh /
                   hard_tanh / softsign: ``fixed<W,2>``; other functions: the maximum type
Merge              the exact result's type (Average: the exact sum, halved exactly)
Concatenate        the narrowest type holding every input type
BatchNormalization the exact ``x * scale + bias``'s type
Pooling            ``max``: the input type; ``average``: the exact mean's type
                   (:func:`rtlnn.arith_cnn.mean_source_type`), capped
Reshape            the input type (always; so are ZeroPadding, Cropping, UpSampling)
Cast               'auto' is an error: a cast exists to change the type
=================  ===================================================================

A QKeras / HGQ quantizer's ``"exact"`` result whose input was still ``'auto'`` when the
quantizers were applied is resolved here too, in graph order.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ..arith import dense_accum_type
from ..arith_cnn import mean_source_type
from ..config import AUTO, max_precision
from ..elementwise import merge_exact_type, scale_shift_exact_type, union_type
from ..fixed import FixedType
from ..ir import (Activation, BatchNormalization, Cast, Concatenate, Conv2D, Cropping2D, Dense, GlobalPooling2D,
                  Input, Layer, Merge, ModelGraph, Pooling2D, Reshape, RtlnnError, UpSampling2D, ZeroPadding2D)
from .quantizers import EXACT, exact_result_type

__all__ = ["infer_auto_precisions", "capped", "constant_type"]

#: Activation functions with a known output range: (signed, integer bits).
_BOUNDED = {"sigmoid": (False, 1), "hard_sigmoid": (False, 1), "softmax": (False, 1),
            "tanh": (True, 2), "hard_tanh": (True, 2), "softsign": (True, 2)}


def capped(t: FixedType, cap: FixedType) -> FixedType:
    """``t`` with at most ``cap.width`` bits: the integer bits kept, fractional bits dropped."""
    if t.width <= cap.width:
        return t
    return FixedType(cap.width, t.integer, t.signed)


def constant_type(values, cap: FixedType) -> FixedType:
    """A type for constants: enough integer bits for every value (after truncation to the
    chosen fraction), the fewest fractional bits that are exact, at most ``cap.width`` bits."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[v != 0]
    if v.size == 0:
        return FixedType(2, 1)
    signed = bool(np.any(v < 0))
    frac = None
    for f in range(-64, 65):  # the fewest fractional bits holding every value exactly
        if np.all(np.ldexp(v, f) == np.floor(np.ldexp(v, f))):
            frac = f
            break
    top = float(np.max(np.abs(v)))
    integer = int(np.floor(np.log2(top))) + 1 + (1 if signed else 0)
    while True:
        f = cap.width - integer if frac is None else min(frac, cap.width - integer)
        t = FixedType(max(integer + f, 1), integer, signed)
        raw = np.floor(np.ldexp(v, t.frac))
        if raw.min() >= t.min_raw and raw.max() <= t.max_raw:
            return t
        integer += 1


def _where(layer: Layer, key: str) -> str:
    return f"layer {layer.name!r} ({layer.kind}): precision {key!r} is 'auto'"


def infer_auto_precisions(graph: ModelGraph, config: Mapping) -> ModelGraph:
    """Replace every :data:`AUTO` precision, in graph order (each layer sees its inputs' final types)."""
    cap = max_precision(config)

    def is_auto(layer, key):
        return getattr(layer, f"{key}_t", None) == AUTO

    for layer in graph:
        _infer_layer(graph, layer, cap, is_auto)
        for key, value in layer.precisions().items():
            if value == EXACT:
                setattr(layer, f"{key}_t", exact_result_type(graph, layer))
            elif value == AUTO:
                raise RtlnnError(f"{_where(layer, key)}, which rtlnn cannot infer for this layer kind; "
                                 "give an explicit type such as 'fixed<16,6>'")
    return graph


def _pooled_count(graph: ModelGraph, layer: Layer) -> int:
    """Elements averaged into one output of a pooling layer."""
    if isinstance(layer, GlobalPooling2D):
        return int(np.prod(graph[layer.inputs[0]].shape[:-1]))
    return int(np.prod(layer.pool_size))


def _infer_layer(graph: ModelGraph, layer: Layer, cap: FixedType, is_auto) -> None:
    """Replace ``layer``'s AUTO precisions (its inputs' types are final)."""
    ins = [graph[i].result_t for i in layer.inputs]
    if isinstance(layer, (Reshape, ZeroPadding2D, Cropping2D, UpSampling2D)):
        layer.result_t = ins[0]
        return
    if isinstance(layer, Input):
        if is_auto(layer, "result"):
            layer.result_t = cap
        return
    if isinstance(layer, Cast):
        if is_auto(layer, "result"):
            raise RtlnnError(f"{_where(layer, 'result')}: a Cast exists to set a type; give it one")
        return
    if isinstance(layer, (Dense, Conv2D)):
        if is_auto(layer, "weight"):
            layer.weight_t = constant_type(layer.weight, cap)
        if is_auto(layer, "bias"):
            layer.bias_t = constant_type(layer.bias, cap)
        if is_auto(layer, "accum") or (is_auto(layer, "result") and layer.accum_t is None):
            exact = dense_accum_type(layer.weight_raw(), layer.bias_raw(), ins[0], layer.weight_t, layer.bias_t)
            if is_auto(layer, "accum"):
                layer.accum_t = capped(exact, cap)
            if is_auto(layer, "result"):
                layer.result_t = capped(exact, cap)
        if is_auto(layer, "result"):
            layer.result_t = layer.accum_t
        return
    if isinstance(layer, BatchNormalization):
        if is_auto(layer, "scale"):
            layer.scale_t = constant_type(layer.scale, cap)
        if is_auto(layer, "bias"):
            layer.bias_t = constant_type(layer.bias, cap)
        if is_auto(layer, "result"):
            layer.result_t = capped(scale_shift_exact_type(layer.scale_raw(), layer.bias_raw(), ins[0],
                                                           layer.scale_t, layer.bias_t), cap)
        return
    if is_auto(layer, "result"):
        if isinstance(layer, Merge):
            t = merge_exact_type(layer.op, ins, f"Merge layer {layer.name!r}")
        elif isinstance(layer, Concatenate):
            t = union_type(ins)
        elif isinstance(layer, Activation) and layer.function == "linear":
            t = ins[0]
        elif isinstance(layer, Activation) and layer.function == "relu":
            src = ins[0]
            t = FixedType(src.width - 1, src.integer - 1, False) if src.signed and src.width > 1 else src
        elif isinstance(layer, Activation) and layer.function in _BOUNDED:
            signed, integer = _BOUNDED[layer.function]
            t = FixedType(cap.width, integer, signed)
        elif isinstance(layer, (Pooling2D, GlobalPooling2D)) and layer.op == "max":
            t = ins[0]
        elif isinstance(layer, (Pooling2D, GlobalPooling2D)):
            t = mean_source_type(ins[0], _pooled_count(graph, layer))
        else:
            t = cap
        layer.result_t = capped(t, cap)
