"""The user-facing conversion calls, named as in hls4ml: config_from_keras_model, convert_from_keras_model."""

from __future__ import annotations

import os
from typing import Mapping

from .config import DEFAULT_PRECISION, config_from_graph, load_config
from .ir import ModelGraph, RtlnnError
from .model import DEFAULT_PART, RtlnnModel
from .passes import run_passes

__all__ = ["load_keras", "config_from_keras_model", "convert_from_keras_model"]


def load_keras(source, weights=None):
    """Read a Keras model: ``.keras``, ``.h5``, a Keras-2 ``.json`` with ``weights=`` its ``.h5``,
    or an in-memory ``keras.Model``."""
    from .frontends.keras import load_keras as _load

    return _load(source, weights=weights)


def _keras_graph(model) -> tuple[ModelGraph, object]:
    from .frontends.keras import KerasModel, graph_from_keras

    km = model if isinstance(model, KerasModel) else load_keras(model)
    return graph_from_keras(km), km


def config_from_keras_model(model, granularity: str = "model", default_precision: str = DEFAULT_PRECISION,
                            default_reuse_factor: int = 1, backend=None, max_precision: str | None = None,
                            **unsupported) -> dict:
    """A config dictionary for ``model`` with every setting spelled out at ``granularity``
    (``model``, ``type`` or ``name``), ready to edit.  ``default_precision="auto"`` leaves the
    precisions to the auto_precision pass, which never goes beyond ``max_precision`` bits."""
    if unsupported:
        raise RtlnnError(f"config_from_keras_model: unsupported argument(s) {sorted(unsupported)}")
    graph, _ = _keras_graph(model)
    return config_from_graph(graph, granularity, default_precision, default_reuse_factor,
                             max_precision=max_precision)


def convert_from_keras_model(model, config: "Mapping | str | os.PathLike | None" = None, *, hls_config=None,
                             output_dir: "str | os.PathLike" = "rtlnn_prj", part: str = DEFAULT_PART,
                             io_type: str = "io_parallel", project_name: str = "rtlnn_top",
                             clock_period: float = 5.0, backend=None) -> RtlnnModel:
    """Convert a Keras model (object, path, or :func:`load_keras` result) into an :class:`RtlnnModel`.

    ``config`` (or hls4ml's name for it, ``hls_config``) is a dict or a YAML file; ``backend``
    is accepted for hls4ml scripts and must be None or 'rtlnn'.
    """
    if config is not None and hls_config is not None:
        raise RtlnnError("give either config= or hls_config=, not both")
    if backend not in (None, "rtlnn", "RTLNN"):
        raise RtlnnError(f"backend {backend!r}: rtlnn has one backend; leave backend unset")
    cfg = load_config(hls_config if config is None else config)
    if not project_name.isidentifier():
        raise RtlnnError(f"project_name {project_name!r} must be a valid identifier (letters, digits, underscore)")
    graph, km = _keras_graph(model)
    graph = run_passes(graph, cfg)
    return RtlnnModel(graph, cfg, output_dir, part=part, io_type=io_type, project_name=project_name,
                      clock_period=clock_period, keras_model=getattr(km, "keras_model", None))
