"""Precision advice: per-layer integer and fractional bits that keep a model within a
tolerance of float, found with the emulator on the user's data, written as a config.

:func:`advise_precision` works in three steps:

1. **Integer bits from the profile** (:func:`rtlnn.profiling.numerical`): each weight, bias
   and activation gets the fewest integer bits that hold the values it takes on the data
   (plus ``int_margin``), so nothing overflows on that data.
2. **A uniform start**: every tensor gets the same number of fractional bits, the fewest in
   ``min_frac..max_frac`` (by bisection) with which the model stays within ``tolerance``.
3. **Greedy per tensor**: largest tensors first, each tensor's fractional bits are lowered
   one at a time while the model stays within ``tolerance`` (the emulator reruns only the
   layers from the changed one on).

"Within tolerance" is ``metric="accuracy"``: accuracy (argmax against ``y``, or against the
float model's argmax when no labels are given) at most ``tolerance`` below float's; or
``metric="max_abs_error"``: every output within ``tolerance`` of float.  The advice is a
config (the model's own, with per-layer precisions under ``LayerName``) that
:meth:`PrecisionAdvice.write_yaml` writes; when the Keras model is at hand the config is
converted again from scratch and checked on the data (``verified_score``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import emulate
from .arith import dense_accum_type
from .config import AUTO, resolve_layer_settings
from .fixed import FixedType
from .ir import ModelGraph, RtlnnError

__all__ = ["advise_precision", "PrecisionAdvice", "Scorer", "tensor_integer_bits", "folded_batchnorms"]

METRICS = ("accuracy", "max_abs_error")


class Scorer:
    """How close fixed-point outputs are to float: ``score(outputs)`` and ``ok(score)``."""

    def __init__(self, float_out: np.ndarray, y=None, *, metric: str = "accuracy", tolerance: float = 0.01):
        if metric not in METRICS:
            raise RtlnnError(f"metric {metric!r} is not one of {', '.join(METRICS)}")
        if not tolerance >= 0:
            raise RtlnnError(f"tolerance must be >= 0, not {tolerance!r}")
        self.metric, self.tolerance = metric, float(tolerance)
        self.float_out = np.asarray(float_out, dtype=np.float64).reshape(len(float_out), -1)
        if metric == "accuracy":
            labels = np.argmax(self.float_out, axis=1) if y is None else np.asarray(y).reshape(-1)
            if len(labels) != len(self.float_out):
                raise RtlnnError(f"{len(labels)} labels for {len(self.float_out)} samples")
            self.labels = labels
            self.float_score = float(np.mean(np.argmax(self.float_out, axis=1) == labels))
        else:
            self.labels = None
            self.float_score = 0.0

    def score(self, out) -> float:
        out = np.asarray(out, dtype=np.float64).reshape(len(self.float_out), -1)
        if self.metric == "accuracy":
            return float(np.mean(np.argmax(out, axis=1) == self.labels))
        return float(np.max(np.abs(out - self.float_out))) if out.size else 0.0

    def ok(self, score: float) -> bool:
        if self.metric == "accuracy":
            return score >= self.float_score - self.tolerance - 1e-12
        return score <= self.tolerance


@dataclass
class PrecisionAdvice:
    """The advised types (``types[layer][precision name]``), the config holding them, and the
    scores: ``float_score``, ``score`` (emulator, advised types), ``verified_score`` (the
    config converted again from the Keras model, when there was one)."""

    config: dict
    types: dict
    metric: str
    tolerance: float
    float_score: float
    score: float
    start_score: float
    within: bool
    evaluations: int
    verified_score: float | None = None
    bits: dict = field(default_factory=dict)  # total bits of weights / activations, before and after

    def write_yaml(self, path) -> Path:
        import yaml

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(self.config, sort_keys=False))
        return path

    def to_dict(self) -> dict:
        return {"types": self.types, "metric": self.metric, "tolerance": self.tolerance,
                "float_score": self.float_score, "score": self.score, "start_score": self.start_score,
                "verified_score": self.verified_score, "within": self.within, "evaluations": self.evaluations,
                "bits": self.bits, "config": self.config}

    def table(self) -> str:
        rows = [("layer", "precision", "advised")]
        for layer, d in self.types.items():
            for pname, t in d.items():
                rows.append((layer, pname, t))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


@dataclass
class _Tensor:
    layer: str
    pname: str  # weight, bias, scale, param, result
    integer: int
    template: FixedType  # signedness and modes come from the configured type
    size: int


def _tensors(rm, profile, int_margin: int) -> list[_Tensor]:
    from .profiling import integer_bits_needed, parameter_arrays

    graph = rm.graph
    acts = {d.layer: d for d in profile.activations}
    out = []
    for layer in graph:
        keys = resolve_layer_settings(rm.config, layer.name, layer.kind)["precision"]
        precisions = layer.precisions()
        for pname, values in parameter_arrays(layer):
            t = precisions.get(pname)
            if pname in keys and isinstance(t, FixedType):
                i = integer_bits_needed(float(values.min()), float(values.max()), t.signed)
                out.append(_Tensor(layer.name, pname, i, t, int(values.size)))
        t = layer.result_t
        if "result" in keys and isinstance(t, FixedType):
            d = acts.get(layer.name)
            if d is not None and d.n:
                i = integer_bits_needed(d.min, d.max, t.signed) + int_margin
            else:
                i = t.integer  # no float reference: keep the configured integer bits
            out.append(_Tensor(layer.name, "result", i, t, layer.size))
    return out


def tensor_integer_bits(rm, profile, int_margin: int = 0, untyped: ModelGraph | None = None) -> tuple[dict, dict]:
    """``(integer bits, signedness)`` per layer and precision name, from the profile (see step 1);
    with the ``untyped`` graph, a BatchNormalization folded into a Dense gets that Dense's result."""
    bits: dict[str, dict[str, int]] = {}
    signed: dict[str, dict[str, bool]] = {}
    for t in _tensors(rm, profile, int_margin):
        bits.setdefault(t.layer, {})[t.pname] = t.integer
        signed.setdefault(t.layer, {})[t.pname] = t.template.signed
    for bn, dense in (folded_batchnorms(untyped, rm.graph).items() if untyped is not None else ()):
        if "result" in bits.get(dense, {}):
            bits[bn] = {"result": bits[dense]["result"]}
            signed[bn] = {"result": signed[dense]["result"]}
    return bits, signed


