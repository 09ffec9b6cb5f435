"""Knowledge distillation (Hinton, Vinyals & Dean 2015): a small *student* learns from a large
*teacher*'s softened output distribution as well as from the labels.

The loss of one batch, with ``z_t`` / ``z_s`` the teacher's / student's logits and ``T`` the
temperature::

    L = alpha * CE(y, softmax(z_s))  +  (1 - alpha) * T**2 * KL(softmax(z_t / T) || softmax(z_s / T))

The ``T**2`` keeps the soft term's gradients on the same scale as the hard term's whatever
``T`` is (the soft gradients shrink as ``1/T**2``).  Both models must output *logits* (no final
softmax): that is also what goes into hardware, where the class is the argmax.

:class:`Distiller` is a ``keras.Model`` whose forward pass is the student's and whose
``compute_loss`` adds the teacher's soft targets, so ``fit``, callbacks (pruning) and
``evaluate`` work unchanged — with any Keras 3 backend.  :func:`distill` is the one-call form.
"""

from __future__ import annotations

import keras

from ..ir import RtlnnError

__all__ = ["Distiller", "distill", "distillation_loss"]


def _check(temperature: float, alpha: float) -> None:
    if not temperature > 0:
        raise RtlnnError(f"distill: temperature={temperature!r} must be > 0 (typical: 2 to 10)")
    if not 0.0 <= alpha <= 1.0:
        raise RtlnnError(f"distill: alpha={alpha!r} is the weight of the hard-label loss and must be in [0, 1]")


def distillation_loss(y, student_logits, teacher_logits, temperature: float, alpha: float):
    """The batch-mean soft-target loss above (Keras ops, differentiable in ``student_logits``);
    ``y`` holds integer class labels."""
    from keras import ops

    _check(temperature, alpha)
    t = float(temperature)
    hard = ops.mean(ops.sparse_categorical_crossentropy(ops.cast(ops.reshape(y, (-1,)), "int32"),
                                                        student_logits, from_logits=True))
    p_t = ops.softmax(teacher_logits / t, axis=-1)
    log_p_t = ops.log_softmax(teacher_logits / t, axis=-1)
    log_p_s = ops.log_softmax(student_logits / t, axis=-1)
    soft = ops.mean(ops.sum(p_t * (log_p_t - log_p_s), axis=-1))
    return alpha * hard + (1.0 - alpha) * (t * t) * soft


class Distiller(keras.Model):
    """``student`` trained on ``teacher``'s soft targets; calling it calls the student.

    ``compile(optimizer, metrics=...)`` as usual (the loss is built in); ``fit(x, y)`` with
    integer labels — or, with ``precomputed=True``, ``y`` = labels and the teacher's logits side by
    side (``[label, z_1, ..., z_C]``), so a large teacher runs once, not once per epoch.  The
    accuracy metric then needs the first column only (:func:`distill` handles it).  The teacher is frozen (``teacher.trainable`` is set to False, and its
    logits are a constant of the loss): only the student's weights are trained."""

    def __init__(self, teacher, student, temperature: float = 4.0, alpha: float = 0.1, *, precomputed: bool = False,
                 **kwargs):
        super().__init__(**kwargs)
        _check(temperature, alpha)
        if teacher.output_shape[-1] != student.output_shape[-1]:
            raise RtlnnError(f"distill: the teacher has {teacher.output_shape[-1]} outputs but the student "
                             f"{student.output_shape[-1]}; both must output one logit per class")
        self.teacher = teacher
        self.student = student
        self.temperature = float(temperature)
        self.alpha = float(alpha)
        self.precomputed = bool(precomputed)
        teacher.trainable = False

    def call(self, x, training=False):
        return self.student(x, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if self.precomputed:  # y = [label, teacher logits...] (see distill(cache_teacher=True))
            teacher_logits, y = y[:, 1:], y[:, 0]
        else:
            teacher_logits = keras.ops.stop_gradient(self.teacher(x, training=False))
        loss = distillation_loss(y, y_pred, teacher_logits, self.temperature, self.alpha)
        if self.losses:  # the student's regularizers
            from keras import ops

            loss = loss + ops.sum(ops.stack(self.losses))
        return loss



def distill(teacher, student, data, temperature: float = 4.0, alpha: float = 0.1, *, epochs: int = 10,
            batch_size: int = 256, learning_rate: float = 3e-3, callbacks=(), cache_teacher: bool = True,
            verbose: int = 0):
    """Train ``student`` (in place) on ``data = (x, y)`` with the soft targets of ``teacher``.

    ``alpha`` weighs the hard-label loss, ``1 - alpha`` the soft one (``alpha=1`` is plain
    training, no teacher).  ``cache_teacher``: compute the teacher's logits on ``x`` once (exact
    when the data is not augmented on the fly, and what makes a VGG16 teacher affordable).
    Returns the Keras ``History``; ``student`` holds the weights."""
    import numpy as np

    x, y = data
    y = np.asarray(y).reshape(-1)
    if cache_teacher:
        logits = np.asarray(teacher.predict(x, batch_size=max(batch_size, 256), verbose=0), dtype=np.float32)
        target = np.concatenate([y[:, None].astype(np.float32), logits], axis=1)
    else:
        target = y
    d = Distiller(teacher, student, temperature=temperature, alpha=alpha, precomputed=cache_teacher)
    d.compile(optimizer=keras.optimizers.Adam(learning_rate), metrics=[_LabelAccuracy(cache_teacher)])
    return d.fit(x, target, epochs=epochs, batch_size=batch_size, callbacks=list(callbacks), verbose=verbose)


class _LabelAccuracy(keras.metrics.SparseCategoricalAccuracy):
    """Accuracy on the label column of a packed ``[label, teacher logits]`` target."""

    def __init__(self, packed: bool):
        super().__init__(name="accuracy")
        self.packed = packed

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.packed:
            y_true = y_true[:, :1]
        return super().update_state(y_true, y_pred, sample_weight)
