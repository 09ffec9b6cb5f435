"""Keras convolutional layers -> IR (:mod:`rtlnn.ir_cnn`): one converter method per Keras class,
mixed into the converter of :mod:`rtlnn.frontends.keras_graph`.

Only ``channels_last`` and a dilation rate of 1 are supported (anything else is an error
naming the setting).  ``padding="same"`` becomes explicit paddings as TensorFlow computes
them.  A ``SeparableConv2D`` becomes two IR layers: ``{name}_depthwise`` (a
DepthwiseConv2D without bias) and ``{name}`` (the 1x1 pointwise Conv2D with the bias), so
each gets its own precisions in the config.  A layer ``activation=`` becomes its own
Activation layer ``{name}_{function}``, as for Dense.
"""

from __future__ import annotations

import numpy as np

from .. import ir
from ..ir import RtlnnError
from .keras_model import KerasLayer

__all__ = ["CnnConverter", "CNN_LAYERS"]

#: Keras classes handled here.
CNN_LAYERS = (
    "Conv1D", "Conv2D", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv2D",
    "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
    "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "UpSampling1D", "UpSampling2D",
)


def _ints(value, n: int) -> tuple[int, ...]:
    """A Keras int-or-tuple setting as ``n`` ints."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    t = tuple(int(v) for v in value)
    return t * n if len(t) == 1 else t


def _pairs(value, n: int) -> tuple[int, ...]:
    """A Keras padding / cropping setting of ``n`` axes as ``(before_0, after_0, ...)``."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * (2 * n)
    items = list(value)
    if n == 1:
        return _ints(items, 2) if len(items) == 2 or len(items) == 1 else tuple(items)
    out: list[int] = []
    for item in items:
        out += list(_ints(item, 2))
    return tuple(out)


