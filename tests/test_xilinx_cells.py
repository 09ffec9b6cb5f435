"""Xilinx LUT cells in the emitted Verilog (rtlnn/hw/xilinx_cells.py): which cells a design uses,
their simulation models, the checks on a cell, and the ECP5 flow refusing a design that has them."""

from __future__ import annotations

import pytest
from amaranth.back import verilog
from amaranth.hdl import Module, Signal
from graphs import make_mlp

from rtlnn.flows.ecp5 import build_ecp5
from rtlnn.hw.xilinx_cells import (
    SIMULATION_MODELS_FILE,
    cells_used,
    lut_cell,
    simulation_models,
)
from rtlnn.ir import RtlnnError
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes


def _cells_design() -> str:
    m = Module()
    a, b, c, out = Signal(), Signal(), Signal(), Signal(2)
    m.d.comb += out.eq(lut_cell(m, 0b0110, [a, b]) | (lut_cell(m, 0x96, [a, b, c]) << 1))
    return verilog.convert(m, ports=[a, b, c, out], name="cells")


def test_cells_used_and_their_models():
    text = _cells_design()
    assert cells_used([text]) == ["LUT2", "LUT3"]
    models = simulation_models([text])
    assert "module LUT2 #(parameter [3:0] INIT" in models and "module LUT3 #(parameter [7:0] INIT" in models
    assert "INIT[{I2, I1, I0}]" in models and "LUT6" not in models
    assert simulation_models(["module plain(input a, output b); assign b = a; endmodule"]) is None


@pytest.mark.parametrize("n, init", [(0, 0), (7, 0), (2, 1 << 4)])
def test_a_cell_takes_one_to_six_inputs_and_a_table_that_fits(n, init):
    m = Module()
    m._MustUse__silence = True  # never elaborated: the cell is refused
    with pytest.raises(ValueError, match="LUT cell takes 1 to 6 inputs"):
        lut_cell(m, init, [Signal() for _ in range(n)])


def test_ecp5_flow_refuses_a_design_with_xilinx_cells(tmp_path):
    """Compressor trees built for a Xilinx part are LUT cells: one clear error, no build folder."""
    config = {"Model": {"Precision": {"default": "fixed<12,4>", "weight": "fixed<8,3>", "bias": "fixed<8,3>"},
                        "Strategy": "ShiftAdd", "Pipeline": {"Summation": "CompressorTree"}}}
    graph = run_passes(make_mlp([12, 8, 4], seed=3), config)
    rm = RtlnnModel(graph, config, tmp_path / "prj", part="xc7a35tcpg236-1", clock_period=5.0)
    out = rm.write(n_vectors=4)
    assert (out / "tb" / SIMULATION_MODELS_FILE).is_file()
    with pytest.raises(RtlnnError, match=r"instantiates Xilinx cells \(LUT.*convert the model for the ECP5 part"):
        build_ecp5(out, "ulx3s-85f", 150)
    assert not (out / "build").exists()
