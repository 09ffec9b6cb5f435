"""Small untyped graphs built by hand, as a frontend would produce them (no Keras)."""

import numpy as np

from rtlnn import ir


def make_mlp(sizes, *, seed=0, zero_fraction=0.0, relu=True, scale=0.5):
    """An untyped Input → Dense(→ReLU) chain with random weights, as a frontend would produce it."""
    rng = np.random.default_rng(seed)
    g = ir.ModelGraph(name="mlp")
    prev = g.add(ir.Input("input_1", [], (sizes[0],))).name
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = rng.normal(0, scale, size=(n_in, n_out))
        w[rng.random(w.shape) < zero_fraction] = 0.0
        b = rng.normal(0, scale, size=(n_out,))
        name = f"fc{k + 1}"
        prev = g.add(ir.Dense(name, [prev], (n_out,), weight=w, bias=b)).name
        if relu and k < len(sizes) - 2:
            prev = g.add(ir.Activation(f"{name}_relu", [prev], (n_out,), function="relu")).name
    g.outputs = [prev]
    return g
