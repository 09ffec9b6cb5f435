"""Per-layer traces, side by side: float Keras, the bit-accurate emulator, and the RTL.

``compare(model, rm, x)`` runs the same inputs three ways and lines the results up by IR
layer name:

* **float** — the Keras model's own per-layer outputs (sub-models of the Keras model up to
  each layer, see :func:`keras_layer_outputs`);
* **emulator** — :meth:`RtlnnModel.trace`, bit-accurate;
* **rtl** (``rtl=True``) — the emitted Verilog in trace mode (:func:`rtl_trace`): a copy of
  the design whose top exposes every layer's output, simulated under cocotb; the runner
  checks every layer's outputs against the emulator, not only the model's last one.

Which Keras output an IR layer corresponds to: a layer keeps its Keras name; a Dense (or
convolution) with a fused ``activation=`` is split by the frontend into the layer itself,
whose float reference is the *pre-activation* output (computed by a linear clone of the
Keras layer), and ``{layer}_{function}``, whose reference is the Keras layer's output; a
BatchNormalization folded into the Dense before it leaves the Dense holding the
BatchNormalization's output; an ``OutputCast`` layer ``{layer}_cast`` has its source's
reference.  Layers with no Keras counterpart get ``None``.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import emulate
from .ir import Input, ModelGraph, RtlnnError, Cast

__all__ = ["keras_layer_outputs", "keras_name_map", "rtl_trace", "RtlTrace", "compare", "TraceComparison",
           "LayerTrace", "plot_errors", "live_keras_model"]


# ----------------------------------------------------------------------------- Keras side


def live_keras_model(model, rm=None):
    """A live ``keras.Model`` from ``model`` (a keras.Model, an rtlnn KerasModel, a path), or
    ``rm.keras_model``; None when there is none."""
    if model is None and rm is not None:
        model = getattr(rm, "keras_model", None)
    if model is None:
        return None
    live = getattr(model, "keras_model", None)
    if live is not None:
        return live
    if isinstance(model, (str, os.PathLike)):
        try:
            import keras
        except ImportError:
            raise RtlnnError("float traces need Keras to run the model: `pip install -e \".[keras]\"`") from None
        path = Path(model)
        if not path.is_file():
            raise RtlnnError(f"Keras model file {str(path)!r} does not exist")
        return keras.saving.load_model(str(path), compile=False)
    if hasattr(model, "layers") and hasattr(model, "inputs"):
        return model
    if hasattr(model, "layers") and hasattr(model, "source"):  # a KerasModel parsed without Keras
        raise RtlnnError(f"{model.where()} was read without Keras (no live model), so it cannot be run in float; "
                         "load it with Keras installed, or pass the keras.Model")
    raise RtlnnError(f"cannot run {type(model).__name__} as a Keras model; pass a keras.Model or a model file")


def _activation_of(layer) -> str:
    act = layer.get_config().get("activation")
    if act is None:
        return "linear"
    if isinstance(act, str):
        return act
    if isinstance(act, dict):
        inner = act.get("config")
        return inner if isinstance(inner, str) else str((inner or {}).get("name", act.get("class_name")))
    return getattr(act, "__name__", str(act))


def keras_name_map(keras_model, graph: ModelGraph) -> dict[str, tuple[str, str] | None]:
    """IR layer name -> ``(keras layer name, how)`` with ``how`` one of ``output``,
    ``pre_activation``; None where the IR layer has no Keras counterpart (see the module doc)."""
    layers = {l.name: l for l in keras_model.layers}
    consumers: dict[str, list] = {}
    for l in keras_model.layers:
        for node in getattr(l, "_inbound_nodes", []):
            for t in getattr(node, "input_tensors", []):
                src = getattr(getattr(t, "_keras_history", None), "operation", None)
                if src is not None:
                    consumers.setdefault(src.name, []).append(l)
    out: dict[str, tuple[str, str] | None] = {}
    for layer in graph:
        name = layer.name
        if name in layers:
            kl = layers[name]
            after = consumers.get(name, [])
            if (len(after) == 1 and type(after[0]).__name__ == "BatchNormalization" and after[0].name not in graph.layers
                    and _activation_of(kl) == "linear"):
                out[name] = (after[0].name, "output")  # the BatchNormalization folded into this layer
            elif _activation_of(kl) not in ("linear", "") and f"{name}_{_activation_of(kl)}" in graph.layers:
                out[name] = (name, "pre_activation")
            else:
                out[name] = (name, "output")
            continue
        if isinstance(layer, Cast) and len(layer.inputs) == 1:
            out[name] = out.get(layer.inputs[0])
            continue
        if len(layer.inputs) == 1 and layer.inputs[0] in layers:
            src = layers[layer.inputs[0]]
            if name == f"{src.name}_{_activation_of(src)}":
                out[name] = (src.name, "output")
                continue
        out[name] = None
    return out


def keras_layer_outputs(model, graph: ModelGraph, x, *, batch_size: int = 1024) -> dict[str, np.ndarray | None]:
    """Float outputs of the Keras model for every IR layer of ``graph`` (None: no counterpart)."""
    km = live_keras_model(model)
    if km is None:
        raise RtlnnError("no Keras model to trace in float: pass the keras.Model (or its file)")
    import keras

    mapping = keras_name_map(km, graph)
    wanted: dict[tuple[str, str], object] = {}
    for ref in mapping.values():
        if ref is None or ref in wanted:
            continue
        kname, how = ref
        kl = km.get_layer(kname)
        if how == "output":
            wanted[ref] = kl.output
        else:  # pre-activation: a linear clone of the layer on the same input, same weights
            cfg = dict(kl.get_config(), activation="linear", name=f"{kname}__rtlnn_linear")
            clone = type(kl).from_config(cfg)
            tensor = clone(kl.input)
            clone.set_weights(kl.get_weights())
            wanted[ref] = tensor
    if not wanted:
        return {name: None for name in mapping}
    keys = list(wanted)
    sub = keras.Model(km.inputs, [wanted[k] for k in keys])
    xs = [np.asarray(a, dtype=np.float32) for a in x] if isinstance(x, (list, tuple)) else np.asarray(x, np.float32)
    values = sub.predict(xs, batch_size=batch_size, verbose=0)
    if len(keys) == 1:
        values = [values]
    by_ref = {k: np.asarray(v, dtype=np.float64) for k, v in zip(keys, values)}
    result = {}
    for name, ref in mapping.items():
        if ref is None:
            result[name] = None
        else:
            v = by_ref[ref]
            result[name] = v.reshape((v.shape[0],) + tuple(graph[name].shape))
    return result


# ----------------------------------------------------------------------------- RTL side


@dataclass
class RtlTrace:
    """Every traced layer's outputs as the RTL produced them (raw integers and floats), and the
    simulation's verdict: ``mismatches`` counts vectors where any layer differs from the emulator."""

    raw: dict[str, np.ndarray]
    values: dict[str, np.ndarray]
    layer_mismatches: dict[str, int]
    mismatches: int
    latency_cycles: int | None
    ii: int | None
    expected_latency_cycles: int
    expected_ii: int
    design_dir: str
    passed: bool

    def to_dict(self) -> dict:
        return {"layer_mismatches": self.layer_mismatches, "mismatches": self.mismatches,
                "latency_cycles": self.latency_cycles, "ii": self.ii,
                "expected_latency_cycles": self.expected_latency_cycles, "expected_ii": self.expected_ii,
                "design_dir": self.design_dir, "passed": self.passed}


