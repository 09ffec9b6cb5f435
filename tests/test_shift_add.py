"""Strategy ShiftAdd (hls4ml's distributed_arithmetic): the arithmetic plan against
rtlnn.arith.dense_raw, the hardware under Amaranth's simulator, no multiplier cells,
config and Auto."""

import numpy as np
import pytest
from amaranth.back import rtlil
from amaranth.sim import Simulator
from cells import truth_table_cell
from graphs import make_mlp
from hypothesis import given, settings
from hypothesis import strategies as st

from rtlnn import ir
from rtlnn.arith import dense_raw
from rtlnn.fixed import FixedType, Overflow, Rounding
from rtlnn.hw.shift_add import ShiftAddDense, choose_strategy, plan_raw, plan_shift_add
from rtlnn.hw.timing_model import delay_model
from rtlnn.hw.top import build_network
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes


def fixed_types(min_width=2, max_width=16):
    return st.builds(lambda w, i, s, r, o: FixedType(w, i, s, r, o),
                     st.integers(min_width, max_width), st.integers(-3, 12), st.booleans(),
                     st.sampled_from(list(Rounding)), st.sampled_from(list(Overflow)))


@settings(max_examples=120, deadline=None)
@given(st.integers(1, 6), st.integers(1, 5), fixed_types(), fixed_types(), fixed_types(), fixed_types(4, 24),
       fixed_types(), st.booleans(), st.integers(0, 2 ** 31))
def test_plan_equals_dense_raw(n_in, n_out, in_t, weight_t, bias_t, accum_t, result_t, exact_accum, seed):
    """Both plans (exact sum, or per-product casts) compute exactly what the emulator does."""
    rng = np.random.default_rng(seed)
    w = rng.integers(weight_t.min_raw, weight_t.max_raw, size=(n_in, n_out), endpoint=True)
    w[rng.random(w.shape) < 0.3] = 0
    b = rng.integers(bias_t.min_raw, bias_t.max_raw, size=n_out, endpoint=True)
    if exact_accum:
        from rtlnn.arith import dense_accum_type
        accum_t = dense_accum_type(w, b, in_t, weight_t, bias_t)
    plan = plan_shift_add(w, b, in_t, weight_t, bias_t, accum_t, result_t)
    if exact_accum:
        assert plan.mode == "exact"
    x = rng.integers(in_t.min_raw, in_t.max_raw, size=(64, n_in), endpoint=True)
    x[0], x[1] = in_t.min_raw, in_t.max_raw
    expect = dense_raw(x, in_t, w, weight_t, b, bias_t, accum_t, result_t)
    assert (plan_raw(plan, x) == expect).all()


def quiet(component):
    """A component built only for its attributes: no UnusedElaboratable warning."""
    component._MustUse__silence = True
    return component


def typed_dense(sizes=(6, 4), seed=0, **prec):
    graph = make_mlp(list(sizes), seed=seed, zero_fraction=0.3)
    names = {"fc1": {"Precision": {k: v for k, v in prec.items()}, "Strategy": "ShiftAdd"}}
    typed = run_passes(graph, {"Model": {"Precision": "fixed<10,4>"}, "LayerName": names})
    return typed["fc1"], typed["input_1"].result_t


def run_amaranth(dut, layer, in_t, x):
    outs = []

    async def bench(ctx):
        w, r = in_t.width, layer.result_t.width
        for n in range(len(x) + dut.latency + 1):
            word = sum((int(v) & ((1 << w) - 1)) << (i * w) for i, v in enumerate(x[n])) if n < len(x) else 0
            ctx.set(dut.in_data, word)
            ctx.set(dut.in_valid, int(n < len(x)))
            if n >= dut.latency:  # out_valid exactly `latency` cycles after in_valid
                assert ctx.get(dut.out_valid) == int(n - dut.latency < len(x))
            if ctx.get(dut.out_valid):
                word = ctx.get(dut.out_data)
                row = [(word >> (j * r)) & ((1 << r) - 1) for j in range(layer.n_out)]
                outs.append([v - (1 << r) if layer.result_t.signed and v >> (r - 1) else v for v in row])
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return np.array(outs)


@pytest.mark.parametrize("summation, lut_inputs, cells", [
    ("AdderGraph", 6, False), ("CompressorTree", 6, False), ("CompressorTree", 6, True), ("CompressorTree", 4, False)])
