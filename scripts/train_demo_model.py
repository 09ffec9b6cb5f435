#!/usr/bin/env python3
"""Train the bundled demo model: rtlnn/examples/jet_tagger.keras.

A jet-tagger-shaped MLP, 16 -> 64 -> 32 -> 32 -> 5, ReLU on the hidden layers, linear logits
at the output (no softmax: the hardware spine supports Dense + ReLU only), trained on the
synthetic stand-in for the hls4ml jet-tagging data, :func:`rtlnn.datasets.jet_tagging`.

    python scripts/train_demo_model.py            # writes rtlnn/examples/jet_tagger.keras

Everything is seeded (data seeds, ``keras.utils.set_random_seed`` and TensorFlow op
determinism), so a rerun on the same software stack reproduces the same weights.  A small
L1 kernel regularizer (as in the hls4ml tutorial) keeps the weights modest so that a
``fixed<16,6>`` implementation has headroom.  Runs in well under a minute on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from rtlnn.datasets import JET_CLASSES, jet_tagging  # noqa: E402

# The figures quoted in rtlnn/examples/README.md and checked by tests/test_datasets.py.
TRAIN_SEED = 1  # jet_tagging(N_TRAIN, seed=TRAIN_SEED): training (10% held out for validation)
TEST_SEED = 2  # jet_tagging(N_TEST, seed=TEST_SEED): the reported test accuracy
KERAS_SEED = 42  # keras.utils.set_random_seed: initialisation and shuffling
N_TRAIN = 50_000
N_TEST = 20_000
EPOCHS = 20
BATCH = 256
LEARNING_RATE = 3e-3
L1 = 1e-4


def build_model(keras, l1: float = L1):
    """The demo architecture; layer names are part of the contract (fc1, fc2, fc3, output)."""
    reg = keras.regularizers.l1(l1) if l1 else None
    inp = keras.Input(shape=(16,), name="input_1")
    h = keras.layers.Dense(64, activation="relu", kernel_regularizer=reg, name="fc1")(inp)
    h = keras.layers.Dense(32, activation="relu", kernel_regularizer=reg, name="fc2")(h)
    h = keras.layers.Dense(32, activation="relu", kernel_regularizer=reg, name="fc3")(h)
    out = keras.layers.Dense(5, kernel_regularizer=reg, name="output")(h)
    return keras.Model(inp, out, name="jet_tagger")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=REPO / "rtlnn" / "examples" / "jet_tagger.keras")
    ap.add_argument("--epochs", type=int, default=EPOCHS)
    ap.add_argument("--n-train", type=int, default=N_TRAIN)
    args = ap.parse_args(argv)

    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(KERAS_SEED)
    tf.config.experimental.enable_op_determinism()

    x_train, y_train = jet_tagging(args.n_train, seed=TRAIN_SEED)
    x_test, y_test = jet_tagging(N_TEST, seed=TEST_SEED)

    model = build_model(keras)
    model.compile(
        optimizer=keras.optimizers.Adam(LEARNING_RATE),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    t0 = time.perf_counter()
    model.fit(
        x_train, y_train, batch_size=BATCH, epochs=args.epochs, validation_split=0.1, verbose=2
    )
    train_s = time.perf_counter() - t0

    # Save the trained weights in a fresh, uncompiled copy: no optimizer state (a smaller
    # file) and nothing a loader needs beyond plain Dense layers.
    plain = build_model(keras, l1=0.0)
    plain.set_weights(model.get_weights())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    plain.save(args.out)

    logits = plain.predict(x_test, batch_size=4096, verbose=0)
    pred = logits.argmax(axis=1)
    acc = float((pred == y_test).mean())
    print(f"\ntrain time: {train_s:.1f} s ({args.epochs} epochs, {args.n_train} jets)")
    print(f"float test accuracy: {acc:.4f}  (jet_tagging({N_TEST}, seed={TEST_SEED}))")
    for c, name in enumerate(JET_CLASSES):
        sel = y_test == c
        print(f"  class {name}: {float((pred[sel] == c).mean()):.4f}")
    print("confusion (rows true, cols predicted, fractions):")
    conf = np.zeros((5, 5))
    np.add.at(conf, (y_test, pred), 1)
    conf /= conf.sum(axis=1, keepdims=True)
    print("      " + "  ".join(f"{n:>5}" for n in JET_CLASSES))
    for c, name in enumerate(JET_CLASSES):
        print(f"  {name:>2}  " + "  ".join(f"{v:5.3f}" for v in conf[c]))

    # Headroom for fixed<16,6> (range [-32, 32)): weights and activations on the test set.
    print("ranges (max |.|) for fixed-point sizing:")
    print(f"  input: {np.abs(x_test).max():.2f}")
    h = x_test.astype(np.float64)
    for layer in plain.layers[1:]:
        w, b = layer.get_weights()
        pre = h @ w + b
        h = np.maximum(pre, 0.0) if layer.name != "output" else pre
        print(
            f"  {layer.name:>6}: |w| {np.abs(w).max():.3f}  |b| {np.abs(b).max():.3f}"
            f"  |pre-activation| {np.abs(pre).max():.2f}"
        )
    print(f"saved {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
