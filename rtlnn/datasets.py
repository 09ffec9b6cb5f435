"""Synthetic data sets for demos and tests.  Pure numpy; nothing here imports TensorFlow.

The one data set so far, :func:`jet_tagging`, is a *synthetic stand-in* for the hls4ml
LHC jet-tagging data set (the "hls4ml_LHCjet_100p" / OpenML ``hls4ml_lhc_jets_hlf`` 16
high-level-feature sample that hls4ml's tutorials train a 16->64->32->32->5 MLP on).  It is
not that data and not physics: no event generator, no detector, no clustering.  It imitates
the *shape of the problem* -- 16 standardized jet-substructure features, five balanced
classes (gluon, light quark, W, Z, top), heavily overlapping class distributions with the
hard pairs (g/q and W/Z) -- so that the same MLP lands at a realistic ~75% accuracy rather
than 100%, and so that the numbers flowing through a fixed-point network have the same kind
of range as on the real data.

How a jet is drawn (all quantities are made up, but the dependencies are the physical ones):

* a groomed jet mass: a peak at the boson/top mass for W (80), Z (91) and t (173, with a
  partially contained W-mass peak and a failure tail), a falling QCD-like spectrum for g and q
  (gluon jets heavier), with multiplicative resolution;
* a constituent multiplicity: negative-binomial, gluon > quark, top highest, Z slightly above W;
* prong-ness ratios tau21 (two-prong: low for W/Z) and tau32 (three-prong: low for t), Beta
  distributed; a W/Z/t jet whose mass "failed" (landed in the QCD tail) gets QCD-like
  substructure, as a badly groomed jet would;
* a jet-wide "radiation" latent (soft spread) that correlates zlogz, the multiplicity and the
  energy-correlation features, and is class dependent in the way gluon vs quark jets differ.

The 16 features are noisy non-linear functions of those latents, named after the hls4ml
features they imitate (:data:`JET_FEATURES`), and are standardized with fixed constants
(:data:`_JET_MEAN`, :data:`_JET_STD`, measured once on a 1,000,000-jet reference sample) to
roughly zero mean / unit variance, as the preprocessed hls4ml data is.  Fixed constants --
not per-call statistics -- so a 10-jet draw is scaled exactly like a 1,000,000-jet one.
The standardized values are then clipped to [-6, 6]: the mass-weighted features have long
upper tails, and the clip (which touches about one value in 10^4) keeps a rare jet from
overflowing a fixed-point network's input or intermediate range; hls4ml's data is not
clipped, this is a concession to the demo.
"""

from __future__ import annotations

import numpy as np

__all__ = ["JET_CLASSES", "JET_FEATURES", "jet_tagging"]

#: The five jet classes, in label order: gluon, light quark, W boson, Z boson, top quark.
JET_CLASSES = ("g", "q", "W", "Z", "t")

#: Feature names, in column order (named after the hls4ml high-level features they imitate).
JET_FEATURES = (
    "zlogz",
    "c1_b0_mmdt",
    "c1_b1_mmdt",
    "c1_b2_mmdt",
    "c2_b1_mmdt",
    "c2_b2_mmdt",
    "d2_b1_mmdt",
    "d2_b2_mmdt",
    "d2_a1_b1_mmdt",
    "d2_a1_b2_mmdt",
    "m2_b1_mmdt",
    "m2_b2_mmdt",
    "n2_b1_mmdt",
    "n2_b2_mmdt",
    "mass_mmdt",
    "multiplicity",
)

_N_FEATURES = len(JET_FEATURES)
_CLIP = 6.0  # standardized features are clipped to [-6, 6] (affects ~1 value in 10^4)
_PT = 1000.0  # GeV; the hls4ml sample is ~1 TeV jets

