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

__all__ = ["JET_CLASSES", "JET_FEATURES", "jet_tagging", "PULSE_CLASSES", "detector_pulses", "MOTH_CLASSES",
           "moth_trap_images"]

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


# ------------------------------------------------------------------ detector pulses
#: Pulse classes of :func:`detector_pulses`, in label order.
PULSE_CLASSES = ("muon", "em_shower", "hadronic", "noise")

_PULSE_DT = 4.0  # ns per sample (a 250 MS/s digitizer)


def _pulse(t, t0, rise, decay):
    """A unit-peak two-exponential scintillator pulse starting at ``t0`` (all arrays in ns)."""
    dt = np.maximum(t - t0, 0.0)
    shape = np.exp(-dt / decay) - np.exp(-dt / rise)
    # peak of exp(-t/d) - exp(-t/r) is at t* = r d ln(d/r) / (d - r)
    tp = rise * decay * np.log(decay / rise) / (decay - rise)
    return shape / (np.exp(-tp / decay) - np.exp(-tp / rise))


def detector_pulses(n: int, seed: int = 0, n_samples: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` digitized cosmic-ray detector pulses: ``(X, y)``, ``X`` float32 ``(n, n_samples)``
    in units of a minimum-ionizing particle's peak height, ``y`` int64 labels indexing
    :data:`PULSE_CLASSES`.  Synthetic, made up to have the features a pulse-shape discriminator
    works with, and nothing downloaded.

    A scintillator read out by a photomultiplier, sampled every 4 ns, triggered so that the
    pulse starts near sample 6 (jitter of a sample):

    * ``muon`` — a through-going minimum-ionizing particle: fast (rise 2–4 ns, decay 9–14 ns),
      Landau-distributed amplitude around 1;
    * ``em_shower`` — several electrons/photons of an air shower arriving over a few ns: slower
      rise (4–8 ns) and decay (14–22 ns), log-normal amplitude around 1.6, sometimes a second
      front a few ns later;
    * ``hadronic`` — a slow neutron/proton recoil: the fast pulse plus a slow scintillation
      component (decay 50–120 ns, 20–45% of the light), amplitude 0.4–2;
    * ``noise`` — photomultiplier dark pulses and after-pulses: small (0.08–0.35), very fast.

    On top: pile-up (15% of events get a second, muon-like pulse at a random time), a baseline
    offset per event and white noise per sample (0.03 each), ADC quantization (1/128 of a MIP)
    and saturation of the digitizer at 3.9 MIP (large showers clip, as on a real 8-bit range).
    Classes are balanced and overlap (a small shower looks like a muon), so a good MLP
    reaches about 97–99%, not 100%.  Deterministic for a given ``(n, seed, n_samples)``.
    """
    n = int(n)
    if n < 0:
        raise ValueError(f"detector_pulses: n must be >= 0, got {n}")
    rng = np.random.default_rng(seed)
    y = np.arange(n, dtype=np.int64) % len(PULSE_CLASSES)
    rng.shuffle(y)
    t = np.arange(n_samples, dtype=np.float64)[None, :] * _PULSE_DT
    t0 = (6.0 + rng.normal(0.0, 1.0, n))[:, None] * _PULSE_DT

    def u(lo, hi):
        return rng.uniform(lo, hi, n)[:, None]

    x = np.zeros((n, n_samples))
    # muon: Landau-like amplitude (Moyal distribution: MPV 1, width 0.12)
    amp_mu = 1.0 + 0.12 * (-np.log(-2 * np.log(np.clip(rng.random(n), 1e-9, 1 - 1e-9))))[:, None]
    mu = amp_mu * _pulse(t, t0, u(2.0, 4.0), u(9.0, 14.0))
    amp_em = np.exp(rng.normal(np.log(1.6), 0.45, n))[:, None]
    second = (rng.random(n) < 0.4)[:, None] * u(0.2, 0.6)
    em = amp_em * (_pulse(t, t0, u(4.0, 8.0), u(14.0, 22.0)) + second * _pulse(t, t0 + u(4.0, 12.0), 3.0, 16.0))
    amp_h = u(0.4, 2.0)
    slow = u(0.20, 0.45)
    had = amp_h * ((1 - slow) * _pulse(t, t0, u(2.0, 5.0), u(9.0, 16.0)) + slow * _pulse(t, t0, 6.0, u(50.0, 120.0)))
    noise_pulse = u(0.08, 0.35) * _pulse(t, t0 + u(-8.0, 8.0), u(0.5, 1.5), u(2.5, 6.0))
    for label, wave in enumerate((mu, em, had, noise_pulse)):
        x[y == label] = wave[y == label]
    pile = rng.random(n) < 0.15
    tp = rng.uniform(0.0, n_samples * _PULSE_DT, n)[:, None]
    x += pile[:, None] * u(0.2, 1.0) * _pulse(t, tp, 3.0, 12.0)
    x += rng.normal(0.0, 0.03, (n, 1)) + rng.normal(0.0, 0.03, (n, n_samples))
    x = np.clip(np.round(x * 128.0) / 128.0, -0.5, 3.9)
    return x.astype(np.float32), y


# ------------------------------------------------------------------ insect-trap images
#: Classes of :func:`moth_trap_images`, in label order.
MOTH_CLASSES = ("empty", "codling_moth", "other_moth", "fly")


def _ellipse(yy, xx, cy, cx, ry, rx, angle, soft):
    """Soft-edged ellipse masks (n, H, W) in [0, 1]."""
    c, s = np.cos(angle), np.sin(angle)
    dy, dx = yy - cy, xx - cx
    u = (dx * c + dy * s) / rx
    v = (-dx * s + dy * c) / ry
    return 1.0 / (1.0 + np.exp((np.sqrt(u * u + v * v) - 1.0) / soft))


def moth_trap_images(n: int, seed: int = 0, size: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` synthetic sticky-trap image crops: ``(X, y)``, ``X`` float32 ``(n, size, size, 3)``
    8-bit RGB pixels ``k / 256`` (k = 0..255), ``y`` int64 labels indexing :data:`MOTH_CLASSES`.

    In the spirit of camera-based pest traps that classify what is stuck on a yellow sticky
    card: a crop centred (roughly) on a detected blob.  Drawn, not photographed:

    * background: the yellow card (colour jitter), an illumination gradient, the printed grid
      lines, sensor noise, and a few dust/debris specks;
    * ``empty`` — background and debris only (the detector fired on a speck or glare);
    * ``codling_moth`` — the pest: an elongated grey-brown body with folded wings (an ellipse
      about 0.45 x 0.2 of the crop) and the dark copper band near the wing tips;
    * ``other_moth`` — a larger, rounder, lighter-brown moth with spread wings;
    * ``fly`` — a small dark body with two pale translucent wings.

    Insects get a random position near the centre, orientation, size and colour jitter, and
    a random partial occlusion by debris, so the classes overlap a little.  Deterministic
    for a given ``(n, seed, size)``.
    """
    n = int(n)
    if n < 0:
        raise ValueError(f"moth_trap_images: n must be >= 0, got {n}")
    rng = np.random.default_rng(seed)
    y = np.arange(n, dtype=np.int64) % len(MOTH_CLASSES)
    rng.shuffle(y)
    S = float(size)
    yy, xx = np.meshgrid(np.arange(size) + 0.5, np.arange(size) + 0.5, indexing="ij")
    yy, xx = yy[None] / S, xx[None] / S  # unit square

    def u(lo, hi):
        return rng.uniform(lo, hi, n)[:, None, None]

    # background: yellow card, gradient, grid lines
    base = np.stack([u(0.80, 0.95), u(0.72, 0.88), u(0.10, 0.30)], axis=-1)
    gy, gx = u(-0.15, 0.15), u(-0.15, 0.15)
    light = 1.0 + gy * (yy - 0.5) + gx * (xx - 0.5)
    pitch, phase = u(0.3, 0.5), u(0.0, 1.0)
    grid = ((np.abs(((xx / pitch + phase) % 1.0) - 0.5) > 0.46) | (np.abs(((yy / pitch + phase) % 1.0) - 0.5) > 0.46))
    img = base * light[..., None] * (1.0 - 0.25 * grid[..., None])
    # debris specks
    for _ in range(3):
        present = (rng.random(n) < 0.5)[:, None, None]
        m = _ellipse(yy, xx, u(0.05, 0.95), u(0.05, 0.95), u(0.02, 0.06), u(0.02, 0.06), u(0, np.pi), 0.15)
        img = img * (1.0 - 0.7 * (present * m)[..., None])
    cy, cx, ang = u(0.38, 0.62), u(0.38, 0.62), u(0.0, np.pi)
    scale = u(0.85, 1.15)
    body = np.zeros((n, size, size))
    color = np.zeros((n, 1, 1, 3))
    # codling moth: elongated, grey-brown, dark tip band
    m_cod = _ellipse(yy, xx, cy, cx, 0.11 * scale, 0.24 * scale, ang, 0.08)
    tip_y, tip_x = cy + 0.16 * scale * np.sin(ang), cx + 0.16 * scale * np.cos(ang)
    band = _ellipse(yy, xx, tip_y, tip_x, 0.09 * scale, 0.06 * scale, ang, 0.1) * m_cod
    # other moth: larger, rounder, light brown, two spread wings
    m_oth = np.maximum(_ellipse(yy, xx, cy, cx, 0.2 * scale, 0.26 * scale, ang, 0.1),
                       _ellipse(yy, xx, cy + 0.05, cx, 0.1 * scale, 0.32 * scale, ang + 0.4, 0.1))
    # fly: small dark body and pale wings
    m_fly = _ellipse(yy, xx, cy, cx, 0.07 * scale, 0.12 * scale, ang, 0.1)
    wing_a = _ellipse(yy, xx, cy + 0.09 * np.cos(ang), cx - 0.09 * np.sin(ang), 0.06, 0.12, ang + 0.6, 0.12)
    wing_b = _ellipse(yy, xx, cy - 0.09 * np.cos(ang), cx + 0.09 * np.sin(ang), 0.06, 0.12, ang - 0.6, 0.12)
    jitter = rng.normal(0.0, 0.05, (n, 1, 1, 3))
    for label, mask, rgb in ((1, m_cod, (0.42, 0.36, 0.30)), (2, m_oth, (0.62, 0.48, 0.32)),
                             (3, m_fly, (0.15, 0.14, 0.13))):
        sel = y == label
        body[sel] = mask[sel]
        color[sel] = np.asarray(rgb) + jitter[sel]
    img = img * (1.0 - body[..., None]) + color * body[..., None]
    sel = y == 1
    img[sel] = img[sel] * (1.0 - 0.55 * band[sel][..., None])
    sel = y == 3
    wings = np.clip(wing_a + wing_b, 0.0, 1.0)[sel] * (1.0 - body[sel])
    img[sel] = img[sel] * (1.0 - 0.35 * wings[..., None]) + 0.35 * wings[..., None] * 0.85
    img = img + rng.normal(0.0, 0.03, img.shape)
    # an 8-bit camera: pixel k in 0..255 is k/256 (dyadic, so a fixed-point input holds it exactly)
    return (np.clip(np.floor(img * 256.0), 0.0, 255.0) / 256.0).astype(np.float32), y