class CnnConverter:
    """Converter methods of the Keras convolutional layer classes (a mixin)."""

    # ------------------------------------------------------------ helpers
    def _spatial(self, spec: KerasLayer, ndim: int) -> tuple[str, tuple[int, ...]]:
        src = self.source(spec)
        shape = self.shape(src)
        if len(shape) != ndim + 1:
            raise RtlnnError(f"{self.where(spec)} needs a {ndim + 1}-D input (positions, channels last), "
                             f"not shape {shape}")
        fmt = spec.config.get("data_format") or "channels_last"
        if fmt != "channels_last":
            raise RtlnnError(f"{self.where(spec)} uses data_format={fmt!r}; only channels_last is supported "
                             "(build the model with data_format='channels_last')")
        return src, shape

    def _window(self, spec: KerasLayer, ndim: int, hw, kernel_key: str, stride_key: str, kernel=None):
        k = _ints(kernel if kernel is not None else spec.config.get(kernel_key), ndim)
        strides = spec.config.get(stride_key)
        s = k if strides is None else _ints(strides, ndim)
        padding = str(spec.config.get("padding", "valid")).lower()
        dil = spec.config.get("dilation_rate", 1)
        if any(d != 1 for d in _ints(dil, ndim)):
            raise RtlnnError(f"{self.where(spec)} has dilation_rate={dil}; only a dilation rate of 1 is supported")
        if int(spec.config.get("groups", 1) or 1) != 1:
            raise RtlnnError(f"{self.where(spec)} has groups={spec.config['groups']}; only groups=1 is supported "
                             "(use DepthwiseConv for per-channel filters)")
        k2 = (1,) + k if ndim == 1 else k
        s2 = (1,) + s if ndim == 1 else s
        if padding == "valid":
            pads = (0, 0, 0, 0)
        elif padding == "same":
            pads = ir.same_padding(hw[0], k2[0], s2[0]) + ir.same_padding(hw[1], k2[1], s2[1])
        else:
            raise RtlnnError(f"{self.where(spec)} has padding={padding!r}; supported: 'valid', 'same'")
        return k2, s2, pads

    def _out_shape(self, layer, hw, channels: int, ndim: int) -> tuple[int, ...]:
        ho, wo = layer.out_hw(*hw)
        return (wo, channels) if ndim == 1 else (ho, wo, channels)

    def _add_windowed(self, layer, spec: KerasLayer, ndim: int, hw, channels: int, function: str = "linear") -> None:
        layer.shape = self._out_shape(layer, hw, channels, ndim)
        self.graph.add(layer)
        self.alias[spec.name] = layer.name
        if function != "linear":
            act = self.unique(f"{layer.name}_{function}")
            self.graph.add(ir.Activation(act, [layer.name], layer.shape, function=function))
            self.alias[spec.name] = act

    def _weights(self, spec: KerasLayer, names: list[str]) -> list[np.ndarray]:
        if len(spec.weights) < len(names):
            raise RtlnnError(f"{self.where(spec)} has {len(spec.weights)} weight arrays, expected {len(names)} "
                             f"({', '.join(names)}): the weights are missing")
        return [np.asarray(w, dtype=np.float64) for w in spec.weights[:len(names)]]

    def _activation_of(self, spec: KerasLayer) -> str:
        from .keras_graph import activation_name

        function = activation_name(spec.config.get("activation"))
        self.check_activation(spec, function)
        return function

    def _hw(self, shape, ndim):
        return (1, shape[0]) if ndim == 1 else shape[:2]

    # ------------------------------------------------------------ convolutions
    def _conv(self, spec: KerasLayer, ndim: int, depthwise: bool) -> None:
        src, shape = self._spatial(spec, ndim)
        hw, cin = self._hw(shape, ndim), shape[-1]
        function = self._activation_of(spec)
        use_bias = spec.config.get("use_bias", True)
        names = (["depthwise_kernel"] if depthwise else ["kernel"]) + (["bias"] if use_bias else [])
        ws = self._weights(spec, names)
        kernel = ws[0]
        if ndim == 1:
            kernel = kernel[None]
        if kernel.ndim != 4 or kernel.shape[2] != cin:
            raise RtlnnError(f"{self.where(spec)} has a kernel of shape {ws[0].shape} for {cin} input channels: "
                             "the weights do not belong to this architecture")
        n_out = cin * kernel.shape[3] if depthwise else kernel.shape[3]
        bias = ws[1].reshape(-1) if use_bias else np.zeros(n_out)
        k, s, pads = self._window(spec, ndim, hw, "kernel_size", "strides", kernel=kernel.shape[:2][2 - ndim:])
        cls = {(1, False): ir.Conv1D, (2, False): ir.Conv2D, (1, True): ir.DepthwiseConv1D,
               (2, True): ir.DepthwiseConv2D}[(ndim, depthwise)]
        layer = cls(spec.name, [src], (), strides=s, padding=pads, weight=kernel.copy(), bias=bias.copy())
        self._add_windowed(layer, spec, ndim, hw, n_out, function)

    def Conv1D(self, spec: KerasLayer) -> None:
        if str(spec.config.get("padding", "valid")).lower() == "causal":
            raise RtlnnError(f"{self.where(spec)} has padding='causal'; supported: 'valid', 'same' "
                             "(put a ZeroPadding1D((k - 1, 0)) before a 'valid' Conv1D instead)")
        self._conv(spec, 1, False)

    def Conv2D(self, spec: KerasLayer) -> None:
        self._conv(spec, 2, False)

    def DepthwiseConv1D(self, spec: KerasLayer) -> None:
        self._conv(spec, 1, True)

    def DepthwiseConv2D(self, spec: KerasLayer) -> None:
        self._conv(spec, 2, True)

    def SeparableConv2D(self, spec: KerasLayer) -> None:
        src, shape = self._spatial(spec, 2)
        hw, cin = shape[:2], shape[-1]
        function = self._activation_of(spec)
        use_bias = spec.config.get("use_bias", True)
        ws = self._weights(spec, ["depthwise_kernel", "pointwise_kernel"] + (["bias"] if use_bias else []))
        dw, pw = ws[0], ws[1]
        if dw.ndim != 4 or dw.shape[2] != cin or pw.shape[:3] != (1, 1, cin * dw.shape[3]):
            raise RtlnnError(f"{self.where(spec)} has kernels of shapes {dw.shape} and {pw.shape} for {cin} input "
                             "channels: the weights do not belong to this architecture")
        k, s, pads = self._window(spec, 2, hw, "kernel_size", "strides", kernel=dw.shape[:2])
        dname = self.unique(f"{spec.name}_depthwise")
        depth = ir.DepthwiseConv2D(dname, [src], (), strides=s, padding=pads, weight=dw.copy(),
                                   bias=np.zeros(cin * dw.shape[3]))
        depth.shape = self._out_shape(depth, hw, depth.n_out, 2)
        self.graph.add(depth)
        bias = ws[2].reshape(-1) if use_bias else np.zeros(pw.shape[3])
        point = ir.Conv2D(spec.name, [dname], (), weight=pw.copy(), bias=bias.copy())
        self._add_windowed(point, spec, 2, depth.shape[:2], pw.shape[3], function)

    # ------------------------------------------------------------ pooling
    def _pool(self, spec: KerasLayer, ndim: int, op: str) -> None:
        src, shape = self._spatial(spec, ndim)
        hw = self._hw(shape, ndim)
        k, s, pads = self._window(spec, ndim, hw, "pool_size", "strides")
        if op == "average" and any(pads):
            raise RtlnnError(f"{self.where(spec)} has padding='same'; average pooling supports padding='valid' "
                             "only (Keras divides border windows by fewer elements)")
        cls = ir.Pooling1D if ndim == 1 else ir.Pooling2D
        layer = cls(spec.name, [src], (), kernel_size=k, strides=s, padding=pads, op=op)
        self._add_windowed(layer, spec, ndim, hw, shape[-1])

    def MaxPooling1D(self, spec):
        self._pool(spec, 1, "max")

    def MaxPooling2D(self, spec):
        self._pool(spec, 2, "max")

    def AveragePooling1D(self, spec):
        self._pool(spec, 1, "average")

    def AveragePooling2D(self, spec):
        self._pool(spec, 2, "average")

    def _global_pool(self, spec: KerasLayer, ndim: int, op: str) -> None:
        src, shape = self._spatial(spec, ndim)
        if spec.config.get("keepdims"):
            raise RtlnnError(f"{self.where(spec)} has keepdims=True; only keepdims=False is supported")
        cls = ir.GlobalPooling1D if ndim == 1 else ir.GlobalPooling2D
        self.graph.add(cls(spec.name, [src], (shape[-1],), op=op))
        self.alias[spec.name] = spec.name

    def GlobalMaxPooling1D(self, spec):
        self._global_pool(spec, 1, "max")

    def GlobalMaxPooling2D(self, spec):
        self._global_pool(spec, 2, "max")

    def GlobalAveragePooling1D(self, spec):
        self._global_pool(spec, 1, "average")

    def GlobalAveragePooling2D(self, spec):
        self._global_pool(spec, 2, "average")

    # ------------------------------------------------------------ data movement
    def _reshaping(self, spec: KerasLayer, ndim: int, cls, key: str) -> None:
        src, shape = self._spatial(spec, ndim)
        h, w = self._hw(shape, ndim)
        c = shape[-1]
        if cls in (ir.UpSampling1D, ir.UpSampling2D):
            interp = spec.config.get("interpolation", "nearest")
            if interp != "nearest":
                raise RtlnnError(f"{self.where(spec)} has interpolation={interp!r}; only 'nearest' is supported")
            size = _ints(spec.config.get(key, 2), ndim)
            size = (1,) + size if ndim == 1 else size
            layer = cls(spec.name, [src], (), factors=size)
            out = (h * size[0], w * size[1])
        else:
            p = _pairs(spec.config.get(key, 1 if cls in (ir.ZeroPadding1D, ir.ZeroPadding2D) else 0), ndim)
            p = (0, 0) + p if ndim == 1 else p
            if min(p) < 0:
                raise RtlnnError(f"{self.where(spec)} has {key}={spec.config.get(key)}: values must be >= 0")
            sign = 1 if cls in (ir.ZeroPadding1D, ir.ZeroPadding2D) else -1
            out = (h + sign * (p[0] + p[1]), w + sign * (p[2] + p[3]))
            if min(out) < 1:
                raise RtlnnError(f"{self.where(spec)} crops {p} from a {h}x{w} input: nothing is left")
            layer = cls(spec.name, [src], (), **{key: p})
        layer.shape = (out[1], c) if ndim == 1 else (out[0], out[1], c)
        self.graph.add(layer)
        self.alias[spec.name] = spec.name

    def ZeroPadding1D(self, spec):
        self._reshaping(spec, 1, ir.ZeroPadding1D, "padding")

    def ZeroPadding2D(self, spec):
        self._reshaping(spec, 2, ir.ZeroPadding2D, "padding")

    def Cropping1D(self, spec):
        self._reshaping(spec, 1, ir.Cropping1D, "cropping")

    def Cropping2D(self, spec):
        self._reshaping(spec, 2, ir.Cropping2D, "cropping")

    def UpSampling1D(self, spec):
        self._reshaping(spec, 1, ir.UpSampling1D, "size")

    def UpSampling2D(self, spec):
        self._reshaping(spec, 2, ir.UpSampling2D, "size")
