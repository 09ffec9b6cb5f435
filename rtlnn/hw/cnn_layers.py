"""The table entries of the convolutional layer kinds: io_parallel factories (merged into
:data:`rtlnn.hw.generators.GENERATORS`) and io_stream factories (merged into
:data:`rtlnn.hw.stream_generators.STREAM_GENERATORS`)."""

from __future__ import annotations

from ..ir_cnn import CONV_KINDS
from .conv import make_conv, make_conv_stream
from .pooling import make_global_pooling, make_global_pooling_stream, make_pooling, make_pooling_stream
from .reshape_ops import (make_cropping_stream, make_flatten_stream, make_rearrange, make_upsampling_stream,
                          make_zero_padding_stream)

__all__ = ["CNN_GENERATORS", "CNN_STREAM_GENERATORS"]

_REARRANGING = ("ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "UpSampling1D", "UpSampling2D")

#: io_parallel: IR kind -> factory(layer, sources, options).
CNN_GENERATORS = {
    **{kind: make_conv for kind in CONV_KINDS},
    "Pooling1D": make_pooling, "Pooling2D": make_pooling,
    "GlobalPooling1D": make_global_pooling, "GlobalPooling2D": make_global_pooling,
    **{kind: make_rearrange for kind in _REARRANGING},
}

#: io_stream: IR kind -> factory(layer, sources, options).  "Reshape" is the Flatten of an
#: image into one pixel; a Reshape that keeps the pixel layout stays wiring in the stream top.
CNN_STREAM_GENERATORS = {
    **{kind: make_conv_stream for kind in CONV_KINDS},
    "Pooling1D": make_pooling_stream, "Pooling2D": make_pooling_stream,
    "GlobalPooling1D": make_global_pooling_stream, "GlobalPooling2D": make_global_pooling_stream,
    "ZeroPadding1D": make_zero_padding_stream, "ZeroPadding2D": make_zero_padding_stream,
    "Cropping1D": make_cropping_stream, "Cropping2D": make_cropping_stream,
    "UpSampling1D": make_upsampling_stream, "UpSampling2D": make_upsampling_stream,
    "Reshape": make_flatten_stream,
}