def traced_layers(graph: ModelGraph, layers=None) -> list[str]:
    """The layers a trace exposes: ``layers`` if given, else those with ``trace`` set (hls4ml's
    ``Trace`` / ``TraceOutput``), else every layer but the inputs."""
    if layers is not None:
        missing = [n for n in layers if n not in graph.layers]
        if missing:
            raise RtlnnError(f"trace: the model has no layer(s) {', '.join(map(repr, missing))}; its layers: "
                             + ", ".join(graph.layers))
        return [l.name for l in graph if l.name in set(layers)]
    flagged = [l.name for l in graph if l.trace and not isinstance(l, Input)]
    return flagged or [l.name for l in graph if not isinstance(l, Input)]


def trace_graph(graph: ModelGraph, layers: list[str]) -> ModelGraph:
    """A copy of ``graph`` whose outputs are ``layers``: its top exposes each of them on ``out_data``,
    aligned to the same cycle, so one bench checks them all."""
    g = graph.copy()
    g.outputs = list(layers)
    return g


def rtl_trace(rm, x, *, layers=None, simulator: str = "verilator", output_dir=None, gaps: bool = False,
              seed: int = 0) -> RtlTrace:
    """Simulate ``rm``'s Verilog in trace mode on ``x``: every traced layer's outputs from the RTL.

    The trace design (``output_dir``, default ``<rm.output_dir>/trace``) has the same layer
    modules as ``rm``'s design; only its top differs, exposing the traced layers.  The cocotb
    runner compares every exposed layer with the emulator, and the latency and II it
    measures with the generator's.
    """
    from .model import RtlnnModel
    from .sim import simulate as run_simulation
    from .vectors import unpack

    names = traced_layers(rm.graph, layers)
    g = trace_graph(rm.graph, names)
    out_dir = Path(output_dir) if output_dir is not None else Path(rm.output_dir) / "trace"
    trm = RtlnnModel(g, rm.config, out_dir, part=rm.part, io_type=rm.io_type, project_name=rm.project_name,
                     clock_period=rm.clock_period)
    trm.write(x)
    result = run_simulation(out_dir, simulator=simulator, gaps=gaps, seed=seed)
    shapes = [tuple(g[n].shape) for n in names]
    types = [g[n].result_t for n in names]
    words = [0 if w is None else w for w in result.outputs[:result.n_vectors]]
    arrays = unpack(words, shapes, types)
    raw = dict(zip(names, arrays))
    expected = emulate.run_raw(g, emulate.quantize_inputs(g, x), keep=True)
    per_layer = {}
    for n in names:
        k = min(len(raw[n]), len(expected[n]))
        same = np.asarray(raw[n][:k] == expected[n][:k]).reshape(k, -1).all(axis=1)
        per_layer[n] = int(np.count_nonzero(~same)) + (len(expected[n]) - k)
    return RtlTrace(raw=raw, values={n: types[i].to_float(raw[n]) for i, n in enumerate(names)},
                    layer_mismatches=per_layer, mismatches=result.mismatches, latency_cycles=result.latency_cycles,
                    ii=result.ii, expected_latency_cycles=trm.latency_cycles, expected_ii=trm.ii,
                    design_dir=str(out_dir), passed=bool(result.passed))


