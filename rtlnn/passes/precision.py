"""Derive the precisions a config leaves open: exact accumulators, pass-through shapes."""

from __future__ import annotations

from ..arith import dense_accum_type
from ..ir import Conv2D, Cropping2D, Dense, ModelGraph, Reshape, UpSampling2D, ZeroPadding2D


def infer_precisions(graph: ModelGraph) -> ModelGraph:
    for layer in graph:
        if isinstance(layer, (Reshape, ZeroPadding2D, Cropping2D, UpSampling2D)):
            layer.result_t = graph[layer.inputs[0]].result_t
        elif isinstance(layer, (Dense, Conv2D)) and layer.accum_t is None:
            in_t = graph[layer.inputs[0]].result_t
            layer.accum_t = dense_accum_type(layer.weight_raw(), layer.bias_raw(), in_t, layer.weight_t, layer.bias_t)
    return graph
