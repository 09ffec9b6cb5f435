"""The io_parallel network top: whole graphs under Amaranth's simulator and, when Icarus is
installed, the emitted multi-file Verilog under Icarus — both bit-exact with rtlnn.arith."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from rtlnn import arith, ir
from rtlnn.fixed import FixedType
from rtlnn.hw.top import build_network

from test_hw_support import (pack, random_dense, random_inputs, random_type, run_io_parallel, unpack)


def reference(graph: ir.ModelGraph, inputs: dict) -> dict:
    """Every layer's raw output, chaining the arith functions (independent of the emulator)."""
    vals, types = {}, {}
    for layer in graph:
        if isinstance(layer, ir.Input):
            vals[layer.name], types[layer.name] = inputs[layer.name], layer.result_t
            continue
        src = layer.inputs[0]
        x, t = vals[src], types[src]
        if isinstance(layer, ir.Dense):
            y = arith.dense_raw(x, t, layer.weight_raw(), layer.weight_t, layer.bias_raw(), layer.bias_t,
                                layer.accum_t, layer.result_t)
        elif isinstance(layer, ir.Activation):
            y = arith.relu_raw(x, t, layer.result_t) if layer.function == "relu" else layer.result_t.cast(x, t)
        elif isinstance(layer, ir.Reshape):
            y = x
        vals[layer.name] = y
        types[layer.name] = t if isinstance(layer, ir.Reshape) else layer.result_t
    return vals, types


def random_chain(rng, n_dense=2, *, name="net", reshape=True):
    sizes = [int(rng.integers(1, 9)) for _ in range(n_dense + 1)]
    g = ir.ModelGraph(name=name)
    t = random_type(rng, 2, 16)
    prev = g.add(ir.Input("input_1", [], (sizes[0],), result_t=t)).name
    for k in range(n_dense):
        d = random_dense(rng, f"dense/{k + 1}", prev, t, sizes[k], sizes[k + 1])
        prev, t = g.add(d).name, d.result_t
        if rng.integers(0, 3):
            fn = "relu" if rng.integers(0, 4) else "linear"
            rt = random_type(rng, 2, 16)
            prev, t = g.add(ir.Activation(f"act-{k + 1}", [prev], (sizes[k + 1],), result_t=rt, function=fn)).name, rt
        if reshape and k == 0:
            prev = g.add(ir.Reshape(f"reshape_{k}", [prev], (1, sizes[k + 1]))).name
    g.outputs = [prev]
    return g


def _simulate(graph, design, n_vec, rng):
    ins = {n: random_inputs(rng, graph[n].result_t, n_vec, graph[n].size) for n in graph.inputs}
    vals, types = reference(graph, ins)
    in_types = [graph[n].result_t for n in graph.inputs for _ in range(graph[n].size)]
    out_types = [types[n] for n in graph.outputs for _ in range(graph[n].size)]
    vectors = [[int(v) for n in graph.inputs for v in ins[n][k]] for k in range(n_vec)]
    outs, cycles = run_io_parallel(design.top, vectors, in_types, out_types, design.ii,
                                   seed=int(rng.integers(1 << 30)), extra=design.latency)
    want = np.concatenate([np.asarray(vals[n]).reshape(n_vec, -1) for n in graph.outputs], axis=1)
    return outs, cycles, want, vectors, in_types, out_types


