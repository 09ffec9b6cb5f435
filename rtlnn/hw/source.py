"""A layer's input as its generator sees it (producer, element type, count, shape)."""

from __future__ import annotations

from dataclasses import dataclass

from .. import ir
from ..fixed import FixedType

__all__ = ["Source", "one_source"]


@dataclass(frozen=True)
class Source:
    """One input of a layer as the hardware sees it: producer, element type and count.

    ``registered``: the values come straight from flip-flops (the network's input port, which
    the harness, AXI wrapper and self-test drive from registers, or a layer whose outputs are
    its last register), so a layer pipelined for a clock need not allow for logic in front."""

    name: str
    type: FixedType
    size: int
    shape: tuple[int, ...]
    registered: bool = False


def one_source(layer: ir.Layer, sources: list[Source]) -> Source:
    """The single input of a one-input layer, or the error that names the layer and its inputs."""
    if len(sources) != 1:
        raise ir.RtlnnError(f"{layer.kind} layer {layer.name!r} has {len(sources)} inputs "
                            f"({', '.join(s.name for s in sources)}); it takes exactly one")
    return sources[0]
