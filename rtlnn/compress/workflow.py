"""The whole compression path in two calls, as the applications in ``scripts/`` run it:

1. :func:`compress` — distill the float student from the teacher, quantize it
   (:func:`~rtlnn.compress.qat.quantize_model`), then quantization-aware fine-tuning with the
   distillation loss still on while :class:`~rtlnn.compress.prune.PruningCallback` prunes it
   to the target sparsity (the last part of the run fine-tunes with the masks frozen);
2. :func:`to_hardware` — convert the QKeras student with rtlnn (no precision written by hand),
   check the emulator against QKeras, simulate the RTL on the test set (every output compared
   with the emulator, latency and II measured) and synthesize it with Yosys for a board.

Both return plain dicts (JSON-ready) that :mod:`rtlnn.compress.table` turns into the results table.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..ir import RtlnnError
from .distillation import distill
from .prune import kernel_sparsity, pruning_callback
from .qat import quantize_model
from .summary import ModelStats, accuracy, model_stats

__all__ = ["train_classifier", "compress", "CompressResult", "to_hardware", "qkeras_agreement"]


def train_classifier(model, data, *, epochs: int = 10, batch_size: int = 256, learning_rate: float = 3e-3,
                     validation_data=None, callbacks=(), verbose: int = 0):
    """Plain training on integer labels with a cross-entropy on the model's logits."""
    import keras

    x, y = data
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    return model.fit(x, y, epochs=epochs, batch_size=batch_size, validation_data=validation_data,
                     callbacks=list(callbacks), verbose=verbose)


@dataclass
class CompressResult:
    qmodel: object  # the pruned QKeras student
    float_student: object  # the distilled float student (before quantization)
    stats: ModelStats  # of qmodel, with test accuracy
    float_accuracy: float
    sparsity_by_layer: dict
    seconds: dict = field(default_factory=dict)


def compress(teacher, student, train, test, *, temperature: float = 4.0, alpha: float = 0.1, sparsity: float = 0.2,
             bits: int = 8, integer: int = 0, relu_integer: int = 2, input_bits: int | None = None,
             input_integer: int = 2, input_signed: bool = True, distill_epochs: int = 10, qat_epochs: int = 10, batch_size: int = 256,
             learning_rate: float = 3e-3, qat_learning_rate: float | None = None, verbose: int = 0) -> CompressResult:
    """Distill ``student`` from ``teacher`` on ``train = (x, y)``, then QAT at ``bits`` with pruning
    to ``sparsity``; ``test = (x, y)`` scores the results."""
    if not 0.0 <= sparsity < 1.0:
        raise RtlnnError(f"compress: sparsity={sparsity} must be in [0, 1)")
    if distill_epochs < 1 or qat_epochs < 1:
        raise RtlnnError("compress: distill_epochs and qat_epochs must be >= 1")
    t0 = time.monotonic()
    distill(teacher, student, train, temperature, alpha, epochs=distill_epochs, batch_size=batch_size,
            learning_rate=learning_rate, verbose=verbose)
    t1 = time.monotonic()
    float_acc = accuracy(student, *test)
    qmodel = quantize_model(student, bits, integer, relu_integer=relu_integer, input_bits=input_bits,
                            input_integer=input_integer, input_signed=input_signed)
    steps = qat_epochs * -(-len(train[0]) // batch_size)
    cb = pruning_callback(sparsity, steps, target_model=qmodel) if sparsity > 0 else None
    distill(teacher, qmodel, train, temperature, alpha, epochs=qat_epochs, batch_size=batch_size,
            learning_rate=qat_learning_rate or learning_rate / 3, callbacks=[cb] if cb else [], verbose=verbose)
    t2 = time.monotonic()
    return CompressResult(qmodel=qmodel, float_student=student, stats=model_stats(qmodel, *test),
                          float_accuracy=float_acc, sparsity_by_layer=kernel_sparsity(qmodel),
                          seconds={"distill": round(t1 - t0, 1), "qat_prune": round(t2 - t1, 1)})


def qkeras_agreement(qmodel, rtlnn_model, x) -> dict:
    """How the converted model (emulator) matches QKeras on ``x``: argmax agreement and exact outputs."""
    ref = np.asarray(qmodel.predict(x, batch_size=1024, verbose=0), dtype=np.float64)
    emu = np.asarray(rtlnn_model.predict(x), dtype=np.float64).reshape(ref.shape)
    tol = 1e-6 * max(1.0, float(np.max(np.abs(ref))))  # QKeras sums in float32
    exact = np.all(np.abs(emu - ref) <= tol, axis=-1)
    return {"n": int(len(x)), "argmax_agreement": float(np.mean(np.argmax(emu, -1) == np.argmax(ref, -1))),
            "exact_fraction": float(np.mean(exact)), "max_abs_difference": float(np.max(np.abs(emu - ref)))}


def to_hardware(qmodel, x_test, y_test, output_dir, *, board: str, io_type: str = "io_parallel",
                project_name: str = "student", config=None, simulate: bool = True, synthesize: bool = True,
                clock_period: float | None = None) -> dict:
    """Convert, check against QKeras, simulate on the whole test set and synthesize for ``board``."""
    from ..boards import get_board
    from ..converters import convert_from_keras_model

    b = get_board(board)
    kw = {"clock_period": clock_period} if clock_period else {}
    t0 = time.monotonic()
    rm = convert_from_keras_model(qmodel, config=config, output_dir=output_dir, part=b.part, io_type=io_type,
                                  project_name=project_name, **kw)
    emu = np.asarray(rm.predict(x_test))
    out = {"board": b.name, "part": b.part, "io_type": io_type, "output_dir": str(output_dir),
           "hardware_accuracy": float(np.mean(np.argmax(emu.reshape(len(x_test), -1), -1) == np.asarray(y_test))),
           "qkeras": qkeras_agreement(qmodel, rm, x_test)}
    rep = rm.report()
    out.update(latency_cycles_reported=rep["latency_cycles"], ii_reported=rep["ii"], multipliers=rep["multipliers"],
               nonzero_weights=sum(l.get("nonzero_weights", 0) for l in rep["layers"]),
               precisions={l["name"]: l["precision"] for l in rep["layers"]})
    out["seconds_convert"] = round(time.monotonic() - t0, 1)
    if simulate:
        t1 = time.monotonic()
        sim = rm.simulate(x_test)
        out["simulation"] = {"vectors": int(len(x_test)), "mismatches": int(sim.mismatches), "passed": bool(sim.passed),
                             "latency_cycles": sim.latency_cycles, "ii": sim.ii,
                             "seconds": round(time.monotonic() - t1, 1), "build_seconds": sim.details.get("build_seconds"),
                             "build_cached": sim.details.get("build_cached")}
    if synthesize:
        t2 = time.monotonic()
        syn = rm.synthesize(board=b.name).to_dict()
        out["synthesis"] = {"part": syn["part"], "total": syn["total"], "utilization": syn["utilization"],
                            "fits": syn["fits"], "tool": syn["tool"], "seconds": round(time.monotonic() - t2, 1),
                            "runs": len(syn["layers"]) + 1,  # one Yosys run per module and one for the glue
                            "runs_from_cache": sum(bool(e.get("cached")) for e in [*syn["layers"], syn["glue"]])}
    return out
