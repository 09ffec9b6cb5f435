"""Precisions from the model's own quantizers (QKeras / HGQ quantization-aware training).

Precedence, most specific first:

1. the config's ``LayerName.<layer>.Precision`` (a type string, or a dict's named key or
   ``default``) — the user said it for this layer;
2. the config's ``LayerType.<type>.Precision``, likewise;
3. the model's quantizer (``layer.quantizer_t``), filled in by the frontend;
4. the config's ``Model.Precision`` default (hls4ml's blanket ``fixed<16,6>``).

So a QAT model converts with no precision in the config, and a user can still override any
one precision of any layer.  ``"exact"`` (a quantized Dense's result, which QKeras and HGQ add
in float without rounding) becomes the exact accumulator type; for an activation it becomes
the input type (``relu`` drops the sign bit).  Run after :func:`apply_config` and before
:func:`infer_precisions`.
"""

from __future__ import annotations

from typing import Mapping

from ..arith import dense_accum_type
from ..config import LAYER_TYPE_ALIASES
from ..fixed import FixedType
from ..ir import Conv2D, Dense, Layer, ModelGraph, Reshape, RtlnnError

__all__ = ["apply_quantizers", "user_set_precisions", "EXACT", "exact_result_type"]

#: A quantizer precision that is the exact type of the layer's own result (see the module doc).
EXACT = "exact"


def user_set_precisions(config: Mapping, layer: Layer) -> set[str]:
    """The precision names the config sets for ``layer`` at LayerType or LayerName level."""
    entries = [e for t, e in (config.get("LayerType") or {}).items() if LAYER_TYPE_ALIASES.get(t) == layer.kind]
    entries.append((config.get("LayerName") or {}).get(layer.name) or {})
    named: set[str] = set()
    for entry in entries:
        p = entry.get("Precision") if isinstance(entry, Mapping) else None
        if p is None:
            continue
        if isinstance(p, Mapping):
            if "default" in p:
                named |= {"weight", "bias", "result", "scale", "table"}
            named |= set(p) - {"default"}
        else:
            named |= {"weight", "bias", "result", "scale", "table"}
    return named


def exact_result_type(graph: ModelGraph, layer: Layer) -> FixedType:
    """The :data:`EXACT` precision of ``layer``, from its input's (final) type."""
    src = graph[layer.inputs[0]]
    in_t = src.result_t
    if isinstance(layer, (Dense, Conv2D)):
        if layer.accum_t is None:
            layer.accum_t = dense_accum_type(layer.weight_raw(), layer.bias_raw(), in_t, layer.weight_t, layer.bias_t)
        return layer.accum_t
    if getattr(layer, "function", None) == "relu" and in_t.signed:
        return FixedType(max(in_t.width - 1, 1), in_t.integer - 1, False)
    if getattr(layer, "function", "linear") in ("relu", "linear"):
        return in_t
    raise RtlnnError(f"layer {layer.name!r}: an exact result of {layer.kind} {getattr(layer, 'function', '')!r} "
                     "cannot be derived; give its result precision in the config")


def apply_quantizers(graph: ModelGraph, config: Mapping) -> ModelGraph:
    for layer in graph:
        if isinstance(layer, Reshape):  # downstream exact types need it now
            layer.result_t = graph[layer.inputs[0]].result_t
        if not layer.quantizer_t:
            continue
        user = user_set_precisions(config, layer)
        # weight and bias first: an exact result depends on them
        for key in sorted(layer.quantizer_t, key=lambda k: k == "result"):
            if key in user:
                continue
            t = layer.quantizer_t[key]
            if t == EXACT and isinstance(graph[layer.inputs[0]].result_t, FixedType):
                t = exact_result_type(graph, layer)
            # else the input's type is still 'auto': infer_auto_precisions resolves EXACT in graph order
            if not hasattr(layer, f"{key}_t"):
                raise RtlnnError(f"layer {layer.name!r} ({layer.kind}) has no precision {key!r} for its quantizer")
            setattr(layer, f"{key}_t", t)
    return graph
