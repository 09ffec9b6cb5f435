"""Check every reuse factor against the products its layer actually computes."""

from __future__ import annotations

from ..ir import Conv2D, Dense, ModelGraph, RtlnnError


def check_reuse_factors(graph: ModelGraph) -> ModelGraph:
    """A Dense layer with P nonzero quantized weights accepts any RF in 1..max(P, 1).

    Unlike HLS there is no divisibility rule: the generator builds ceil(P / RF) multipliers.
    Layers without multipliers run at II 1 whatever their reuse factor says.
    """
    for layer in graph:
        if isinstance(layer, (Dense, Conv2D)):  # a convolution's products are per output pixel
            products = layer.n_products()
            top = max(products, 1)
            if not 1 <= layer.reuse_factor <= top:
                raise RtlnnError(
                    f"layer {layer.name!r}: ReuseFactor {layer.reuse_factor} is out of range; this layer computes "
                    f"{products} nonzero products, so the valid range is 1..{top}"
                )
        else:
            layer.reuse_factor = 1
    return graph
