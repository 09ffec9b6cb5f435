"""Numerical profiling: the values a model computes against the types it was given.

``numerical(model, rm, X)`` collects, per layer, the distribution of the weights and biases
(from ``rm``'s graph) and of the activations (the float Keras model's per-layer outputs on
``X``; see :func:`rtlnn.trace.keras_layer_outputs`), and sets each against the range of the
layer's configured :class:`~rtlnn.fixed.FixedType` — as hls4ml's profiling does, on a log2
scale of ``|value|``: a type covers ``log2(lsb) .. log2(max |value|)``.

Each distribution is flagged when:

* ``overflow`` — some value lies beyond the type's range (it would wrap or saturate);
* ``unused_integer_bits`` — the largest value leaves ``n >= wasted_bits`` integer bits unused;
* ``below_lsb`` — more than ``lsb_fraction`` of the nonzero values are smaller than the LSB
  (they quantize to zero: fractional bits are missing).

:meth:`Profile.write` stores ``profile.json``, box-plot PNGs (weights and biases,
activations) and ``index.html`` showing the plots and the table.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .fixed import FixedType
from .ir import RtlnnError

__all__ = ["numerical", "Profile", "Distribution", "parameter_arrays", "integer_bits_needed"]

#: Layer attribute holding constant values -> the precision name that types it.
PARAMETERS = (("weight", "weight"), ("bias", "bias"), ("scale", "scale"), ("alpha", "param"))
PERCENTILES = (0, 5, 25, 50, 75, 95, 100)


def parameter_arrays(layer) -> list[tuple[str, np.ndarray]]:
    """The constant arrays of a layer with the precision name typing each (``weight``, ``bias``...)."""
    out = []
    precisions = layer.precisions()
    for attr, pname in PARAMETERS:
        value = getattr(layer, attr, None)
        if isinstance(value, np.ndarray) and value.size and pname in precisions:
            out.append((pname, np.asarray(value, dtype=np.float64)))
    return out


def integer_bits_needed(lo: float, hi: float, signed: bool = True) -> int:
    """The fewest integer bits (sign bit included when signed) for a type whose range holds
    ``lo..hi`` at any fractional width (the top of the range is ``2**(I-1) - lsb``, so a
    power of two as maximum needs one bit more)."""
    m = 0.0
    bits = -(1 << 30)
    if hi > 0:
        bits = max(bits, math.floor(math.log2(hi)) + 1)
        m = hi
    if lo < 0:
        bits = max(bits, math.ceil(math.log2(-lo)))
        m = max(m, -lo)
    if m == 0:
        return 1 if signed else 0
    return bits + (1 if signed else 0)


@dataclass
class Distribution:
    """One array of values (a layer's weights, biases or activations) against its type."""

    layer: str
    kind: str
    what: str  # "weight", "bias", "scale", "param", "activation"
    precision: str | None  # the type, as text
    n: int
    n_zero: int
    min: float
    max: float
    abs_percentiles: dict  # percentile -> |value| over the nonzero values
    type_min: float | None = None
    type_max: float | None = None
    lsb: float | None = None
    log2_range: tuple | None = None  # (log2 lsb, log2 max |representable|)
    integer_bits: int | None = None  # the type's
    integer_bits_needed: int | None = None
    overflow_count: int = 0
    below_lsb_count: int = 0
    below_lsb_fraction: float = 0.0
    unused_integer_bits: int = 0
    flags: list = field(default_factory=list)
    log2_abs: np.ndarray | None = field(default=None, repr=False)  # for the plots

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("log2_abs")
        d["log2_range"] = list(self.log2_range) if self.log2_range else None
        return d


def _distribution(layer, what: str, values: np.ndarray, t: FixedType | None, *, wasted_bits: int,
                  lsb_fraction: float) -> Distribution:
    v = np.asarray(values, dtype=np.float64).ravel()
    nz = np.abs(v[v != 0])
    pct = {str(p): float(np.percentile(nz, p)) for p in PERCENTILES} if nz.size else {}
    d = Distribution(layer=layer.name, kind=layer.kind, what=what, precision=str(t) if t is not None else None,
                     n=int(v.size), n_zero=int(v.size - nz.size), min=float(v.min()) if v.size else 0.0,
                     max=float(v.max()) if v.size else 0.0, abs_percentiles=pct,
                     log2_abs=np.log2(nz) if nz.size else np.zeros(0))
    if not isinstance(t, FixedType):
        return d
    d.type_min, d.type_max, d.lsb = t.min_value, t.max_value, t.lsb
    d.log2_range = (math.log2(t.lsb), math.log2(max(abs(t.min_value), t.max_value)) if t.width > 1 or not t.signed
                    else math.log2(t.lsb))
    d.integer_bits = t.integer
    d.integer_bits_needed = integer_bits_needed(d.min, d.max, t.signed)
    d.overflow_count = int(np.count_nonzero((v > t.max_value) | (v < t.min_value)))
    d.below_lsb_count = int(np.count_nonzero(nz < t.lsb))
    d.below_lsb_fraction = d.below_lsb_count / nz.size if nz.size else 0.0
    d.unused_integer_bits = max(0, t.integer - d.integer_bits_needed) if d.n_zero < d.n else 0
    if d.overflow_count:
        d.flags.append("overflow")
    if d.unused_integer_bits >= wasted_bits:
        d.flags.append("unused_integer_bits")
    if d.below_lsb_fraction > lsb_fraction:
        d.flags.append("below_lsb")
    return d


@dataclass
class Profile:
    """Per-layer distributions (graph order): ``weights`` (weights, biases, other constants)
    and ``activations``; ``flagged()`` lists those with a flag."""

    weights: list[Distribution]
    activations: list[Distribution]
    n_samples: int = 0
    files: dict = field(default_factory=dict)

    @property
    def distributions(self) -> list[Distribution]:
        return self.weights + self.activations

    def flagged(self, flag: str | None = None) -> list[Distribution]:
        return [d for d in self.distributions if d.flags and (flag is None or flag in d.flags)]

    def layer(self, name: str) -> list[Distribution]:
        return [d for d in self.distributions if d.layer == name]

    def to_dict(self) -> dict:
        return {"n_samples": self.n_samples, "weights": [d.to_dict() for d in self.weights],
                "activations": [d.to_dict() for d in self.activations], "files": self.files}

    def table(self) -> str:
        rows = [("layer", "what", "type", "min", "max", "int need/have", "overflow", "<lsb", "flags")]
        for d in self.distributions:
            rows.append((d.layer, d.what, d.precision or "-", f"{d.min:.4g}", f"{d.max:.4g}",
                         f"{d.integer_bits_needed}/{d.integer_bits}" if d.integer_bits is not None else "-",
                         str(d.overflow_count), f"{100 * d.below_lsb_fraction:.1f}%", ",".join(d.flags)))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)

    # ------------------------------------------------------------------ files
    def write(self, directory) -> Path:
        """Write ``profile.json``, ``weights.png``, ``activations.png`` (when profiled) and
        ``index.html`` into ``directory``; returns the HTML page's path."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        files = {}
        if self.weights:
            files["weights"] = _boxplot(self.weights, out / "weights.png", "Weights and biases")
        if self.activations:
            files["activations"] = _boxplot(self.activations, out / "activations.png",
                                            f"Activations (float Keras, {self.n_samples} samples)")
        self.files = {k: v.name for k, v in files.items()}
        (out / "profile.json").write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        page = out / "index.html"
        page.write_text(_html(self))
        self.files["html"] = page.name
        return page


def _boxplot(dists: list[Distribution], path: Path, title: str) -> Path:
    """hls4ml-style profile: a horizontal box of log2 |value| per distribution, the type's range
    drawn behind it as a grey band (red box and band edge: a flagged distribution)."""
    from .plot import pyplot

    plt = pyplot()
    from matplotlib.patches import Rectangle

    n = len(dists)
    fig, ax = plt.subplots(figsize=(9, 0.42 * n + 1.6))
    positions = np.arange(n)[::-1]
    data = [d.log2_abs if d.log2_abs is not None and d.log2_abs.size else np.array([np.nan]) for d in dists]
    for pos, d in zip(positions, dists):
        if d.log2_range:
            lo, hi = d.log2_range
            color = "#fecaca" if "overflow" in d.flags else "#e5e7eb"
            ax.add_patch(Rectangle((lo, pos - 0.42), hi - lo, 0.84, color=color, zorder=0))
    parts = ax.boxplot([x[np.isfinite(x)] if np.isfinite(x).any() else [np.nan] for x in data], positions=positions,
                       orientation="horizontal", widths=0.55, whis=(0, 100), patch_artist=True, zorder=2)
    for box, d in zip(parts["boxes"], dists):
        box.set_facecolor("#ef4444" if d.flags else "#93c5fd")
    labels = [f"{d.layer} {d.what}" + (f" [{', '.join(d.flags)}]" if d.flags else "") for d in dists]
    ax.set_yticks(positions, labels, fontsize=8)
    ax.set_xlabel("log2 |value|   (grey band: the configured type, log2 LSB .. log2 max)")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _html(profile: Profile) -> str:
    esc = html.escape
    rows = []
    for d in profile.distributions:
        cls = ' class="flag"' if d.flags else ""
        rows.append(
            f"<tr{cls}><td>{esc(d.layer)}</td><td>{esc(d.kind)}</td><td>{esc(d.what)}</td>"
            f"<td>{esc(d.precision or '-')}</td><td>{d.min:.5g}</td><td>{d.max:.5g}</td>"
            f"<td>{'-' if d.type_min is None else f'{d.type_min:.5g} .. {d.type_max:.5g}'}</td>"
            f"<td>{'-' if d.integer_bits is None else f'{d.integer_bits_needed} / {d.integer_bits}'}</td>"
            f"<td>{d.overflow_count}</td><td>{100 * d.below_lsb_fraction:.1f}%</td>"
            f"<td>{esc(', '.join(d.flags))}</td></tr>")
    images = "".join(
        f'<figure><img src="{esc(profile.files[k])}" alt="{k} profile"><figcaption>{k}</figcaption></figure>'
        for k in ("weights", "activations") if k in profile.files)
    n_flag = len(profile.flagged())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>rtlnn numerical profile</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #111; }}
table {{ border-collapse: collapse; font-size: 0.9em; }}
td, th {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }}
tr.flag td {{ background: #fee2e2; }}
img {{ max-width: 100%; border: 1px solid #ddd; }}
figure {{ margin: 1em 0; }}
</style></head>
<body>
<h1>Numerical profile</h1>
<p>{len(profile.distributions)} distributions ({profile.n_samples} samples for the activations);
<strong>{n_flag}</strong> flagged. Flags: <em>overflow</em> (values beyond the type's range),
<em>unused_integer_bits</em> (integer bits the values never reach), <em>below_lsb</em>
(nonzero values smaller than the LSB, which quantize to zero).</p>
{images}
<table>
<thead><tr><th>layer</th><th>kind</th><th>what</th><th>type</th><th>min</th><th>max</th><th>type range</th>
<th>integer bits needed / given</th><th>overflows</th><th>below LSB</th><th>flags</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
</body></html>
"""


