"""ECP5 block-RAM output-register packing (rtlnn.flows.ecp5_bram) on hand-made Yosys JSON netlists:
the flip-flops behind a DP16KD's read data move into its OUTREG, and nothing moves when they may not."""

from __future__ import annotations

import json

from ecp5_netlists import CLK, ff, lut

from rtlnn.flows.ecp5_bram import pack_bram_registers
from rtlnn.flows.ecp5_dsp import pack_file


def _ram(doa, dob, *, width=36, clkb=CLK, oceb="1"):
    """A DP16KD as Yosys maps a synchronous-read ROM: port A unused for writing, read through B."""
    conn = {"CLKA": ["0"], "CEA": ["0"], "OCEA": ["0"], "RSTA": ["0"], "CLKB": [clkb], "CEB": ["1"],
            "OCEB": [oceb], "RSTB": ["0"], "WEA": ["1"], "WEB": ["0"]}
    dirs = {k: "input" for k in conn}
    for k in range(18):
        conn[f"DOA{k}"] = [doa[k] if k < len(doa) else 700 + k]
        conn[f"DOB{k}"] = [dob[k] if k < len(dob) else 800 + k]
        dirs[f"DOA{k}"] = dirs[f"DOB{k}"] = "output"
    params = {"DATA_WIDTH_A": format(width, "032b"), "DATA_WIDTH_B": format(width, "032b"),
              "REGMODE_A": "NOREG", "REGMODE_B": "NOREG", "CLKAMUX": "CLKA", "CLKBMUX": "CLKB"}
    return {"type": "DP16KD", "parameters": params, "attributes": {}, "port_directions": dirs, "connections": conn}


def _netlist(**ram_kw):
    """Read data DOA0, DOB0 into flip-flops whose outputs a LUT reads."""
    cells = {"ram": _ram([10], [11], **ram_kw), "ff0": ff(10, 20), "ff1": ff(11, 21), "use": lut(20, 21, out=30)}
    ports = {"clk": {"direction": "input", "bits": [CLK]}, "y": {"direction": "output", "bits": [30]}}
    return {"modules": {"top": {"attributes": {}, "ports": ports, "cells": cells, "netnames": {}}}}


def test_read_data_registers_move_into_the_block():
    net = _netlist()
    stats = pack_bram_registers(net)
    cells = net["modules"]["top"]["cells"]
    assert stats.to_dict() == {"brams": 1, "output": 1, "ffs_removed": 2, "skipped": {}}
    assert "ff0" not in cells and "ff1" not in cells
    ram = cells["ram"]
    # 36-bit pseudo-dual-port mode: one output register mode for both halves
    assert ram["parameters"]["REGMODE_A"] == ram["parameters"]["REGMODE_B"] == "OUTREG"
    assert ram["connections"]["DOA0"] == [20] and ram["connections"]["DOB0"] == [21]  # the pins drive the old Q nets
    assert cells["use"]["connections"]["A"] == [20]


def test_nothing_moves_when_the_register_may_not():
    cases = {
        "enable": lambda c: c.update(ff0=ff(10, 20, ce=5)),
        "reset": lambda c: c.update(ff0=ff(10, 20, lsr=6)),
        "second reader": lambda c: c.update(peek=lut(10, out=31)),
        "output enable not tied high": lambda c: c["ram"]["connections"].update(OCEB=[7]),
    }
    for why, change in cases.items():
        net = _netlist()
        cells = net["modules"]["top"]["cells"]
        change(cells)
        before = json.dumps(net, sort_keys=True)
        stats = pack_bram_registers(net)
        assert stats.output == 0 and stats.skipped, why
        assert json.dumps(net, sort_keys=True) == before, why


def test_pack_file_packs_block_rams_first(tmp_path):
    path = tmp_path / "design.json"
    path.write_text(json.dumps(_netlist()))
    stats = pack_file(path, tmp_path / "out.json")
    assert stats.block_rams["output"] == 1 and "block_rams" in stats.to_dict()
    assert "DP16KD: output registers 1" in stats.summary()
    cells = json.loads((tmp_path / "out.json").read_text())["modules"]["top"]["cells"]
    assert cells["ram"]["parameters"]["REGMODE_B"] == "OUTREG"
