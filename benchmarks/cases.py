"""The benchmark models and the case matrix: which model, at which precision, strategy and reuse factor.

A *case* is one design: a model (an untyped IR graph with float weights, as the Keras frontend
gives it) plus an hls4ml-shaped config.  Case names read ``<model>-<precision>-<strategy>-rf<N>``,
e.g. ``jet-w8a16-latency-rf1`` (``shiftadd-ct``: ShiftAdd with ``Pipeline: {Summation:
CompressorTree}``); ``--only`` matches them with shell wildcards.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

REPO = Path(__file__).resolve().parent.parent

#: Precision sets by short name: an hls4ml Model-level ``Precision`` (str or dict).
PRECISIONS = {
    "f8.3": "fixed<8,3>",
    # the operating point: 8-bit weights and biases, 16-bit activations and accumulators
    "w8a16": {"default": "fixed<16,6>", "weight": "fixed<8,3>", "bias": "fixed<8,3>"},
    "f16.6": "fixed<16,6>",
    "ex8": "the CNN example's CONFIG (scripts/cnn_example.py): 8-bit weights and activations",
}


@dataclass
class Model:
    name: str
    title: str  # what a reader sees: shape and origin
    build: Callable  # () -> untyped ir.ModelGraph with float weights
    size: int = 0  # Dense weights, for ordering the run
    data: str = "jet"  # the inputs: "jet" (rtlnn.datasets.jet_tagging) or "digits" (the CNN example's test set)
    io_type: str = "io_parallel"
    config: Callable | None = None  # (case) -> config, for models with their own (the CNN example's)


@dataclass
class Case:
    model: Model
    precision: str  # key of PRECISIONS
    strategy: str  # Latency | ShiftAdd | Resource
    reuse_factor: int
    quick: bool = False
    notes: list = field(default_factory=list)
    summation: str | None = None  # ShiftAdd's Pipeline Summation when not the default (AdderGraph)

    @property
    def name(self) -> str:
        ct = "-ct" if self.summation == "CompressorTree" else ""
        return f"{self.model.name}-{self.precision}-{self.strategy.lower()}{ct}-rf{self.reuse_factor}"

    @property
    def cost_hint(self) -> float:
        """Rough relative cost of synthesizing the case (weights x weight bits, less with reuse or
        block RAM): the full run goes cheapest first, so a partial run still covers most cases."""
        bits = 16 if self.precision == "f16.6" else 8
        share = 0.3 if self.strategy == "Resource" else 1.0
        return self.model.size * bits * share / self.reuse_factor ** 0.5

    def config(self) -> dict:
        if self.model.config is not None:
            return self.model.config(self)
        config = {"Model": {"Precision": PRECISIONS[self.precision], "ReuseFactor": self.reuse_factor,
                            "Strategy": self.strategy}}
        if self.summation:
            config["Model"]["Pipeline"] = {"Summation": self.summation}
        return config


# ------------------------------------------------------------------------------ models


def _jet_graph():
    from rtlnn.converters import load_keras
    from rtlnn.demo import demo_model_path
    from rtlnn.frontends.keras_graph import graph_from_keras

    return graph_from_keras(load_keras(demo_model_path()))


def prune_smallest(graph, fraction: float):
    """Zero the ``fraction`` smallest-magnitude weights of every Dense layer (each layer on its own)."""
    for layer in graph:
        if layer.kind == "Dense":
            w = np.array(layer.weight, dtype=np.float64)
            k = int(round(fraction * w.size))
            if k:
                order = np.argsort(np.abs(w), axis=None, kind="stable")
                flat = w.reshape(-1)
                flat[order[:k]] = 0.0
            layer.weight = w
    return graph


def _jet_pruned_graph():
    return prune_smallest(_jet_graph(), 0.70)


def random_mlp(sizes, seed: int, name: str = "mlp"):
    """Input -> Dense(ReLU) ... -> Dense with He-normal weights (std sqrt(2 / fan_in)) and small
    biases (std 0.05): the scale a trained ReLU network has, so fixed-point types see realistic values."""
    from rtlnn import ir

    rng = np.random.default_rng(seed)
    g = ir.ModelGraph(name=name)
    prev = g.add(ir.Input("input_1", [], (sizes[0],))).name
    n = len(sizes) - 1
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))
        b = rng.normal(0.0, 0.05, size=(n_out,))
        fc = f"fc{k + 1}"
        prev = g.add(ir.Dense(fc, [prev], (n_out,), weight=w, bias=b)).name
        if k < n - 1:
            prev = g.add(ir.Activation(f"{fc}_relu", [prev], (n_out,), function="relu")).name
    g.outputs = [prev]
    return g


def _cnn_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("rtlnn_cnn_example", CNN_EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_CNN_GRAPH = []


def _cnn_graph():
    """The CNN example's Keras model, trained as the script trains it (seeded; once per process)."""
    import copy

    if not _CNN_GRAPH:
        from rtlnn.converters import load_keras
        from rtlnn.frontends.keras_graph import graph_from_keras

        mod = _cnn_module()
        x_train, _, y_train, _ = mod.load_digits_split()
        _CNN_GRAPH.append(graph_from_keras(load_keras(mod.build_and_train(x_train, y_train))))
    return copy.deepcopy(_CNN_GRAPH[0])