@pytest.mark.parametrize("seed", range(8))
def test_network_bit_exact_and_timed(seed):
    rng = np.random.default_rng(500 + seed)
    graph = random_chain(rng, n_dense=2 + seed % 2)
    design = build_network(graph, levels_per_stage=int(rng.integers(1, 4)))
    hw = [l for l in design.layers if l.module]
    assert design.latency == sum(l.latency for l in hw)
    assert design.ii == max(l.ii for l in design.layers)
    assert design.in_width == sum(graph[n].size * graph[n].result_t.width for n in graph.inputs)
    for l in design.layers:
        if l.kind == "Dense":
            p = graph[l.name].n_products()
            assert l.n_multipliers == -(-p // l.reuse_factor) and l.ii == l.reuse_factor
    n_vec = 4
    outs, cycles, want, *_ = _simulate(graph, design, n_vec, rng)
    assert cycles == [k * design.ii + design.latency for k in range(n_vec)]
    assert np.array_equal(outs, want.astype(object)), (outs, want)


def test_two_inputs_two_outputs_are_aligned():
    """Two independent chains of different latency, plus an intermediate output: every
    output leaves in the same cycle, `latency` after in_valid."""
    rng = np.random.default_rng(42)
    g = ir.ModelGraph(name="two")
    ta, tb = FixedType(8, 3, True), FixedType(6, 2, False)
    g.add(ir.Input("a", [], (3,), result_t=ta))
    g.add(ir.Input("b", [], (2,), result_t=tb))
    d1 = g.add(random_dense(rng, "da1", "a", ta, 3, 4, rf=3))
    g.add(ir.Activation("ra1", ["da1"], (4,), result_t=FixedType(7, 3, False), function="relu"))
    g.add(random_dense(rng, "da2", "ra1", FixedType(7, 3, False), 4, 2, rf=1))
    g.add(random_dense(rng, "db1", "b", tb, 2, 3, rf=1))
    g.outputs = ["da2", "db1", "da1"]
    design = build_network(g, name="two_top")
    assert design.latency == max(l.latency for l in design.layers if l.name == "da1") + \
        sum(l.latency for l in design.layers if l.name in ("ra1", "da2"))
    assert design.ii == max(3, d1.reuse_factor)
    n_vec = 3
    outs, cycles, want, *_ = _simulate(g, design, n_vec, rng)
    assert cycles == [k * design.ii + design.latency for k in range(n_vec)]
    assert np.array_equal(outs, want.astype(object))


def test_verilog_one_file_per_layer_and_deterministic():
    graph = random_chain(np.random.default_rng(9), n_dense=2)
    d1 = build_network(graph, name="mlp_top")
    f1 = d1.verilog_files()
    f2 = build_network(random_chain(np.random.default_rng(9), n_dense=2), name="mlp_top").verilog_files()
    assert f1 == f2  # same graph, same bytes
    modules = [l.module for l in d1.layers if l.module]
    assert list(f1) == [f"{m}.v" for m in modules] + ["mlp_top.v"]
    assert "mlp_top_dense_1" in modules and "mlp_top_dense_2" in modules
    for fname, text in f1.items():
        mod = fname[:-2]
        assert re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", mod)
        assert re.search(rf"^module {mod}\(", text, re.M), fname
        assert "/work/" not in text and "src =" not in text  # no machine paths
    top = f1["mlp_top.v"]
    for mod in modules:
        assert re.search(rf"^\s*{mod} {mod} \(", top, re.M)  # the top instantiates every layer
    assert re.search(r"input \[\d+:0\] in_data;", top) and "input clk;" in top and "input rst;" in top


def test_bad_names_and_unsupported_layers():
    rng = np.random.default_rng(1)
    graph = random_chain(rng, n_dense=1, reshape=False)
    with pytest.raises(ir.RtlnnError, match="'1top'"):
        build_network(graph, name="1top")
    with pytest.raises(ir.RtlnnError, match="'module'"):
        build_network(graph, name="module")
    g = graph.copy()
    g.add(ir.Layer("mystery", [g.outputs[0]], (1,), result_t=FixedType(8, 2)))
    g.outputs = ["mystery"]
    with pytest.raises(ir.RtlnnError, match="mystery.*no io_parallel"):
        build_network(g)
    g = ir.ModelGraph()
    t = FixedType(8, 2)
    g.add(ir.Input("x", [], (3,), result_t=t))
    g.add(random_dense(rng, "fc_wrong", "x", t, 4, 2, rf=1))
    g.outputs = ["fc_wrong"]
    with pytest.raises(ir.RtlnnError, match="fc_wrong.*3 elements.*4"):
        build_network(g)


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="Icarus Verilog not installed")
def test_emitted_verilog_matches_under_icarus(tmp_path):
    """The multi-file Verilog (layer modules + instantiating top) gives the same bits at the same cycles."""
    rng = np.random.default_rng(77)
    graph = random_chain(rng, n_dense=2)
    design = build_network(graph, name="ivl_top")
    files = design.verilog_files()
    for fname, text in files.items():
        (tmp_path / fname).write_text(text)
    n_vec = 5
    ins = {n: random_inputs(rng, graph[n].result_t, n_vec, graph[n].size) for n in graph.inputs}
    vals, types = reference(graph, ins)
    in_types = [graph[n].result_t for n in graph.inputs for _ in range(graph[n].size)]
    out_types = [types[n] for n in graph.outputs for _ in range(graph[n].size)]
    words = [pack([int(v) for n in graph.inputs for v in ins[n][k]], in_types) for k in range(n_vec)]
    (tmp_path / "in.hex").write_text("".join(f"{w:x}\n" for w in words))
    total = n_vec * design.ii + design.latency + 3
    iw, ow, ii = design.in_width, design.out_width, design.ii
    (tmp_path / "tb.v").write_text(f"""
`timescale 1ns/1ps
module tb;
  reg clk = 0, rst = 1;
  always #5 clk = ~clk;
  reg [{iw - 1}:0] in_data = 0; reg in_valid = 0;
  wire [{ow - 1}:0] out_data; wire out_valid;
  reg [{iw - 1}:0] mem [0:{n_vec - 1}];
  integer c;
  ivl_top dut(.clk(clk), .rst(rst), .in_data(in_data), .in_valid(in_valid), .out_data(out_data), .out_valid(out_valid));
  initial begin
    $readmemh("{tmp_path}/in.hex", mem);
    @(posedge clk); @(posedge clk); #1 rst = 0;
    for (c = 0; c < {total}; c = c + 1) begin
      if (c % {ii} == 0 && c / {ii} < {n_vec}) begin in_data = mem[c / {ii}]; in_valid = 1; end
      else begin in_data = {{{(iw + 31) // 32}{{$random}}}}; in_valid = 0; end
      #1;
      if (out_valid) $display("OUT %0d %h", c, out_data);
      @(posedge clk); #1;
    end
    $finish;
  end
endmodule
""")
    sources = [str(tmp_path / f) for f in files] + [str(tmp_path / "tb.v")]
    subprocess.run(["iverilog", "-g2012", "-o", str(tmp_path / "sim"), *sources], check=True,
                   capture_output=True, text=True)
    run = subprocess.run(["vvp", "-n", str(tmp_path / "sim")], check=True, capture_output=True, text=True)
    lines = [l.split() for l in run.stdout.splitlines() if l.startswith("OUT ")]
    cycles = [int(l[1]) for l in lines]
    outs = [unpack(int(l[2], 16), out_types) for l in lines]
    assert cycles == [k * ii + design.latency for k in range(n_vec)]
    want = np.concatenate([np.asarray(vals[n]).reshape(n_vec, -1) for n in graph.outputs], axis=1)
    assert np.array_equal(np.array(outs, dtype=object), want.astype(object))
