#!/usr/bin/env python
"""2D-VGG: a VGG16 teacher (the VGG16 architecture built here with batch normalization, trained
from scratch — nothing pretrained is downloaded) on the sticky-trap images at 32x32,
distilled into a 3,202-parameter student at 60% sparsity, 8 bits, ``io_stream`` on the ZCU102.

The teacher's logits on the training set are computed once and reused by every
distillation epoch (``distill(cache_teacher=True)``), which is what makes a VGG16 teacher
affordable on a 2-core machine.  The input quantizer is ``quantized_bits(8, 0, keep_negative=0)``:
the 8-bit pixels ``k/256`` exactly.  ``--quick``: the same VGG16 teacher (one epoch on 128
images) and a Conv(3)-Pool(5)-Dense(4) student.

    python scripts/vgg_student.py [--quick] [-o DIR]
"""

import sys

SIZE = 32


def data(n_train, n_test):
    from rtlnn.datasets import moth_trap_images

    return moth_trap_images(n_train, seed=11, size=SIZE), moth_trap_images(n_test, seed=12, size=SIZE)


def teacher():
    """VGG16's architecture (configuration D: 13 3x3 convolutions in five blocks of 64, 128, 256,
    512, 512 filters, each block closed by a 2x2 max-pool) with batch normalization after every
    convolution (VGG16-BN, which trains from scratch in a few epochs where plain VGG16 does
    not), global average pooling and a linear 4-class head: 14.7 M parameters."""
    import keras

    L = keras.layers
    x_in = keras.Input((SIZE, SIZE, 3))
    x = L.Rescaling(2.0, offset=-1.0)(x_in)
    for n_conv, filters in ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512)):
        for _ in range(n_conv):
            x = L.Conv2D(filters, 3, padding="same", use_bias=False)(x)
            x = L.ReLU()(L.BatchNormalization(momentum=0.9)(x))  # short run: fast moving statistics
        x = L.MaxPooling2D(2)(x)
    x = L.GlobalAveragePooling2D()(x)
    return keras.Model(x_in, L.Dense(4, name="logits")(x), name="vgg16_teacher")


def student():
    import keras

    L = keras.layers
    return keras.Sequential([keras.Input((SIZE, SIZE, 3)), L.Conv2D(4, 3, activation="relu"), L.MaxPooling2D(2),
                             L.Conv2D(7, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(),
                             L.Dense(11, activation="relu"), L.Dense(4)], name="vgg_student")


def quick_student():
    import keras

    L = keras.layers
    return keras.Sequential([keras.Input((SIZE, SIZE, 3)), L.Conv2D(3, 3, activation="relu"), L.MaxPooling2D(5),
                             L.Flatten(), L.Dense(4)], name="vgg_student_quick")


def config(qmodel):
    from rtlnn.compress.app import student_config

    return student_config(qmodel, [36, 4])


def quick_config(qmodel):
    from rtlnn.compress.app import student_config

    return student_config(qmodel, [16])  # 108 x 4 products, 60% pruned; 1,024 pixel cycles per frame


def spec():
    from rtlnn.compress.app import AppSpec

    return AppSpec(key="vgg_student", title="2D-VGG", description="VGG16 teacher, sticky-trap images at 32x32",
                   data=data, teacher=teacher, student=student, n_train=2000, n_test=300, teacher_epochs=5,
                   distill_epochs=20, qat_epochs=20, sparsity=0.6, board="zcu102", io_type="io_stream",
                   config=config, teacher_batch_size=32, teacher_learning_rate=1e-3, batch_size=64,
                   learning_rate=3e-3, input_integer=0, input_signed=False,
                   quick={"n_train": 128, "n_test": 16, "student": quick_student, "config": quick_config})


if __name__ == "__main__":
    from rtlnn.compress.app import main

    sys.exit(main(spec()))
