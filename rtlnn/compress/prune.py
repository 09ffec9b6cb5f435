"""Magnitude pruning to a target sparsity, on a schedule, with masks kept through fine-tuning.

tfmot (``tensorflow_model_optimization``) is what hls4ml's tutorials prune with, but it only
supports Keras 2 (``tf.keras``); rtlnn targets Keras 3, so the same method is implemented here
with a Keras 3 callback:

* the target sparsity rises from ``initial_sparsity`` to ``final_sparsity`` between
  ``begin_step`` and ``end_step`` along tfmot's ``PolynomialDecay``
  ``s(t) = s_f + (s_i - s_f) * (1 - (t - t0) / (t1 - t0)) ** power``, updated every
  ``frequency`` steps;
* at each update, in every prunable layer separately, the ``round(s * n)`` kernel weights of
  smallest magnitude get a zero in the layer's mask;
* after every training batch the kernel is multiplied by its mask, so a pruned weight stays
  zero through the rest of training (the optimizer may move it, the mask puts it back) —
  and after ``end_step`` the mask is frozen, so fine-tuning keeps exactly those zeros.

Prunable layers: every layer with a ``kernel`` (Dense, Conv, and the QKeras Q-layers, whose
quantizers map 0 to 0); biases are never pruned (as in tfmot).  A zero weight costs nothing
in rtlnn's hardware: the Dense and Conv generators skip it (no multiplier, no adder input).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from ..ir import RtlnnError

__all__ = ["PolynomialDecay", "ConstantSparsity", "PruningCallback", "prunable_layers", "kernel_sparsity",
           "prune_to", "pruning_callback"]


@dataclass(frozen=True)
class PolynomialDecay:
    """tfmot's schedule: sparsity ``initial -> final`` over ``begin_step .. end_step``, updated every
    ``frequency`` steps, along a polynomial of ``power`` (3: prune fast early, gently late)."""

    initial_sparsity: float
    final_sparsity: float
    begin_step: int
    end_step: int
    power: float = 3.0
    frequency: int = 100

    def __post_init__(self):
        for k in ("initial_sparsity", "final_sparsity"):
            v = getattr(self, k)
            if not 0.0 <= v < 1.0:
                raise RtlnnError(f"PolynomialDecay: {k}={v!r} must be in [0, 1)")
        if self.begin_step < 0 or self.end_step < self.begin_step:
            raise RtlnnError(f"PolynomialDecay: need 0 <= begin_step ({self.begin_step}) <= end_step ({self.end_step})")
        if self.frequency < 1:
            raise RtlnnError(f"PolynomialDecay: frequency={self.frequency} must be >= 1")

    def __call__(self, step: int) -> tuple[bool, float]:
        """(update the masks at this step?, the sparsity to prune to)."""
        if step < self.begin_step:
            return False, self.initial_sparsity
        if step >= self.end_step:  # the masks are frozen after the last update
            return step == self.end_step, self.final_sparsity
        frac = (step - self.begin_step) / max(self.end_step - self.begin_step, 1)
        s = self.final_sparsity + (self.initial_sparsity - self.final_sparsity) * (1.0 - frac) ** self.power
        return (step - self.begin_step) % self.frequency == 0, float(s)


@dataclass(frozen=True)
class ConstantSparsity:
    """Prune to ``target`` at ``begin_step`` (and every ``frequency`` steps after, same target)."""

    target_sparsity: float
    begin_step: int = 0
    frequency: int = 100

    def __call__(self, step: int) -> tuple[bool, float]:
        if step < self.begin_step:
            return False, 0.0
        return (step - self.begin_step) % self.frequency == 0, self.target_sparsity


def prunable_layers(model, skip=()) -> list:
    """The layers whose kernel is pruned: every layer with a ``kernel`` whose name is not in ``skip``."""
    out = []
    for layer in _flat_layers(model):
        if layer.name in skip:
            continue
        if getattr(layer, "kernel", None) is not None:
            out.append(layer)
    return out


def _flat_layers(model):
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers:  # nested model
            yield from _flat_layers(layer)
        else:
            yield layer


def _magnitude_mask(w: np.ndarray, sparsity: float) -> np.ndarray:
    """Zeros at the ``round(sparsity * n)`` smallest |w| (ties broken by position: deterministic)."""
    k = int(round(sparsity * w.size))
    mask = np.ones(w.size, dtype=w.dtype)
    if k > 0:
        order = np.argsort(np.abs(w).ravel(), kind="stable")
        mask[order[:k]] = 0
    return mask.reshape(w.shape)


def kernel_sparsity(model, skip=()) -> dict:
    """Zero fraction of every prunable kernel, and overall (weighted by size): ``{name: s, "total": s}``."""
    out, zeros, total = {}, 0, 0
    for layer in prunable_layers(model, skip):
        w = np.asarray(layer.kernel.numpy() if hasattr(layer.kernel, "numpy") else layer.kernel)
        z = int(np.count_nonzero(w == 0))
        out[layer.name] = z / w.size
        zeros += z
        total += w.size
    out["total"] = zeros / total if total else 0.0
    return out


def prune_to(model, sparsity: float, skip=()) -> dict:
    """Prune every prunable kernel of ``model`` to ``sparsity`` now (one shot); returns the masks."""
    masks = {}
    for layer in prunable_layers(model, skip):
        w = np.asarray(layer.kernel.numpy())
        m = _magnitude_mask(w, sparsity)
        layer.kernel.assign(w * m)
        masks[layer.name] = m
    return masks


class PruningCallback(keras.callbacks.Callback):
    """Prunes ``model``'s kernels along ``schedule`` while it trains; the masks persist across
    ``fit`` calls made with the same callback (global step counted here)."""

    def __init__(self, schedule, skip=(), target_model=None):
        super().__init__()
        self.schedule = schedule
        self.skip = tuple(skip)
        self.target_model = target_model  # prune this model (e.g. the student inside a Distiller)
        self.step = 0
        self.masks: dict = {}

    def _layers(self):
        return prunable_layers(self.target_model or self.model, self.skip)

    def _apply(self):
        for layer in self._layers():
            m = self.masks.get(layer.name)
            if m is not None:
                layer.kernel.assign(np.asarray(layer.kernel.numpy()) * m)

    def _update(self, sparsity: float):
        for layer in self._layers():
            w = np.asarray(layer.kernel.numpy())
            old = self.masks.get(layer.name)
            if old is not None:  # a pruned weight never comes back
                w = w * old
                k_old = int(old.size - np.count_nonzero(old))
                if int(round(sparsity * w.size)) < k_old:
                    continue
            self.masks[layer.name] = _magnitude_mask(np.where(w == 0, 0, w), sparsity)

    def on_train_begin(self, logs=None):
        if not self._layers():
            raise RtlnnError("pruning: the model has no layer with a kernel to prune")
        self._apply()

    def on_train_batch_begin(self, batch, logs=None):
        update, s = self.schedule(self.step)
        if update:
            self._update(s)
            self._apply()

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        self._apply()

    def on_train_end(self, logs=None):
        self._apply()

    def sparsity(self) -> dict:
        return kernel_sparsity(self.target_model or self.model, self.skip)



def pruning_callback(final_sparsity: float, steps: int, *, initial_sparsity: float = 0.0, begin_fraction: float = 0.0,
                     end_fraction: float = 0.7, frequency: int | None = None, power: float = 3.0, skip=(),
                     target_model=None):
    """A :class:`PruningCallback` for a training run of ``steps`` batches: PolynomialDecay from
    ``initial_sparsity`` to ``final_sparsity`` between ``begin_fraction`` and ``end_fraction``
    of the run (the rest fine-tunes with the masks frozen)."""
    if steps < 1:
        raise RtlnnError(f"pruning: steps={steps} must be >= 1")
    begin = int(begin_fraction * steps)
    end = max(begin, int(end_fraction * steps))
    freq = frequency or max(1, (end - begin) // 10)
    sched = PolynomialDecay(initial_sparsity, final_sparsity, begin, end, power=power, frequency=freq)
    return PruningCallback(sched, skip=skip, target_model=target_model)
