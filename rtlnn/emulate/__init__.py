"""The bit-accurate emulator: runs a typed ModelGraph on raw integers with numpy.

Each layer kind has one function here that calls :mod:`rtlnn.arith`, the arithmetic the
hardware generators implement, so the emulator predicts the RTL's outputs bit for bit.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..activations import activation_plan, prelu_plan, softmax_plan
from ..arith import dense_raw, relu_raw
from ..elementwise import concatenate_raw, merge_raw, scale_shift_raw
from ..element_types import element_cast_raw
from ..ir import Activation, Dense, Input, Layer, ModelGraph, Reshape, RtlnnError
from .cnn import CNN_EMULATORS

__all__ = ["EMULATORS", "quantize_inputs", "run_raw", "to_float"]


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


def _dense(layer: Dense, srcs: list[Layer], vals: list[np.ndarray]) -> np.ndarray:
    return dense_raw(vals[0], srcs[0].result_t, layer.weight_raw(), layer.weight_t, layer.bias_raw(), layer.bias_t,
                     layer.accum_t, layer.result_t)


def _activation(layer: Activation, srcs: list[Layer], vals: list[np.ndarray]) -> np.ndarray:
    return activation_plan(layer, srcs[0].result_t).apply(vals[0])


def _prelu(layer, srcs: list[Layer], vals: list[np.ndarray]) -> np.ndarray:
    return prelu_plan(layer, srcs[0].result_t).apply(vals[0])


def _softmax(layer, srcs: list[Layer], vals: list[np.ndarray]) -> np.ndarray:
    x = vals[0].reshape(vals[0].shape[0], -1)  # softmax over the last axis of a 1-D layer
    return softmax_plan(layer, srcs[0].result_t, x.shape[1]).apply(x).reshape(vals[0].shape)


def _reshape(layer: Reshape, srcs: list[Layer], vals: list[np.ndarray]) -> np.ndarray:
    return vals[0].reshape((vals[0].shape[0],) + tuple(layer.shape))


def _merge(layer, srcs: list[Layer], vals: list[np.ndarray]) -> np.ndarray:
    return merge_raw(layer.op, vals, [s.result_t for s in srcs], layer.result_t)


def _concatenate(layer, srcs: list[Layer], vals: list[np.ndarray]) -> np.ndarray:
    return concatenate_raw(vals, [s.result_t for s in srcs], layer.result_t)


def _batchnorm(layer, srcs: list[Layer], vals: list[np.ndarray]) -> np.ndarray:
    return scale_shift_raw(vals[0], srcs[0].result_t, layer.scale_raw(), layer.scale_t, layer.bias_raw(),
                           layer.bias_t, layer.result_t)


def _cast(layer, srcs: list[Layer], vals: list[np.ndarray]) -> np.ndarray:
    if layer.element_t is not None:  # a type per element (heterogeneous quantizer)
        return element_cast_raw(vals[0], srcs[0].result_t, layer.element_t, layer.result_t)
    return layer.result_t.cast(vals[0], srcs[0].result_t)


#: IR kind -> function(layer, input layers, their raw values) -> raw outputs (batch first).
#: The one table to extend when a layer kind is added.
EMULATORS: dict[str, Callable[[Layer, list[Layer], list[np.ndarray]], np.ndarray]] = {
    "Dense": _dense,
    "Activation": _activation,
    "PReLU": _prelu,
    "Softmax": _softmax,
    "Reshape": _reshape,
    "Merge": _merge,
    "Concatenate": _concatenate,
    "BatchNormalization": _batchnorm,
    "Cast": _cast,
    **CNN_EMULATORS,  # convolutions, pooling, padding, cropping, upsampling (emulate/cnn.py)
}


def _layer_raw(layer: Layer, graph: ModelGraph, values: dict[str, np.ndarray]) -> np.ndarray:
    fn = EMULATORS.get(layer.kind)
    if fn is None:
        raise RtlnnError(f"layer {layer.name!r}: kind {layer.kind} has no emulation")
    return fn(layer, [graph[i] for i in layer.inputs], [values[i] for i in layer.inputs])


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
