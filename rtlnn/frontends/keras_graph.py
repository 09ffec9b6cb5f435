"""From a :class:`KerasModel` to the rtlnn IR: :func:`graph_from_keras`.

Layers that compute nothing at inference (Dropout, a Flatten of a 1-D tensor) are removed:
their readers read their input.  A Dense ``activation=`` becomes its own Activation layer
named ``{dense}_{function}``, as hls4ml names it.  Every FixedType is left None: the
configuration and the passes fill them.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .. import ir
from ..elementwise import average_shift
from ..ir import RtlnnError
from .keras_cnn import CNN_LAYERS, CnnConverter
from .keras_model import KerasLayer, KerasModel, input_shape_of

__all__ = ["graph_from_keras", "SUPPORTED_LAYERS", "SUPPORTED_ACTIVATIONS"]

#: Keras activation names -> (IR function, params); "softmax" becomes a Softmax layer.
KERAS_ACTIVATIONS = {
    "linear": ("linear", {}),
    "relu": ("relu", {}),
    "relu6": ("relu6", {}),
    "leaky_relu": ("leaky_relu", {"alpha": 0.2}),  # keras.activations.leaky_relu's default slope
    "elu": ("elu", {"alpha": 1.0}),
    "selu": ("selu", {}),
    "sigmoid": ("sigmoid", {}),
    "tanh": ("tanh", {}),
    "softplus": ("softplus", {}),
    "softsign": ("softsign", {}),
    "hard_sigmoid": ("hard_sigmoid", {"slope": 1.0 / 6.0, "shift": 0.5}),  # Keras 3: relu6(x + 3) / 6
    "hard_tanh": ("hard_tanh", {}),
    "softmax": ("softmax", {}),
}
SUPPORTED_ACTIVATIONS = tuple(KERAS_ACTIVATIONS)
#: Keras 2 (and tf.keras 2) defined hard_sigmoid with slope 0.2 where Keras 3 uses 1/6.
KERAS2_HARD_SIGMOID = {"slope": 0.2, "shift": 0.5}


def activation_name(value) -> str:
    """The function name of a Keras activation config: ``"relu"``, ``None`` or a serialized dict."""
    if value is None:
        return "linear"
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        inner = value.get("config")
        if isinstance(inner, str):  # Keras 3 {"class_name": "function", "config": "relu"}
            return inner
        if isinstance(inner, dict) and isinstance(inner.get("name"), str):
            return inner["name"]
        return str(value.get("class_name", value))
    return str(value)


class _Converter(CnnConverter):
    def __init__(self, km: KerasModel):
        self.km = km
        self.graph = ir.ModelGraph(name=km.name)
        self.alias: dict[str, str] = {}  # Keras layer name -> IR layer holding its output
        self.taken = {spec.name for spec in km.layers}

    # ------------------------------------------------------------ helpers
    def where(self, spec: KerasLayer) -> str:
        return f"layer {spec.name!r} ({spec.class_name}) of {self.km.where()}"

    def source(self, spec: KerasLayer) -> str:
        """The IR layer feeding a single-input layer."""
        if len(spec.inbound) != 1:
            raise RtlnnError(
                f"{self.where(spec)} has {len(spec.inbound)} inputs; this layer kind takes exactly one"
            )
        return self.alias[spec.inbound[0]]

    def shape(self, ir_name: str) -> tuple[int, ...]:
        return self.graph[ir_name].shape

    def unique(self, name: str) -> str:
        candidate, k = name, 2
        while candidate in self.taken:
            candidate, k = f"{name}_{k}", k + 1
        self.taken.add(candidate)
        return candidate

    def check_activation(self, spec: KerasLayer, function: str) -> None:
        if function not in SUPPORTED_ACTIVATIONS:
            raise RtlnnError(
                f"{self.where(spec)}: activation {function!r} is not supported; supported activations: "
                f"{', '.join(SUPPORTED_ACTIVATIONS)}"
            )

    def activation_layer(self, name: str, src: str, function: str) -> ir.Layer:
        """The IR layer of a Keras activation function applied to ``src`` (Softmax for softmax)."""
        shape = self.shape(src)
        if function == "softmax":
            return ir.Softmax(name, [src], shape)
        fn, params = KERAS_ACTIVATIONS[function]
        if function == "hard_sigmoid" and self.km.keras_version.startswith("2."):
            params = KERAS2_HARD_SIGMOID  # Keras 2's is clip(0.2 x + 0.5, 0, 1)
        return ir.Activation(name, [src], shape, function=fn, params=dict(params))

    # ------------------------------------------------------------ layers
    def InputLayer(self, spec: KerasLayer) -> None:
        batch_shape = input_shape_of(spec.config)
        if batch_shape is None:
            raise RtlnnError(f"{self.where(spec)} has no shape in its config (batch_shape / batch_input_shape)")
        shape = tuple(batch_shape[1:])
        if not shape or any(d is None for d in shape):
            raise RtlnnError(
                f"{self.where(spec)} has shape {tuple(batch_shape)}: every dimension but the batch must be "
                "fixed and there must be at least one; give keras.Input a complete shape"
            )
        self.graph.add(ir.Input(spec.name, [], tuple(int(d) for d in shape)))
        self.alias[spec.name] = spec.name

    def Dense(self, spec: KerasLayer) -> None:
        src = self.source(spec)
        in_shape = self.shape(src)
        if len(in_shape) != 1:
            raise RtlnnError(
                f"{self.where(spec)} is applied to a {len(in_shape)}-D tensor of shape {in_shape}; rtlnn "
                "does not support Dense over multi-dimensional inputs yet: put a Flatten before it"
            )
        function = activation_name(spec.config.get("activation"))
        self.check_activation(spec, function)
        use_bias = spec.config.get("use_bias", True)
        expected = 2 if use_bias else 1
        if len(spec.weights) < expected:
            raise RtlnnError(
                f"{self.where(spec)} has {len(spec.weights)} weight arrays, expected {expected} "
                f"({'kernel, bias' if use_bias else 'kernel'}): the weights are missing"
            )
        kernel = np.asarray(spec.weights[0], dtype=np.float64)
        units = int(spec.config.get("units", kernel.shape[-1] if kernel.ndim else 0))
        if kernel.shape != (in_shape[0], units):
            raise RtlnnError(
                f"{self.where(spec)} has a kernel of shape {kernel.shape}, expected {(in_shape[0], units)} "
                "from its input and units: the weights do not belong to this architecture"
            )
        if use_bias:
            bias = np.asarray(spec.weights[1], dtype=np.float64)
            if bias.shape != (units,):
                raise RtlnnError(f"{self.where(spec)} has a bias of shape {bias.shape}, expected {(units,)}")
        else:
            bias = np.zeros(units, dtype=np.float64)
        self.graph.add(ir.Dense(spec.name, [src], (units,), weight=kernel.copy(), bias=bias.copy()))
        self.alias[spec.name] = spec.name
        if function != "linear":
            act = self.unique(f"{spec.name}_{function}")
            self.graph.add(self.activation_layer(act, spec.name, function))
            self.alias[spec.name] = act

    def Activation(self, spec: KerasLayer) -> None:
        src = self.source(spec)
        function = activation_name(spec.config.get("activation"))
        self.check_activation(spec, function)
        self.graph.add(self.activation_layer(spec.name, src, function))
        self.alias[spec.name] = spec.name

    def ReLU(self, spec: KerasLayer) -> None:
        src = self.source(spec)
        params = {
            key: float(spec.config[key])
            for key in ("max_value", "negative_slope", "threshold")
            if spec.config.get(key) is not None and (key == "max_value" or spec.config.get(key) != 0)
        }
        self.graph.add(ir.Activation(spec.name, [src], self.shape(src), function="relu", params=params))
        self.alias[spec.name] = spec.name

    def _parametrized(self, spec: KerasLayer, function: str, param: str, keys: tuple, default: float) -> None:
        src = self.source(spec)
        value = next((spec.config[k] for k in keys if spec.config.get(k) is not None), default)
        self.graph.add(ir.Activation(spec.name, [src], self.shape(src), function=function,
                                     params={param: float(value)}))
        self.alias[spec.name] = spec.name

    def LeakyReLU(self, spec: KerasLayer) -> None:
        self._parametrized(spec, "leaky_relu", "alpha", ("negative_slope", "alpha"), 0.3)

    def ELU(self, spec: KerasLayer) -> None:
        self._parametrized(spec, "elu", "alpha", ("alpha",), 1.0)

    def ThresholdedReLU(self, spec: KerasLayer) -> None:
        self._parametrized(spec, "thresholded_relu", "theta", ("theta",), 1.0)

    def PReLU(self, spec: KerasLayer) -> None:
        src = self.source(spec)
        if not spec.weights:
            raise RtlnnError(f"{self.where(spec)} has no alpha weights: the weights are missing")
        alpha = np.asarray(spec.weights[0], dtype=np.float64)
        try:
            np.broadcast_to(alpha, self.shape(src))
        except ValueError:
            raise RtlnnError(f"{self.where(spec)}: alpha of shape {alpha.shape} does not fit its input of shape "
                             f"{self.shape(src)}") from None
        self.graph.add(ir.PReLU(spec.name, [src], self.shape(src), alpha=alpha.copy()))
        self.alias[spec.name] = spec.name

    def Softmax(self, spec: KerasLayer) -> None:
        src = self.source(spec)
        axis = spec.config.get("axis", -1)
        rank = len(self.shape(src))
        if axis not in (-1, rank, [-1], [rank]):
            raise RtlnnError(f"{self.where(spec)} has axis={axis}; only softmax over the last axis is supported")
        self.graph.add(ir.Softmax(spec.name, [src], self.shape(src)))
        self.alias[spec.name] = spec.name

    def Dropout(self, spec: KerasLayer) -> None:
        self.alias[spec.name] = self.source(spec)  # the identity at inference

    def Flatten(self, spec: KerasLayer) -> None:
        src = self.source(spec)
        in_shape = self.shape(src)
        if len(in_shape) == 1:
            self.alias[spec.name] = src
            return
        if spec.config.get("data_format") == "channels_first":
            raise RtlnnError(
                f"{self.where(spec)} uses data_format='channels_first', which reorders elements; "
                "only channels_last Flatten is supported"
            )
        self.graph.add(ir.Reshape(spec.name, [src], (math.prod(in_shape),)))
        self.alias[spec.name] = spec.name

    def sources(self, spec: KerasLayer, at_least: int = 2) -> list[str]:
        """The IR layers feeding a multi-input layer, in order."""
        if len(spec.inbound) < at_least:
            raise RtlnnError(f"{self.where(spec)} has {len(spec.inbound)} input(s); it needs at least {at_least}")
        return [self.alias[name] for name in spec.inbound]

    def BatchNormalization(self, spec: KerasLayer) -> None:
        src = self.source(spec)
        in_shape = self.shape(src)
        axis = spec.config.get("axis", -1)
        axis = axis[0] if isinstance(axis, (list, tuple)) and len(axis) == 1 else axis
        if len(in_shape) != 1 or axis not in (-1, 1):
            raise RtlnnError(f"{self.where(spec)} normalizes axis {axis!r} of a tensor of shape {in_shape}; rtlnn "
                             "supports BatchNormalization over the last axis of a 1-D tensor (after a Dense or Flatten)")
        n = in_shape[0]
        names = (["gamma"] if spec.config.get("scale", True) else []) + (["beta"] if spec.config.get("center", True) else [])
        names += ["moving_mean", "moving_variance"]
        if len(spec.weights) != len(names):
            raise RtlnnError(f"{self.where(spec)} has {len(spec.weights)} weight arrays, expected {len(names)} "
                             f"({', '.join(names)})")
        w = {k: np.asarray(v, dtype=np.float64).reshape(-1) for k, v in zip(names, spec.weights)}
        for k, v in w.items():
            if v.shape != (n,):
                raise RtlnnError(f"{self.where(spec)}: {k} has {v.size} values, expected {n}")
        gamma = w.get("gamma", np.ones(n))
        beta = w.get("beta", np.zeros(n))
        scale = gamma / np.sqrt(w["moving_variance"] + float(spec.config.get("epsilon", 1e-3)))
        bias = beta - w["moving_mean"] * scale
        self.graph.add(ir.BatchNormalization(spec.name, [src], (n,), scale=scale, bias=bias))
        self.alias[spec.name] = spec.name

    def _merge(self, spec: KerasLayer, op: str) -> None:
        srcs = self.sources(spec, 2)
        shapes = [self.shape(s) for s in srcs]
        if len(set(shapes)) != 1:
            raise RtlnnError(f"{self.where(spec)} merges tensors of shapes {shapes}; rtlnn needs equal shapes "
                             "(no broadcasting)")
        if op == "subtract" and len(srcs) != 2:
            raise RtlnnError(f"{self.where(spec)} has {len(srcs)} inputs; Subtract takes exactly 2")
        if op == "average":
            average_shift(len(srcs), self.where(spec))
        self.graph.add(ir.Merge(spec.name, srcs, shapes[0], op=op))
        self.alias[spec.name] = spec.name

    def Add(self, spec): self._merge(spec, "add")
    def Subtract(self, spec): self._merge(spec, "subtract")
    def Multiply(self, spec): self._merge(spec, "multiply")
    def Average(self, spec): self._merge(spec, "average")
    def Maximum(self, spec): self._merge(spec, "maximum")
    def Minimum(self, spec): self._merge(spec, "minimum")

    def Concatenate(self, spec: KerasLayer) -> None:
        srcs = self.sources(spec, 1)
        shapes = [self.shape(s) for s in srcs]
        axis = spec.config.get("axis", -1)
        if any(len(sh) != 1 for sh in shapes) or axis not in (-1, 1):
            raise RtlnnError(f"{self.where(spec)} concatenates shapes {shapes} along axis {axis}; rtlnn concatenates "
                             "1-D tensors along the last axis (axis=-1): flatten the inputs first")
        self.graph.add(ir.Concatenate(spec.name, srcs, (sum(sh[0] for sh in shapes),), axis=-1))
        self.alias[spec.name] = spec.name

    def Reshape(self, spec: KerasLayer) -> None:
        src = self.source(spec)
        size = math.prod(self.shape(src))
        target = [int(d) for d in spec.config.get("target_shape") or []]
        if not target or target.count(-1) > 1 or any(d == 0 or d < -1 for d in target):
            raise RtlnnError(f"{self.where(spec)} has target_shape {target}: give positive sizes (at most one -1)")
        known = math.prod(d for d in target if d != -1)
        if -1 in target:
            if size % known:
                raise RtlnnError(f"{self.where(spec)}: {size} elements do not fill target_shape {target}")
            target[target.index(-1)] = size // known
        if math.prod(target) != size:
            raise RtlnnError(f"{self.where(spec)}: target_shape {target} holds {math.prod(target)} elements, "
                             f"its input {size}")
        if tuple(target) == self.shape(src):
            self.alias[spec.name] = src
            return
        self.graph.add(ir.Reshape(spec.name, [src], tuple(target)))
        self.alias[spec.name] = spec.name

    # ------------------------------------------------------------ driver
    def run(self) -> ir.ModelGraph:
        for spec in _topological(self.km):
            handler = getattr(self, spec.class_name, None) if spec.class_name in SUPPORTED_LAYERS else None
            if handler is None and spec.class_name in _qat_layers(spec):
                handler = functools.partial(_qat_layers(spec)[spec.class_name], self)
            if handler is None and _is_hgq2(spec):
                from .hgq2 import unsupported_layer_error

                raise unsupported_layer_error(self, spec)
            if handler is None:
                hint = (
                    " (a nested model: build the model from its layers directly)"
                    if spec.class_name in ("Sequential", "Functional", "Model")
                    else ""
                )
                raise RtlnnError(
                    f"{self.where(spec)}: layer class {spec.class_name!r} is not supported{hint}; "
                    f"supported layer classes: {', '.join(SUPPORTED_LAYERS)}"
                )
            handler(spec)
        for name in self.km.inputs:
            if not isinstance(self.graph.layers.get(name), ir.Input):
                raise RtlnnError(f"{self.km.where()}: model input {name!r} is not an InputLayer")
        self.graph.outputs = [self.alias[name] for name in self.km.outputs]
        return self.graph


SUPPORTED_LAYERS = ("InputLayer", "Dense", "Activation", "ReLU", "Dropout", "Flatten", "BatchNormalization", "Add",
                    "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Reshape",
                    "LeakyReLU", "ELU", "ThresholdedReLU", "PReLU", "Softmax") + CNN_LAYERS


def _is_hgq2(spec: KerasLayer) -> bool:
    return spec.module.split(".")[0] == "hgq"


def _qat_layers(spec: KerasLayer) -> dict:
    """Quantization-aware layer classes -> handler(converter, spec), from their library's module:
    HGQ2's for a class from an ``hgq`` module (HGQ2 and QKeras both have a ``QDense``), else QKeras's."""
    if _is_hgq2(spec):
        from .hgq2 import HGQ2_LAYERS

        return HGQ2_LAYERS
    from .qkeras import QKERAS_LAYERS

    return QKERAS_LAYERS


def _topological(km: KerasModel) -> list[KerasLayer]:
    """The layers in a topological order, keeping the config order where it already is one."""
    known = {spec.name for spec in km.layers}
    for spec in km.layers:
        for src in spec.inbound:
            if src not in known:
                raise RtlnnError(f"layer {spec.name!r} of {km.where()} reads {src!r}, which is not a layer of the model")
    for name in list(km.inputs) + list(km.outputs):
        if name not in known:
            raise RtlnnError(f"{km.where()} names {name!r} as an input or output, but has no such layer")
    done: set[str] = set()
    order: list[KerasLayer] = []
    pending = list(km.layers)
    while pending:
        ready = [spec for spec in pending if all(src in done for src in spec.inbound)]
        if not ready:
            raise RtlnnError(f"{km.where()} has a cycle through layers {[s.name for s in pending]}")
        spec = ready[0]
        order.append(spec)
        done.add(spec.name)
        pending.remove(spec)
    return order


def graph_from_keras(km: KerasModel) -> ir.ModelGraph:
    """The IR graph of a Keras model (FixedTypes all None)."""
    return _Converter(km).run()
