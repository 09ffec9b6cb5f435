"""The bit-accurate emulator: runs a typed ModelGraph on raw integers with numpy.

Each layer kind has one function here that calls :mod:`rtlnn.arith`, the arithmetic the
hardware generators implement, so the emulator predicts the RTL's outputs bit for bit.
"""

from __future__ import annotations

import numpy as np

from ..arith import dense_raw, relu_raw
from ..ir import Activation, Dense, Input, Layer, ModelGraph, Reshape, RtlnnError

__all__ = ["quantize_inputs", "run_raw", "to_float"]


def quantize_inputs(graph: ModelGraph, x) -> dict[str, np.ndarray]:
    """Float inputs (one array, or one per Input layer) to raw integers of the input types."""
    names = graph.inputs
    arrays = list(x) if isinstance(x, (list, tuple)) else [x]
    if len(arrays) != len(names):
        raise RtlnnError(f"the model has {len(names)} input(s) ({', '.join(names)}) but {len(arrays)} array(s) were given")
    raw = {}
    for name, a in zip(names, arrays):
        layer = graph[name]
        a = np.asarray(a, dtype=np.float64)
        if a.shape[1:] != tuple(layer.shape):
            if a.shape == tuple(layer.shape):
                a = a[None]
            else:
                raise RtlnnError(
                    f"input {name!r} expects arrays of shape (batch, {', '.join(map(str, layer.shape))}), "
                    f"not {a.shape}"
                )
        raw[name] = layer.result_t.quantize(a)
    return raw


def _layer_raw(layer: Layer, graph: ModelGraph, values: dict[str, np.ndarray]) -> np.ndarray:
    if isinstance(layer, Dense):
        src = graph[layer.inputs[0]]
        return dense_raw(values[src.name], src.result_t, layer.weight_raw(), layer.weight_t, layer.bias_raw(),
                         layer.bias_t, layer.accum_t, layer.result_t)
    if isinstance(layer, Activation):
        src = graph[layer.inputs[0]]
        if layer.function == "relu":
            return relu_raw(values[src.name], src.result_t, layer.result_t)
        if layer.function == "linear":
            return layer.result_t.cast(values[src.name], src.result_t)
        raise RtlnnError(f"layer {layer.name!r}: activation {layer.function!r} has no emulation")
    if isinstance(layer, Reshape):
        src = values[layer.inputs[0]]
        return src.reshape((src.shape[0],) + tuple(layer.shape))
    raise RtlnnError(f"layer {layer.name!r}: kind {layer.kind} has no emulation")


def run_raw(graph: ModelGraph, raw_inputs: dict[str, np.ndarray], keep: bool = False) -> dict[str, np.ndarray]:
    """Raw outputs of the output layers (or of every layer when ``keep``)."""
    values: dict[str, np.ndarray] = {}
    for layer in graph:
        if isinstance(layer, Input):
            values[layer.name] = raw_inputs[layer.name]
        else:
            values[layer.name] = _layer_raw(layer, graph, values)
    if keep:
        return values
    return {name: values[name] for name in graph.outputs}


def to_float(graph: ModelGraph, raw: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: graph[name].result_t.to_float(v) for name, v in raw.items()}
