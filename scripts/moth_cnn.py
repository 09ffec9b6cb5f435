#!/usr/bin/env python
"""2D-CNN: an insect sticky-trap image classifier (in the spirit of pest-trap moth
classifiers), compressed for the ZCU102.

Teacher CNN (three Conv-Conv-MaxPool blocks of 16/32/64 filters, a 512-unit dense head: 369,556
parameters)
on :func:`rtlnn.datasets.moth_trap_images` (24x24 RGB crops, 4 classes); student
Conv(6)-Pool-Conv(12)-Pool-Dense(14)-Dense(4) (3,590 parameters) distilled from it, trained
quantization-aware at 8 bits and pruned to 50% sparsity; converted with ``io_stream`` (one
pixel per clock, line buffers), simulated bit-exactly on the test set and synthesized with
Yosys for the ZCU102 (xczu9eg).  Reuse factors: the dense layers see one vector per frame
(576 pixel cycles), so they share their multipliers 32 and 4 ways.  The input quantizer is
``quantized_bits(8, 0, keep_negative=0)``: the 8-bit pixels ``k/256`` exactly.
``--quick``: the same path on 12x12 crops (384 / 32) with a Conv(3)-Pool-Dense(4) student.

    python scripts/moth_cnn.py [--quick] [-o DIR]
"""

import sys

SIZE = 24
QUICK_SIZE = 12


def data(n_train, n_test, size=SIZE):
    from rtlnn.datasets import moth_trap_images

    return moth_trap_images(n_train, seed=1, size=size), moth_trap_images(n_test, seed=2, size=size)


def teacher(size=SIZE):
    import keras

    L = keras.layers
    layers = [keras.Input((size, size, 3))]
    for filters in (16, 32, 64):
        layers += [L.Conv2D(filters, 3, padding="same", activation="relu"),
                   L.Conv2D(filters, 3, padding="same", activation="relu"), L.MaxPooling2D(2)]
    layers += [L.Flatten(), L.Dropout(0.3), L.Dense(512, activation="relu"), L.Dense(4)]
    return keras.Sequential(layers, name="moth_teacher")


def student():
    import keras

    L = keras.layers
    return keras.Sequential([keras.Input((SIZE, SIZE, 3)), L.Conv2D(6, 3, activation="relu"), L.MaxPooling2D(2),
                             L.Conv2D(12, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(),
                             L.Dense(14, activation="relu"), L.Dense(4)], name="moth_student")


def quick_student():
    import keras

    L = keras.layers
    return keras.Sequential([keras.Input((QUICK_SIZE, QUICK_SIZE, 3)), L.Conv2D(3, 3, activation="relu"),
                             L.MaxPooling2D(2), L.Flatten(), L.Dense(4)], name="moth_student_quick")


def config(qmodel):
    from rtlnn.compress.app import student_config

    return student_config(qmodel, [32, 4])


def quick_config(qmodel):
    from rtlnn.compress.app import student_config

    return student_config(qmodel, [16])  # 75 x 4 products, half of them pruned; 144 pixel cycles per frame


def spec():
    from rtlnn.compress.app import AppSpec

    return AppSpec(key="moth_cnn", title="2D-CNN", description="insect sticky-trap image classifier",
                   data=data, teacher=teacher, student=student, n_train=6000, n_test=500, teacher_epochs=6,
                   distill_epochs=20, qat_epochs=20, sparsity=0.5, board="zcu102", io_type="io_stream",
                   config=config, batch_size=64, learning_rate=3e-3, input_integer=0, input_signed=False,
                   quick={"n_train": 384, "n_test": 32, "data": lambda n, m: data(n, m, QUICK_SIZE),
                          "teacher": lambda: teacher(QUICK_SIZE), "student": quick_student, "config": quick_config})


if __name__ == "__main__":
    from rtlnn.compress.app import main

    sys.exit(main(spec()))
