"""The compression workflow: teacher -> student distillation, quantization-aware training,
pruning, then hardware — as a library (this package) and as ``rtlnn compress``.

* :mod:`.distill` — :func:`distill`, :class:`Distiller` (the soft-target loss);
* :mod:`.prune` — :class:`PruningCallback` with tfmot's :class:`PolynomialDecay` schedule,
  masks kept through fine-tuning (implemented on Keras 3 callbacks: tfmot is Keras-2 only);
* :mod:`.qat` — :func:`quantize_model`, the QKeras (qkeras-v3) twin of a float student;
* :mod:`.summary` — :func:`model_stats` (print_qstats-like), :func:`compression_summary`;
* :mod:`.workflow` — :func:`compress` and :func:`to_hardware`, the whole path;
* :mod:`.table` — the results table (Markdown + JSON) from the applications' results.
"""

from .distill import Distiller, distill, distillation_loss
from .prune import ConstantSparsity, PolynomialDecay, PruningCallback, kernel_sparsity, prunable_layers, prune_to, pruning_callback
from .qat import quantize_model
from .summary import ModelStats, accuracy, compression_summary, format_stats, model_stats
from .workflow import CompressResult, compress, qkeras_agreement, to_hardware, train_classifier

__all__ = ["distill", "distillation_loss", "Distiller", "PolynomialDecay", "ConstantSparsity", "PruningCallback",
           "pruning_callback", "kernel_sparsity", "prunable_layers", "prune_to", "quantize_model", "ModelStats",
           "model_stats", "accuracy", "compression_summary", "format_stats", "compress", "CompressResult",
           "to_hardware", "qkeras_agreement", "train_classifier"]

