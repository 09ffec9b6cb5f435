"""Quantization-aware training through QKeras (qkeras-v3, the Keras 3 port: the QAT library
rtlnn imports, see :mod:`rtlnn.frontends.qkeras`).

:func:`quantize_model` turns a float Keras model (a chain of layers, as a small student is)
into its QKeras twin with the same weights, ready to fine-tune:

==========================  =====================================================================
float layer                 QKeras layer
==========================  =====================================================================
(model input)               ``QActivation(quantized_bits(input_bits, input_integer,
                            keep_negative=input_signed))`` right after the input: the input
                            precision comes from the model too, and rtlnn makes it the Input's
                            type, so a float input is rounded once, as QKeras rounds it
``Dense``                   ``QDense(kernel_quantizer=quantized_bits(bits, integer, alpha=1),
                            bias_quantizer=quantized_bits(bits, integer, alpha=1))``
``Conv1D`` / ``Conv2D``     ``QConv1D`` / ``QConv2D`` with the same quantizers
layer ``activation='relu'``  the layer without it, then ``QActivation(quantized_relu(bits,
  / ``ReLU`` / Activation   relu_integer))``
pooling, Flatten, Reshape   unchanged (they do no arithmetic that needs a quantizer)
Dropout                     dropped (identity at inference)
==========================  =====================================================================

``alpha=1`` keeps every weight on the plain fixed-point grid (no per-channel scale), which is
what converts exactly to ``fixed<bits, integer+1>``; the last layer keeps its exact (unquantized)
sum, the logits — the argmax needs nothing more.  The result converts with
``rtlnn.convert_from_keras_model(qmodel)`` and no precision in the config.
"""

from __future__ import annotations

from ..ir import RtlnnError

__all__ = ["quantize_model", "layer_quantizer", "QUANTIZED_CLASSES"]

_PASS = ("Flatten", "Reshape", "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
         "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
         "ZeroPadding1D", "ZeroPadding2D")
QUANTIZED_CLASSES = {"Dense": "QDense", "Conv1D": "QConv1D", "Conv2D": "QConv2D"}


def _q(bits: int, integer: int) -> str:
    return f"quantized_bits({bits}, {integer}, alpha=1)"


def quantize_model(model, bits: int = 8, integer: int = 0, *, relu_bits: int | None = None, relu_integer: int = 2,
                   input_bits: int | None = None, input_integer: int = 2, input_signed: bool = True,
                   name: str | None = None):
    """The QKeras twin of the float chain ``model`` (weights copied), quantized at ``bits``.

    ``integer``: integer bits of the weight/bias quantizers (besides the sign): weights in
    ``[-2**integer, 2**integer)``.  ``relu_bits`` / ``relu_integer``: the activations'
    ``quantized_relu`` (default ``bits``); ``input_bits`` / ``input_integer``: the input's
    ``quantized_bits`` (default ``bits``); ``input_signed=False``: an unsigned input in
    ``[0, 2**input_integer)`` (8-bit pixels ``k/256``: ``input_bits=8, input_integer=0``, exact)."""
    import keras
    import qkeras

    if bits < 2:
        raise RtlnnError(f"quantize_model: bits={bits}; use at least 2 (binary/ternary: build the QKeras model by hand)")
    if integer < 0 or integer >= bits:
        raise RtlnnError(f"quantize_model: integer={integer} must be in [0, bits={bits})")
    if input_bits is not None and input_bits < 2:
        raise RtlnnError(f"quantize_model: input_bits={input_bits}; use at least 2")
    relu_bits = relu_bits or bits
    input_bits = input_bits or bits
    layers = [l for l in model.layers if l.__class__.__name__ != "InputLayer"]
    x_in = keras.Input(model.input_shape[1:], name="input")
    x = qkeras.QActivation(f"quantized_bits({input_bits}, {input_integer}, keep_negative={int(input_signed)}, alpha=1)",
                           name="input_q")(x_in)
    copies = []
    for layer in layers:
        cls = layer.__class__.__name__
        cfg = layer.get_config()
        act = "linear"
        if cls in QUANTIZED_CLASSES:
            act = cfg.get("activation", "linear")
            act = act if isinstance(act, str) else "linear" if act is None else act.get("config", act)
            if act not in ("linear", "relu"):
                raise RtlnnError(f"quantize_model: layer {layer.name!r} has activation={act!r}; "
                                 "students use relu or linear (a softmax goes away: train on logits)")
            kw = {k: cfg[k] for k in ("units", "filters", "kernel_size", "strides", "padding", "use_bias") if k in cfg}
            qlayer = getattr(qkeras, QUANTIZED_CLASSES[cls])(
                **kw, kernel_quantizer=_q(bits, integer), bias_quantizer=_q(bits, integer), name=layer.name)
            x = qlayer(x)
            copies.append((qlayer, layer))
        elif cls in ("ReLU", "Activation"):
            act = "relu" if cls == "ReLU" else cfg.get("activation")
            if act not in ("relu", "linear"):
                raise RtlnnError(f"quantize_model: layer {layer.name!r} is activation {act!r}; only relu/linear "
                                 "are quantized (a final softmax goes away: train on logits)")
            if cls == "ReLU" and (cfg.get("max_value") is not None or cfg.get("negative_slope")):
                raise RtlnnError(f"quantize_model: ReLU {layer.name!r} has max_value/negative_slope; use a plain ReLU")
            if act == "relu":
                x = qkeras.QActivation(f"quantized_relu({relu_bits}, {relu_integer})", name=layer.name)(x)
            continue
        elif cls in _PASS:
            x = layer.__class__.from_config(cfg)(x)
        elif cls == "Dropout":
            continue
        else:
            raise RtlnnError(f"quantize_model: layer {layer.name!r} ({cls}) has no QKeras counterpart here; "
                             f"supported: {', '.join(list(QUANTIZED_CLASSES) + list(_PASS))}, ReLU, Activation, Dropout")
        if act == "relu":
            x = qkeras.QActivation(f"quantized_relu({relu_bits}, {relu_integer})", name=f"{layer.name}_relu")(x)
    qmodel = keras.Model(x_in, x, name=name or f"{model.name}_q{bits}")
    if tuple(qmodel.output_shape) != tuple(model.output_shape):
        raise RtlnnError(f"quantize_model: {model.name!r} is not a chain of layers (its layers in order give "
                         f"{qmodel.output_shape}, the model {model.output_shape}); build the QKeras model by hand")
    for qlayer, layer in copies:
        qlayer.set_weights(layer.get_weights())
    return qmodel


def layer_quantizer(layer, key: str = "activation"):
    """The rtlnn :class:`~rtlnn.frontends.qkeras.Quantizer` of a QKeras layer's ``key`` (``activation``,
    ``kernel_quantizer``, ...), or None.  An in-memory QActivation's config holds the quantizer
    object itself: it is read through its own config, as a saved model would store it."""
    from ..frontends.qkeras import parse_quantizer

    q = layer.get_config().get(key)
    if q is not None and not isinstance(q, (str, dict)):
        q = {"class_name": q.__class__.__name__, "config": q.get_config()}
    return parse_quantizer(q, f"layer {layer.name!r}, {key}")