def _cnn_config(case) -> dict:
    """The example's 8-bit config with its per-layer reuse factors (conv2, logits: 4) set to the
    case's: dropped at RF 1, kept at RF 4, raised at RF 8 (which fits the ECP5-85F's 156 DSPs)."""
    import copy

    cfg = copy.deepcopy(_cnn_module().CONFIG)
    for entry in cfg.get("LayerName", {}).values():
        if "ReuseFactor" in entry:
            if case.reuse_factor == 1:
                del entry["ReuseFactor"]
            else:
                entry["ReuseFactor"] = case.reuse_factor
    return cfg


def digits_inputs():
    """The CNN example's test images (360, 8, 8, 1)."""
    return _cnn_module().load_digits_split()[1]


CNN_EXAMPLE = REPO / "scripts" / "cnn_example.py"

MODELS = {
    "micro": Model("micro", "16->3->2 MLP, random He-normal weights (seed 2); the test-suite case",
                   lambda: random_mlp([16, 3, 2], seed=2, name="micro"), 54),
    "tiny": Model("tiny", "16->8->5 MLP, random He-normal weights (seed 1); the smoke-test case",
                  lambda: random_mlp([16, 8, 5], seed=1, name="tiny"), 168),
    "jet": Model("jet", "16->64->32->32->5 jet tagger (rtlnn/examples/jet_tagger.keras, ReLU)", _jet_graph, 4256),
    "jetp70": Model("jetp70", "the jet tagger with the 70% smallest-magnitude weights of each Dense zeroed",
                    _jet_pruned_graph, 1277),
    "mlp5x100": Model("mlp5x100", "16->(100)x5->5 MLP, random He-normal weights (seed 5)",
                      lambda: random_mlp([16, 100, 100, 100, 100, 100, 5], seed=5, name="mlp5x100"), 42100),
    "cnn": Model("cnn", "the CNN example (scripts/cnn_example.py): 8x8 digits, Conv2D 4@3x3 -> MaxPool 2 -> "
                 "Conv2D 8@3x3 -> Dense 10, io_stream, trained as the script trains it",
                 _cnn_graph, 700, data="digits", io_type="io_stream", config=_cnn_config),
}


def _matrix() -> list[Case]:
    cases = [Case(MODELS["micro"], "f8.3", "Latency", 1, quick=True),
             Case(MODELS["tiny"], "f8.3", "Latency", 1, quick=True),
             Case(MODELS["tiny"], "f8.3", "ShiftAdd", 1, quick=True)]
    for m in ("jet", "jetp70"):
        model = MODELS[m]
        for p in ("f8.3", "w8a16", "f16.6"):
            cases.append(Case(model, p, "Latency", 1))
            cases.append(Case(model, p, "ShiftAdd", 1, quick=(m == "jetp70" and p == "f8.3")))
        cases.append(Case(model, "f8.3", "ShiftAdd", 1, summation="CompressorTree"))  # -shiftadd-ct-
        for rf in (4, 16):
            cases.append(Case(model, "w8a16", "Latency", rf))
            cases.append(Case(model, "w8a16", "Resource", rf, quick=(m == "jet" and rf == 16)))
    if CNN_EXAMPLE.is_file():  # "ex8" = the example's 8-bit precisions; rfN = its ReuseFactor-4 layers at N
        cases += [Case(MODELS["cnn"], "ex8", "Latency", rf) for rf in (1, 4, 8)]
    big = MODELS["mlp5x100"]
    for p in ("f8.3", "w8a16"):
        cases.append(Case(big, p, "Latency", 1))
        cases.append(Case(big, p, "ShiftAdd", 1))
        cases.append(Case(big, p, "Latency", 16))
        cases.append(Case(big, p, "Resource", 16))
        cases.append(Case(big, p, "Resource", 64))  # the stack's cases inside the default budgets
    return cases


CASES = _matrix()


def unavailable() -> list[dict]:
    """Benchmarks the suite knows of but cannot run in this tree, each with why."""
    out = []
    if not CNN_EXAMPLE.is_file():
        out.append({"case": "cnn-*", "reason": f"the CNN example ({CNN_EXAMPLE.relative_to(REPO)}) is not in this tree "
                                               "yet; the suite runs it once it lands"})
    return out


def select(only: list[str] | None, quick: bool) -> list[Case]:
    cases = [c for c in CASES if c.quick] if quick else list(CASES)
    if only:
        picked = [c for c in cases if any(fnmatch.fnmatchcase(c.name, pat) or c.name == pat for pat in only)]
        if not picked:
            names = ", ".join(c.name for c in cases)
            raise SystemExit(f"--only {' '.join(only)} matches no case{' of --quick' if quick else ''}; cases: {names}")
        return picked
    return cases
