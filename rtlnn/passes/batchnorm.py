"""Fold a BatchNormalization into the Dense layer before it.

``(x @ W + b) * scale + shift == x @ (W * scale) + (b * scale + shift)``: the weights and
bias are rescaled in float, and only then quantized at the Dense layer's configured
``weight_t`` / ``bias_t`` (one rounding, not two).  The folded Dense takes the
BatchNormalization's ``result_t`` and name in the readers, so the rest of the graph sees the
same values it would have seen from the BatchNormalization.  A BatchNormalization is folded
only when its input is a Dense that nothing else reads (and that is not a model output);
otherwise it stays a standalone scale-and-shift layer.
"""

from __future__ import annotations

import numpy as np

from ..ir import BatchNormalization, Dense, ModelGraph


def fold_batchnorm(graph: ModelGraph) -> ModelGraph:
    for bn in [layer for layer in graph if isinstance(layer, BatchNormalization)]:
        if len(bn.inputs) != 1:
            continue
        dense = graph[bn.inputs[0]]
        if not isinstance(dense, Dense) or dense.name in graph.outputs:
            continue
        if [c.name for c in graph.consumers(dense.name)] != [bn.name]:
            continue
        scale = np.asarray(bn.scale, dtype=np.float64)
        if scale.shape != (dense.n_out,):
            continue
        dense.weight = np.asarray(dense.weight, dtype=np.float64) * scale[None, :]
        dense.bias = np.asarray(dense.bias, dtype=np.float64) * scale + np.asarray(bn.bias, dtype=np.float64)
        dense.result_t = bn.result_t
        dense.trace = dense.trace or bn.trace
        graph.remove(bn.name)
    return graph
