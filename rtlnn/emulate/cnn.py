"""Emulator entries of the convolutional layer kinds: adapters from IR layers to
:mod:`rtlnn.arith_cnn` (1-D tensors are lifted to 2-D with a height of 1 and back)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from .. import arith_cnn as ac
from ..ir import Layer
from ..ir_cnn import CONV_KINDS

__all__ = ["CNN_EMULATORS"]


def _as_4d(layer: Layer, x: np.ndarray) -> np.ndarray:
    return x[:, None] if layer.spatial_ndim == 1 else x


def _out(layer: Layer, y: np.ndarray) -> np.ndarray:
    return y.reshape((y.shape[0],) + tuple(layer.shape))


def _in(layer: Layer, srcs: list[Layer], vals: list[np.ndarray]) -> np.ndarray:
    x = vals[0]
    return _as_4d(layer, x) if x.ndim == layer.spatial_ndim + 2 else x


def _conv(layer, srcs, vals):
    y = ac.conv_raw(_in(layer, srcs, vals), srcs[0].result_t, layer.kernel_size, layer.strides, layer.padding,
                    layer.weight_raw(), layer.weight_t, layer.bias_raw(), layer.bias_t, layer.accum_t,
                    layer.result_t)
    return _out(layer, y)


def _pool(layer, srcs, vals):
    return _out(layer, ac.pool_raw(_in(layer, srcs, vals), srcs[0].result_t, layer.op, layer.kernel_size,
                                   layer.strides, layer.padding, layer.result_t))


def _global_pool(layer, srcs, vals):
    return ac.global_pool_raw(_in(layer, srcs, vals), srcs[0].result_t, layer.op, layer.result_t)


def _zero_pad(layer, srcs, vals):
    return _out(layer, ac.pad_raw(_in(layer, srcs, vals), layer.padding))


def _crop(layer, srcs, vals):
    return _out(layer, ac.crop_raw(_in(layer, srcs, vals), layer.cropping))


def _upsample(layer, srcs, vals):
    return _out(layer, ac.upsample_raw(_in(layer, srcs, vals), layer.factors))


#: IR kind -> emulator function, merged into :data:`rtlnn.emulate.EMULATORS`.
CNN_EMULATORS: dict[str, Callable] = {
    **{kind: _conv for kind in CONV_KINDS},
    "Pooling1D": _pool, "Pooling2D": _pool,
    "GlobalPooling1D": _global_pool, "GlobalPooling2D": _global_pool,
    "ZeroPadding1D": _zero_pad, "ZeroPadding2D": _zero_pad,
    "Cropping1D": _crop, "Cropping2D": _crop,
    "UpSampling1D": _upsample, "UpSampling2D": _upsample,
}