# ----------------------------------------------------------------------------- side by side


@dataclass
class LayerTrace:
    """One layer's outputs three ways and how far apart they are.

    Errors are of the emulator against float: ``max_abs_error``, ``mean_abs_error``,
    ``rms_error``, and ``relative_error`` = max |error| / max |float| (0 when the float is
    all zero); ``lsb`` is the layer's result LSB.  ``rtl_mismatches`` counts vectors where
    the RTL differs from the emulator (None without an RTL trace).
    """

    name: str
    kind: str
    precision: str
    keras_layer: str | None
    float: np.ndarray | None
    emulator: np.ndarray
    rtl: np.ndarray | None = None
    max_abs_error: float | None = None
    mean_abs_error: float | None = None
    rms_error: float | None = None
    relative_error: float | None = None
    lsb: float | None = None
    rtl_mismatches: int | None = None

    def stats(self) -> dict:
        return {k: getattr(self, k) for k in ("name", "kind", "precision", "keras_layer", "max_abs_error",
                                               "mean_abs_error", "rms_error", "relative_error", "lsb",
                                               "rtl_mismatches")}


@dataclass
class TraceComparison:
    """Per-layer traces in graph order (see :func:`compare`)."""

    layers: list[LayerTrace]
    rtl: RtlTrace | None = None
    n_samples: int = 0

    def __getitem__(self, name: str) -> LayerTrace:
        for lt in self.layers:
            if lt.name == name:
                return lt
        raise KeyError(name)

    def first_departure(self, tolerance: float = 0.05) -> LayerTrace | None:
        """The first layer (graph order) whose ``relative_error`` against float exceeds ``tolerance``."""
        for lt in self.layers:
            if lt.relative_error is not None and lt.relative_error > tolerance:
                return lt
        return None

    def to_dict(self) -> dict:
        return {"n_samples": self.n_samples, "layers": [lt.stats() for lt in self.layers],
                "rtl": self.rtl.to_dict() if self.rtl else None}

    def table(self) -> str:
        """A plain-text table of the errors."""
        rows = [("layer", "kind", "precision", "max|err|", "rel", "rms", "RTL")]
        for lt in self.layers:
            rows.append((lt.name, lt.kind, lt.precision, _fmt(lt.max_abs_error), _fmt(lt.relative_error),
                         _fmt(lt.rms_error), "-" if lt.rtl_mismatches is None else
                         ("ok" if lt.rtl_mismatches == 0 else f"{lt.rtl_mismatches} differ")))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def _fmt(v) -> str:
    return "-" if v is None else f"{v:.3g}"


