"""rtlnn.datasets (pure numpy) and the bundled demo model trained on it.

Tests marked ``keras`` need TensorFlow/Keras and skip, with the reason, when it cannot be
imported.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rtlnn import datasets
from rtlnn.datasets import JET_CLASSES, JET_FEATURES, jet_tagging

EXAMPLES = Path(datasets.__file__).resolve().parent / "examples"
MODEL = EXAMPLES / "jet_tagger.keras"
README = EXAMPLES / "README.md"

#: The float test accuracy measured by scripts/train_demo_model.py and stated in the README.
STATED_ACCURACY = 0.7494


def _keras():
    try:
        import tensorflow  # noqa: F401
        import keras
    except Exception as exc:  # ImportError, or a broken TensorFlow install
        pytest.skip(f"TensorFlow/Keras cannot be imported: {type(exc).__name__}: {exc}")
    return keras


# --- the data set, numpy only ------------------------------------------------------------


def test_classes_and_features():
    assert JET_CLASSES == ("g", "q", "W", "Z", "t")
    assert len(JET_FEATURES) == 16 and len(set(JET_FEATURES)) == 16
    assert "synthetic" in datasets.__doc__.lower() and "hls4ml" in datasets.__doc__
    assert "synthetic" in jet_tagging.__doc__.lower()


@pytest.mark.parametrize("n", [0, 1, 7, 1000])
def test_shapes_and_dtypes(n):
    x, y = jet_tagging(n, seed=3)
    assert x.shape == (n, 16) and x.dtype == np.float32
    assert y.shape == (n,) and np.issubdtype(y.dtype, np.integer)
    assert np.all((y >= 0) & (y < 5))
    assert np.all(np.isfinite(x))
    assert np.all(np.abs(x) <= 6.0)


def test_negative_n_is_an_error():
    with pytest.raises(ValueError, match="n must be >= 0"):
        jet_tagging(-1)


def test_deterministic_for_a_seed():
    x1, y1 = jet_tagging(2000, seed=11)
    x2, y2 = jet_tagging(2000, seed=11)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    x0, y0 = jet_tagging(2000)  # default seed is 0
    assert np.array_equal(x0, jet_tagging(2000, seed=0)[0])
    x3, y3 = jet_tagging(2000, seed=12)
    assert not np.array_equal(x1, x3)
    assert not np.array_equal(y1, y3)


_PINNED_Y = [2, 4, 3, 0, 1]
_PINNED_X = [  # columns zlogz, mass_mmdt, multiplicity of jet_tagging(5, seed=0)
    [-0.30487, -0.11546, -0.54747],
    [0.24230, -0.30188, 0.77611],
    [0.18308, -1.20469, -0.64202],
    [-0.23012, -1.54249, 0.82339],
    [0.62628, -1.41966, -0.92564],
]


def test_known_values_are_stable():
    """Pin a few values: a change to the generator changes the data the bundled model was
    trained on, and the model (scripts/train_demo_model.py) must then be retrained."""
    x, y = jet_tagging(5, seed=0)
    assert y.tolist() == _PINNED_Y
    np.testing.assert_allclose(x[:, [0, 14, 15]], _PINNED_X, rtol=0, atol=2e-5)


@pytest.mark.parametrize("n", [5, 10, 12, 1003, 50000])
def test_classes_balanced(n):
    _, y = jet_tagging(n, seed=5)
    counts = np.bincount(y, minlength=5)
    assert counts.sum() == n
    assert counts.max() - counts.min() <= 1
    assert set(counts.tolist()) <= {n // 5, n // 5 + 1}


def test_labels_are_shuffled():
    _, y = jet_tagging(1000, seed=5)
    assert not np.array_equal(y, np.arange(1000) % 5)


def test_standardized():
    x, _ = jet_tagging(200_000, seed=8)
    assert np.all(np.abs(x.mean(axis=0)) < 0.05)
    assert np.all((x.std(axis=0) > 0.9) & (x.std(axis=0) < 1.1))


def test_standardization_constants_match_the_reference_sample():
    """_JET_MEAN/_JET_STD were measured on 1,000,000 jets of the reference seed; a 200,000-jet
    reference sample agrees to well within sampling error (they'd be far off if the generator
    changed without re-measuring)."""
    rng = np.random.default_rng(20240601)
    y = datasets._balanced_labels(rng, 200_000)
    raw = datasets._raw_jet_features(rng, y)
    assert np.all(np.abs(raw.mean(axis=0) - datasets._JET_MEAN) < 0.02 * datasets._JET_STD)
    np.testing.assert_allclose(raw.std(axis=0), datasets._JET_STD, rtol=0.03)


def test_classes_overlap_but_differ():
    """Physically sensible ordering of the mass feature; W and Z overlap heavily."""
    x, y = jet_tagging(50_000, seed=9)
    mass = x[:, JET_FEATURES.index("mass_mmdt")]
    med = {c: float(np.median(mass[y == k])) for k, c in enumerate(JET_CLASSES)}
    assert med["q"] < med["g"] < med["W"] < med["Z"] < med["t"]
    mult = x[:, JET_FEATURES.index("multiplicity")]
    assert mult[y == 0].mean() > mult[y == 1].mean()  # gluons have more constituents
    # Overlap: a fair share of W jets sit above the Z median and vice versa.
    assert 0.03 < np.mean(mass[y == 2] > med["Z"]) < 0.5
    assert 0.03 < np.mean(mass[y == 3] < med["W"]) < 0.5


def test_module_does_not_import_tensorflow():
    code = (
        "import sys\n"
        "from rtlnn.datasets import jet_tagging\n"
        "jet_tagging(10)\n"
        "bad = [m for m in ('tensorflow', 'keras', 'torch') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(datasets.__file__).parents[1])


# --- the bundled model ------------------------------------------------------------------


def test_bundled_model_is_small():
    assert MODEL.is_file()
    assert MODEL.stat().st_size < 100_000


def test_readme_states_the_accuracy():
    text = README.read_text()
    m = re.search(r"Float test accuracy: \*\*([0-9.]+)\*\*", text)
    assert m, "rtlnn/examples/README.md must state the float test accuracy"
    assert float(m.group(1)) == STATED_ACCURACY
    assert "python scripts/train_demo_model.py" in text and "synthetic" in text.lower()


@pytest.mark.keras
def test_bundled_model_architecture():
    keras = _keras()
    model = keras.saving.load_model(str(MODEL), compile=False)
    dense = [layer for layer in model.layers if layer.__class__.__name__ == "Dense"]
    assert [layer.name for layer in dense] == ["fc1", "fc2", "fc3", "output"]
    assert [layer.units for layer in dense] == [64, 32, 32, 5]
    assert [layer.get_config()["activation"] for layer in dense] == ["relu", "relu", "relu", "linear"]
    assert tuple(model.input_shape) == (None, 16)
    assert model.layers[0].name == "input_1"
    # Modest weights: fixed<16,6> (range +-32) has headroom.
    assert max(float(np.abs(w).max()) for w in model.get_weights()) < 4.0


@pytest.mark.keras
def test_bundled_model_reaches_its_stated_accuracy():
    keras = _keras()
    model = keras.saving.load_model(str(MODEL), compile=False)
    x, y = jet_tagging(20_000, seed=12345)  # a seed the training script never used
    logits = np.asarray(model.predict(x, batch_size=4096, verbose=0))
    assert logits.shape == (20_000, 5)
    accuracy = float(np.mean(logits.argmax(axis=1) == y))
    assert abs(accuracy - STATED_ACCURACY) <= 0.02, accuracy
    assert 0.70 <= accuracy <= 0.80
    for k in range(5):  # every class is learned, none is trivial
        recall = float(np.mean(logits[y == k].argmax(axis=1) == k))
        assert 0.45 < recall < 0.95, (JET_CLASSES[k], recall)
