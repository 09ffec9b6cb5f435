"""Explicit precision casts requested in the config: ``LayerName.<layer>.OutputCast``."""

from __future__ import annotations

from typing import Mapping

from ..config import resolve_layer_settings
from ..ir import Cast, ModelGraph, RtlnnError


def insert_output_casts(graph: ModelGraph, config: Mapping) -> ModelGraph:
    """After every layer with an ``OutputCast`` type, insert a Cast layer ``<layer>_cast`` with that
    ``result_t``; the layer's readers (and the model outputs) then read the cast."""
    casts = {}
    for layer in graph:
        t = resolve_layer_settings(config, layer.name, layer.kind)["output_cast"]
        if t is not None:
            casts[layer.name] = t
    if not casts:
        return graph
    layers, added = {}, set()
    for name, layer in graph.layers.items():
        layers[name] = layer
        if name in casts:
            cast_name = f"{name}_cast"
            if cast_name in graph.layers:
                raise RtlnnError(f"config LayerName.{name}.OutputCast: the cast layer would be named {cast_name!r}, "
                                 "which the model already uses; rename that layer")
            layers[cast_name] = Cast(cast_name, [name], tuple(layer.shape), result_t=casts[name],
                                     trace=layer.trace)
            added.add(cast_name)
    for layer in layers.values():  # readers of a cast layer's source read the cast
        if layer.name not in added:
            layer.inputs = [f"{i}_cast" if i in casts else i for i in layer.inputs]
    graph.layers = layers
    graph.outputs = [f"{o}_cast" if o in casts else o for o in graph.outputs]
    return graph
