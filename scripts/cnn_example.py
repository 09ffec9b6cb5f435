#!/usr/bin/env python3
"""The CNN example, end to end in one command: train, quantize, convert (io_stream), simulate.

A small CNN classifies scikit-learn's 8x8 handwritten digits (1797 images that ship with
the package; ``pip install scikit-learn``, part of rtlnn's ``dev`` extra)::

    Input 8x8x1 -> Conv2D 4@3x3 same, ReLU -> MaxPooling2D 2x2 -> Conv2D 8@3x3 valid, ReLU
                -> Flatten (2x2x8 = 32) -> Dense 10 (logits)

trained in float with Keras, then quantized after training to 8 bits through the config
(inputs ``ufixed<8,1>``, weights ``fixed<8,2>``, biases ``fixed<8,3>``, every layer result
``fixed<8,5,RND,SAT>``, the logits ``fixed<10,7,RND,SAT>``; accumulators exact), converted with ``io_stream`` and run
in Verilator on the WHOLE test set (360 images, 20 %, stratified, seeded).  The RTL must
agree with the bit-accurate emulator on every output bit, and its measured latency and
II must equal the generator's.  Printed, and written to ``docs/cnn_example.md`` /
``docs/cnn_example.json``: float, emulator and RTL accuracy, cycles per image (II) and
latency in cycles, multipliers, build and simulation times.

    python scripts/cnn_example.py                       # about 2-4 minutes on 2 cores
    python scripts/cnn_example.py --output-dir /tmp/x --no-docs
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

SEED = 7
EPOCHS = 60
#: 8-bit post-training quantization, hls4ml-style config.
CONFIG = {
    "Model": {"Precision": {"default": "fixed<8,5,RND,SAT>", "weight": "fixed<8,2>", "bias": "fixed<8,3>"},
              "ReuseFactor": 1, "Strategy": "Latency"},
    "LayerName": {
        "input_layer": {"Precision": {"result": "ufixed<8,1>"}},
        "conv2": {"ReuseFactor": 4},
        "logits": {"ReuseFactor": 4, "Precision": {"result": "fixed<10,7,RND,SAT>"}},
    },
}


def load_digits_split():
    """(x_train, x_test, y_train, y_test): images scaled to [0, 1], shape (n, 8, 8, 1)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., None]
    return train_test_split(x, digits.target, test_size=0.2, random_state=SEED, stratify=digits.target)


