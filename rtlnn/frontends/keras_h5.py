"""Reading Keras HDF5 files with h5py alone (no TensorFlow, no Keras).

Two layouts share one weights structure, written by Keras 2 / tf.keras and kept by Keras 3
for its legacy ``.h5`` format:

* a full-model file: root attribute ``model_config`` (the model JSON) and a ``model_weights``
  group;
* a weights file (``save_weights("x.h5")`` in Keras 2): the weights structure at the root.

The weights structure: attribute ``layer_names`` lists the layers in order; each layer has a
group of that name whose attribute ``weight_names`` lists its weights in Keras order
(``"fc1/kernel:0"``, ``"fc1/bias:0"``), each a dataset at that path inside the group.
Keras 2 splits an attribute longer than 64 kB into ``layer_names0``, ``layer_names1``, ...
"""

from __future__ import annotations

import json

import numpy as np

from ..ir import RtlnnError

__all__ = ["HDF5_SIGNATURE", "is_hdf5", "read_h5_model", "read_h5_weights", "H5Weights", "WEIGHTED_CLASSES"]

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"

#: Layer classes that carry weights: a weights file lacking one of these is an error.
WEIGHTED_CLASSES = frozenset(
    {
        "Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
        "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
        "BatchNormalization", "LayerNormalization", "Embedding", "PReLU",
        "SimpleRNN", "LSTM", "GRU", "QDense", "QConv1D", "QConv2D", "QBatchNormalization",
    }
)


def is_hdf5(path: str) -> bool:
    """True when the file starts with the HDF5 signature (at 0 or a power-of-two user block offset)."""
    with open(path, "rb") as f:
        offset = 0
        while True:
            f.seek(offset)
            head = f.read(8)
            if len(head) < 8:
                return False
            if head == HDF5_SIGNATURE:
                return True
            offset = 512 if offset == 0 else offset * 2


def _open(path: str, expected: str):
    import h5py

    try:
        return h5py.File(path, "r")
    except OSError as e:
        raise RtlnnError(f"{path}: cannot read it as HDF5 ({e}); expected {expected}") from None


def _text(value) -> str:
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8")
    if isinstance(value, np.ndarray) and value.shape == ():
        return _text(value[()])
    return str(value)


def _str_list(attrs, key: str) -> "list[str] | None":
    """A list-of-strings attribute, joining Keras 2's chunked ``key0``, ``key1``, ... form."""
    if key in attrs:
        values = list(np.atleast_1d(attrs[key]))
    elif f"{key}0" in attrs:
        values, i = [], 0
        while f"{key}{i}" in attrs:
            values += list(np.atleast_1d(attrs[f"{key}{i}"]))
            i += 1
    else:
        return None
    # an empty list is written as an empty float array: nothing to decode
    return [_text(v) for v in values if not isinstance(v, (float, np.floating))]


class H5Weights:
    """The weights of every layer in a Keras HDF5 weights structure, read eagerly."""

    def __init__(self, path: str, by_layer: dict[str, list[np.ndarray]]):
        self.path = path
        self.by_layer = by_layer

    def __call__(self, name: str, class_name: str) -> list[np.ndarray]:
        if name in self.by_layer:
            return self.by_layer[name]
        if class_name in WEIGHTED_CLASSES:
            raise RtlnnError(
                f"{self.path}: holds no weights for layer {name!r} ({class_name}); the weights file does "
                "not belong to this architecture: save the weights of this same model"
            )
        return []


def _read_weights_group(group, path: str) -> dict[str, list[np.ndarray]]:
    names = _str_list(group.attrs, "layer_names")
    if names is None and "layers" in group and "vars" in group:
        raise RtlnnError(
            f"{path}: Keras 3 weights (model.save_weights('....weights.h5')), stored by object path, which "
            "cannot be matched to an architecture JSON; save the whole model with model.save('model.keras') "
            "and load that"
        )
    if names is None:
        raise RtlnnError(
            f"{path}: no 'layer_names' attribute, so these are not Keras-2 HDF5 weights; expected a file "
            "written by Keras 2 / tf.keras model.save_weights('....h5') or model.save('....h5')"
        )
    by_layer: dict[str, list[np.ndarray]] = {}
    for layer_name in names:
        if layer_name not in group:
            raise RtlnnError(f"{path}: layer {layer_name!r} is listed in layer_names but has no group: the file is corrupt")
        layer_group = group[layer_name]
        arrays = []
        for weight_name in _str_list(layer_group.attrs, "weight_names") or []:
            if weight_name not in layer_group:
                raise RtlnnError(
                    f"{path}: weight {weight_name!r} of layer {layer_name!r} is listed but missing: the file is corrupt"
                )
            arrays.append(np.array(layer_group[weight_name]))
        by_layer[layer_name] = arrays
    return by_layer


def read_h5_weights(path: str) -> H5Weights:
    """Weights from a Keras-2 weights file (structure at the root or in ``model_weights``)."""
    with _open(path, "a Keras-2 HDF5 weights file") as f:
        group = f["model_weights"] if "layer_names" not in f.attrs and "model_weights" in f else f
        return H5Weights(path, _read_weights_group(group, path))


def read_h5_model(path: str) -> tuple[dict, H5Weights]:
    """The model config and the weights of a full-model legacy ``.h5`` file."""
    with _open(path, "a Keras full-model .h5 file (model.save('model.h5'))") as f:
        if "model_config" not in f.attrs:
            if "layer_names" in f.attrs or "model_weights" in f:
                raise RtlnnError(
                    f"{path}: holds weights but no model_config (architecture); pass the architecture "
                    f"JSON as the source and this file as weights=, e.g. load_keras('model.json', weights={path!r})"
                )
            raise RtlnnError(
                f"{path}: an HDF5 file without a Keras model in it (no 'model_config' attribute); "
                "expected a full model saved with model.save('model.h5')"
            )
        try:
            config = json.loads(_text(f.attrs["model_config"]))
        except (ValueError, UnicodeDecodeError) as e:
            raise RtlnnError(f"{path}: the model_config attribute is not valid JSON ({e}): the file is corrupt") from None
        if isinstance(config, dict) and "keras_version" not in config and "keras_version" in f.attrs:
            config["keras_version"] = _text(f.attrs["keras_version"])  # Keras 2 and 3 differ (hard_sigmoid)
        group = f["model_weights"] if "model_weights" in f else f
        return config, H5Weights(path, _read_weights_group(group, path))
