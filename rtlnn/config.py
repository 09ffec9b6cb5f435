"""The configuration dictionary, shaped like hls4ml's so that users can move across.

::

    {"Model":     {"Precision": {"default": "fixed<16,6>"}, "ReuseFactor": 1, "Strategy": "Latency",
                   "BramFactor": 1000000000, "TraceOutput": False},
     "LayerType": {"Dense": {"Precision": {"weight": ..., "bias": ..., "result": ...}, "ReuseFactor": 4}},
     "LayerName": {"fc1": {"Precision": {"weight": "ap_fixed<9,1,AP_RND,AP_SAT>"}, "ReuseFactor": 2}}}

A more specific level wins (LayerName over LayerType over Model).  ``Precision`` may be a
single type string (it then sets every precision of the layer except ``accum``) or a dict
with ``default``, ``weight``, ``bias``, ``accum``, ``result``.  An ``accum`` that is never
given is derived so that the sum is exact.  Everything rtlnn does not support is an error:
a config never silently means less than it says.

Any precision may be ``"auto"`` (at any level, also as ``Model.Precision`` itself): the
``auto_precision`` pass then derives it from the weights and the input ranges so that
nothing overflows, with at most ``Model.Precision.maximum`` bits (default
:data:`DEFAULT_MAX_PRECISION`; see :mod:`rtlnn.passes.auto_precision`).

``Pipeline: {MultiplierRegisters: 0|1|2|3|auto, AdderLevelsPerStage: n|auto}`` (Model,
LayerType.Dense, LayerName.<dense>) trades cycles for clock speed in the multiplier Dense
generators: registers around each multiplier (0 none, 1 on the product, 2 on the operands
and the product, 3 also a second product register in the fabric, and in Resource at RF > 1 a
weight register between block RAM and DSP) and adder-tree levels
between pipeline registers; ``auto`` (the default)
lets the delay model choose them for the target clock (:mod:`rtlnn.hw.timing_model`).
``Stages: n`` (ShiftAdd layers) sets the layer's cycle count instead, the registers placed by
the delay model so the slowest stage is as fast as n stages allow.  ``OperandTaps: n`` (a
multiplier Dense at RF > 1) lets each multiplier read at most n taps of the rotating input,
multiplying some zero weights instead of skipping them: more multipliers, a smaller operand
mux (``auto``: 1 on ECP5, no limit elsewhere; see :func:`rtlnn.hw.dense.dense_schedule`).
``Summation: CompressorTree`` (ShiftAdd layers) adds each output's terms with a tree of
counters and one carry chain instead of two-operand adders (``AdderGraph``, the default):
fewer carry chains in series, for the shortest latency at a target clock on 7-series
(:mod:`rtlnn.hw.compressor_tree`).

``LayerName.<layer>.OutputCast: "fixed<8,3,RND,SAT>"`` inserts an explicit Cast layer named
``<layer>_cast`` after ``<layer>``: every reader of the layer (and the model output) reads
the cast value instead.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Mapping

import yaml

from .fixed import FixedFormatError, FixedType, parse_type
from .ir import ModelGraph, RtlnnError

__all__ = [
    "AUTO",
    "DEFAULT_MAX_PRECISION",
    "DEFAULT_PRECISION",
    "LAYER_TYPE_ALIASES",
    "config_from_graph",
    "load_config",
    "validate_config",
    "resolve_layer_settings",
    "max_precision",
]

DEFAULT_PRECISION = "fixed<16,6>"
#: A precision left to the auto_precision pass (held on a layer until that pass replaces it).
AUTO = "auto"
#: The widest type 'auto' chooses unless Model.Precision.maximum says otherwise.
DEFAULT_MAX_PRECISION = "fixed<32,16>"
#: hls4ml's "never use block RAM for weights" value, accepted as the only BramFactor for now.
_BRAM_NEVER = 1_000_000_000

_MODEL_KEYS = {"Precision", "ReuseFactor", "Strategy", "BramFactor", "TraceOutput", "FifoDepth", "Pipeline"}
_LAYER_KEYS = {"Precision", "ReuseFactor", "Strategy", "Trace", "OutputCast", "Pipeline"}
#: ``Pipeline`` settings -> (the ir.Dense field, the values an integer may take)
PIPELINE_KEYS = {"MultiplierRegisters": ("multiplier_registers", (0, 1, 2, 3)),
                 "AdderLevelsPerStage": ("adder_levels_per_stage", None),
                 "Stages": ("pipeline_stages", None),  # ShiftAdd only: the layer's cycle count
                 "OperandTaps": ("operand_taps", None),  # RF > 1: input taps a multiplier may read
                 "Summation": ("summation", None)}  # ShiftAdd only: AdderGraph or CompressorTree
#: ``Pipeline: {Summation: ...}`` values (any case) -> the name the generators take
_SUMMATIONS = {"addergraph": "AdderGraph", "compressortree": "CompressorTree"}
#: IR kinds with a ``Pipeline`` setting (the multiplier Dense generators)
_PIPELINE_KINDS = ("Dense",)
_STRATEGIES = {"latency": "Latency", "resource": "Resource",
               # multiplier-free adder graphs (rtlnn/hw/shift_add.py); hls4ml calls them distributed arithmetic
               "shiftadd": "ShiftAdd", "shift_add": "ShiftAdd", "distributed_arithmetic": "ShiftAdd",
               "auto": "Auto"}  # Auto: ShiftAdd or Latency per Dense layer, by estimated cost
_LAYER_KEYS = _LAYER_KEYS | {"FifoDepth"}
#: Table and softmax settings of a layer (hls4ml's names) -> the IR kinds that have them.
#: ``table_t`` / ``exp_table_t`` / ``inv_table_t`` are the same as ``Precision.table`` / ... .
_TABLE_KEYS = {
    "table_size": ("Activation", "Softmax"),
    "table_range": ("Activation", "Softmax"),
    "implementation": ("Softmax",),
    "table_t": ("Activation",),
    "exp_table_t": ("Softmax",),
    "inv_table_t": ("Softmax",),
}
_LAYER_KEYS = _LAYER_KEYS | set(_TABLE_KEYS)
#: Precisions set only when named (a layer's ``default`` leaves them to their own defaults).
EXPLICIT_PRECISIONS = ("accum", "table", "param", "exp_table", "inv_table")

#: Layer-type names a config may use (Keras class names, as in hls4ml) -> IR kinds.
LAYER_TYPE_ALIASES = {
    "InputLayer": "Input",
    "Input": "Input",
    "Dense": "Dense",
    "QDense": "Dense",
    "QActivation": "Activation",
    "Activation": "Activation",
    "ReLU": "Activation",
    "LeakyReLU": "Activation",
    "ELU": "Activation",
    "ThresholdedReLU": "Activation",
    "PReLU": "PReLU",
    "Softmax": "Softmax",
    "Reshape": "Reshape",
    "Flatten": "Reshape",
    "BatchNormalization": "BatchNormalization",
    "Merge": "Merge",
    "Add": "Merge",
    "Subtract": "Merge",
    "Multiply": "Merge",
    "Average": "Merge",
    "Maximum": "Merge",
    "Minimum": "Merge",
    "Concatenate": "Concatenate",
    "Cast": "Cast",
    # convolutional kinds (rtlnn/ir_cnn.py); hls4ml's own class names are accepted too
    "Conv1D": "Conv1D",
    "Conv2D": "Conv2D",
    "DepthwiseConv1D": "DepthwiseConv1D",
    "DepthwiseConv2D": "DepthwiseConv2D",
    "MaxPooling1D": "Pooling1D",
    "AveragePooling1D": "Pooling1D",
    "Pooling1D": "Pooling1D",
    "MaxPooling2D": "Pooling2D",
    "AveragePooling2D": "Pooling2D",
    "Pooling2D": "Pooling2D",
    "GlobalMaxPooling1D": "GlobalPooling1D",
    "GlobalAveragePooling1D": "GlobalPooling1D",
    "GlobalPooling1D": "GlobalPooling1D",
    "GlobalMaxPooling2D": "GlobalPooling2D",
    "GlobalAveragePooling2D": "GlobalPooling2D",
    "GlobalPooling2D": "GlobalPooling2D",
    "ZeroPadding1D": "ZeroPadding1D",
    "ZeroPadding2D": "ZeroPadding2D",
    "Cropping1D": "Cropping1D",
    "Cropping2D": "Cropping2D",
    "UpSampling1D": "UpSampling1D",
    "UpSampling2D": "UpSampling2D",
}

#: IR kinds whose ReuseFactor means something (a convolution's is per output pixel).
_REUSE_KINDS = ("Dense", "Conv1D", "Conv2D", "DepthwiseConv1D", "DepthwiseConv2D")

#: Precision names each IR kind has.
_PRECISION_KEYS = {
    "Input": ("result",),
    "Dense": ("weight", "bias", "accum", "result"),
    "Activation": ("result", "table", "param"),
    "PReLU": ("result", "param"),
    "Softmax": ("result", "exp_table", "inv_table"),
    "Reshape": (),
    "BatchNormalization": ("scale", "bias", "result"),
    "Merge": ("result",),
    "Concatenate": ("result",),
    "Cast": ("result",),
    "Conv1D": ("weight", "bias", "accum", "result"),
    "Conv2D": ("weight", "bias", "accum", "result"),
    "DepthwiseConv1D": ("weight", "bias", "accum", "result"),
    "DepthwiseConv2D": ("weight", "bias", "accum", "result"),
    "Pooling1D": ("result",),
    "Pooling2D": ("result",),
    "GlobalPooling1D": ("result",),
    "GlobalPooling2D": ("result",),
    "ZeroPadding1D": (),  # data movement: the input's type
    "ZeroPadding2D": (),
    "Cropping1D": (),
    "Cropping2D": (),
    "UpSampling1D": (),
    "UpSampling2D": (),
}


def load_config(source: "str | Path | Mapping | None") -> dict:
    """A config from a dict, a YAML file path, or ``None`` (an empty config)."""
    if source is None:
        return {}
    if isinstance(source, Mapping):
        return copy.deepcopy(dict(source))
    path = Path(source)
    if not path.is_file():
        raise RtlnnError(f"config file {str(path)!r} does not exist")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise RtlnnError(f"config file {str(path)!r} is not valid YAML: {e}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise RtlnnError(f"config file {str(path)!r} must hold a mapping with Model / LayerType / LayerName")
    # hls4ml's YAML project files nest the dictionary under HLSConfig.
    if "HLSConfig" in data:
        data = data["HLSConfig"]
    return data


def config_from_graph(graph: ModelGraph, granularity: str = "model", default_precision: str = DEFAULT_PRECISION,
                      default_reuse_factor: int = 1, default_strategy: str = "Latency",
                      max_precision: str | None = None) -> dict:
    """A config with every setting spelled out at the requested granularity (model, type, name).

    ``default_precision="auto"`` leaves every precision to the auto_precision pass;
    ``max_precision`` caps what 'auto' chooses (``Model.Precision.maximum``).
    """
    granularity = granularity.lower()
    if granularity not in ("model", "type", "name"):
        raise RtlnnError(f"granularity {granularity!r} is not one of 'model', 'type', 'name'")
    _parse(default_precision, "default_precision")  # fail early on a malformed default
    model_precision: dict[str, Any] = {"default": default_precision}
    if max_precision is not None:
        _parse_maximum(max_precision, "max_precision")
        model_precision["maximum"] = max_precision
    config: dict[str, Any] = {
        "Model": {
            "Precision": model_precision,
            "ReuseFactor": default_reuse_factor,
            "Strategy": default_strategy,
            "BramFactor": _BRAM_NEVER,
            "TraceOutput": False,
        }
    }
    if granularity == "type":
        types: dict[str, Any] = {}
        for layer in graph:
            keys = _PRECISION_KEYS[layer.kind]
            if not keys or layer.kind in types:
                continue
            entry: dict[str, Any] = {"Precision": {k: default_precision for k in keys if k not in EXPLICIT_PRECISIONS}}
            if layer.kind in _REUSE_KINDS:
                entry["ReuseFactor"] = default_reuse_factor
            types[layer.kind] = entry
        config["LayerType"] = types
    elif granularity == "name":
        names: dict[str, Any] = {}
        for layer in graph:
            keys = _PRECISION_KEYS[layer.kind]
            if not keys:
                continue
            entry = {"Precision": {k: default_precision for k in keys if k not in EXPLICIT_PRECISIONS}, "Trace": False}
            if layer.kind in _REUSE_KINDS:
                entry["ReuseFactor"] = default_reuse_factor
                entry["Strategy"] = default_strategy
            names[layer.name] = entry
        config["LayerName"] = names
    return config


def _where(level: str, key: str | None = None) -> str:
    return f"config {level}" + (f".{key}" if key else "")


def validate_config(config: Mapping, graph: ModelGraph) -> None:
    """Reject anything rtlnn does not support, naming the place and the fix."""
    if not isinstance(config, Mapping):
        raise RtlnnError("config must be a dict (or a YAML file) with Model / LayerType / LayerName")
    unknown = set(config) - {"Model", "LayerType", "LayerName"}
    if unknown:
        raise RtlnnError(f"config: unknown section(s) {sorted(unknown)}; supported: Model, LayerType, LayerName")
    model = config.get("Model", {}) or {}
    _check_entry(model, "Model", _MODEL_KEYS, None)
    for tname, entry in (config.get("LayerType") or {}).items():
        kind = LAYER_TYPE_ALIASES.get(tname)
        if kind is None:
            raise RtlnnError(
                f"{_where('LayerType', tname)}: unknown layer type {tname!r}; supported: "
                + ", ".join(sorted(LAYER_TYPE_ALIASES))
            )
        _check_entry(entry, f"LayerType.{tname}", _LAYER_KEYS, kind)
        if "OutputCast" in entry:
            raise RtlnnError(f"{_where('LayerType', tname)}.OutputCast: an output cast names one layer; "
                             "set it under LayerName.<layer>.OutputCast")
    for lname, entry in (config.get("LayerName") or {}).items():
        if lname not in graph.layers:
            raise RtlnnError(
                f"{_where('LayerName', lname)}: the model has no layer named {lname!r}; its layers: "
                + ", ".join(graph.layers)
            )
        _check_entry(entry, f"LayerName.{lname}", _LAYER_KEYS, graph[lname].kind)


def _check_entry(entry, where: str, allowed: set[str], kind: str | None) -> None:
    if not isinstance(entry, Mapping):
        raise RtlnnError(f"config {where} must be a mapping of settings, not {entry!r}")
    for key, value in entry.items():
        if key not in allowed:
            raise RtlnnError(f"config {where}: unknown setting {key!r}; supported here: {', '.join(sorted(allowed))}")
        if key == "Precision":
            _check_precision(value, f"{where}.Precision", kind)
        elif key == "ReuseFactor":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise RtlnnError(f"config {where}.ReuseFactor must be a whole number >= 1, not {value!r}")
        elif key == "Strategy":
            if not isinstance(value, str) or value.lower() not in _STRATEGIES:
                raise RtlnnError(
                    f"config {where}.Strategy {value!r} is not supported; use 'Latency' (the default: "
                    "weights as constants), 'Resource' (weights in block RAM, multipliers time-shared), "
                    "'ShiftAdd' (alias 'distributed_arithmetic': no multipliers, ReuseFactor 1) or 'Auto' "
                    "(ShiftAdd or Latency per layer, by estimated LUT + 55 x DSP)"
                )
        elif key == "BramFactor":
            if value != _BRAM_NEVER:
                raise RtlnnError(
                    f"config {where}.BramFactor {value!r}: rtlnn keeps every weight inside the design "
                    "(Strategy 'Resource' stores them in block RAM); hls4ml's external weight ports for layers "
                    f"above BramFactor are not supported; remove the setting or use {_BRAM_NEVER}"
                )
        elif key == "FifoDepth":  # io_stream: depth of the FIFO(s) after the layer, or 'auto' (sized by rtlnn)
            if not (isinstance(value, str) and value.lower() == "auto") and (
                    isinstance(value, bool) or not isinstance(value, int) or value < 2):
                raise RtlnnError(f"config {where}.FifoDepth must be a whole number >= 2 or 'auto', not {value!r}")
        elif key == "OutputCast":
            t = _parse(value, f"{where}.OutputCast")
            if t == AUTO:
                raise RtlnnError(f"config {where}.OutputCast: a cast needs an explicit type such as 'fixed<8,3,RND,SAT>', "
                                 "not 'auto'")
        elif key in _TABLE_KEYS:
            _check_table_setting(key, value, where, kind)
        elif key == "Pipeline":
            _check_pipeline(value, f"{where}.Pipeline", kind)
        elif key in ("Trace", "TraceOutput"):
            if not isinstance(value, bool):
                raise RtlnnError(f"config {where}.{key} must be true or false, not {value!r}")


def _check_pipeline(value, where: str, kind: str | None) -> None:
    if kind is not None and kind not in _PIPELINE_KINDS:
        raise RtlnnError(f"config {where}: only Dense layers have pipelining settings; remove it here")
    if not isinstance(value, Mapping):
        raise RtlnnError(f"config {where} must be a mapping such as {{MultiplierRegisters: 2, AdderLevelsPerStage: 3}}, "
                         f"not {value!r}")
    for key, v in value.items():
        if key not in PIPELINE_KEYS:
            raise RtlnnError(f"config {where}: unknown setting {key!r}; supported: {', '.join(PIPELINE_KEYS)}")
        if isinstance(v, str) and v.lower() == AUTO:
            continue
        if key == "Summation":
            if not (isinstance(v, str) and v.lower() in _SUMMATIONS):
                raise RtlnnError(f"config {where}.Summation must be 'AdderGraph' (two-operand adders with shared "
                                 "subexpressions), 'CompressorTree' (counters, then one adder a sum) or 'auto' "
                                 f"(AdderGraph), not {v!r}")
            continue
        allowed = PIPELINE_KEYS[key][1]
        ok = isinstance(v, int) and not isinstance(v, bool) and (v in allowed if allowed else v >= 1)
        if not ok:
            need = ("0 (no register), 1 (product register), 2 (operand and product registers) or 3 (as 2, "
                    "plus a second product register)"
                    if allowed else "a whole number >= 1")
            raise RtlnnError(f"config {where}.{key} must be {need}, or 'auto' (chosen for the target clock), "
                             f"not {v!r}")


def _check_table_setting(key: str, value, where: str, kind: str | None) -> None:
    from .activations import SOFTMAX_IMPLEMENTATIONS
    from .tables import check_table_size

    kinds = _TABLE_KEYS[key]
    if kind not in kinds:
        raise RtlnnError(f"config {where}.{key}: only {' and '.join(kinds)} layers have this setting; remove it here")
    if key == "table_size":
        check_table_size(value, f"config {where}")
    elif key == "table_range":
        ok = isinstance(value, (list, tuple)) and len(value) == 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        if not ok or not value[0] < value[1]:
            raise RtlnnError(f"config {where}.table_range must be [lo, hi] with lo < hi (e.g. [-8, 8]), not {value!r}")
    elif key == "implementation":
        if not isinstance(value, str) or value.lower() not in SOFTMAX_IMPLEMENTATIONS:
            raise RtlnnError(f"config {where}.implementation {value!r} is not one of "
                             f"{', '.join(SOFTMAX_IMPLEMENTATIONS)} (stable is the default)")
    else:
        _parse(value, f"{where}.{key}")


def _check_precision(value, where: str, kind: str | None) -> None:
    if isinstance(value, Mapping):
        # kind None is the Model level, which also holds the cap of 'auto' (maximum)
        keys = ("default",) + (_PRECISION_KEYS[kind] if kind else ("weight", "bias", "scale", "accum", "result",
                                                                     "maximum"))
        for pkey, ptype in value.items():
            if pkey not in keys:
                raise RtlnnError(f"config {where}: unknown precision {pkey!r}; this layer has: {', '.join(keys)}"
                                 + ("; 'maximum' (the cap of 'auto') belongs in Model.Precision"
                                    if pkey == "maximum" else ""))
            if pkey == "maximum":
                _parse_maximum(ptype, f"{where}.maximum")
            else:
                _parse(ptype, f"{where}.{pkey}")
    else:
        _parse(value, where)


def _parse(text, where: str) -> "FixedType | str":
    """A FixedType, or :data:`AUTO` for ``"auto"``."""
    if isinstance(text, str) and text.strip().lower() == AUTO:
        return AUTO
    try:
        return parse_type(text)
    except FixedFormatError as e:
        raise RtlnnError(f"config {where}: {e}") from None


def _parse_maximum(text, where: str) -> FixedType:
    t = _parse(text, where)
    if t == AUTO:
        raise RtlnnError(f"config {where}: the maximum of 'auto' must be an explicit type such as 'fixed<24,12>'")
    return t


def max_precision(config: Mapping) -> FixedType:
    """The cap of 'auto' precisions: ``Model.Precision.maximum`` or :data:`DEFAULT_MAX_PRECISION`."""
    p = (config.get("Model") or {}).get("Precision")
    if isinstance(p, Mapping) and p.get("maximum") is not None:
        return _parse_maximum(p["maximum"], "Model.Precision.maximum")
    return parse_type(DEFAULT_MAX_PRECISION)


def resolve_layer_settings(config: Mapping, layer_name: str, kind: str) -> dict[str, Any]:
    """The effective settings of one layer: ``precision`` (dict name -> FixedType or None),
    ``reuse_factor``, ``strategy``, ``trace``, ``output_cast`` (FixedType or None), ``pipeline``
    (ir.Dense field -> int or :data:`AUTO`, when given); the most specific
    level wins.  A precision may be :data:`AUTO`."""
    model = config.get("Model", {}) or {}
    type_entries = [
        entry for tname, entry in (config.get("LayerType") or {}).items() if LAYER_TYPE_ALIASES.get(tname) == kind
    ]
    name_entry = (config.get("LayerName") or {}).get(layer_name, {}) or {}
    levels = [(model, "Model")] + [(e, "LayerType") for e in type_entries] + [(name_entry, f"LayerName.{layer_name}")]

    keys = _PRECISION_KEYS[kind]
    precision: dict[str, FixedType | None] = {k: None for k in keys}
    settings: dict[str, Any] = {"reuse_factor": 1, "strategy": "Latency", "trace": bool(model.get("TraceOutput", False))}
    for entry, where in levels:
        p = entry.get("Precision")
        if p is not None:
            items = p.items() if isinstance(p, Mapping) else [("default", p)]
            # a level's default fills every precision but accum; its named ones then override
            for pkey, ptype in sorted(items, key=lambda kv: kv[0] != "default"):
                t = _parse(ptype, f"{where}.Precision.{pkey}")
                if pkey == "default":
                    for k in keys:
                        if k not in EXPLICIT_PRECISIONS:
                            precision[k] = t
                elif pkey in precision:
                    precision[pkey] = t
        if "ReuseFactor" in entry:
            settings["reuse_factor"] = int(entry["ReuseFactor"])
        if "Strategy" in entry:
            settings["strategy"] = _STRATEGIES[str(entry["Strategy"]).lower()]
        if "Trace" in entry:
            settings["trace"] = bool(entry["Trace"])
        for key in _TABLE_KEYS:
            if key in entry and key.endswith("_t"):
                precision[key[:-2]] = _parse(entry[key], f"{where}.{key}")
            elif key in entry:
                settings.setdefault("tables", {})[key] = entry[key]
        if "FifoDepth" in entry:
            settings["fifo_depth"] = entry["FifoDepth"] if isinstance(entry["FifoDepth"], int) else "auto"
        for key, value in (entry.get("Pipeline") or {}).items():  # per setting, the most specific level wins
            field_name = PIPELINE_KEYS[key][0]
            if key == "Summation":
                value = _SUMMATIONS.get(value.lower(), AUTO)
            else:
                value = AUTO if isinstance(value, str) else int(value)
            settings.setdefault("pipeline", {})[field_name] = value
    settings["precision"] = precision
    cast = name_entry.get("OutputCast")
    settings["output_cast"] = _parse(cast, f"LayerName.{layer_name}.OutputCast") if cast is not None else None
    return settings
