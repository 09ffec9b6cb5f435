"""The convolutional layer kinds of the IR: convolutions, pooling, padding, cropping, upsampling.

Tensors are channels_last: ``(H, W, C)`` for 2-D layers and ``(L, C)`` for 1-D ones.  A 1-D
layer is held in 2-D form with a height of 1 — its kernel, strides and paddings are
``(1, k)``, ``(1, s)`` and ``(0, 0, left, right)`` and a convolution weight is
``(1, k, c_in, c_out)`` — so the arithmetic (:mod:`rtlnn.arith_cnn`) and the hardware treat
both alike; only the tensor shapes keep their own rank.  Re-exported by :mod:`rtlnn.ir`.

Paddings are explicit ``(top, bottom, left, right)`` counts of zero (or, for max pooling,
ignored) positions; the frontend turns Keras' ``same`` into them exactly as TensorFlow
does (the extra position, if the total is odd, goes to the bottom / right).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from .fixed import FixedType
from .ir import Layer, RtlnnError

__all__ = [
    "Conv2D", "Conv1D", "DepthwiseConv2D", "DepthwiseConv1D",
    "Pooling2D", "Pooling1D", "GlobalPooling2D", "GlobalPooling1D",
    "ZeroPadding2D", "ZeroPadding1D", "Cropping2D", "Cropping1D", "UpSampling2D", "UpSampling1D",
    "CONV_KINDS", "POOL_OPS", "same_padding", "spatial_shape",
]

#: Pooling operations.
POOL_OPS = ("max", "average")


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow's ``same`` padding of one axis: ``(before, after)``; the output has ``ceil(size / stride)``."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def spatial_shape(shape: tuple[int, ...], ndim: int) -> tuple[int, int, int]:
    """``(H, W, C)`` of a channels_last tensor shape of a 1-D (``ndim`` 1) or 2-D layer."""
    if len(shape) != ndim + 1:
        raise RtlnnError(f"a {ndim}-D layer needs a tensor of rank {ndim + 1} (channels last), not shape {shape}")
    return (1,) + tuple(shape) if ndim == 1 else tuple(shape)


def _pair(v, what: str, name: str) -> tuple[int, int]:
    t = tuple(int(x) for x in v)
    if len(t) != 2 or min(t) < 1:
        raise RtlnnError(f"layer {name!r}: {what} must be two integers >= 1, not {v!r}")
    return t


def _pads(v, name: str) -> tuple[int, int, int, int]:
    t = tuple(int(x) for x in v)
    if len(t) != 4 or min(t) < 0:
        raise RtlnnError(f"layer {name!r}: padding must be four integers >= 0 (top, bottom, left, right), not {v!r}")
    return t


@dataclass(eq=False)
class _Windowed(Layer):
    """A layer that slides a window over a padded input (convolutions and pooling)."""

    kernel_size: tuple[int, int] = (1, 1)
    strides: tuple[int, int] = (1, 1)
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)
    spatial_ndim: ClassVar[int] = 2

    def __post_init__(self):
        self.kernel_size = _pair(self.kernel_size, "kernel_size", self.name)
        self.strides = _pair(self.strides, "strides", self.name)
        self.padding = _pads(self.padding, self.name)

    def out_hw(self, in_h: int, in_w: int) -> tuple[int, int]:
        """Output rows and columns for an input of ``in_h`` x ``in_w``."""
        (kh, kw), (sh, sw), (pt, pb, pl, pr) = self.kernel_size, self.strides, self.padding
        hp, wp = in_h + pt + pb, in_w + pl + pr
        if hp < kh or wp < kw:
            raise RtlnnError(f"layer {self.name!r}: the {kh}x{kw} window does not fit the padded "
                             f"{hp}x{wp} input")
        return (hp - kh) // sh + 1, (wp - kw) // sw + 1


@dataclass(eq=False)
class Conv2D(_Windowed):
    """A convolution: ``weight`` ``(kh, kw, c_in, c_out)``, ``bias`` ``(c_out,)``.

    Arithmetic as Dense applied to every window (``(kh * kw * c_in)`` elements in (row,
    column, channel) order times :meth:`kernel_matrix`): exact products cast to ``accum_t``,
    bias cast to ``accum_t``, exact sum cast to ``accum_t``, then to ``result_t``.  Padded
    positions are zeros (their products vanish).  ``reuse_factor`` is per output pixel.
    """

    weight: np.ndarray = field(default_factory=lambda: np.zeros((1, 1, 0, 0)))
    bias: np.ndarray = field(default_factory=lambda: np.zeros((0,)))
    weight_t: FixedType | None = None
    bias_t: FixedType | None = None
    accum_t: FixedType | None = None
    kind: ClassVar[str] = "Conv2D"

    def __post_init__(self):
        super().__post_init__()
        self.weight = np.asarray(self.weight, dtype=np.float64)
        self.bias = np.asarray(self.bias, dtype=np.float64)
        if self.weight.ndim != 4:
            raise RtlnnError(f"layer {self.name!r}: weight must be 4-D (kh, kw, c_in, c_out), "
                             f"not shape {self.weight.shape}")
        self.kernel_size = tuple(int(d) for d in self.weight.shape[:2])
        if self.bias.shape != (self.n_out,):
            raise RtlnnError(f"layer {self.name!r}: bias shape {self.bias.shape} does not match "
                             f"{self.n_out} output channels")

    @property
    def n_in(self) -> int:
        """Input channels."""
        return int(self.weight.shape[2])

    @property
    def n_out(self) -> int:
        """Output channels."""
        return int(self.weight.shape[3])

    def kernel_matrix(self) -> np.ndarray:
        """The weights as a Dense matrix ``(kh * kw * c_in, c_out)`` over one window."""
        return self.weight.reshape(-1, self.weight.shape[-1])

    def precisions(self):
        return {"weight": self.weight_t, "bias": self.bias_t, "accum": self.accum_t, "result": self.result_t}

    def weight_raw(self) -> np.ndarray:
        """The quantized :meth:`kernel_matrix`."""
        return self.weight_t.quantize(self.kernel_matrix())

    def bias_raw(self) -> np.ndarray:
        return self.bias_t.quantize(self.bias)

    def n_products(self) -> int:
        """Nonzero quantized weights: the products of one output pixel."""
        return int(np.count_nonzero(self.weight_raw()))

    def copy(self):
        return dataclasses.replace(self, inputs=list(self.inputs), weight=self.weight.copy(), bias=self.bias.copy())


@dataclass(eq=False)
class Conv1D(Conv2D):
    """A 1-D convolution in 2-D form (``weight`` ``(1, k, c_in, c_out)``); shapes ``(L, C)``."""

    kind: ClassVar[str] = "Conv1D"
    spatial_ndim: ClassVar[int] = 1


@dataclass(eq=False)
class DepthwiseConv2D(Conv2D):
    """A depthwise convolution: ``weight`` ``(kh, kw, c_in, depth_multiplier)``; output channel
    ``c * depth_multiplier + m`` is channel ``c`` filtered by ``weight[..., c, m]`` (Keras order).

    It is the convolution whose :meth:`kernel_matrix` is block diagonal; its zeros cost no
    multiplier, so the arithmetic and the hardware are those of :class:`Conv2D`.
    """

    kind: ClassVar[str] = "DepthwiseConv2D"

    def __post_init__(self):
        _Windowed.__post_init__(self)
        self.weight = np.asarray(self.weight, dtype=np.float64)
        self.bias = np.asarray(self.bias, dtype=np.float64)
        if self.weight.ndim != 4:
            raise RtlnnError(f"layer {self.name!r}: depthwise weight must be 4-D (kh, kw, c_in, depth_multiplier), "
                             f"not shape {self.weight.shape}")
        self.kernel_size = tuple(int(d) for d in self.weight.shape[:2])
        if self.bias.shape != (self.n_out,):
            raise RtlnnError(f"layer {self.name!r}: bias shape {self.bias.shape} does not match "
                             f"{self.n_out} output channels")

    @property
    def depth_multiplier(self) -> int:
        return int(self.weight.shape[3])

    @property
    def n_out(self) -> int:
        return int(self.weight.shape[2] * self.weight.shape[3])

    def kernel_matrix(self) -> np.ndarray:
        kh, kw, c, dm = self.weight.shape
        full = np.zeros((kh, kw, c, c * dm))
        for ch in range(c):
            full[:, :, ch, ch * dm:(ch + 1) * dm] = self.weight[:, :, ch, :]
        return full.reshape(-1, c * dm)


@dataclass(eq=False)
class DepthwiseConv1D(DepthwiseConv2D):
    """A 1-D depthwise convolution in 2-D form (``weight`` ``(1, k, c_in, depth_multiplier)``)."""

    kind: ClassVar[str] = "DepthwiseConv1D"
    spatial_ndim: ClassVar[int] = 1


#: The IR kinds computed as convolutions.
CONV_KINDS = ("Conv1D", "Conv2D", "DepthwiseConv1D", "DepthwiseConv2D")


@dataclass(eq=False)
class Pooling2D(_Windowed):
    """Max or average over each window, per channel (``op`` in :data:`POOL_OPS`).

    ``max``: the exact maximum (padded positions never win), cast to ``result_t``.
    ``average``: the exact sum times ``1/N`` (see :func:`rtlnn.arith_cnn.reciprocal`), cast
    once to ``result_t``; padding is not supported for average pooling.
    """

    op: str = "max"
    kind: ClassVar[str] = "Pooling2D"

    def __post_init__(self):
        super().__post_init__()
        if self.op not in POOL_OPS:
            raise RtlnnError(f"layer {self.name!r}: pooling op {self.op!r} is not one of {', '.join(POOL_OPS)}")
        if self.op == "average" and any(self.padding):
            raise RtlnnError(f"layer {self.name!r}: average pooling with padding='same' is not supported "
                             "(Keras divides border windows by fewer elements); use padding='valid'")

    @property
    def pool_size(self) -> tuple[int, int]:
        return self.kernel_size


@dataclass(eq=False)
class Pooling1D(Pooling2D):
    kind: ClassVar[str] = "Pooling1D"
    spatial_ndim: ClassVar[int] = 1


@dataclass(eq=False)
class GlobalPooling2D(Layer):
    """Max or average over all positions, per channel: ``(H, W, C)`` -> ``(C,)`` (``keepdims=False``)."""

    op: str = "max"
    kind: ClassVar[str] = "GlobalPooling2D"
    spatial_ndim: ClassVar[int] = 2

    def __post_init__(self):
        if self.op not in POOL_OPS:
            raise RtlnnError(f"layer {self.name!r}: pooling op {self.op!r} is not one of {', '.join(POOL_OPS)}")


@dataclass(eq=False)
class GlobalPooling1D(GlobalPooling2D):
    kind: ClassVar[str] = "GlobalPooling1D"
    spatial_ndim: ClassVar[int] = 1


@dataclass(eq=False)
class ZeroPadding2D(Layer):
    """Zeros around the input: ``padding`` ``(top, bottom, left, right)``; the type is the input's."""

    padding: tuple[int, int, int, int] = (0, 0, 0, 0)
    kind: ClassVar[str] = "ZeroPadding2D"
    spatial_ndim: ClassVar[int] = 2

    def __post_init__(self):
        self.padding = _pads(self.padding, self.name)


