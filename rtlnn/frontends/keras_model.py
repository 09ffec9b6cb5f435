"""A Keras model as plain data, and the parsing of Keras model configs into it.

Both config dialects are read here, without Keras:

* Keras 2 / tf.keras (``model.to_json()``, legacy ``.h5``): ``Sequential`` configs (a list of
  layers, or a dict with ``layers``) whose first layer carries ``batch_input_shape``, and
  ``Model`` / ``Functional`` configs whose ``inbound_nodes`` are nested lists
  ``[[["name", node, tensor, {kwargs}], ...], ...]``.
* Keras 3 (``.keras`` ``config.json``, Keras 3 ``.h5``, ``model.get_config()``): functional
  ``inbound_nodes`` are ``{"args": [...], "kwargs": {...}}`` holding ``__keras_tensor__``
  dicts whose ``keras_history`` names the producing layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..ir import RtlnnError

__all__ = ["KerasLayer", "KerasModel", "parse_model_config", "input_shape_of"]


@dataclass
class KerasLayer:
    """One Keras layer: its class, name, config, the layers it reads (in order), its weights.

    ``weights`` are in Keras order (``layer.get_weights()``), e.g. ``[kernel, bias]``.
    ``module`` is the Python module the class came from (``hgq.layers.core.dense``), where the
    config names one; ``sublayers`` the variables of nested layers by object path
    (``"iq/quantizer"``), where the reader has them (``.keras`` archives read without Keras).
    """

    class_name: str
    name: str
    config: dict
    inbound: list[str] = field(default_factory=list)
    weights: list[np.ndarray] = field(default_factory=list)
    module: str = ""
    sublayers: dict = field(default_factory=dict)


@dataclass
class KerasModel:
    """A Keras model as plain data; ``keras_model`` holds the live model when one exists."""

    name: str
    layers: list[KerasLayer]
    inputs: list[str]
    outputs: list[str]
    keras_model: Any = None
    source: str = ""
    keras_version: str = ""  # of the Keras that wrote the config, where it says ("2.9.0")

    def layer(self, name: str) -> KerasLayer:
        for spec in self.layers:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def where(self) -> str:
        """Where the model came from, for error messages."""
        return f"model {self.name!r}" + (f" ({self.source})" if self.source else "")


#: A function giving the weights of a layer, given its name and class name.
WeightLookup = Callable[[str, str], "list[np.ndarray]"]


def input_shape_of(config: dict) -> "list | None":
    """The batch shape declared in a layer config (Keras 3 ``batch_shape``, Keras 2 ``batch_input_shape``)."""
    for key in ("batch_shape", "batch_input_shape"):
        if config.get(key) is not None:
            return list(config[key])
    return None


def parse_model_config(model_config: dict, weights: WeightLookup, source: str) -> KerasModel:
    """Turn a ``{"class_name": ..., "config": ...}`` model config into a :class:`KerasModel`."""
    if not isinstance(model_config, dict) or "config" not in model_config:
        raise RtlnnError(
            f"{source}: not a Keras model config (expected a JSON object with 'class_name' and 'config', "
            "as written by model.to_json() or model.save())"
        )
    class_name = model_config.get("class_name", "")
    config = model_config["config"]
    version = str(model_config.get("keras_version") or "")
    if isinstance(config, dict) and "input_layers" in config:
        km = _parse_functional(config, weights, source)
        km.keras_version = version
        return km
    if class_name == "Sequential" or isinstance(config, list) or (isinstance(config, dict) and "layers" in config):
        km = _parse_sequential(config, weights, source)
        km.keras_version = version
        return km
    raise RtlnnError(
        f"{source}: unsupported model class {class_name!r}; rtlnn reads Sequential and functional "
        "(Model / Functional) Keras models"
    )


def _layer_name(entry: dict) -> str:
    name = entry.get("name") or (entry.get("config") or {}).get("name")
    if not isinstance(name, str) or not name:
        raise RtlnnError(f"a layer of class {entry.get('class_name')!r} has no name in the model config")
    return name


def _parse_sequential(config, weights: WeightLookup, source: str) -> KerasModel:
    if isinstance(config, list):  # Keras <= 2.2: the config is the layer list
        entries, model_name, build_shape = config, "sequential", None
    else:
        entries = config.get("layers") or []
        model_name = config.get("name") or "sequential"
        build_shape = config.get("build_input_shape")
    if not entries:
        raise RtlnnError(f"{source}: the Sequential model {model_name!r} has no layers")

    layers: list[KerasLayer] = []
    first = entries[0]
    if first.get("class_name") != "InputLayer":
        # Keras creates the input layer itself; name it as Keras does.
        first_cfg = first.get("config") or {}
        shape = input_shape_of(first_cfg)
        if shape is not None and "batch_input_shape" in first_cfg:
            in_name = f"{_layer_name(first)}_input"  # tf.keras 2 naming
        else:
            shape = shape if shape is not None else build_shape
            in_name = "input_layer"  # Keras 3 naming
        if shape is None:
            raise RtlnnError(
                f"{source}: the Sequential model {model_name!r} has no input shape; start it with "
                "keras.Input(shape=...) or build it (model.build((None, n))) before converting"
            )
        used = {_layer_name(e) for e in entries}
        while in_name in used:
            in_name += "_"
        layers.append(KerasLayer("InputLayer", in_name, {"name": in_name, "batch_shape": list(shape)}))

    for entry in entries:
        name = _layer_name(entry)
        cls = entry.get("class_name", "")
        inbound = [layers[-1].name] if layers else []
        layers.append(KerasLayer(cls, name, dict(entry.get("config") or {}), inbound, weights(name, cls),
                                 module=str(entry.get("module") or "")))
    return KerasModel(model_name, layers, [layers[0].name], [layers[-1].name], source=source)


def _keras2_node_refs(node) -> list[str]:
    """Layer names of one Keras-2 inbound node: ``[["name", node, tensor, {kwargs}], ...]``."""
    if isinstance(node, list) and node and isinstance(node[0], str):
        return [node[0]]
    refs: list[str] = []
    if isinstance(node, list):
        for item in node:
            refs += _keras2_node_refs(item)
    return refs


def _keras3_node_refs(obj) -> list[str]:
    """Layer names in a Keras-3 node's args/kwargs, in order: every ``keras_history``."""
    refs: list[str] = []
    if isinstance(obj, dict):
        if obj.get("class_name") == "__keras_tensor__":
            return [obj["config"]["keras_history"][0]]
        for value in obj.values():
            refs += _keras3_node_refs(value)
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            refs += _keras3_node_refs(item)
    return refs


