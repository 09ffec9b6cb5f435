"""Graph passes: small functions ModelGraph -> ModelGraph, run in order by :func:`run_passes`."""

from __future__ import annotations

from typing import Mapping

from ..ir import ModelGraph
from .apply_config import apply_config
from .auto_precision import infer_auto_precisions
from .batchnorm import fold_batchnorm
from .casts import insert_output_casts
from .precision import infer_precisions
from .quantizers import apply_quantizers
from .reuse import check_reuse_factors

__all__ = ["apply_config", "apply_quantizers", "insert_output_casts", "fold_batchnorm", "infer_auto_precisions", "infer_precisions",
           "check_reuse_factors", "run_passes"]


def run_passes(graph: ModelGraph, config: Mapping) -> ModelGraph:
    """The standard pipeline: settings from the config, the config's output casts, BatchNormalization
    folded into Dense, 'auto' precisions, derived precisions, reuse-factor check."""
    graph = apply_config(graph, config)
    graph = apply_quantizers(graph, config)  # QAT quantizers' precisions, unless the config names them
    graph = insert_output_casts(graph, config)
    graph = fold_batchnorm(graph)
    graph = infer_auto_precisions(graph, config)
    graph = infer_precisions(graph)
    graph = check_reuse_factors(graph)
    return graph