def folded_batchnorms(untyped: ModelGraph, typed: ModelGraph) -> dict[str, str]:
    """BatchNormalization layers folded away (``{bn: dense}``): the folded Dense takes the
    BatchNormalization's configured ``result`` type, so that is the setting to change."""
    return {l.name: l.inputs[0] for l in untyped if l.kind == "BatchNormalization" and l.name not in typed.layers
            and len(l.inputs) == 1 and l.inputs[0] in typed.layers}


def _make_type(tensor: _Tensor, frac: int) -> FixedType:
    t = tensor.template
    width = max(tensor.integer + frac, 2 if t.signed else 1)
    return FixedType(width, width - frac, t.signed, t.rounding, t.overflow)


class _Evaluator:
    """The emulator on a graph whose types change one tensor at a time, recomputing only
    the layers from the changed one on."""

    def __init__(self, rm, x, tensors: list[_Tensor], derived_accum: set[str]):
        self.base = rm.graph
        self.order = [l.name for l in rm.graph]
        self.input_names = set(rm.graph.inputs)
        self.x = x
        self.tensors = tensors
        self.derived_accum = derived_accum
        self.count = 0
        self.values: dict[str, np.ndarray] | None = None
        self.fracs: dict[int, int] | None = None

    def _graph(self, fracs: dict[int, int]) -> ModelGraph:
        g = self.base.copy()
        for k, tensor in enumerate(self.tensors):
            setattr(g[tensor.layer], f"{tensor.pname}_t", _make_type(tensor, fracs[k]))
        for name in self.derived_accum:  # exact accumulators follow the new input and weight types
            layer = g[name]
            in_t = g[layer.inputs[0]].result_t
            layer.accum_t = dense_accum_type(layer.weight_raw(), layer.bias_raw(), in_t, layer.weight_t, layer.bias_t)
        return g

    def run(self, fracs: dict[int, int], changed: int | None = None) -> tuple[np.ndarray, dict, ModelGraph]:
        """The float outputs for ``fracs``; with ``changed`` (a tensor index) only the layers from
        that tensor's layer on are recomputed, the rest taken from the last accepted run."""
        self.count += 1
        g = self._graph(fracs)
        start = 0
        if changed is not None and self.values is not None:
            start = self.order.index(self.tensors[changed].layer)
        values = dict(self.values) if start else {}
        for name in self.order[start:]:
            layer = g[name]
            if name in self.input_names:
                values[name] = layer.result_t.quantize(self._input_float(name))
                continue
            fn = emulate.EMULATORS[layer.kind]
            values[name] = fn(layer, [g[i] for i in layer.inputs], [values[i] for i in layer.inputs])
        outs = [g[n].result_t.to_float(values[n]).reshape(len(values[n]), -1) for n in g.outputs]
        return np.concatenate(outs, axis=1), values, g

    def _input_float(self, name: str) -> np.ndarray:
        arrays = list(self.x) if isinstance(self.x, (list, tuple)) else [self.x]
        return np.asarray(arrays[self.base.inputs.index(name)], dtype=np.float64)

    def accept(self, fracs: dict[int, int], values: dict) -> None:
        self.fracs, self.values = dict(fracs), values