# Per-class latent parameters, indexed by label (g, q, W, Z, t).
# Mass: probability of a resonance peak, peak mean/width; QCD-like tail scale otherwise.
_P_PEAK = np.array([0.0, 0.0, 0.88, 0.88, 0.78])
_M_PEAK = np.array([0.0, 0.0, 80.4, 91.2, 172.5])
_M_WIDTH = np.array([1.0, 1.0, 5.0, 5.5, 14.0])
_P_WPEAK = np.array([0.0, 0.0, 0.0, 0.0, 0.14])  # top: only the W inside the jet
_M_TAIL = np.array([28.0, 18.0, 20.0, 20.0, 28.0])
# Multiplicity: mean of the negative binomial, and its shape (smaller = broader).
_N_MEAN = np.array([56.0, 32.0, 40.0, 44.0, 62.0])
_N_SHAPE = 14.0
# tau21 / tau32 Beta parameters for "resonant" jets and for QCD(-like) jets.
_T21_RES = np.array([[6.0, 3.0], [5.0, 3.2], [3.0, 4.6], [3.6, 4.2], [4.6, 4.0]])
_T32_RES = np.array([[8.0, 3.0], [7.0, 3.0], [7.0, 3.2], [7.0, 3.2], [3.6, 3.8]])
# Radiation latent: class mean (gluons radiate more), unit-ish spread.
_RAD_MEAN = np.array([0.8, -0.6, 0.0, 0.15, 0.4])

# Standardization constants (raw-feature mean and standard deviation), measured once on
# _raw_jet_features(np.random.default_rng(20240601), balanced labels, n=1_000_000).
# tests/test_datasets.py checks they still match a fresh reference sample.
_JET_MEAN = np.array([
    -3.54646, 0.528168, 0.0529782, 0.023433, 0.224103, 0.160833, 2.51331,
    4.0982, 1.93588, 2.27533, 0.0389293, 0.0167288, 0.146827, 0.118294,
    81.5869, 48.5816,
])
_JET_STD = np.array([
    0.25118, 0.0694567, 0.0373171, 0.0215967, 0.129485, 0.115089, 2.00137,
    3.67172, 0.768697, 1.15407, 0.0219608, 0.0123373, 0.0728089, 0.0699684,
    50.2123, 21.1546,
])


