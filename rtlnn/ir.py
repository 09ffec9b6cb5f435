"""The intermediate representation: plain data.

A :class:`ModelGraph` is an ordered (topological) collection of layers.  Each layer is a
dataclass holding its parameters as numpy arrays and its numbers as :class:`FixedType`.
Frontends build graphs, passes rewrite them, the emulator and the hardware generators read
them.  Nothing here knows about Keras or Amaranth.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar, Iterator

import numpy as np

from .fixed import FixedType

__all__ = [
    "RtlnnError",
    "Layer",
    "Input",
    "Dense",
    "Activation",
    "PReLU",
    "Softmax",
    "Reshape",
    "Merge",
    "Concatenate",
    "BatchNormalization",
    "Cast",
    "ModelGraph",
]


class RtlnnError(Exception):
    """An error a user can act on: says what, where, and what to do."""


@dataclass(eq=False)
class Layer:
    """A node of the graph.

    ``inputs`` names the layers whose outputs feed this one; ``shape`` is the output shape
    without the batch dimension; ``result_t`` the type of every output element.
    ``quantizer_t`` holds the precisions the model's own quantizers fix (QKeras / HGQ
    quantization-aware training), by precision name; ``"exact"`` means "no rounding here".
    :mod:`rtlnn.passes.quantizers` applies them where the config does not name that layer.
    """

    name: str
    inputs: list[str]
    shape: tuple[int, ...]
    result_t: FixedType | None = None
    reuse_factor: int = 1
    strategy: str = "Latency"
    trace: bool = False
    quantizer_t: dict = field(default_factory=dict)
    kind: ClassVar[str] = "Layer"

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def precisions(self) -> dict[str, FixedType | None]:
        """The named FixedTypes of this layer, as they appear in reports and configs."""
        return {"result": self.result_t}

    def copy(self) -> "Layer":
        return dataclasses.replace(self, inputs=list(self.inputs))


@dataclass(eq=False)
class Input(Layer):
    kind: ClassVar[str] = "Input"


@dataclass(eq=False)
class Dense(Layer):
    """``y = x @ weight + bias`` over the last axis (``weight`` is ``(n_in, n_out)``).

    Arithmetic (shared by emulator and hardware, see :mod:`rtlnn.arith`): every product is
    exact, then cast to ``accum_t``; the bias is cast to ``accum_t``; the sum is exact and
    cast to ``accum_t`` once; that is cast to ``result_t``.  With a WRAP accumulator this is
    exactly hls4ml's sequential ``acc += mult`` in ``accum_t``.
    """

    weight: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    bias: np.ndarray = field(default_factory=lambda: np.zeros((0,)))
    weight_t: FixedType | None = None
    bias_t: FixedType | None = None
    accum_t: FixedType | None = None
    #: pipelining (config ``Pipeline``): registers around each multiplier (0 none, 1 product,
    #: 2 operands and product) and adder-tree levels per stage; "auto": for the target clock
    multiplier_registers: int | str = "auto"
    adder_levels_per_stage: int | str = "auto"
    #: a ShiftAdd layer's cycle count (config ``Pipeline: {Stages: n}``), registers placed by
    #: the delay model to balance the stages; "auto": as few as the target clock allows
    pipeline_stages: int | str = "auto"
    #: at RF > 1, the most taps of the rotating input one multiplier reads (config
    #: ``Pipeline: {OperandTaps: n}``); "auto": the delay model's family decides
    operand_taps: int | str = "auto"
    #: how a ShiftAdd layer adds its terms (config ``Pipeline: {Summation: ...}``): "AdderGraph"
    #: (two-operand adders, shared subexpressions) or "CompressorTree"; "auto": AdderGraph
    summation: str = "auto"
    kind: ClassVar[str] = "Dense"

    @property
    def n_in(self) -> int:
        return int(self.weight.shape[0])

    @property
    def n_out(self) -> int:
        return int(self.weight.shape[1])

    def precisions(self):
        return {"weight": self.weight_t, "bias": self.bias_t, "accum": self.accum_t, "result": self.result_t}

    def weight_raw(self) -> np.ndarray:
        return self.weight_t.quantize(self.weight)

    def bias_raw(self) -> np.ndarray:
        return self.bias_t.quantize(self.bias)

    def n_products(self) -> int:
        """Number of nonzero quantized weights: the products the hardware computes."""
        return int(np.count_nonzero(self.weight_raw()))

    def copy(self):
        return dataclasses.replace(self, inputs=list(self.inputs), weight=self.weight.copy(), bias=self.bias.copy())


@dataclass(eq=False)
class Activation(Layer):
    """An elementwise function followed by a cast to ``result_t`` (functions and their
    arithmetic: :mod:`rtlnn.activations`).

    ``params`` holds the function's constants by Keras name (``alpha``, ``max_value``,
    ``negative_slope``, ``threshold``, ``theta``, ``slope``, ``shift``), quantized to
    ``param_t``; table-driven functions (sigmoid, tanh, ...) read a table of ``table_size``
    entries of ``table_t`` covering inputs ``table_range`` = ``(lo, hi)``.
    """

    function: str = "linear"
    params: dict = field(default_factory=dict)
    param_t: FixedType | None = None
    table_t: FixedType | None = None
    table_size: int | None = None
    table_range: tuple | None = None
    kind: ClassVar[str] = "Activation"

    def precisions(self):
        return {"result": self.result_t, "table": self.table_t, "param": self.param_t}

    def copy(self):
        return dataclasses.replace(self, inputs=list(self.inputs), params=dict(self.params))


@dataclass(eq=False)
class PReLU(Layer):
    """``x`` where ``x >= 0``, else ``alpha * x`` with a learned ``alpha`` per element
    (broadcast from Keras' per-channel shape), quantized to ``param_t``."""

    alpha: np.ndarray = field(default_factory=lambda: np.zeros((0,)))
    param_t: FixedType | None = None
    kind: ClassVar[str] = "PReLU"

    def precisions(self):
        return {"result": self.result_t, "param": self.param_t}

    def copy(self):
        return dataclasses.replace(self, inputs=list(self.inputs), alpha=np.array(self.alpha, copy=True))


@dataclass(eq=False)
class Softmax(Layer):
    """Softmax over the last axis, as hls4ml's ``implementation`` = ``stable`` (the default),
    ``latency``, ``legacy`` or ``argmax`` (arithmetic: :mod:`rtlnn.activations`)."""

    implementation: str = "stable"
    table_size: int | None = None
    table_range: tuple | None = None
    exp_table_t: FixedType | None = None
    inv_table_t: FixedType | None = None
    kind: ClassVar[str] = "Softmax"

    def precisions(self):
        return {"result": self.result_t, "exp_table": self.exp_table_t, "inv_table": self.inv_table_t}


@dataclass(eq=False)
class Reshape(Layer):
    """A change of shape (Flatten, Reshape): row-major order is kept, so it costs no logic."""

    kind: ClassVar[str] = "Reshape"


@dataclass(eq=False)
class Merge(Layer):
    """An elementwise merge of inputs of equal shape: ``op`` is one of
    :data:`rtlnn.elementwise.MERGE_OPS` (add, subtract, multiply, average, maximum, minimum).
    The exact result (see :mod:`rtlnn.elementwise`) is cast once to ``result_t``."""

    op: str = "add"
    kind: ClassVar[str] = "Merge"


@dataclass(eq=False)
class Concatenate(Layer):
    """1-D inputs joined along the last axis, each cast to ``result_t``."""

    axis: int = -1
    kind: ClassVar[str] = "Concatenate"


@dataclass(eq=False)
class BatchNormalization(Layer):
    """Inference-time batch normalization as a per-element ``x * scale + bias`` over the last
    axis (``scale = gamma / sqrt(var + eps)``, ``bias = beta - mean * scale``, as hls4ml folds
    it); exact product and sum, then one cast to ``result_t``."""

    scale: np.ndarray = field(default_factory=lambda: np.zeros((0,)))
    bias: np.ndarray = field(default_factory=lambda: np.zeros((0,)))
    scale_t: FixedType | None = None
    bias_t: FixedType | None = None
    kind: ClassVar[str] = "BatchNormalization"

    def precisions(self):
        return {"scale": self.scale_t, "bias": self.bias_t, "result": self.result_t}

    def scale_raw(self) -> np.ndarray:
        return self.scale_t.quantize(self.scale)

    def bias_raw(self) -> np.ndarray:
        return self.bias_t.quantize(self.bias)

    def copy(self):
        return dataclasses.replace(self, inputs=list(self.inputs), scale=self.scale.copy(), bias=self.bias.copy())


@dataclass(eq=False)
class Cast(Layer):
    """An explicit precision change: its input cast to ``result_t`` (rounding, then overflow).

    ``element_t`` (HGQ's heterogeneous quantizers) gives every element, row-major, its own type,
    or None for a constant-zero element: element ``j`` is cast to ``element_t[j]``, then to
    ``result_t`` (exactly, when that is their union); see :mod:`rtlnn.element_types`.
    """

    element_t: tuple | None = None
    kind: ClassVar[str] = "Cast"


@dataclass
class ModelGraph:
    """Layers in topological order; ``outputs`` names the layers whose results leave the model."""

    layers: dict[str, Layer] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)
    name: str = "model"

    def add(self, layer: Layer) -> Layer:
        if layer.name in self.layers:
            raise RtlnnError(f"layer name {layer.name!r} is used twice: layer names must be unique")
        for src in layer.inputs:
            if src not in self.layers:
                raise RtlnnError(f"layer {layer.name!r} reads {src!r}, which is not defined before it")
        self.layers[layer.name] = layer
        return layer

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers.values())

    def __getitem__(self, name: str) -> Layer:
        return self.layers[name]

    def __len__(self) -> int:
        return len(self.layers)

    @property
    def inputs(self) -> list[str]:
        return [l.name for l in self if isinstance(l, Input)]

    def consumers(self, name: str) -> list[Layer]:
        return [l for l in self if name in l.inputs]

    def replace_input(self, old: str, new: str) -> None:
        """Make every reader of ``old`` read ``new`` instead (used when removing a layer)."""
        for layer in self:
            layer.inputs = [new if i == old else i for i in layer.inputs]
        self.outputs = [new if o == old else o for o in self.outputs]

    def remove(self, name: str) -> None:
        """Drop a single-input layer, splicing its input into its readers."""
        layer = self.layers.pop(name)
        if len(layer.inputs) != 1:
            raise RtlnnError(f"cannot remove layer {name!r}: it has {len(layer.inputs)} inputs")
        self.replace_input(name, layer.inputs[0])

    def copy(self) -> "ModelGraph":
        return ModelGraph({n: l.copy() for n, l in self.layers.items()}, list(self.outputs), self.name)


# The convolutional layer kinds live in their own module; they are part of the IR.
from .ir_cnn import *  # noqa: E402,F401,F403
from .ir_cnn import __all__ as _cnn_all  # noqa: E402

__all__ += _cnn_all
