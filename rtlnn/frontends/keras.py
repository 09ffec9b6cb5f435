"""The Keras frontend: :func:`load_keras` reads a model from anywhere Keras models live.

Sources and how they are read:

* Keras-2 architecture ``.json`` + ``weights=`` ``.h5``, and legacy full-model ``.h5``
  (Keras 2, tf.keras or Keras 3): ``json`` and ``h5py`` only — TensorFlow is never imported,
  since Keras 3 cannot load Keras-2 JSON anyway.
* Keras 3 ``.keras`` archive: ``keras.saving.load_model`` (Keras is imported only here), so
  the float reference model comes along and the archive's object-path weight layout is
  Keras's own business.
* an in-memory ``keras.Model``: its ``get_config()`` and each layer's ``get_weights()``.

The file kind is recognized by its first bytes, not its extension.
"""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np

from ..ir import RtlnnError
from .keras_graph import SUPPORTED_ACTIVATIONS, SUPPORTED_LAYERS, graph_from_keras
from .keras_h5 import is_hdf5, read_h5_model, read_h5_weights
from .keras_model import KerasLayer, KerasModel, parse_model_config

# the whole frontend is reachable from this module too (rtlnn.frontends.keras)
__all__ = ["load_keras", "graph_from_keras", "KerasModel", "KerasLayer", "SUPPORTED_LAYERS", "SUPPORTED_ACTIVATIONS"]


def load_keras(source, weights=None) -> KerasModel:
    """Read a Keras model (path to ``.keras`` / ``.h5`` / ``.json``, or a ``keras.Model``)."""
    if not isinstance(source, (str, bytes, os.PathLike)):
        if weights is not None:
            raise RtlnnError("weights= is only used with an architecture .json source; this source is an in-memory model")
        return _from_keras_object(source)

    path = _checked_path(source, "model")
    kind = _sniff(path)
    if kind == "json":
        if weights is None:
            raise RtlnnError(
                f"{path}: an architecture JSON holds no weights; pass the weights file too, "
                f"e.g. load_keras({path!r}, weights='model_weights.h5')"
            )
        weights_path = _checked_path(weights, "weights")
        if _sniff(weights_path) != "hdf5":
            raise RtlnnError(f"{weights_path}: not an HDF5 file; expected Keras-2 HDF5 weights (model.save_weights('....h5'))")
        try:
            with open(path, encoding="utf-8") as f:
                config = json.load(f)
        except (ValueError, UnicodeDecodeError) as e:
            raise RtlnnError(f"{path}: not valid JSON ({e}); expected a Keras model architecture (model.to_json())") from None
        return parse_model_config(config, read_h5_weights(weights_path), f"{path} + {weights_path}")

    if weights is not None:
        raise RtlnnError(
            f"weights= is only used with an architecture .json source; {path} already holds its weights"
        )
    if kind == "hdf5":
        config, h5_weights = read_h5_model(path)
        return parse_model_config(config, h5_weights, path)
    if kind == "zip":
        return _load_keras_archive(path)
    raise RtlnnError(
        f"{path}: not a Keras model file; expected a .keras archive, a full-model .h5 file, "
        "or an architecture .json (with weights=)"
    )


def _checked_path(source, what: str) -> str:
    path = os.fsdecode(source)
    if not os.path.exists(path):
        raise RtlnnError(f"{path}: no such {what} file")
    if not os.path.isfile(path):
        raise RtlnnError(f"{path}: is a directory, not a {what} file")
    return path


def _sniff(path: str) -> str:
    """The kind of a file from its first bytes: 'hdf5', 'zip', 'json' or 'unknown'."""
    with open(path, "rb") as f:
        head = f.read(64)
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "json"
    if is_hdf5(path):
        return "hdf5"
    return "unknown"


def _load_keras_archive(path: str) -> KerasModel:
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except zipfile.BadZipFile as e:
        raise RtlnnError(f"{path}: a damaged zip archive ({e}); expected a Keras 3 .keras file") from None
    if "config.json" not in names:
        raise RtlnnError(f"{path}: a zip archive without config.json, so not a Keras 3 .keras file")
    from .keras_archive import archive_config, needs_own_reader, read_keras_archive

    if needs_own_reader(archive_config(path)):  # QKeras layers: read without importing QKeras
        return read_keras_archive(path)
    # TensorFlow's start-up chatter is not for users; oneDNN's reordered float sums are not wanted either
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    try:
        import keras
    except ImportError as e:
        raise RtlnnError(
            f"{path}: reading a .keras file needs Keras ({e}); install it with pip install 'rtlnn[keras]'"
        ) from None
    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as e:  # Keras raises many kinds; all mean the same to the user
        raise RtlnnError(f"{path}: Keras could not load this .keras file: {type(e).__name__}: {e}") from None
    km = _from_keras_object(model)
    km.source = path
    return km


def _from_keras_object(model) -> KerasModel:
    if not (hasattr(model, "get_config") and hasattr(model, "layers")):
        raise RtlnnError(
            f"cannot read a model from {type(model).__name__!r}: expected a keras.Model or a path to a "
            ".keras, .h5 or .json (+ weights=) file"
        )
    name = getattr(model, "name", "model")
    try:
        config = model.get_config()
    except NotImplementedError:
        config = None
    if not isinstance(config, dict) or "layers" not in config:
        raise RtlnnError(
            f"model {name!r} ({type(model).__name__}) has no layer config: rtlnn reads Sequential and "
            "functional models, not subclassed models"
        )
    by_name = {layer.name: layer for layer in model.layers}

    def weights(layer_name: str, class_name: str) -> list[np.ndarray]:
        layer = by_name.get(layer_name)
        return [np.asarray(w) for w in layer.get_weights()] if layer is not None else []

    class_name = "Sequential" if "input_layers" not in config else "Functional"
    km = parse_model_config({"class_name": class_name, "config": config}, weights, f"in-memory model {name!r}")
    km.keras_model = model
    km.source = ""
    return km