def _raw_jet_features(rng: np.random.Generator, y: np.ndarray) -> np.ndarray:
    """Unstandardized features (float64, shape (len(y), 16)) for labels ``y``."""
    n = y.shape[0]

    def noise(scale: float) -> np.ndarray:
        return rng.normal(0.0, scale, n)

    # --- groomed mass --------------------------------------------------------------------
    u = rng.random(n)
    peak = u < _P_PEAK[y]
    wpeak = (~peak) & (u < _P_PEAK[y] + _P_WPEAK[y])
    tail = ~(peak | wpeak)
    mass = np.empty(n)
    mass[peak] = rng.normal(_M_PEAK[y[peak]], _M_WIDTH[y[peak]])
    mass[wpeak] = rng.normal(80.4, 11.0, int(wpeak.sum()))
    # QCD-like falling spectrum: gamma with shape 2 (a Sudakov-ish turn-on, then a tail).
    mass[tail] = rng.gamma(2.0, _M_TAIL[y[tail]])
    mass = np.abs(mass * (1.0 + noise(0.05))) + 1.0
    resonant = peak | wpeak  # a jet with real prong structure

    # --- radiation latent, multiplicity ------------------------------------------------
    rad = _RAD_MEAN[y] + rng.normal(0.0, 1.0, n)
    n_mean = _N_MEAN[y] * np.exp(0.12 * rad)
    mult = rng.poisson(rng.gamma(_N_SHAPE, n_mean / _N_SHAPE)).astype(np.float64)

    # --- prong-ness ----------------------------------------------------------------------
    cls = np.where(resonant, y, np.where(y == 0, 0, 1))  # failed W/Z/t jets look like quarks
    t21 = rng.beta(_T21_RES[cls, 0], _T21_RES[cls, 1])
    t32 = rng.beta(_T32_RES[cls, 0], _T32_RES[cls, 1])
    t21 = np.clip(t21 + 0.03 * rad, 0.05, 0.98)

    # --- the 16 features -----------------------------------------------------------------
    r = mass / _PT  # dimensionless mass
    spread = np.exp(0.15 * rad)
    x = np.empty((n, _N_FEATURES))
    x[:, 0] = -(1.9 + 0.43 * np.log(mult + 1.0)) - 0.05 * rad + noise(0.12)  # zlogz
    x[:, 1] = 0.28 + 0.30 * t21 + 0.06 * spread + 0.08 * r ** 0.5 + noise(0.035)  # c1_b0
    x[:, 2] = r * (0.35 + 0.5 * t21) * spread + noise(0.004)  # c1_b1
    x[:, 3] = r ** 1.4 * (0.35 + 0.6 * t21) * spread + noise(0.0004)  # c1_b2
    x[:, 4] = 0.5 * t21 ** 1.5 * spread * (1.0 + noise(0.12))  # c2_b1
    x[:, 5] = 0.45 * t21 ** 2.0 * spread * (1.0 + noise(0.15))  # c2_b2
    d2 = (t21 / 0.45) ** 2.2 * (0.6 + 0.6 * t32) * spread
    x[:, 6] = 1.3 * d2 * np.exp(noise(0.18))  # d2_b1
    x[:, 7] = 1.9 * d2 ** 1.1 * np.exp(noise(0.25))  # d2_b2
    x[:, 8] = (0.6 + 0.9 * d2 ** 0.7) * np.exp(noise(0.10))  # d2_a1_b1
    x[:, 9] = (0.5 + 1.1 * d2 ** 0.8) * np.exp(noise(0.13))  # d2_a1_b2
    x[:, 10] = 0.10 * t21 * t32 * spread * np.exp(noise(0.2))  # m2_b1
    x[:, 11] = 0.06 * (t21 * t32) ** 1.4 * spread * np.exp(noise(0.25))  # m2_b2
    x[:, 12] = 0.32 * t21 * (0.4 + 0.6 * t32) * spread + noise(0.03)  # n2_b1
    x[:, 13] = 0.30 * t21 ** 1.3 * (0.4 + 0.6 * t32) * spread + noise(0.03)  # n2_b2
    x[:, 14] = mass  # mass_mmdt
    x[:, 15] = mult  # multiplicity
    return x


def _balanced_labels(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` labels, each class ``n // 5`` or ``n // 5 + 1`` times, in random order."""
    y = np.arange(n, dtype=np.int64) % len(JET_CLASSES)
    rng.shuffle(y)
    return y


def jet_tagging(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` synthetic jets: ``(X, y)`` with ``X`` float32 ``(n, 16)``, ``y`` int64 ``(n,)``.

    A synthetic stand-in for the hls4ml LHC jet-tagging data set (see the module docstring):
    16 standardized jet-substructure features (column names in :data:`JET_FEATURES`) and
    labels ``0..4`` indexing :data:`JET_CLASSES` = ``("g", "q", "W", "Z", "t")``.  Classes
    are balanced (each appears ``n // 5`` or ``n // 5 + 1`` times) and overlap, so a
    16->64->32->32->5 ReLU MLP reaches roughly 75% accuracy, not 100%.

    Every value lies in [-6, 6] (standardized, then clipped).

    Deterministic: the same ``(n, seed)`` gives identical arrays on every run and platform
    (numpy's ``PCG64`` generator; numpy does not promise identical distribution streams
    across major versions, so tests/test_datasets.py pins a few values).  Different seeds
    give independent samples, so train on one seed and test on another.
    """
    n = int(n)
    if n < 0:
        raise ValueError(f"jet_tagging: n must be >= 0, got {n}")
    rng = np.random.default_rng(seed)
    y = _balanced_labels(rng, n)
    raw = _raw_jet_features(rng, y)
    x = np.clip((raw - _JET_MEAN) / _JET_STD, -_CLIP, _CLIP)
    return x.astype(np.float32), y
