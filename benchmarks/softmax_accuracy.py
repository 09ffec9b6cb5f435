"""Softmax accuracy on the demo jet tagger: each implementation (and a few table sizes) against
float softmax of the float Keras logits, on 10,000 test jets.  Prints a markdown table
(the figures of docs/softmax.md).

    python benchmarks/softmax_accuracy.py [n_jets]
"""

from __future__ import annotations

import sys

import numpy as np

from rtlnn import ir
from rtlnn.converters import load_keras
from rtlnn.datasets import jet_tagging
from rtlnn.demo import TEST_SEED, demo_model_path
from rtlnn.emulate import quantize_inputs, run_raw
from rtlnn.frontends.keras_graph import graph_from_keras
from rtlnn.passes import run_passes

VARIANTS = [
    ("stable", 256, {}),
    ("stable", 1024, {}),
    ("stable", 4096, {}),
    ("latency", 1024, {}),
    ("latency", 1024, {"exp_table_t": "ufixed<24,14,RND,SAT>", "table_range": [-16, 16]}),
    ("legacy", 1024, {}),
    ("argmax", None, {"Precision": {"result": "ufixed<1,1>"}}),
]


def main(n: int = 10_000) -> None:
    import keras

    path = demo_model_path()
    x, _ = jet_tagging(n, seed=TEST_SEED)
    model = keras.saving.load_model(str(path), compile=False)
    logits = np.asarray(model.predict(x, batch_size=2048, verbose=0), dtype=np.float64)
    ref = np.exp(logits - logits.max(axis=1, keepdims=True))
    ref /= ref.sum(axis=1, keepdims=True)

    graph = graph_from_keras(load_keras(path))
    logit_layer = graph.outputs[0]
    names = {}
    for k, (impl, size, extra) in enumerate(VARIANTS):
        name = f"softmax_{k}"
        graph.add(ir.Softmax(name, [logit_layer], graph[logit_layer].shape))
        entry = {"implementation": impl, "Precision": {"result": "ufixed<16,0,RND,SAT>"}}
        if size:
            entry["table_size"] = size
        entry.update(extra)
        names[name] = entry
    graph.outputs = [logit_layer] + list(names)
    cfg = {"Model": {"Precision": "fixed<16,6>"}, "LayerName": names}
    typed = run_passes(graph, cfg)
    raw = run_raw(typed, quantize_inputs(typed, x))
    q_logits = typed[logit_layer].result_t.to_float(raw[logit_layer])
    q_ref = np.exp(q_logits - q_logits.max(axis=1, keepdims=True))
    q_ref /= q_ref.sum(axis=1, keepdims=True)
    print(f"{n} jets; logits from the fixed<16,6> emulator (their own error vs Keras: max "
          f"{np.max(np.abs(q_logits - logits)):.4f}); result ufixed<16,0,RND,SAT>\n")
    print("| implementation | table_size | settings | max abs err vs float softmax | mean abs err | "
          "max abs err vs softmax of the fixed-point logits | argmax agrees with Keras |")
    print("|---|---|---|---|---|---|---|")
    for k, (impl, size, extra) in enumerate(VARIANTS):
        name = f"softmax_{k}"
        y = typed[name].result_t.to_float(raw[name])
        err = np.abs(y - ref)
        qerr = np.abs(y - q_ref)
        agree = np.mean(y.argmax(1) == ref.argmax(1))
        settings = ", ".join(f"{a}={b}" for a, b in extra.items() if a != "Precision") or "defaults"
        print(f"| {impl} | {size or '-'} | {settings} | {err.max():.5f} | {err.mean():.6f} | {qerr.max():.5f} | "
              f"{agree:.4f} |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
