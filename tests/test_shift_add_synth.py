"""Yosys synth_xilinx on shift-add against multiplier Dense layers of the same weights, side by
side in one design: no DSP at all, fewer LUT-equivalents (LUT + 55 x DSP), and a 70%-pruned
layer costing about in proportion to its remaining weights."""

import numpy as np
import pytest

from rtlnn import ir
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes

pytestmark = pytest.mark.slow  # three Yosys synth_xilinx runs of a few thousand LUTs: about a minute


def _graph(n_in=16, n_out=16, seed=7):
    rng = np.random.default_rng(seed)
    w = rng.normal(0, 0.5, (n_in, n_out))
    b = rng.normal(0, 0.5, n_out)
    pruned = np.where(rng.random(w.shape) < 0.7, 0.0, w)
    g = ir.ModelGraph(name="sa_vs_dsp")
    g.add(ir.Input("x", [], (n_in,)))
    g.add(ir.Dense("dsp", ["x"], (n_out,), weight=w, bias=b))
    g.add(ir.Dense("shift_add", ["x"], (n_out,), weight=w, bias=b))
    g.add(ir.Dense("shift_add_pruned", ["x"], (n_out,), weight=pruned, bias=b))
    g.outputs = ["dsp", "shift_add", "shift_add_pruned"]
    config = {"Model": {"Precision": "fixed<16,6>"},
              "LayerType": {"Dense": {"Precision": {"weight": "fixed<8,2>", "result": "fixed<16,6>"}}},
              "LayerName": {"shift_add": {"Strategy": "ShiftAdd"}, "shift_add_pruned": {"Strategy": "ShiftAdd"}}}
    return run_passes(g, config), config


def test_shift_add_beats_dsp_in_yosys(tmp_path):
    graph, config = _graph()
    rm = RtlnnModel(graph, config, tmp_path / "prj", project_name="sa_vs_dsp", clock_period=5.0)
    rm.write(n_vectors=4)
    syn = rm.synthesize(part="xc7a35tcpg236-1")
    layers = {e["name"]: e for e in syn.layers}
    cost = {n: e["lut_equivalent"] + 55 * e["dsp"] for n, e in layers.items()}
    print({n: (e["lut_equivalent"], e["ff"], e["dsp"], cost[n]) for n, e in layers.items()})
    assert layers["dsp"]["dsp"] > 0
    assert layers["shift_add"]["dsp"] == layers["shift_add_pruned"]["dsp"] == 0
    assert cost["shift_add"] < cost["dsp"]
    kept = np.count_nonzero(graph["shift_add_pruned"].weight_raw()) / np.count_nonzero(graph["shift_add"].weight_raw())
    assert cost["shift_add_pruned"] < (kept + 0.15) * cost["shift_add"]