def numerical(model=None, rm=None, X=None, *, output_dir=None, wasted_bits: int = 2, lsb_fraction: float = 0.01,
              activations: str = "float") -> Profile:
    """Profile ``rm``'s weights and (with ``X`` and a Keras ``model``) activations against their types.

    ``model`` is the Keras model (a keras.Model, its file, or None: ``rm.keras_model``, and
    without one the weights only); ``activations="emulator"`` profiles the emulator's
    per-layer values instead of float Keras (no Keras needed; overflowed values show wrapped).
    ``output_dir`` (e.g. ``<project>/profile``) receives the PNGs, ``profile.json`` and
    ``index.html``.
    """
    if rm is None:
        raise RtlnnError("profiling needs the converted model (rm=...): its types are what values are checked against")
    if activations not in ("float", "emulator"):
        raise RtlnnError(f"activations={activations!r}: choose 'float' (Keras) or 'emulator'")
    graph = rm.graph
    weights = []
    for layer in graph:
        precisions = layer.precisions()
        for pname, values in parameter_arrays(layer):
            weights.append(_distribution(layer, pname, values, precisions.get(pname), wasted_bits=wasted_bits,
                                         lsb_fraction=lsb_fraction))
    acts = []
    n = 0
    if X is not None:
        if activations == "float":
            from .trace import keras_layer_outputs, live_keras_model

            km = live_keras_model(model, rm)
            values = keras_layer_outputs(km, graph, X) if km is not None else {}
        else:
            values = rm.trace(X)
        for layer in graph:
            v = values.get(layer.name)
            if v is None:
                continue
            n = len(v)
            acts.append(_distribution(layer, "activation", v, layer.result_t, wasted_bits=wasted_bits,
                                      lsb_fraction=lsb_fraction))
    profile = Profile(weights, acts, n)
    if output_dir is not None:
        profile.write(output_dir)
    return profile
