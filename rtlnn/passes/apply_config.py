"""Copy the config's settings (precisions, reuse factor, strategy, trace, pipelining) onto the layers."""

from __future__ import annotations

from typing import Mapping

from ..config import DEFAULT_PRECISION, EXPLICIT_PRECISIONS, resolve_layer_settings, validate_config
from ..fixed import parse_type
from ..ir import ModelGraph


def apply_config(graph: ModelGraph, config: Mapping) -> ModelGraph:
    validate_config(config, graph)
    graph = graph.copy()
    default = parse_type(DEFAULT_PRECISION)
    for layer in graph:
        settings = resolve_layer_settings(config, layer.name, layer.kind)
        for key, t in settings["precision"].items():
            if t is None and key not in EXPLICIT_PRECISIONS:
                t = default
            setattr(layer, f"{key}_t", t)
        layer.reuse_factor = settings["reuse_factor"]
        layer.strategy = settings["strategy"]
        layer.trace = settings["trace"]
        if layer.kind == "Dense":  # pipelining knobs (config Pipeline), "auto" unless given
            for key, value in settings.get("pipeline", {}).items():
                setattr(layer, key, value)
        for key, value in settings.get("tables", {}).items():  # table_size, table_range, implementation
            value = tuple(value) if key == "table_range" else value.lower() if key == "implementation" else value
            setattr(layer, key, value)
    return graph
