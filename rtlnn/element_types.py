"""Per-element fixed-point types: the arithmetic of a :class:`rtlnn.ir.Cast` whose elements each
have their own type (HGQ's heterogeneous quantizers), shared by the emulator and the generator.

``element_t`` lists one entry per element of the (flattened, row-major) tensor: a
:class:`FixedType`, or ``None`` for an element with no bits at all, which is the constant zero
and costs nothing.  Element ``j`` is cast from the input type to ``element_t[j]`` (its rounding,
then its overflow) and from there to the layer's one ``result_t``; with the default
``result_t`` -- :func:`union` of the element types -- that second cast is exact, so the tensor
carries every element's value unchanged in one bus type.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from .elementwise import union_type
from .fixed import FixedType, raw_array

__all__ = ["union", "groups", "element_cast_raw", "describe"]


def union(element_t) -> FixedType:
    """The narrowest type holding every value of every element type (``ufixed<1,1>`` if all are zero)."""
    types = sorted({t for t in element_t if t is not None}, key=str)
    if not types:
        return FixedType(1, 1, False)
    return union_type(types)


def groups(element_t) -> list[tuple["FixedType | None", np.ndarray]]:
    """``(type, element indices)`` for each distinct element type, in a deterministic order."""
    by_type: dict = {}
    for j, t in enumerate(element_t):
        by_type.setdefault(t, []).append(j)
    keys = sorted(by_type, key=lambda t: (t is not None, str(t)))
    return [(t, np.asarray(by_type[t], dtype=np.int64)) for t in keys]


def element_cast_raw(x_raw, in_t: FixedType, element_t, result_t: FixedType) -> np.ndarray:
    """Raw inputs of ``in_t`` (batch first) to raw results: element ``j`` cast to ``element_t[j]``
    (zero where it is None), then to ``result_t``."""
    x = raw_array(x_raw)
    flat = x.reshape(x.shape[0], -1)
    if flat.shape[1] != len(element_t):
        raise ValueError(f"{flat.shape[1]} elements but {len(element_t)} element types")
    out = np.zeros(flat.shape, dtype=object if result_t.width > 62 else np.int64)
    for t, idx in groups(element_t):
        if t is not None:
            out[:, idx] = result_t.cast(t.cast(flat[:, idx], in_t), t)
    return out.reshape(x.shape)


def describe(element_t) -> dict:
    """A report entry for a per-element type set: counts, width range, the most common types."""
    counts = Counter(str(t) if t is not None else "zero" for t in element_t)
    widths = [t.width for t in element_t if t is not None]
    return {
        "elements": len(element_t),
        "distinct_types": len(counts),
        "zero_elements": counts.get("zero", 0),
        "total_bits": int(sum(widths)),
        "width_range": [min(widths), max(widths)] if widths else [0, 0],
        "most_common": [[k, v] for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:4]],
        "note": "per-element types (heterogeneous quantizer); 'result' is their union",
    }
