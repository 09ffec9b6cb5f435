"""Regenerate tests/data/hgq2/ (the HGQ2 jet tagger and HGQ2's own outputs on it).

Run it with a Python that has HGQ2 -- NOT rtlnn's dev environment, whose QAT library is
qkeras-v3 (both ship a top-level ``qkeras``, so they cannot share one):

    python3.11 -m venv /root/hgq2env && /root/hgq2env/bin/pip install hgq2 keras "jax[cpu]"
    KERAS_BACKEND=jax /root/hgq2env/bin/python scripts/make_hgq2_fixture.py [--einsum-only]

The script imports numpy, Keras and HGQ2 only: the data come from rtlnn/datasets.py loaded by
file path (pure numpy), so rtlnn itself is not imported.

The model is jet-tagger shaped, 16 -> 64 -> 32 -> 32 -> 5 (ReLU, linear logits), trained briefly
with HGQ2's EBOPs regularization so that bit widths differ element by element and some go to
zero.  Quantizers (HGQ2 defaults unless said):

* fc1: per-element input (``kif``, RND, WRAP), kernel (``kbi``, RND, SAT_SYM) and bias (``kbi``,
  RND, WRAP) quantizers -- HGQ2's defaults, heterogeneous;
* fc2: one kernel bit width for the whole tensor (``heterogeneous_axis=()``: per-tensor);
* fc3: a per-tensor input quantizer with TRN rounding and SAT overflow;
* output: input quantizer with RND_CONV rounding (ties to even), WRAP.

After training, ``trace_minmax`` sets the integer bits of the WRAP quantizers on the training
set (as the HGQ2 documentation prescribes before deployment).  Written files:

* ``hgq2_jet.keras``: the model (``model.save``);
* ``hgq2_jet_ref.npz``: ``x`` (test inputs: jets, then jets scaled x4 so that the input
  quantizers wrap, float32), ``logits`` (HGQ2's outputs, ``model.predict``), ``labels``, and for
  the first ``N_TRACE`` inputs each QDense's quantized input (``q_<layer>``, its ``iq`` applied)
  and output (``out_<layer>``), float32 as HGQ2 computes them; ``ebops`` (HGQ2's cost estimate);
* ``hgq2_einsum.keras`` / ``hgq2_einsum_ref.npz``: a small QEinsumDense model (see
  :func:`einsum_fixture`; ``--einsum-only`` writes just these).
"""
import importlib.util
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "data", "hgq2")
N_TRAIN, N_TEST, N_WRAP, N_TRACE = 40_000, 2_000, 500, 200
EPOCHS = int(os.environ.get("HGQ2_FIXTURE_EPOCHS", "40"))