def build_and_train(x_train, y_train):
    import keras
    from keras import layers as L

    keras.utils.set_random_seed(SEED)
    inp = keras.Input((8, 8, 1), name="input_layer")
    y = L.Conv2D(4, 3, padding="same", activation="relu", name="conv1")(inp)
    y = L.MaxPooling2D(2, name="pool1")(y)
    y = L.Conv2D(8, 3, padding="valid", activation="relu", name="conv2")(y)
    y = L.Flatten(name="flatten")(y)
    y = L.Dense(10, name="logits")(y)
    model = keras.Model(inp, y, name="digits_cnn")
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=EPOCHS, batch_size=64, verbose=0)
    return model


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output-dir", default=str(REPO / "build" / "cnn_example"), help="rtlnn project folder")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/cnn_example.{md,json}")
    parser.add_argument("--simulator", default="verilator", choices=["verilator", "icarus"])
    args = parser.parse_args(argv)

    import rtlnn

    t0 = time.perf_counter()
    x_train, x_test, y_train, y_test = load_digits_split()
    model = build_and_train(x_train, y_train)
    t_train = time.perf_counter() - t0
    acc_float = float(np.mean(np.argmax(model.predict(x_test, verbose=0), axis=1) == y_test))

    rm = rtlnn.convert_from_keras_model(model, CONFIG, output_dir=args.output_dir, io_type="io_stream",
                                        project_name="digits_cnn")
    acc_emu = float(np.mean(np.argmax(rm.predict(x_test), axis=1) == y_test))
    t1 = time.perf_counter()
    sim = rm.simulate(x_test, simulator=args.simulator)
    t_sim = time.perf_counter() - t1
    rtl = np.asarray(sim.outputs).reshape(len(x_test), -1)
    acc_rtl = float(np.mean(np.argmax(rtl, axis=1) == y_test))
    report = rm.report()
    layers = [{k: l[k] for k in ("name", "kind", "output_shape", "precision", "reuse_factor", "multipliers",
                                 "latency_cycles", "ii")} for l in report["layers"]]
    result = {
        "data": "scikit-learn load_digits, 8x8x1, 1437 train / 360 test (stratified, seed 7)",
        "model": "Conv2D 4@3x3 same ReLU, MaxPool 2x2, Conv2D 8@3x3 valid ReLU, Flatten, Dense 10",
        "io_type": "io_stream",
        "config": CONFIG,
        "test_images": int(len(x_test)),
        "accuracy": {"float_keras": acc_float, "emulator_8bit": acc_emu, "rtl_8bit": acc_rtl},
        "rtl_bit_exact": sim.mismatches == 0,
        "rtl_mismatches": int(sim.mismatches),
        "cycles_per_image": sim.ii,
        "latency_cycles": sim.latency_cycles,
        "expected": {"cycles_per_image": rm.ii, "latency_cycles": rm.latency_cycles},
        "multipliers": report["multipliers"],
        "simulation_passed": bool(sim.passed),
        "train_seconds": round(t_train, 1),
        "simulate_seconds": round(t_sim, 1),
        "layers": layers,
    }
    print(json.dumps({k: v for k, v in result.items() if k not in ("layers", "config")}, indent=2))
    if not args.no_docs:
        docs = REPO / "docs"
        docs.mkdir(exist_ok=True)
        (docs / "cnn_example.json").write_text(json.dumps(result, indent=2) + "\n")
        (docs / "cnn_example.md").write_text(markdown(result))
    return 0 if sim.passed and acc_rtl == acc_emu else 1


def markdown(r: dict) -> str:
    a = r["accuracy"]
    rows = "\n".join(f"| {l['name']} | {l['kind']} | {tuple(l['output_shape'])} | {l['reuse_factor']} | "
                     f"{l['multipliers']} | {l['latency_cycles']} | {l['ii']} |" for l in r["layers"])
    return f"""# CNN example: 8x8 digits in io_stream

`python scripts/cnn_example.py` trains a small CNN on scikit-learn's 8x8 handwritten digits,
quantizes it to 8 bits through the config (post-training), converts it with `io_stream`
and simulates the Verilog in Verilator on the whole test set.

- Data: {r['data']}
- Model: {r['model']}
- Precisions (config, post-training): inputs `ufixed<8,1>`, weights `fixed<8,2>`, biases
  `fixed<8,3>`, layer results `fixed<8,5,RND,SAT>` (logits `fixed<10,7,RND,SAT>`),
  accumulators exact; ReuseFactor 4 on `conv2` and `logits`.

| | accuracy on {r['test_images']} test images |
|---|---|
| Keras float | {a['float_keras']:.4f} |
| rtlnn emulator, 8 bit | {a['emulator_8bit']:.4f} |
| RTL (Verilator), 8 bit | {a['rtl_8bit']:.4f} |

RTL = emulator on every output bit: **{r['rtl_bit_exact']}** ({r['rtl_mismatches']} mismatches).
Cycles per image (II): **{r['cycles_per_image']}**; latency: **{r['latency_cycles']}** cycles
(first input pixel accepted to first output valid); both as the generators state
(II {r['expected']['cycles_per_image']}, latency {r['expected']['latency_cycles']}).
Multipliers: {r['multipliers']}.  At 200 MHz: {r['cycles_per_image'] * 5 / 1000:.2f} us per image.

| layer | kind | output | RF | multipliers | latency | II (cycles/frame) |
|---|---|---|---|---|---|---|
{rows}
"""


if __name__ == "__main__":
    sys.exit(main())