@pytest.mark.parametrize("prec, period", [
    ({"weight": "fixed<8,2>", "bias": "fixed<8,3>", "result": "fixed<12,5,RND,SAT>"}, 3.0),
    ({"weight": "fixed<6,1>", "result": "fixed<12,5,RND_CONV,SAT_SYM>", "accum": "fixed<12,4,RND,SAT>"}, 4.0),
    ({"weight": "ufixed<5,1>", "result": "ufixed<9,5>", "accum": "fixed<10,6>"}, None),
    ({"weight": "fixed<8,3>", "bias": "fixed<8,3>", "result": "fixed<16,6>"}, 2.0),
])
def test_hardware_matches_emulator_amaranth(prec, period, summation, lut_inputs, cells, monkeypatch):
    monkeypatch.setattr("rtlnn.hw.shift_add.lut_cell", truth_table_cell)
    layer, in_t = typed_dense(**prec)
    dut = ShiftAddDense(layer, in_t, clock_period=period, model=delay_model("xc7") if period else None,
                        summation=summation, lut_inputs=lut_inputs, lut_cells=cells)
    assert dut.lut_cells == cells
    rng = np.random.default_rng(1)
    x = rng.integers(in_t.min_raw, in_t.max_raw, size=(30, layer.n_in), endpoint=True)
    x[0], x[1] = in_t.min_raw, in_t.max_raw
    expect = dense_raw(x, in_t, layer.weight_raw(), layer.weight_t, layer.bias_raw(), layer.bias_t, layer.accum_t,
                       layer.result_t)
    assert (run_amaranth(dut, layer, in_t, x) == expect).all()
    assert dut.ii == 1 and dut.n_multipliers == 0 and dut.latency >= 1
    assert dut.plan.mode == ("exact" if "accum" not in prec else "per_product")


def test_no_multiplier_cells():
    layer, in_t = typed_dense((8, 6), weight="fixed<8,2>", result="fixed<16,6>")
    text = rtlil.convert(ShiftAddDense(layer, in_t))
    assert "$mul" not in text
    assert "$add" in text or "$sub" in text
    from rtlnn.hw.dense import Dense
    assert "$mul" in rtlil.convert(Dense(layer, in_t))  # the multiplier design does have them


def test_latency_follows_the_clock():
    """Fewer cycles as the period grows (monotone), and every stage's modelled delay fits."""
    layer, in_t = typed_dense((16, 8), weight="fixed<8,2>", result="fixed<16,6,RND,SAT>")
    model = delay_model("xc7")
    lat = []
    for period in (1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 7.0, 10.0, 20.0):
        dut = quiet(ShiftAddDense(layer, in_t, clock_period=period, model=model))
        lat.append(dut.latency)
        # every stage fits, once the period holds the slowest single step (the RND/SAT cast)
        assert max(dut.stage_delays) <= model.budget(period) + 1e-9 or period < 4
    assert lat == sorted(lat, reverse=True) and lat[0] > lat[-1] == 1


def test_unit_delay_levels():
    layer, in_t = typed_dense((16, 4), weight="fixed<8,2>", result="fixed<16,6>")
    lats = [quiet(ShiftAddDense(layer, in_t, levels_per_stage=n)).latency for n in (1, 2, 3, 100)]
    assert lats == sorted(lats, reverse=True) and lats[-1] == 1


def test_compressor_tree_needs_fewer_stages_than_the_adder_graph():
    """64 inputs at 5 ns, with the xc7 adder figures of the netlist timing check (docs/xc7_timing.md):
    the adder graph chains carry chains, the tree has one a sum."""
    import dataclasses

    layer, in_t = typed_dense((64, 8), weight="fixed<8,3>", result="fixed<16,6>")
    model = dataclasses.replace(delay_model("xc7"), t_add=2.1, t_input=1.1)
    graph = quiet(ShiftAddDense(layer, in_t, clock_period=5.0, model=model))
    tree = quiet(ShiftAddDense(layer, in_t, clock_period=5.0, model=model, summation="CompressorTree"))
    assert tree.latency < graph.latency
    assert max(tree.stage_delays) <= model.budget(5.0) + 1e-9
    assert tree.n_adders == layer.n_out and tree.n_counters > 0
    assert max(h.n_levels for h in tree.heaps) >= 4  # 64 inputs' digits in rows, halved a level


def test_summation_setting_is_checked():
    layer, in_t = typed_dense((6, 4), weight="fixed<8,2>")
    with pytest.raises(ir.RtlnnError, match="Summation 'Wallace'"):
        ShiftAddDense(layer, in_t, summation="Wallace")
    with pytest.raises(ir.RtlnnError, match="Model.Pipeline.Summation must be 'AdderGraph'"):
        run_passes(make_mlp([6, 4], seed=0), {"Model": {"Pipeline": {"Summation": "adders"}}})
    graph = make_mlp([6, 4], seed=0)
    typed = run_passes(graph, {"Model": {"Precision": "fixed<10,4>", "Strategy": "Latency",
                                         "Pipeline": {"Summation": "CompressorTree"}}})
    with pytest.raises(ir.RtlnnError, match="fc1.*Summation sets how a ShiftAdd layer adds"):
        build_network(typed)
    typed = run_passes(make_mlp([6, 4], seed=0), {"Model": {"Precision": "fixed<10,4>", "Strategy": "ShiftAdd",
                                                           "Pipeline": {"Summation": "compressortree"}}})
    design = build_network(typed, clock_period=5.0)
    info = {l.name: l for l in design.layers}
    assert "compressor tree" in info["fc1"].strategy_reason


