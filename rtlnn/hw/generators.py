"""Which generator builds which layer kind: the one table to extend when a layer kind is added.

A factory takes the typed IR layer, the :class:`Source` of each of its inputs (in order)
and the :class:`HwOptions`, and returns a ``wiring.Component`` with ``latency``, ``ii`` and
``n_multipliers`` attributes and the ports ``in_valid``, ``out_data``, ``out_valid`` plus
``in_data`` (one input) or ``in_data_0``, ``in_data_1``, ... (several inputs, all valid
together).  Layer kinds that are pure wiring (Reshape) have no entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from amaranth.lib import wiring

from .. import ir
from ..fixed import FixedType
from .activation import Activation, PReLU
from .dense import Dense
from .dense_resource import DenseResource
from .cast_layer import make_cast
from .merge import make_concatenate, make_merge
from .scale_shift import make_batchnorm
from .cnn_layers import CNN_GENERATORS

__all__ = ["Source", "HwOptions", "GENERATORS", "WIRING_KINDS", "make_generator"]


@dataclass(frozen=True)
class Source:
    """One input of a layer as the hardware sees it: producer, element type and count."""

    name: str
    type: FixedType
    size: int
    shape: tuple[int, ...]


@dataclass(frozen=True)
class HwOptions:
    """Network-wide generator settings (pipelining knobs).

    ``clock_period`` (ns, None for none) is the target clock: generators that pipeline by
    delay (:mod:`rtlnn.hw.timing_model`) place registers for it, with the delay model of
    ``family`` (``xc7``, ``ecp5``; see :func:`rtlnn.hw.timing_model.family_of_part`).
    Without it, ``levels_per_stage`` adder levels go in each stage.
    """

    levels_per_stage: int = 2
    clock_period: float | None = None
    family: str = "xc7"


def _one_source(layer: ir.Layer, sources: list[Source]) -> Source:
    if len(sources) != 1:
        raise ir.RtlnnError(f"{layer.kind} layer {layer.name!r} has {len(sources)} inputs "
                            f"({', '.join(s.name for s in sources)}); it takes exactly one")
    return sources[0]


def _dense(layer: ir.Dense, sources: list[Source], options: HwOptions) -> wiring.Component:
    src = _one_source(layer, sources)
    if src.size != layer.n_in:
        raise ir.RtlnnError(
            f"Dense layer {layer.name!r}: its input {src.name!r} has {src.size} elements but the weights "
            f"expect {layer.n_in}; io_parallel Dense takes a flat vector (add a Flatten)")
    if str(layer.strategy) in ("ShiftAdd", "Auto"):  # no multipliers, or a cost-based choice: hw/shift_add.py
        from .shift_add import make_shift_add_dense

        return make_shift_add_dense(layer, src.type, options, latency_dense=Dense)
    if str(layer.strategy).lower() == "resource":  # weights in a memory (block RAM), see dense_resource
        return DenseResource(layer, src.type, levels_per_stage=options.levels_per_stage)
    return Dense(layer, src.type, levels_per_stage=_dense_levels(layer, options))


def _dense_levels(layer: ir.Dense, options: HwOptions) -> int:
    """Adder-tree levels per stage of a multiplier Dense: from the delay model at a target clock."""
    if options.clock_period is None:
        return options.levels_per_stage
    from .timing_model import dense_tree_levels

    return dense_tree_levels(layer, options.clock_period, options.family)


def _activation(layer: ir.Activation, sources: list[Source], options: HwOptions) -> wiring.Component:
    src = _one_source(layer, sources)
    return Activation(layer, src.type, src.size)


def _prelu(layer: ir.PReLU, sources: list[Source], options: HwOptions) -> wiring.Component:
    src = _one_source(layer, sources)
    return PReLU(layer, src.type, src.size)


def _softmax(layer: ir.Softmax, sources: list[Source], options: HwOptions) -> wiring.Component:
    from .softmax import Softmax

    src = _one_source(layer, sources)
    if len(src.shape) != 1:
        raise ir.RtlnnError(f"Softmax layer {layer.name!r}: its input {src.name!r} has shape {src.shape}; io_parallel "
                            "softmax takes a 1-D vector (add a Flatten, or softmax over a 1-D layer)")
    return Softmax(layer, src.type, src.size, levels_per_stage=options.levels_per_stage)


#: IR kind -> factory(layer, sources, options) -> Component
GENERATORS: dict[str, Callable[[ir.Layer, list[Source], HwOptions], wiring.Component]] = {
    "Dense": _dense,
    "Activation": _activation,
    "PReLU": _prelu,
    "Softmax": _softmax,
    "Merge": make_merge,
    "Concatenate": make_concatenate,
    "BatchNormalization": make_batchnorm,
    "Cast": make_cast,
    **CNN_GENERATORS,  # convolutions, pooling, padding, cropping, upsampling (hw/cnn_layers.py)
}

#: IR kinds that cost no logic: their output is their (single) input, rearranged in place.
WIRING_KINDS = ("Reshape",)


def make_generator(layer: ir.Layer, sources: list[Source], options: HwOptions) -> wiring.Component:
    factory = GENERATORS.get(layer.kind)
    if factory is None:
        supported = ", ".join(sorted(("Input",) + WIRING_KINDS + tuple(GENERATORS)))
        raise ir.RtlnnError(f"layer {layer.name!r}: kind {layer.kind} has no io_parallel hardware generator yet "
                            f"(supported: {supported})")
    return factory(layer, sources, options)
