"""The compression workflow: teacher -> student distillation, quantization-aware training,
pruning, then hardware — as a library (this package) and as ``rtlnn compress``.

* :mod:`.distillation` — :func:`distill`, :class:`Distiller` (the soft-target loss);
* :mod:`.prune` — :class:`PruningCallback` with tfmot's :class:`PolynomialDecay` schedule,
  masks kept through fine-tuning (implemented on Keras 3 callbacks: tfmot is Keras-2 only);
* :mod:`.qat` — :func:`quantize_model`, the QKeras (qkeras-v3) twin of a float student;
* :mod:`.summary` — :func:`model_stats` (print_qstats-like), :func:`compression_summary`;
* :mod:`.workflow` — :func:`compress` and :func:`to_hardware`, the whole path;
* :mod:`.table` — the results table (Markdown + JSON) from the applications' results.
"""

from importlib import import_module

#: public name -> the submodule defining it.  Imported on first use (PEP 562), so that
#: ``rtlnn.compress.table`` and the results scripts do not pay TensorFlow's import.
_EXPORTS = {
    "distill": "distillation", "distillation_loss": "distillation", "Distiller": "distillation",
    "PolynomialDecay": "prune", "ConstantSparsity": "prune", "PruningCallback": "prune",
    "pruning_callback": "prune", "kernel_sparsity": "prune", "prunable_layers": "prune", "prune_to": "prune",
    "quantize_model": "qat",
    "ModelStats": "summary", "model_stats": "summary", "accuracy": "summary", "compression_summary": "summary",
    "format_stats": "summary",
    "compress": "workflow", "CompressResult": "workflow", "to_hardware": "workflow",
    "qkeras_agreement": "workflow", "train_classifier": "workflow",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = globals()[name] = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
