"""Strategy ShiftAdd in RTL simulation (Verilator): many layer variants side by side in one
design (one build), every output bit-exact with the emulator, latency and II as reported,
no multiplier in the Verilog."""

import numpy as np
import pytest

from rtlnn import ir
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes

#: name -> (n_out, zero fraction, weight scale, precisions); accum given = a narrow accumulator,
#: which takes the per-product plan; without it the derived accumulator is exact (one graph).
VARIANTS = {
    "exact_w8": (7, 0.0, 0.5, {"weight": "fixed<8,2>", "result": "fixed<16,6>"}),
    "exact_rnd_sat": (5, 0.3, 1.0, {"weight": "fixed<6,3>", "bias": "fixed<5,2>", "result": "fixed<9,3,RND,SAT>"}),
    "exact_pruned": (6, 0.7, 0.5, {"weight": "fixed<10,1>", "result": "fixed<14,5,RND_CONV,SAT_SYM>"}),
    "exact_uweights": (3, 0.2, 0.5, {"weight": "ufixed<7,1>", "result": "ufixed<12,6,TRN,SAT>"}),
    "pp_rnd_sat": (4, 0.2, 1.0, {"weight": "fixed<8,2>", "accum": "fixed<12,4,RND,SAT>",
                                 "result": "fixed<10,4,RND_INF,SAT>"}),
    "pp_trn_wrap": (4, 0.0, 2.0, {"weight": "fixed<7,3>", "accum": "fixed<9,3>", "result": "fixed<8,3>"}),
    "pp_sat_zero": (3, 0.0, 1.0, {"weight": "fixed<6,2>", "accum": "fixed<14,3,TRN_ZERO,SAT_ZERO>",
                                  "result": "fixed<12,3>"}),
    "zero_column": (3, 1.0, 0.5, {"weight": "fixed<8,2>", "result": "fixed<8,3>"}),
}


def bundled_graph(n_in=10, seed=5):
    rng = np.random.default_rng(seed)
    g = ir.ModelGraph(name="shift_add_variants")
    g.add(ir.Input("x", [], (n_in,)))
    for name, (n_out, zf, scale, _) in VARIANTS.items():
        w = rng.normal(0, scale, (n_in, n_out))
        w[rng.random(w.shape) < zf] = 0.0
        g.add(ir.Dense(name, ["x"], (n_out,), weight=w, bias=rng.normal(0, scale, n_out)))
    # a chain too: shift-add -> relu -> shift-add
    g.add(ir.Dense("chain1", ["x"], (8,), weight=rng.normal(0, 0.5, (n_in, 8)), bias=rng.normal(0, 0.5, 8)))
    g.add(ir.Activation("chain1_relu", ["chain1"], (8,), function="relu"))
    g.add(ir.Dense("chain2", ["chain1_relu"], (4,), weight=rng.normal(0, 0.5, (8, 4)), bias=rng.normal(0, 0.5, 4)))
    # Pipeline Stages: the whole graph in one stage, and more stages than it needs (outputs delayed)
    g.add(ir.Dense("staged_one", ["x"], (5,), weight=rng.normal(0, 0.5, (n_in, 5)), bias=rng.normal(0, 0.5, 5)))
    g.add(ir.Dense("staged_pad", ["chain1_relu"], (3,), weight=rng.normal(0, 0.5, (8, 3)), bias=rng.normal(0, 0.5, 3)))
    g.outputs = list(VARIANTS) + ["chain2", "staged_one", "staged_pad"]
    config = {"Model": {"Precision": "fixed<10,3,RND,SAT>", "Strategy": "ShiftAdd"},
              "LayerName": {name: {"Precision": prec} for name, (_, _, _, prec) in VARIANTS.items()}}
    config["LayerName"].update({"staged_one": {"Pipeline": {"Stages": 1}}, "staged_pad": {"Pipeline": {"Stages": 12}}})
    return run_passes(g, config), config


@pytest.mark.parametrize("clock_period, gaps", [
    (3.0, True),  # a deep pipeline (many registers, delay lines), input gaps
    pytest.param(20.0, False, marks=pytest.mark.slow),  # one or two stages: a second build
])
def test_shift_add_variants_bit_exact(clock_period, gaps, tmp_path, require_verilator):
    graph, config = bundled_graph()
    rm = RtlnnModel(graph, config, tmp_path / "prj", project_name="sa_variants", clock_period=clock_period)
    modes = {l.name: l.strategy_reason for l in rm.design.layers if l.kind == "Dense"}
    assert all("ShiftAdd" in why for why in modes.values())
    assert "per_product plan" in modes["pp_rnd_sat"] and "exact plan" in modes["exact_w8"]
    assert rm.report()["multipliers"] == 0
    lat = {l.name: l.latency for l in rm.design.layers}
    assert lat["staged_one"] == 1 and lat["staged_pad"] == 12
    sim = rm.simulate(n_vectors=300, gaps=gaps, seed=3)
    assert sim.mismatches == 0, sim.first_mismatches
    assert sim.latency_cycles == rm.latency_cycles and sim.ii == rm.ii == 1
    assert sim.passed
    verilog = "".join(p.read_text() for p in (rm.output_dir / "rtl").glob("*.v"))
    assert " * " not in verilog  # no multiplication anywhere in the emitted RTL