def _tensor_refs(obj) -> list[str]:
    """Layer names in ``input_layers`` / ``output_layers`` (``["x", 0, 0]`` or lists / dicts of them)."""
    if isinstance(obj, (list, tuple)) and len(obj) >= 2 and isinstance(obj[0], str) and isinstance(obj[1], int):
        return [obj[0]]
    refs: list[str] = []
    items = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, (list, tuple)) else []
    for item in items:
        refs += _tensor_refs(item)
    return refs


def _parse_functional(config: dict, weights: WeightLookup, source: str) -> KerasModel:
    model_name = config.get("name") or "model"
    layers: list[KerasLayer] = []
    for entry in config.get("layers") or []:
        name = _layer_name(entry)
        cls = entry.get("class_name", "")
        nodes = entry.get("inbound_nodes") or []
        if len(nodes) > 1:
            raise RtlnnError(
                f"{source}: layer {name!r} ({cls}) is called {len(nodes)} times (a shared layer); "
                "rtlnn needs each layer applied once: give each use its own layer"
            )
        inbound: list[str] = []
        if nodes:
            node = nodes[0]
            inbound = _keras3_node_refs(node) if isinstance(node, dict) else _keras2_node_refs(node)
        layers.append(KerasLayer(cls, name, dict(entry.get("config") or {}), inbound, weights(name, cls),
                                 module=str(entry.get("module") or "")))
    inputs = _tensor_refs(config.get("input_layers") or [])
    outputs = _tensor_refs(config.get("output_layers") or [])
    if not layers or not inputs or not outputs:
        raise RtlnnError(f"{source}: the functional model {model_name!r} has no layers, inputs or outputs in its config")
    return KerasModel(model_name, layers, inputs, outputs, source=source)