def compare(model, rm, x, *, rtl: bool = False, layers=None, simulator: str = "verilator", output_dir=None
            ) -> TraceComparison:
    """Trace ``x`` through the float Keras ``model`` (None: ``rm.keras_model``; no float column
    when there is neither), the emulator of ``rm`` and, with ``rtl=True``, its RTL in trace mode."""
    graph = rm.graph
    names = traced_layers(graph, layers) if layers is not None else [l.name for l in graph]
    emu = rm.trace(x)
    km = live_keras_model(model, rm)
    floats = keras_layer_outputs(km, graph, x) if km is not None else {}
    mapping = keras_name_map(km, graph) if km is not None else {}
    rtl_result = None
    if rtl:
        rtl_result = rtl_trace(rm, x, layers=[n for n in names if not isinstance(graph[n], Input)],
                               simulator=simulator, output_dir=output_dir)
    out = []
    for name in names:
        layer = graph[name]
        ref = floats.get(name)
        e = emu[name]
        lt = LayerTrace(name=name, kind=layer.kind, precision=str(layer.result_t),
                        keras_layer=(mapping.get(name) or (None,))[0], float=ref, emulator=e,
                        lsb=layer.result_t.lsb if layer.result_t is not None else None)
        if ref is not None:
            err = np.abs(e.astype(np.float64) - ref)
            lt.max_abs_error = float(err.max()) if err.size else 0.0
            lt.mean_abs_error = float(err.mean()) if err.size else 0.0
            lt.rms_error = float(np.sqrt(np.mean(err ** 2))) if err.size else 0.0
            scale = float(np.max(np.abs(ref))) if ref.size else 0.0
            lt.relative_error = lt.max_abs_error / scale if scale > 0 else (0.0 if lt.max_abs_error == 0 else math.inf)
        if rtl_result is not None and name in rtl_result.values:
            lt.rtl = rtl_result.values[name]
            lt.rtl_mismatches = rtl_result.layer_mismatches[name]
        out.append(lt)
    n = len(next(iter(emu.values()))) if emu else 0
    return TraceComparison(out, rtl_result, n)


def plot_errors(comparison: TraceComparison, path) -> Path:
    """A PNG of each layer's error against float: box plot of log10 |emulator - float| per layer,
    the layer's LSB marked, RTL disagreements (if traced) annotated — where precision is lost."""
    from .plot import pyplot

    plt = pyplot()
    rows = [lt for lt in comparison.layers if lt.float is not None]
    fig, ax = plt.subplots(figsize=(8, 0.45 * max(len(rows), 2) + 1.5))
    data, labels = [], []
    for lt in rows:
        err = np.abs(lt.emulator.astype(np.float64) - lt.float).ravel()
        err = err[err > 0]
        data.append(np.log10(err) if err.size else np.array([np.nan]))
        labels.append(f"{lt.name} ({lt.precision})")
    if rows:
        positions = np.arange(len(rows))[::-1]
        ax.boxplot([d[np.isfinite(d)] if np.isfinite(d).any() else [np.nan] for d in data], positions=positions,
                   orientation="horizontal", widths=0.6, showfliers=True, flierprops={"markersize": 2})
        for pos, lt in zip(positions, rows):
            if lt.lsb:
                ax.plot([math.log10(lt.lsb)] * 2, [pos - 0.4, pos + 0.4], color="tab:green", lw=2)
            if lt.rtl_mismatches:
                ax.annotate(f"RTL: {lt.rtl_mismatches} differ", (ax.get_xlim()[1], pos), color="red", ha="right")
        ax.set_yticks(positions, labels)
    ax.set_xlabel("log10 |emulator - float|   (green: the layer's LSB)")
    ax.set_title("Where precision is lost: per-layer error against float Keras")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