def advise_precision(model, rm, X, y=None, *, tolerance: float = 0.01, metric: str = "accuracy",
                     max_frac: int = 16, min_frac: int = 0, int_margin: int = 0, profile=None,
                     output=None, max_samples: int | None = 5000) -> PrecisionAdvice:
    """Advise per-layer precisions for ``rm`` that keep it within ``tolerance`` of the float
    Keras ``model`` (None: ``rm.keras_model``) on ``X`` (and labels ``y``); see the module doc.

    ``output`` (a ``.yaml`` path) receives the advised config.  Raises :class:`RtlnnError` when
    even ``max_frac`` fractional bits everywhere miss the tolerance.
    """
    from .profiling import numerical
    from .trace import live_keras_model

    km = live_keras_model(model, rm)
    if km is None:
        raise RtlnnError("precision advice compares with float: pass the Keras model (or convert with one)")
    if not 0 <= min_frac <= max_frac:
        raise RtlnnError(f"min_frac {min_frac} and max_frac {max_frac}: need 0 <= min_frac <= max_frac")
    x = X
    if max_samples is not None and not isinstance(X, (list, tuple)) and len(X) > max_samples:
        x = X[:max_samples]
        y = None if y is None else np.asarray(y)[:max_samples]
    profile = profile if profile is not None else numerical(km, rm, x)
    float_out = np.asarray(km.predict(np.asarray(x, np.float32) if not isinstance(x, (list, tuple)) else x,
                                      batch_size=1024, verbose=0), dtype=np.float64)
    scorer = Scorer(float_out, y, metric=metric, tolerance=tolerance)
    start_score = scorer.score(np.concatenate([np.asarray(o).reshape(len(float_out), -1) for o in
                                               _as_list(rm.predict(x))], axis=1))

    tensors = _tensors(rm, profile, int_margin)
    derived = set()
    for layer in rm.graph:
        if hasattr(layer, "accum_t") and hasattr(layer, "weight_raw"):
            explicit = resolve_layer_settings(rm.config, layer.name, layer.kind)["precision"].get("accum")
            if explicit is None or explicit == AUTO:
                derived.add(layer.name)
    ev = _Evaluator(rm, x, tensors, derived)

    # 2. uniform fractional bits
    frac = max_frac
    fracs = {k: frac for k in range(len(tensors))}
    out, values, _ = ev.run(fracs)
    best = scorer.score(out)
    if not scorer.ok(best):
        raise RtlnnError(
            f"precision advice: even {max_frac} fractional bits everywhere give {metric} {best:.4g} "
            f"(float {scorer.float_score:.4g}, tolerance {tolerance}); raise max_frac or int_margin, or loosen "
            "the tolerance")
    ev.accept(fracs, values)
    lo = min_frac  # bisection: frac passes; below lo - 1 is not tried
    while lo < frac:
        mid = (lo + frac) // 2
        trial = {k: mid for k in fracs}
        out, values, _ = ev.run(trial)
        s = scorer.score(out)
        if scorer.ok(s):
            frac, fracs, best = mid, trial, s
            ev.accept(fracs, values)
        else:
            lo = mid + 1

    # 3. greedy, one tensor at a time, largest first
    order = sorted(range(len(tensors)), key=lambda k: -tensors[k].size)
    for k in order:
        while fracs[k] > min_frac:
            trial = dict(fracs)
            trial[k] -= 1
            out, values, _ = ev.run(trial, changed=k)
            s = scorer.score(out)
            if not scorer.ok(s):
                break
            fracs, best = trial, s
            ev.accept(fracs, values)

    final = ev._graph(fracs)
    types: dict[str, dict[str, str]] = {}
    for k, tensor in enumerate(tensors):
        types.setdefault(tensor.layer, {})[tensor.pname] = str(_make_type(tensor, fracs[k]))
    from .trace import keras_name_map

    for dense, ref in keras_name_map(km, rm.graph).items():  # a folded BatchNormalization sets the result
        if ref and ref[0] != dense and ref[0] not in rm.graph.layers and "result" in types.get(dense, {}):
            types[ref[0]] = {"result": types[dense]["result"]}
    config = _advised_config(rm.config, types)
    bits = {"before": _total_bits(rm.graph, tensors), "after": _total_bits(final, tensors)}
    advice = PrecisionAdvice(config=config, types=types, metric=metric, tolerance=tolerance,
                             float_score=scorer.float_score, score=best, start_score=start_score,
                             within=scorer.ok(best), evaluations=ev.count, bits=bits)
    advice.verified_score = _verify(km, rm, config, x, scorer)
    if output is not None:
        advice.write_yaml(output)
    return advice


