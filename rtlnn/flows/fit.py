"""Does a synthesized design fit its part, and if not, which reuse factor or precision would.

Utilization compares the counts with the part: LUT-equivalents with LUTs, FFs, DSPs and
block RAM in 18 Kbit units (a RAMB36 is two). A design fits when each is at most 100 %.

The advice is an estimate from the per-layer figures, not a new synthesis:

* Reuse factor: a Dense layer's cost is taken as proportional to its multiplier count,
  ``ceil(P / RF)`` for its ``P`` nonzero products; the rest (activations, glue) stays.
  The smallest model-wide RF at which every resource fits is suggested.
* Precision: a Dense layer's LUT and FF cost is taken as proportional to its weight
  width (multipliers and adder trees narrow with it); DSPs do not shrink. The widest
  width from 16 down to 4 at which LUTs and FFs fit is suggested.
"""

from __future__ import annotations

import math

__all__ = ["utilization", "fit_advice", "FIT_KEYS"]

#: resource -> (count key, capacity key)
FIT_KEYS = {"lut": ("lut_equivalent", "lut"), "ff": ("ff", "ff"), "dsp": ("dsp", "dsp"), "bram": ("bram", "bram18")}


def _used(counts: dict, what: str) -> float:
    if what == "bram":
        return counts.get("bram18", 0) + 2 * counts.get("bram36", 0)
    return counts.get(FIT_KEYS[what][0], 0)


def utilization(counts: dict, resources: dict | None) -> dict | None:
    """Percent of the part per resource (lut, ff, dsp, bram), or None when the part is unknown."""
    if not resources:
        return None
    out = {}
    for what, (_, cap_key) in FIT_KEYS.items():
        cap = resources.get(cap_key, 0) if what != "bram" else resources.get("bram18", 0) or 2 * resources.get("bram36", 0)
        used = _used(counts, what)
        out[what] = round(100.0 * used / cap, 2) if cap else (0.0 if used == 0 else math.inf)
    return out


def _fits(util: dict) -> bool:
    return all(v <= 100.0 for v in util.values())


def _scaled_total(layers: list[dict], glue: dict, scale) -> dict:
    """Estimated counts when each Dense layer's counts are multiplied by ``scale(layer, what)``."""
    est = {what: _used(glue, what) for what in FIT_KEYS}
    for layer in layers:
        for what in FIT_KEYS:
            est[what] += _used(layer, what) * scale(layer, what)
    return {"lut_equivalent": est["lut"], "ff": est["ff"], "dsp": est["dsp"], "bram18": est["bram"]}


def _is_dense(layer: dict) -> bool:
    return layer.get("multipliers", 0) > 0 and layer.get("nonzero_weights") is not None


def fit_advice(layers: list[dict], glue: dict, resources: dict, part: str) -> str | None:
    """None when the design fits; else a sentence saying what overflows and what would fit."""
    total = _scaled_total(layers, glue, lambda layer, what: 1.0)
    util = utilization(total, resources)
    if util is None or _fits(util):
        return None
    over = ", ".join(f"{what.upper()} {pct:.0f}%" for what, pct in util.items() if pct > 100.0)
    dense = [layer for layer in layers if _is_dense(layer)]
    parts = [f"does not fit {part}: {over} of the part"]
    if not dense:
        return parts[0] + "; no Dense layer to trade (reduce the network size)"
    current = max(layer.get("reuse_factor", 1) for layer in dense)
    top = max(layer["nonzero_weights"] for layer in dense)
    suggestion = None
    for rf in range(current + 1, top + 1):
        def scale(layer, what, rf=rf):
            if not _is_dense(layer) or what == "bram":
                return 1.0
            new = math.ceil(layer["nonzero_weights"] / max(rf, layer.get("reuse_factor", 1)))
            return new / layer["multipliers"]
        est = utilization(_scaled_total(layers, glue, scale), resources)
        if _fits(est):
            suggestion = (rf, est)
            break
    if suggestion:
        rf, est = suggestion
        parts.append(f"estimated to fit at ReuseFactor {rf} (LUT {est['lut']:.0f}%, FF {est['ff']:.0f}%, "
                     f"DSP {est['dsp']:.0f}%; II becomes {rf})")
    else:
        parts.append(f"no ReuseFactor up to {top} is estimated to fit")
    widths = [int(layer.get("weight_width") or 0) for layer in dense]
    width = max(widths) if widths else 0
    if width and util["dsp"] <= 100.0 and util["bram"] <= 100.0:
        for w in range(min(width - 1, 16), 3, -1):
            est = utilization(_scaled_total(layers, glue, lambda layer, what, w=w: (
                w / max(int(layer.get("weight_width") or w), 1)) if _is_dense(layer) and what in ("lut", "ff") else 1.0),
                resources)
            if _fits(est):
                parts.append(f"or, at the current reuse factor, with weights of about {w} bits instead of {width} "
                             f"(LUT {est['lut']:.0f}%, FF {est['ff']:.0f}%; check accuracy with `rtlnn profile`)")
                break
    elif util["dsp"] > 100.0:
        parts.append("narrower weights do not save DSPs: only a larger reuse factor or a larger part does")
    return "; ".join(parts) + " (estimates from the per-layer figures; re-run `rtlnn synth` to confirm)"
