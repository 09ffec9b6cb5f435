"""One compression application, end to end, from one command: the runner behind
``scripts/pulse_mlp.py``, ``scripts/moth_cnn.py`` and ``scripts/vgg_student.py``.

teacher training -> student distillation (and the same student trained without a teacher,
for comparison) -> QAT + pruning -> conversion (no hand-written precision) -> RTL simulation
on the whole test set -> Yosys synthesis for the board -> ``results.json`` + ``summary.txt``
in the output folder.  ``--quick``: tiny data and one epoch per stage, the same whole path.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

__all__ = ["AppSpec", "run_app", "main"]


@dataclass
class AppSpec:
    key: str  # folder / file name: "pulse_mlp"
    title: str  # table row: "1D-MLP"
    description: str
    data: Callable  # (n_train, n_test) -> ((x, y), (x, y))
    teacher: Callable  # () -> keras model with logits
    student: Callable  # () -> keras model with logits
    n_train: int
    n_test: int
    teacher_epochs: int
    distill_epochs: int
    qat_epochs: int
    sparsity: float
    board: str
    bits: int = 8
    integer: int = 0
    relu_integer: int = 2
    input_integer: int = 2
    temperature: float = 4.0
    alpha: float = 0.1
    io_type: str = "io_parallel"
    config: Callable | None = None  # (qmodel) -> rtlnn config dict (reuse factors, strategy), or None
    teacher_batch_size: int = 128
    teacher_learning_rate: float = 1e-3
    batch_size: int = 128
    learning_rate: float = 3e-3
    quick_n_train: int = 512
    quick_n_test: int = 64
    seed: int = 0
    notes: list = field(default_factory=list)


def run_app(spec: AppSpec, output_dir, quick: bool = False, log=print) -> dict:
    """Run ``spec`` end to end into ``output_dir``; returns (and writes) the results."""
    import keras

    from .summary import accuracy, model_stats
    from .workflow import compress, to_hardware, train_classifier

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(spec.seed)
    n_train, n_test = (spec.quick_n_train, spec.quick_n_test) if quick else (spec.n_train, spec.n_test)
    ep = (lambda e: 1) if quick else (lambda e: e)
    t_all = time.monotonic()
    (xtr, ytr), (xte, yte) = spec.data(n_train, n_test)
    log(f"[{spec.key}] data: {len(xtr)} train, {len(xte)} test, input {xtr.shape[1:]}")

    t0 = time.monotonic()
    teacher = spec.teacher()
    train_classifier(teacher, (xtr, ytr), epochs=ep(spec.teacher_epochs), batch_size=spec.teacher_batch_size,
                     learning_rate=spec.teacher_learning_rate)
    t_stats = model_stats(teacher, xte, yte)
    log(f"[{spec.key}] teacher: {t_stats.params} parameters, accuracy {100 * t_stats.accuracy:.2f}% "
        f"({time.monotonic() - t0:.0f} s)")

    keras.utils.set_random_seed(spec.seed + 1)
    baseline = spec.student()
    train_classifier(baseline, (xtr, ytr), epochs=ep(spec.distill_epochs), batch_size=spec.batch_size,
                     learning_rate=spec.learning_rate)
    baseline_acc = accuracy(baseline, xte, yte)
    keras.utils.set_random_seed(spec.seed + 1)  # same initial weights as the baseline
    student = spec.student()
    res = compress(teacher, student, (xtr, ytr), (xte, yte), temperature=spec.temperature, alpha=spec.alpha,
                   sparsity=spec.sparsity, bits=spec.bits, integer=spec.integer, relu_integer=spec.relu_integer,
                   input_integer=spec.input_integer, distill_epochs=ep(spec.distill_epochs),
                   qat_epochs=ep(spec.qat_epochs), batch_size=spec.batch_size, learning_rate=spec.learning_rate)
    log(f"[{spec.key}] student float: distilled {100 * res.float_accuracy:.2f}%, without teacher "
        f"{100 * baseline_acc:.2f}%")
    log(str(res.stats))
    res.qmodel.save(out / "student_qat.keras")

    cfg = spec.config(res.qmodel) if spec.config else None
    hw = to_hardware(res.qmodel, xte, yte, out / "rtl_project", board=spec.board, io_type=spec.io_type,
                     project_name=spec.key, config=cfg)
    sim, syn = hw.get("simulation", {}), hw.get("synthesis", {})
    log(f"[{spec.key}] hardware: accuracy {100 * hw['hardware_accuracy']:.2f}%, RTL mismatches "
        f"{sim.get('mismatches')} of {sim.get('vectors')}, latency {sim.get('latency_cycles')} cycles, "
        f"II {sim.get('ii')}, utilization {syn.get('utilization')}")
    s = res.stats
    results = {
        "app": spec.key, "title": spec.title, "description": spec.description, "quick": quick,
        "data": {"n_train": int(len(xtr)), "n_test": int(len(xte)), "input_shape": list(xtr.shape[1:])},
        "teacher": {"params": t_stats.params, "n_layers": t_stats.n_layers, "accuracy": t_stats.accuracy,
                    "epochs": ep(spec.teacher_epochs)},
        "student": {"params": s.params, "n_layers": s.n_layers, "bits": s.bits, "sparsity": s.sparsity,
                    "sparsity_quantized": s.sparsity_quantized, "nonzero_weights": s.nonzero_weights,
                    "accuracy_float_distilled": res.float_accuracy, "accuracy_float_no_teacher": baseline_acc,
                    "accuracy_qkeras": s.accuracy, "accuracy_hardware": hw["hardware_accuracy"],
                    "layers": s.layers, "sparsity_by_layer": res.sparsity_by_layer},
        "compression_ratio": t_stats.params / s.params,
        "accuracy_gap": t_stats.accuracy - hw["hardware_accuracy"],
        "settings": {k: getattr(spec, k) for k in ("temperature", "alpha", "sparsity", "bits", "integer",
                                                   "relu_integer", "input_integer", "teacher_epochs",
                                                   "distill_epochs", "qat_epochs", "batch_size", "learning_rate")},
        "hardware": hw, "config": cfg, "notes": spec.notes,
        "seconds": {**res.seconds, "total": round(time.monotonic() - t_all, 1)},
    }
    (out / "results.json").write_text(json.dumps(results, indent=2, default=_json))
    (out / "summary.txt").write_text(str(res.stats) + "\n")
    log(f"[{spec.key}] done in {results['seconds']['total']:.0f} s: {out / 'results.json'}")
    return results


def _json(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    return str(o)


def main(spec: AppSpec, argv=None) -> int:
    p = argparse.ArgumentParser(description=f"{spec.title}: {spec.description} — teacher, distilled 8-bit pruned "
                                            f"student, RTL simulation and synthesis for {spec.board}")
    p.add_argument("--quick", action="store_true", help="tiny data, one epoch per stage (the whole path, for tests)")
    p.add_argument("-o", "--output-dir", default=None, help=f"output folder (default: build/compress/{spec.key})")
    args = p.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    out = args.output_dir or os.path.join("build", "compress", spec.key + ("_quick" if args.quick else ""))
    run_app(spec, out, quick=args.quick)
    return 0
