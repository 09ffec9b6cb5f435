"""Random MLPs — 1 to 4 Dense layers, widths 1 to 64, precisions 2 to 24 bits with random integer
bits, signedness, rounding and saturation modes, random valid reuse factors, some zero weights —
simulated in Verilator: every output bit-exact with the emulator, latency and II as reported."""

import numpy as np
import pytest

from rtlnn.fixed import FixedType, Overflow, Rounding
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes

from graphs import make_mlp

N_MODELS = 25
#: Wide models (seed % 4 == 0) build in one to two minutes each; the default run keeps two of
#: them and the narrow ones, the rest run with ``-m slow``.
SLOW_SEEDS = frozenset(seed for seed in range(8, N_MODELS) if seed % 4 == 0)


def _random_type(rng, min_width=2, max_width=24) -> str:
    width = int(rng.integers(min_width, max_width + 1))
    signed = bool(rng.random() < 0.8)
    integer = int(rng.integers(-2, width + 3))
    t = FixedType(width, integer, signed, rng.choice(list(Rounding)), rng.choice(list(Overflow)))
    return str(t)


def random_design(seed: int):
    rng = np.random.default_rng(seed)
    n_layers = int(rng.integers(1, 5))
    # keep most layers small so the Verilator builds stay quick; one in four models is wide
    top = 64 if seed % 4 == 0 else 12
    sizes = [int(rng.integers(1, top + 1)) for _ in range(n_layers + 1)]
    graph = make_mlp(sizes, seed=seed, zero_fraction=float(rng.choice([0.0, 0.3, 0.7])),
                     relu=bool(rng.random() < 0.7), scale=float(rng.choice([0.1, 0.5, 2.0])))
    names = {}
    for layer in graph:
        if layer.kind == "Dense":
            prec = {k: _random_type(rng) for k in ("weight", "bias", "result")}
            if rng.random() < 0.5:
                prec["accum"] = _random_type(rng, 8, 32)
            names[layer.name] = {"Precision": prec}
        else:
            names[layer.name] = {"Precision": {"result": _random_type(rng)}}
    config = {"Model": {"Precision": "fixed<16,6>"}, "LayerName": names}
    typed = run_passes(graph, config)
    for layer in typed:  # a random valid reuse factor per Dense
        if layer.kind == "Dense":
            p = max(layer.n_products(), 1)
            rf = int(rng.choice([1, 1, 2, 3, int(rng.integers(1, p + 1)), p]))
            layer.reuse_factor = min(max(rf, 1), p)
            config["LayerName"][layer.name]["ReuseFactor"] = layer.reuse_factor
    return typed, config


@pytest.mark.parametrize("seed", [pytest.param(s, marks=pytest.mark.slow) if s in SLOW_SEEDS else s
                                  for s in range(N_MODELS)])
def test_random_mlp_bit_exact(seed, tmp_path, require_verilator):
    graph, config = random_design(seed)
    rm = RtlnnModel(graph, config, tmp_path / "prj", project_name=f"mlp{seed}")
    sim = rm.simulate(n_vectors=200, gaps=seed % 3 == 0, seed=seed)
    assert sim.n_vectors == 200
    assert sim.mismatches == 0, sim.first_mismatches
    assert sim.latency_cycles == rm.latency_cycles
    assert sim.ii == rm.ii
    assert sim.passed