def test_reuse_factor_must_be_one():
    layer, in_t = typed_dense((6, 4), weight="fixed<8,2>")
    layer.reuse_factor = 2
    with pytest.raises(ir.RtlnnError, match="ReuseFactor 2.*ReuseFactor: 1"):
        ShiftAddDense(layer, in_t)


@pytest.mark.parametrize("name", ["ShiftAdd", "shiftadd", "Distributed_Arithmetic", "shift_add", "AUTO"])
def test_config_accepts_strategy(name):
    graph = make_mlp([4, 3])
    typed = run_passes(graph, {"Model": {"Precision": "fixed<8,3>", "Strategy": name}})
    assert typed["fc1"].strategy == ("Auto" if name == "AUTO" else "ShiftAdd")


def test_config_rejects_unknown_strategy():
    with pytest.raises(ir.RtlnnError, match="ShiftAdd"):
        run_passes(make_mlp([4, 3]), {"Model": {"Strategy": "Magic"}})


def test_auto_chooses_by_cost_and_says_why():
    graph = make_mlp([16, 8, 4], seed=3)
    config = {"Model": {"Precision": "fixed<16,6>", "Strategy": "Auto"},
              "LayerName": {"fc1": {"Precision": {"weight": "fixed<8,2>"}},
                            "fc2": {"Precision": {"weight": "fixed<18,2>"}, "ReuseFactor": 4}}}
    typed = run_passes(graph, config)
    s1, why1 = choose_strategy(typed["fc1"], typed["fc1_relu"].result_t)
    s2, why2 = choose_strategy(typed["fc2"], typed["fc1_relu"].result_t)
    assert s1 == "ShiftAdd" and "LUT-equivalents" in why1  # 8-bit weights: adders beat a DSP each
    assert s2 == "Latency" and "ReuseFactor 4" in why2
    # a layer of powers of two costs no adders beyond the sums: always shift-add
    pow2 = ir.Dense("p", ["x"], (4,), weight=np.eye(4) * 0.5, bias=np.zeros(4), weight_t=FixedType(8, 2),
                    bias_t=FixedType(8, 2), accum_t=FixedType(20, 8), result_t=FixedType(16, 6))
    assert choose_strategy(pow2, FixedType(16, 6))[0] == "ShiftAdd"
    rm = RtlnnModel(typed, config, project_name="auto_t", clock_period=5.0)
    layers = {l["name"]: l for l in rm.report()["layers"]}
    assert layers["fc1"]["strategy"] == "Auto" and layers["fc1"]["strategy_reason"].startswith("Auto chose ShiftAdd")
    assert "exact plan" in layers["fc1"]["strategy_reason"] and layers["fc1"]["multipliers"] == 0
    assert layers["fc2"]["strategy_reason"].startswith("Auto chose Latency") and layers["fc2"]["multipliers"] > 0


def test_report_and_network():
    graph = make_mlp([8, 6, 3], seed=4)
    config = {"Model": {"Precision": "fixed<12,4>", "Strategy": "distributed_arithmetic"}}
    typed = run_passes(graph, config)
    design = build_network(typed, clock_period=4.0, part="xc7a35t")
    info = {l.name: l for l in design.layers}
    assert info["fc1"].n_multipliers == info["fc2"].n_multipliers == 0
    assert info["fc1"].strategy == "ShiftAdd" and "plan" in info["fc1"].strategy_reason
    assert design.latency == info["fc1"].latency + info["fc2"].latency


def test_delay_lines_are_flip_flops_not_shift_registers():
    """A value carried over two or more stages is marked so that Yosys (keep) and Vivado
    (shreg_extract) leave its registers flip-flops: an SRL16E's 1.47 ns clock-to-out broke 5 ns
    stages on the xc7 check.  Registers of one stage are left to the tools."""
    import re

    from rtlnn.hw.emit import to_verilog

    layer, in_t = typed_dense((8, 4), weight="fixed<8,2>", result="fixed<16,6>")
    model = delay_model("xc7")
    padded = quiet(ShiftAddDense(layer, in_t, model=model, stages=6))  # outputs delayed to 6 cycles
    text = to_verilog(padded, "padded")
    marked = set(re.findall(r'\(\* shreg_extract = "no" \*\)\s*(?:\(\*[^*]*\*\)\s*)*reg (?:\[\d+:0\] )?(\w+)_s(\d+)', text))
    assert marked
    for name, s in marked:  # each marked register is one of a line of at least two
        assert (name, str(int(s) - 1)) in marked or (name, str(int(s) + 1)) in marked
    one = quiet(ShiftAddDense(layer, in_t, model=model, stages=2))
    text = to_verilog(one, "one")
    assert re.search(r"reg .*_s2 ", text) and "shreg_extract" not in text
