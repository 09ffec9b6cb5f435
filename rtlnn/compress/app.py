"""One compression application, end to end, from one command: the runner behind
``scripts/pulse_mlp.py``, ``scripts/moth_cnn.py`` and ``scripts/vgg_student.py``.

teacher training -> student distillation (and the same student trained without a teacher,
for comparison) -> QAT + pruning -> conversion (no hand-written precision) -> RTL simulation
on the whole test set -> Yosys synthesis for the board -> ``results.json`` + ``summary.txt``
in the output folder.

``--quick`` (for tests): the same whole path — every stage runs for real, the RTL is simulated
on the whole (small) test set and synthesized — on tiny data, one epoch per stage, and the
spec's ``quick`` overrides: a tiny student (and smaller images where the architecture allows),
because the hardware stages cost what the design costs — a Verilator build and one Yosys
``synth_xilinx`` per module (each ~4 s of CPU however small the module) — not what the data
costs.  ``results.json`` records the seconds of every stage.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

__all__ = ["AppSpec", "quick_spec", "student_config", "run_app", "main"]


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
    input_signed: bool = True  # False: an unsigned input quantizer (8-bit pixels k/256: ufixed<8,0>, exact)
    temperature: float = 4.0
    alpha: float = 0.1
    io_type: str = "io_parallel"
    config: Callable | None = None  # (qmodel) -> rtlnn config dict (reuse factors, strategy), or None
    teacher_batch_size: int = 128
    teacher_learning_rate: float = 1e-3
    batch_size: int = 128
    learning_rate: float = 3e-3
    seed: int = 0
    notes: list = field(default_factory=list)
    quick: dict = field(default_factory=dict)  # field -> value for --quick (n_train, n_test, student, ...)


def student_config(qmodel, reuse_factors) -> dict:
    """The rtlnn config of a student: its Dense layers, in order, get these reuse factors (the
    rest RF 1), and a max pool right after a quantizer keeps that quantizer's type (a max is one
    of its inputs: exact) instead of the Model default.  No other precision: the quantizers set them."""
    from .qat import layer_quantizer

    layers = list(qmodel.layers)
    dense = [layer.name for layer in layers if layer.__class__.__name__ in ("QDense", "Dense")]
    if len(dense) != len(reuse_factors):
        raise ValueError(f"{qmodel.name}: {len(dense)} Dense layers ({', '.join(dense)}) but "
                         f"{len(reuse_factors)} reuse factors")
    names = {n: {"ReuseFactor": rf} for n, rf in zip(dense, reuse_factors)}
    for prev, layer in zip(layers, layers[1:]):
        if "MaxPooling" in layer.__class__.__name__ and prev.__class__.__name__ == "QActivation":
            q = layer_quantizer(prev)
            if q is not None and q.fixed_type() is not None:
                names[layer.name] = {"Precision": str(q.fixed_type())}
    return {"Model": {"ReuseFactor": 1}, "LayerName": names}


def quick_spec(spec: AppSpec) -> AppSpec:
    """``spec`` as ``--quick`` runs it: one epoch per stage, then the spec's own ``quick`` overrides."""
    unknown = set(spec.quick) - {f.name for f in dataclasses.fields(AppSpec)}
    if unknown:
        raise ValueError(f"AppSpec {spec.key!r}: quick overrides {sorted(unknown)} are not AppSpec fields")
    over = {"teacher_epochs": 1, "distill_epochs": 1, "qat_epochs": 1, "n_train": 512, "n_test": 64, **spec.quick}
    return dataclasses.replace(spec, quick={}, **over)


