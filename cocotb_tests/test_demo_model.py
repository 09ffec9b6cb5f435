"""The demo jet tagger at fixed<16,6>, RF 1: 10,000 test-set vectors through Verilator, every
output equal to the emulator's, latency and II as the generator states."""

import numpy as np

import rtlnn
from rtlnn.datasets import jet_tagging
from rtlnn.demo import DEMO_PRECISION, TEST_SEED, demo_model_path

N_VECTORS = 10_000


def test_demo_model_10k_vectors_bit_exact(tmp_path, require_verilator):
    km = rtlnn.load_keras(demo_model_path())
    config = rtlnn.config_from_keras_model(km, granularity="name", default_precision=DEMO_PRECISION)
    rm = rtlnn.convert_from_keras_model(km, config=config, output_dir=tmp_path / "demo")
    x, y = jet_tagging(N_VECTORS, seed=TEST_SEED)
    sim = rm.simulate(x)
    assert sim.n_vectors == N_VECTORS
    assert sim.mismatches == 0, sim.first_mismatches
    assert sim.latency_cycles == rm.latency_cycles and sim.ii == rm.ii == 1
    # the RTL's outputs are the emulator's, value for value
    assert np.array_equal(sim.outputs, rm.predict(x))
