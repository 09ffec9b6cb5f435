"""What a compressed model is, in figures: parameters, compression ratio, layers, accuracy,
bits, sparsity — per layer (like QKeras's ``print_qstats``) and in total, as data and as text.

Definitions (the columns of :mod:`rtlnn.compress.table`):

* **P** — parameters: every weight and bias of the model (``model.count_params()``), pruned
  zeros included (as the published tables count them);
* **CR** — compression ratio: teacher P / student P;
* **NL** — number of layers: the layers that hold weights (Dense, Conv, and their Q-forms);
* **OA** — overall accuracy: argmax of the logits = label, on the test set;
* **bits** — the widest weight quantizer (32 for a float model);
* **SP** — sparsity: zero fraction of the kernels (biases excluded).  ``sparsity_quantized``
  counts the zeros after the weight quantizer too (small weights round to 0), which is what
  the hardware sees.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

__all__ = ["ModelStats", "model_stats", "accuracy", "compression_summary", "format_stats"]


@dataclass
class ModelStats:
    name: str
    params: int
    n_layers: int
    bits: int
    sparsity: float
    sparsity_quantized: float
    nonzero_weights: int
    accuracy: float | None = None
    layers: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return format_stats(self)


def accuracy(model, x, y, batch_size: int = 1024) -> float:
    """Fraction of ``x`` whose argmax output is the integer label ``y``."""
    pred = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    return float(np.mean(np.argmax(pred, axis=-1) == np.asarray(y).reshape(-1)))


def _kernel_quantizer(layer):
    cfg = layer.get_config()
    q = cfg.get("kernel_quantizer")
    if q is None:
        return None
    from ..frontends.qkeras import parse_quantizer

    return parse_quantizer(q, f"layer {layer.name!r}, kernel_quantizer")


def _flat(model):
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers:
            yield from _flat(layer)
        else:
            yield layer


def model_stats(model, x=None, y=None) -> ModelStats:
    """The figures of ``model`` (accuracy too when ``x``, ``y`` are given)."""
    rows, zeros, qzeros, total, bits, nl = [], 0, 0, 0, 0, 0
    for layer in _flat(model):
        n = int(layer.count_params()) if layer.built else 0
        kernel = getattr(layer, "kernel", None)
        cfg = layer.get_config()
        act_q = cfg.get("activation") if layer.__class__.__name__.startswith("QActivation") else None
        row = {"name": layer.name, "class": layer.__class__.__name__, "params": n}
        if kernel is not None:
            nl += 1
            w = np.asarray(kernel.numpy() if hasattr(kernel, "numpy") else kernel, dtype=np.float64)
            q = _kernel_quantizer(layer)
            wq = q.apply(w) if q is not None else w
            b = int(q.params.get("bits", 8)) if q is not None else 32
            bits = max(bits, b)
            z, zq = int(np.count_nonzero(w == 0)), int(np.count_nonzero(wq == 0))
            zeros, qzeros, total = zeros + z, qzeros + zq, total + w.size
            row.update(weights=int(w.size), sparsity=z / w.size, sparsity_quantized=zq / w.size,
                       nonzero_weights=int(w.size - zq), kernel_quantizer=str(q) if q is not None else "float32",
                       bias_quantizer=str(cfg.get("bias_quantizer")) if cfg.get("bias_quantizer") else None)
        elif act_q is not None:
            row["activation_quantizer"] = act_q if isinstance(act_q, str) else str(act_q)
        if n or kernel is not None or "activation_quantizer" in row:
            rows.append(row)
    acc = accuracy(model, x, y) if x is not None and y is not None else None
    return ModelStats(name=model.name, params=int(model.count_params()), n_layers=nl, bits=bits or 32,
                      sparsity=zeros / total if total else 0.0, sparsity_quantized=qzeros / total if total else 0.0,
                      nonzero_weights=int(total - qzeros), accuracy=acc, layers=rows)


def compression_summary(teacher: ModelStats, student: ModelStats) -> dict:
    """Teacher and student side by side, with the compression ratio and the accuracy gap."""
    out = {"teacher": teacher.to_dict(), "student": student.to_dict(),
           "compression_ratio": teacher.params / student.params if student.params else None}
    if teacher.accuracy is not None and student.accuracy is not None:
        out["accuracy_gap"] = teacher.accuracy - student.accuracy
    return out


def format_stats(s: ModelStats) -> str:
    """A print_qstats-like text table."""
    lines = [f"model {s.name}: {s.params} parameters, {s.n_layers} weight layers, {s.bits} bits, "
             f"sparsity {100 * s.sparsity:.1f}% ({100 * s.sparsity_quantized:.1f}% after quantization), "
             f"{s.nonzero_weights} nonzero weights"
             + (f", accuracy {100 * s.accuracy:.2f}%" if s.accuracy is not None else "")]
    hdr = f"  {'layer':<22} {'class':<14} {'params':>7} {'sparsity':>9} {'q-sparsity':>10}  quantizer"
    lines += [hdr, "  " + "-" * (len(hdr) + 8)]
    for r in s.layers:
        if "weights" in r:
            lines.append(f"  {r['name']:<22} {r['class']:<14} {r['params']:>7} {100 * r['sparsity']:>8.1f}% "
                         f"{100 * r['sparsity_quantized']:>9.1f}%  {r['kernel_quantizer']}")
        else:
            lines.append(f"  {r['name']:<22} {r['class']:<14} {r['params']:>7} {'':>9} {'':>10}  "
                         f"{r.get('activation_quantizer', '')}")
    return "\n".join(lines)