def run_app(spec: AppSpec, output_dir, quick: bool = False, log=print) -> dict:
    """Run ``spec`` end to end into ``output_dir``; returns (and writes) the results."""
    import keras

    from .summary import accuracy, model_stats
    from .workflow import compress, to_hardware, train_classifier

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    if quick:
        spec = quick_spec(spec)
    keras.utils.set_random_seed(spec.seed)
    t_all = time.monotonic()
    load_start = _loadavg()
    (xtr, ytr), (xte, yte) = spec.data(spec.n_train, spec.n_test)
    log(f"[{spec.key}] data: {len(xtr)} train, {len(xte)} test, input {xtr.shape[1:]}")

    t0 = time.monotonic()
    teacher = spec.teacher()
    train_classifier(teacher, (xtr, ytr), epochs=spec.teacher_epochs, batch_size=spec.teacher_batch_size,
                     learning_rate=spec.teacher_learning_rate)
    t_stats = model_stats(teacher, xte, yte)
    seconds = {"data": round(t0 - t_all, 1), "teacher": round(time.monotonic() - t0, 1)}
    log(f"[{spec.key}] teacher: {t_stats.params} parameters, accuracy {100 * t_stats.accuracy:.2f}% "
        f"({seconds['teacher']:.0f} s)")

    t0 = time.monotonic()
    keras.utils.set_random_seed(spec.seed + 1)
    baseline = spec.student()
    train_classifier(baseline, (xtr, ytr), epochs=spec.distill_epochs, batch_size=spec.batch_size,
                     learning_rate=spec.learning_rate)
    baseline_acc = accuracy(baseline, xte, yte)
    seconds["student_without_teacher"] = round(time.monotonic() - t0, 1)
    keras.utils.set_random_seed(spec.seed + 1)  # same initial weights as the baseline
    student = spec.student()
    res = compress(teacher, student, (xtr, ytr), (xte, yte), temperature=spec.temperature, alpha=spec.alpha,
                   sparsity=spec.sparsity, bits=spec.bits, integer=spec.integer, relu_integer=spec.relu_integer,
                   input_integer=spec.input_integer, input_signed=spec.input_signed,
                   distill_epochs=spec.distill_epochs, qat_epochs=spec.qat_epochs, batch_size=spec.batch_size,
                   learning_rate=spec.learning_rate)
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
        f"II {sim.get('ii')}, utilization {syn.get('utilization')}; seconds: convert {hw.get('seconds_convert')}, "
        f"simulate {sim.get('seconds')} (Verilator build {sim.get('build_seconds')}), synthesize {syn.get('seconds')}")
    s = res.stats
    results = {
        "app": spec.key, "title": spec.title, "description": spec.description, "quick": quick,
        "data": {"n_train": int(len(xtr)), "n_test": int(len(xte)), "input_shape": list(xtr.shape[1:])},
        "teacher": {"params": t_stats.params, "n_layers": t_stats.n_layers, "accuracy": t_stats.accuracy,
                    "epochs": spec.teacher_epochs},
        "student": {"params": s.params, "n_layers": s.n_layers, "bits": s.bits, "sparsity": s.sparsity,
                    "sparsity_quantized": s.sparsity_quantized, "nonzero_weights": s.nonzero_weights,
                    "accuracy_float_distilled": res.float_accuracy, "accuracy_float_no_teacher": baseline_acc,
                    "accuracy_qkeras": s.accuracy, "accuracy_hardware": hw["hardware_accuracy"],
                    "layers": s.layers, "sparsity_by_layer": res.sparsity_by_layer},
        "compression_ratio": t_stats.params / s.params,
        "accuracy_gap": t_stats.accuracy - hw["hardware_accuracy"],
        "settings": {k: getattr(spec, k) for k in ("temperature", "alpha", "sparsity", "bits", "integer",
                                                   "relu_integer", "input_integer", "input_signed", "teacher_epochs",
                                                   "distill_epochs", "qat_epochs", "batch_size", "learning_rate")},
        "hardware": hw, "config": cfg, "notes": spec.notes,
        "machine": {"cpus": os.cpu_count(), "load_average_start": load_start, "load_average_end": _loadavg()},
        "seconds": {**seconds, **res.seconds, "convert": hw.get("seconds_convert"), "simulate": sim.get("seconds"),
                    "verilator_build": sim.get("build_seconds"), "synthesize": syn.get("seconds"),
                    "total": round(time.monotonic() - t_all, 1)},
    }
    (out / "results.json").write_text(json.dumps(results, indent=2, default=_json))
    (out / "summary.txt").write_text(str(res.stats) + "\n")
    log(f"[{spec.key}] done in {results['seconds']['total']:.0f} s: {out / 'results.json'}")
    return results


def _loadavg():
    """The 1-minute load average (None where the OS has none): run times mean little without it."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def _json(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    return str(o)


def main(spec: AppSpec, argv=None) -> int:
    p = argparse.ArgumentParser(description=f"{spec.title}: {spec.description} — teacher, distilled 8-bit pruned "
                                            f"student, RTL simulation and synthesis for {spec.board}")
    p.add_argument("--quick", action="store_true", help="the whole path on tiny data with a tiny student, one epoch "
                                                        "per stage (for tests)")
    p.add_argument("-o", "--output-dir", default=None, help=f"output folder (default: build/compress/{spec.key})")
    args = p.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    out = args.output_dir or os.path.join("build", "compress", spec.key + ("_quick" if args.quick else ""))
    run_app(spec, out, quick=args.quick)
    return 0
