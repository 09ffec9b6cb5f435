"""Pictures for people: the model graph (:func:`plot_model`) and the shared matplotlib setup.

Every rtlnn plot draws with matplotlib's Agg backend (files, no display, no graphviz) through
:func:`pyplot`, and every plot's content is also returned or stored as data: reports are data
first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .ir import RtlnnError

__all__ = ["plot_model", "ModelPicture", "pyplot"]


def pyplot():
    """``matplotlib.pyplot`` on the Agg backend (files only), or a clear error without matplotlib."""
    try:
        import matplotlib
    except ImportError:
        raise RtlnnError("plots need matplotlib: `pip install matplotlib` (it comes with `pip install -e .`)") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


@dataclass
class ModelPicture:
    """What :func:`plot_model` drew: one entry per layer, the edges, the totals, the file."""

    layers: list[dict]
    edges: list[tuple[str, str]]
    latency_cycles: int
    ii: int
    path: str | None = None
    positions: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"layers": self.layers, "edges": [list(e) for e in self.edges], "latency_cycles": self.latency_cycles,
                "ii": self.ii, "path": self.path}


def _layer_rows(rm) -> tuple[list[dict], list[tuple[str, str]]]:
    design = rm.design
    built = {info.name: info for info in design.layers}
    rows, edges = [], []
    for layer in rm.graph:
        hw = built.get(layer.name)
        precision = {k: str(v) for k, v in layer.precisions().items() if v is not None}
        rows.append({
            "name": layer.name, "kind": layer.kind, "shape": list(layer.shape),
            "input_shapes": [list(rm.graph[i].shape) for i in layer.inputs],
            "precision": precision, "reuse_factor": layer.reuse_factor, "strategy": layer.strategy,
            "latency_cycles": hw.latency if hw else 0, "ii": hw.ii if hw else 1,
            "start_cycle": hw.start if hw else 0, "multipliers": hw.n_multipliers if hw else 0,
            "output": layer.name in rm.graph.outputs,
        })
        edges += [(src, layer.name) for src in layer.inputs]
    return rows, edges


def _depths(rows: list[dict], edges) -> dict[str, int]:
    depth = {}
    preds: dict[str, list[str]] = {}
    for a, b in edges:
        preds.setdefault(b, []).append(a)
    for r in rows:  # graph order is topological
        depth[r["name"]] = 1 + max((depth[p] for p in preds.get(r["name"], [])), default=-1)
    return depth


def plot_model(rm, path=None, *, show_precision: bool = True, dpi: int = 110) -> ModelPicture:
    """Draw ``rm``'s layers as boxes (name, kind, shape, precisions, reuse factor, latency and
    start cycle) joined by arrows, top to bottom in dataflow order; write a PNG to ``path``
    (default ``<rm.output_dir>/model.png``) and return the picture as data."""
    plt = pyplot()
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    rows, edges = _layer_rows(rm)
    depth = _depths(rows, edges)
    levels: dict[int, list[str]] = {}
    for r in rows:
        levels.setdefault(depth[r["name"]], []).append(r["name"])
    n_levels = max(levels) + 1 if levels else 1
    n_cols = max(len(v) for v in levels.values()) if levels else 1
    box_w, box_h, gap_x, gap_y = 4.2, 0.8 if show_precision else 0.5, 0.6, 0.45
    pos = {}
    for d, names in levels.items():
        offset = (n_cols - len(names)) * (box_w + gap_x) / 2
        for k, name in enumerate(names):
            pos[name] = (offset + k * (box_w + gap_x), (n_levels - 1 - d) * (box_h + gap_y))
    width = n_cols * (box_w + gap_x)
    height = n_levels * (box_h + gap_y) + 0.6
    fig = plt.figure(figsize=(max(width, 5) * 0.95, height * 0.95))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(-0.2, max(width, 5))
    ax.set_ylim(-0.3, height)
    ax.axis("off")
    colors = {"Input": "#dbeafe", "Dense": "#fde68a", "Activation": "#bbf7d0", "Softmax": "#bbf7d0",
              "Reshape": "#e5e7eb", "Cast": "#e5e7eb"}
    by_name = {r["name"]: r for r in rows}
    for r in rows:
        x, y = pos[r["name"]]
        face = colors.get(r["kind"], "#fbcfe8" if "Conv" in r["kind"] else "#f5f5f4")
        ax.add_patch(FancyBboxPatch((x, y), box_w, box_h, boxstyle="round,pad=0.04", fc=face,
                                    ec="#b91c1c" if r["output"] else "#374151", lw=1.6 if r["output"] else 1.0))
        shape = "x".join(map(str, r["shape"]))
        lines = [f"{r['name']}  ({r['kind']}, {shape})"]
        if show_precision and r["precision"]:
            prec = r["precision"]
            main = prec.get("result")
            lines.append("result " + (main or "-") + "".join(
                f", {k} {v}" for k, v in prec.items() if k in ("weight", "bias") and v))
            if "accum" in prec:
                lines.append(f"accum {prec['accum']}")
        timing = f"latency {r['latency_cycles']} cyc @ {r['start_cycle']}"
        if r["kind"] not in ("Input", "Reshape"):
            timing += f", II {r['ii']}"
        if r["multipliers"] or r["reuse_factor"] != 1:
            timing += f", RF {r['reuse_factor']}, {r['multipliers']} mult"
        lines.append(timing)
        ax.text(x + 0.1, y + box_h - 0.08, lines[0], fontsize=8.5, fontweight="bold", va="top")
        ax.text(x + 0.1, y + box_h - 0.3, "\n".join(lines[1:]), fontsize=7, va="top", family="monospace",
                linespacing=1.25)
    for a, b in edges:
        (xa, ya), (xb, yb) = pos[a], pos[b]
        ax.add_patch(FancyArrowPatch((xa + box_w / 2, ya), (xb + box_w / 2, yb + box_h + 0.08), arrowstyle="-|>",
                                     mutation_scale=12, color="#374151", lw=1.0))
    design = rm.design
    ax.text(0, height - 0.25, f"{rm.project_name}: latency {design.latency} cycles, II {design.ii}, "
            f"{sum(r['multipliers'] for r in by_name.values())} multipliers", fontsize=9, va="top")
    out = Path(path) if path is not None else Path(rm.output_dir) / "model.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return ModelPicture(rows, edges, design.latency, design.ii, str(out), pos)