def _as_list(v):
    return list(v) if isinstance(v, list) else [v]


def _total_bits(graph: ModelGraph, tensors: list[_Tensor]) -> dict:
    weights = sum(getattr(graph[t.layer], f"{t.pname}_t").width * t.size for t in tensors if t.pname != "result")
    acts = sum(graph[t.layer].result_t.width * t.size for t in tensors if t.pname == "result")
    return {"weights": int(weights), "activations": int(acts)}


def _advised_config(config: dict, types: dict) -> dict:
    cfg = copy.deepcopy(dict(config))
    names = cfg.setdefault("LayerName", {}) or {}
    cfg["LayerName"] = names
    for layer, d in types.items():
        entry = names.setdefault(layer, {}) or {}
        names[layer] = entry
        prec = entry.get("Precision")
        if isinstance(prec, str):
            prec = {"default": prec}
        prec = dict(prec or {})
        prec.update(d)
        entry["Precision"] = prec
    return cfg


def _verify(km, rm, config: dict, x, scorer: Scorer) -> float | None:
    """The score of ``config`` converted again from the Keras model (the path a user takes)."""
    import tempfile

    from .converters import convert_from_keras_model

    with tempfile.TemporaryDirectory(prefix="rtlnn-advice-") as tmp:
        rm2 = convert_from_keras_model(km, config=config, output_dir=Path(tmp) / "prj", part=rm.part,
                                       project_name=rm.project_name)
        out = np.concatenate([np.asarray(o).reshape(len(scorer.float_out), -1) for o in _as_list(rm2.predict(x))],
                             axis=1)
    return scorer.score(out)
