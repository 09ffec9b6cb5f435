#!/usr/bin/env python
"""1D-MLP: a pulse-shape discriminator for cosmic-ray detector pulses, compressed for an Artix-7.

Teacher MLP 32->128->64->56->4 (16,348 parameters) on :func:`rtlnn.datasets.detector_pulses`;
student 32->12->8->4 (536 parameters) distilled from it, trained quantization-aware at 8 bits
(QKeras) and pruned to 20% sparsity; converted with rtlnn (precisions from the quantizers),
simulated bit-exactly on the whole test set and synthesized with Yosys for the Arty A7-35T
(xc7a35t).  Shift-add arithmetic (Strategy Auto): the 8-bit constant products need no DSP.
``--quick``: the same path with a 32->6->4 student on 1,000 / 100 pulses, one epoch per stage.

    python scripts/pulse_mlp.py [--quick] [-o DIR]
"""

import sys


def data(n_train, n_test):
    from rtlnn.datasets import detector_pulses

    return detector_pulses(n_train, seed=1), detector_pulses(n_test, seed=2)


def _mlp(widths, name):
    import keras

    layers = [keras.Input((32,))] + [keras.layers.Dense(w, activation="relu") for w in widths]
    return keras.Sequential(layers + [keras.layers.Dense(4)], name=name)


def teacher():
    return _mlp([128, 64, 56], "pulse_teacher")


def student():
    return _mlp([12, 8], "pulse_student")


def quick_student():
    return _mlp([6], "pulse_student_quick")


def config(qmodel):
    # no precision here: it comes from the QKeras quantizers.  Strategy Auto: shift-add where it is cheaper.
    return {"Model": {"Strategy": "Auto", "ReuseFactor": 1}}


def spec():
    from rtlnn.compress.app import AppSpec

    return AppSpec(key="pulse_mlp", title="1D-MLP", description="cosmic-ray detector pulse-shape discriminator",
                   data=data, teacher=teacher, student=student, n_train=40000, n_test=5000, teacher_epochs=30,
                   distill_epochs=40, qat_epochs=40, sparsity=0.2, board="arty-a7-35", config=config,
                   batch_size=128, learning_rate=3e-3,
                   quick={"n_train": 1000, "n_test": 100, "student": quick_student})


if __name__ == "__main__":
    from rtlnn.compress.app import main

    sys.exit(main(spec()))