def _datasets():
    spec = importlib.util.spec_from_file_location("rtlnn_datasets", os.path.join(HERE, "..", "rtlnn", "datasets.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def build():
    import keras
    from hgq.config import QuantizerConfig
    from hgq.layers import QDense

    per_tensor_kernel = QuantizerConfig("kbi", "weight", heterogeneous_axis=())
    trn_sat_input = QuantizerConfig("kif", "datalane", heterogeneous_axis=(), round_mode="TRN", overflow_mode="SAT",
                                    i0=3, f0=4)
    conv_input = QuantizerConfig("kif", "datalane", round_mode="RND_CONV")
    x = keras.Input((16,), name="input_1")
    h = QDense(64, activation="relu", name="fc1")(x)
    h = QDense(32, activation="relu", name="fc2", kq_conf=per_tensor_kernel)(h)
    h = QDense(32, activation="relu", name="fc3", iq_conf=trn_sat_input)(h)
    y = QDense(5, name="output", iq_conf=conv_input)(h)
    return keras.Model(x, y, name="hgq2_jet")


def einsum_fixture() -> None:
    """``hgq2_einsum.keras`` + ``hgq2_einsum_ref.npz``: a stand-alone ``Quantizer`` layer, then
    QEinsumDense layers in their Dense-shaped forms (``bi,io->bo``, ``...i,io->...o``; the second
    with an output quantizer), untrained (HGQ2's initial bit widths, a SAT input quantizer with
    per-element bits set by hand), with HGQ2's outputs on random inputs."""
    import keras
    from hgq.config import QuantizerConfig
    from hgq.layers import QEinsumDense, Quantizer

    keras.utils.set_random_seed(3)
    x = keras.Input((6,), name="x")
    h = Quantizer(QuantizerConfig("kif", "datalane", round_mode="TRN", overflow_mode="WRAP", i0=4, f0=5),
                  name="qin")(x)
    h = QEinsumDense("bi,io->bo", 5, bias_axes="o", activation="relu", name="e1",
                     iq_conf=QuantizerConfig("kif", "datalane", overflow_mode="SAT", round_mode="RND_CONV"))(h)
    y = QEinsumDense("...i,io->...o", 3, name="e2", enable_oq=True)(h)
    model = keras.Model(x, y, name="hgq2_einsum")
    rng = np.random.default_rng(5)
    iq = model.get_layer("e1").iq.quantizer
    iq._i.assign(rng.integers(-1, 3, (1, 6)).astype(np.float32))
    iq._f.assign(rng.integers(-1, 5, (1, 6)).astype(np.float32))
    xs = rng.normal(0, 2.0, (500, 6)).astype(np.float32)
    from hgq.utils import trace_minmax
    trace_minmax(model, xs)
    model.save(os.path.join(OUT, "hgq2_einsum.keras"))
    np.savez_compressed(os.path.join(OUT, "hgq2_einsum_ref.npz"), x=xs,
                        y=np.asarray(model.predict(xs, verbose=0), np.float32))


def main() -> int:
    if "--einsum-only" in sys.argv:
        os.makedirs(OUT, exist_ok=True)
        einsum_fixture()
        return 0
    import keras
    from hgq.utils import trace_minmax
    from hgq.utils.sugar import BetaScheduler, PieceWiseSchedule

    keras.utils.set_random_seed(7)
    ds = _datasets()
    x_train, y_train = ds.jet_tagging(N_TRAIN, seed=11)
    x_test, y_test = ds.jet_tagging(N_TEST, seed=12)
    x_wrap = (ds.jet_tagging(N_WRAP, seed=13)[0] * 4.0).astype(np.float32)  # beyond the traced ranges
    model = build()
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    beta = BetaScheduler(PieceWiseSchedule([(0, 1e-6, "constant"), (EPOCHS // 4, 1e-6, "log"),
                                            (EPOCHS, 6e-6, "constant")]))
    model.fit(x_train, y_train, epochs=EPOCHS, batch_size=512, verbose=2, callbacks=[beta])
    ebops = trace_minmax(model, x_train, batch_size=4096)

    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "hgq2_jet.keras")
    model.save(path)
    x = np.concatenate([x_test, x_wrap]).astype(np.float32)
    logits = model.predict(x, batch_size=4096, verbose=0)
    acc = float(np.mean(np.argmax(logits[:N_TEST], axis=1) == y_test))

    trace = {}
    h = x[:N_TRACE]
    for layer in model.layers[1:]:
        trace[f"q_{layer.name}"] = keras.ops.convert_to_numpy(layer.iq(h, training=False))
        h = keras.ops.convert_to_numpy(layer(h, training=False))
        trace[f"out_{layer.name}"] = h
    np.savez_compressed(os.path.join(OUT, "hgq2_jet_ref.npz"), x=x, logits=np.asarray(logits, np.float32),
                        labels=y_test, ebops=np.int64(ebops), **trace)
    for layer in model.layers[1:]:
        for q in ("iq", "kq", "bq"):
            qz = getattr(layer, q).quantizer
            bits = keras.ops.convert_to_numpy(qz.bits)
            print(f"{layer.name}.{q}: bits {bits.min():g}..{bits.max():g} (mean {bits.mean():.2f}, "
                  f"{int(np.sum(bits == 0))} of {bits.size} zero), {qz.round_mode}/{qz.overflow_mode}")
    print(f"test accuracy {acc:.4f}, EBOPs {ebops}; wrote {path}")
    einsum_fixture()
    return 0


if __name__ == "__main__":
    sys.exit(main())
