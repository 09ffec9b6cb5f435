"""Frontends: read trained models into the rtlnn IR (:mod:`rtlnn.ir`).

``load_keras(source, weights=None)`` reads a Keras model into plain data (:class:`KerasModel`);
``graph_from_keras(km)`` turns that into a :class:`~rtlnn.ir.ModelGraph`.
"""

from .keras import SUPPORTED_ACTIVATIONS, SUPPORTED_LAYERS, KerasLayer, KerasModel, graph_from_keras, load_keras

__all__ = [
    "load_keras",
    "graph_from_keras",
    "KerasModel",
    "KerasLayer",
    "SUPPORTED_LAYERS",
    "SUPPORTED_ACTIVATIONS",
]