@dataclass(eq=False)
class ZeroPadding1D(ZeroPadding2D):
    kind: ClassVar[str] = "ZeroPadding1D"
    spatial_ndim: ClassVar[int] = 1


@dataclass(eq=False)
class Cropping2D(Layer):
    """Positions dropped at the borders: ``cropping`` ``(top, bottom, left, right)``."""

    cropping: tuple[int, int, int, int] = (0, 0, 0, 0)
    kind: ClassVar[str] = "Cropping2D"
    spatial_ndim: ClassVar[int] = 2

    def __post_init__(self):
        self.cropping = _pads(self.cropping, self.name)


@dataclass(eq=False)
class Cropping1D(Cropping2D):
    kind: ClassVar[str] = "Cropping1D"
    spatial_ndim: ClassVar[int] = 1


@dataclass(eq=False)
class UpSampling2D(Layer):
    """Nearest-neighbour upsampling: every position repeated ``factors`` ``(rows, columns)`` times
    (Keras' ``size``; the name ``size`` is the element count of every layer)."""

    factors: tuple[int, int] = (2, 2)
    kind: ClassVar[str] = "UpSampling2D"
    spatial_ndim: ClassVar[int] = 2

    def __post_init__(self):
        self.factors = _pair(self.factors, "size", self.name)


@dataclass(eq=False)
class UpSampling1D(UpSampling2D):
    kind: ClassVar[str] = "UpSampling1D"
    spatial_ndim: ClassVar[int] = 1

