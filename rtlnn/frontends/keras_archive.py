"""Reading a Keras 3 ``.keras`` archive with zipfile + h5py alone (no Keras, no layer library).

Used for models whose layer classes come from a library that need not be installed — a
qkeras-v3 or HGQ2 model in an environment without that library — since ``keras.saving.load_model``
cannot rebuild classes it does not know.

The archive is a zip of ``config.json`` (the model config) and ``model.weights.h5``, whose
weights are stored by *object path*, not by layer name: ``layers/<name>/vars/<k>``, where
``<name>`` is the snake-case class name made unique in the order of ``model.layers``
(``q_dense``, ``q_dense_1``, ...; ``dense`` then ``dense_1`` ...) and ``<k>`` counts the
layer's own variables, trainable ones first, each group in creation order (``kernel``,
``bias`` for Dense).  Nested layers' variables (an HGQ2 layer's quantizers) sit below the
layer's group under their attribute names: ``layers/q_dense/iq/quantizer/vars/<k>``.
"""

from __future__ import annotations

import io
import json
import re
import zipfile

import numpy as np

from ..ir import RtlnnError
from .keras_h5 import WEIGHTED_CLASSES
from .keras_model import KerasModel, parse_model_config

__all__ = ["read_keras_archive", "archive_config", "snake_case"]


def snake_case(name: str) -> str:
    """Keras's ``to_snake_case`` for object paths: ``QDense`` -> ``q_dense``."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def archive_config(path: str) -> dict:
    """The model config (``config.json``) of a ``.keras`` archive."""
    try:
        with zipfile.ZipFile(path) as z:
            return json.loads(z.read("config.json"))
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise RtlnnError(f"{path}: not a readable Keras 3 .keras archive ({e})") from None


def _layer_entries(config: dict) -> list[dict]:
    inner = config.get("config")
    if isinstance(inner, list):
        return inner
    return list((inner or {}).get("layers") or [])


def read_keras_archive(path: str) -> KerasModel:
    """A :class:`KerasModel` from a ``.keras`` archive, weights matched by object path."""
    config = archive_config(path)
    try:
        with zipfile.ZipFile(path) as z:
            blob = z.read("model.weights.h5")
    except KeyError:
        raise RtlnnError(f"{path}: the archive has no model.weights.h5") from None
    import h5py

    by_layer: dict[str, list[np.ndarray]] = {}
    nested: dict[str, dict[str, list[np.ndarray]]] = {}
    with h5py.File(io.BytesIO(blob), "r") as f:
        group = f.get("layers")
        used: dict[str, int] = {}
        for entry in _layer_entries(config):
            cls = entry.get("class_name", "")
            name = entry.get("name") or (entry.get("config") or {}).get("name")
            key = snake_case(cls)
            if key in used:
                used[key] += 1
                key = f"{key}_{used[key]}"
            else:
                used[key] = 0
            arrays: list[np.ndarray] = []
            if group is not None and key in group:
                if "vars" in group[key]:
                    arrays = _vars(group[key]["vars"])
                nested[name] = _nested_vars(group[key])
            by_layer[name] = arrays

    def weights(name: str, class_name: str) -> list[np.ndarray]:
        arrays = by_layer.get(name, [])
        if not arrays and class_name in WEIGHTED_CLASSES:
            raise RtlnnError(f"{path}: no weights stored for layer {name!r} ({class_name}): the archive is incomplete")
        return arrays

    km = parse_model_config(config, weights, path)
    km.source = path
    for spec in km.layers:
        spec.sublayers = nested.get(spec.name, {})
    return km


def _vars(group) -> list[np.ndarray]:
    return [np.array(group[str(k)]) for k in range(len(group))]


def _nested_vars(layer_group) -> dict[str, list[np.ndarray]]:
    """The variables of the layers nested in one layer, by object path (``iq/quantizer``)."""
    found: dict[str, list[np.ndarray]] = {}

    def visit(path, obj):
        parts = path.split("/")
        if parts[-1] == "vars" and len(parts) > 1 and hasattr(obj, "keys"):
            found["/".join(parts[:-1])] = _vars(obj)

    layer_group.visititems(visit)
    return found


#: Module prefixes of layer libraries read without importing them (QKeras, HGQ2).
FOREIGN_MODULES = ("qkeras", "hgq")


def needs_own_reader(config: dict) -> bool:
    """True when the archive's layers come from a library read without importing it (QKeras, HGQ2)."""
    for entry in _layer_entries(config):
        module = str(entry.get("module") or "")
        registered = str(entry.get("registered_name") or "")
        if module.split(".")[0] in FOREIGN_MODULES or registered.split(">")[0] in FOREIGN_MODULES:
            return True
    return False
