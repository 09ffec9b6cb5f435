"""Which generator builds which layer kind: the one table to extend when a layer kind is added.

A factory takes the typed IR layer, the :class:`Source` of each of its inputs (in order)
and the :class:`HwOptions`, and returns a ``wiring.Component`` with ``latency``, ``ii`` and
``n_multipliers`` attributes and the ports ``in_valid``, ``out_data``, ``out_valid`` plus
``in_data`` (one input) or ``in_data_0``, ``in_data_1``, ... (several inputs, all valid
together).  Layer kinds that are pure wiring (Reshape) have no entry.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
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
from .source import Source, one_source

__all__ = ["Source", "HwOptions", "GENERATORS", "WIRING_KINDS", "make_generator"]


@dataclass(frozen=True)
class HwOptions:
    """Network-wide generator settings (pipelining knobs).

    ``clock_period`` (ns, None for none) is the target clock: generators that pipeline by
    delay (:mod:`rtlnn.hw.timing_model`) place registers for it, with the delay model of
    ``family`` (``xc7``, ``ecp5``; see :func:`rtlnn.hw.timing_model.family_of_part`).
    Without it, ``levels_per_stage`` adder levels go in each stage.  A Dense layer's own
    ``multiplier_registers`` / ``adder_levels_per_stage`` (config ``Pipeline``) override
    these where they are not ``"auto"`` (:func:`dense_pipeline`).
    """

    levels_per_stage: int = 2
    clock_period: float | None = None
    family: str = "xc7"


def _dense(layer: ir.Dense, sources: list[Source], options: HwOptions) -> wiring.Component:
    src = one_source(layer, sources)
    if src.size != layer.n_in:
        raise ir.RtlnnError(
            f"Dense layer {layer.name!r}: its input {src.name!r} has {src.size} elements but the weights "
            f"expect {layer.n_in}; io_parallel Dense takes a flat vector (add a Flatten)")
    if str(layer.strategy) in ("ShiftAdd", "Auto"):  # no multipliers, or a cost-based choice: hw/shift_add.py
        from .shift_add import make_shift_add_dense

        levels, stages = layer.adder_levels_per_stage, layer.pipeline_stages
        if levels != "auto" and stages != "auto":
            raise ir.RtlnnError(f"Dense layer {layer.name!r}: Pipeline AdderLevelsPerStage {levels} and Stages "
                                f"{stages} both place the registers of a ShiftAdd layer; set one of them")
        if levels != "auto":  # an explicit AdderLevelsPerStage replaces the delay-driven schedule
            options = replace(options, clock_period=None, levels_per_stage=levels)
        return make_shift_add_dense(layer, src.type, options, input_registered=src.registered,
                                    stages=None if stages == "auto" else stages,
                                    summation="AdderGraph" if layer.summation == "auto" else layer.summation,
                                    latency_dense=lambda lay, t: Dense(lay, t, **dense_pipeline(lay, t, options)))
    if layer.summation != "auto":
        raise ir.RtlnnError(f"Dense layer {layer.name!r} (strategy {layer.strategy}): Pipeline Summation sets how a "
                            "ShiftAdd layer adds its terms; remove it here, or use Strategy: ShiftAdd")
    if layer.pipeline_stages != "auto":
        raise ir.RtlnnError(f"Dense layer {layer.name!r} (strategy {layer.strategy}): Pipeline Stages sets the cycle "
                            "count of a ShiftAdd layer only; use MultiplierRegisters / AdderLevelsPerStage here, "
                            "or Strategy: ShiftAdd")
    if str(layer.strategy).lower() == "resource":  # weights in a memory (block RAM), see dense_resource
        return DenseResource(layer, src.type, **dense_pipeline(layer, src.type, options))
    return Dense(layer, src.type, **dense_pipeline(layer, src.type, options))


def dense_pipeline(layer: ir.Dense, in_t: FixedType, options: HwOptions) -> dict:
    """The pipelining of a multiplier Dense (Latency, Resource): the layer's ``Pipeline``
    settings, and for ``"auto"`` the delay model's choice at the target clock (without one:
    ``levels_per_stage`` adder levels and the product register)."""
    from .timing_model import dense_multiplier_registers, dense_operand_taps, dense_tree_levels

    levels, regs, taps = layer.adder_levels_per_stage, layer.multiplier_registers, layer.operand_taps
    clocked = options.clock_period is not None
    if levels == "auto":
        levels = dense_tree_levels(layer, options.clock_period, options.family) if clocked else options.levels_per_stage
    if regs == "auto":
        regs = dense_multiplier_registers(layer, in_t, options.clock_period, options.family) if clocked else 1
    if taps == "auto":
        taps = dense_operand_taps(layer, options.family) if clocked else None
    return {"levels_per_stage": levels, "multiplier_registers": regs, "operand_taps": taps}


def _activation(layer: ir.Activation, sources: list[Source], options: HwOptions) -> wiring.Component:
    src = one_source(layer, sources)
    return Activation(layer, src.type, src.size)


def _prelu(layer: ir.PReLU, sources: list[Source], options: HwOptions) -> wiring.Component:
    src = one_source(layer, sources)
    return PReLU(layer, src.type, src.size)


def _softmax(layer: ir.Softmax, sources: list[Source], options: HwOptions) -> wiring.Component:
    from .softmax import Softmax

    src = one_source(layer, sources)
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
