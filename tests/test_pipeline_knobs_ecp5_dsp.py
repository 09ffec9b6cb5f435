"""ECP5 DSP register packing (rtlnn.flows.ecp5_dsp) on hand-made Yosys JSON netlists: which
flip-flops move into a MULT18X18D, how the block is rewired, and when nothing may move."""

from __future__ import annotations

import copy
import json

from ecp5_netlists import CLK, ff, lut

from rtlnn.flows.ecp5_dsp import pack_dsp_registers, pack_file


def _dsp(a, b, p):
    conn, dirs = {}, {}
    for k in range(18):
        conn[f"A{k}"], conn[f"B{k}"] = [a[k] if k < len(a) else "0"], [b[k] if k < len(b) else "0"]
        dirs[f"A{k}"] = dirs[f"B{k}"] = "input"
    for k in range(36):
        conn[f"P{k}"], dirs[f"P{k}"] = [p[k] if k < len(p) else 900 + k], "output"
    return {"type": "MULT18X18D", "parameters": {}, "attributes": {}, "port_directions": dirs, "connections": conn}


def _netlist():
    """Operands A (2 bits, the upper one sign-extended to A2..A17 in the real thing: A1 = A2) and B
    from flip-flops, B's flip-flop also read by a LUT; product bits P0, P1 into flip-flops."""
    cells = {
        "ffa0": ff(10, 20), "ffa1": ff(11, 21), "ffb0": ff(12, 22),
        "mul": _dsp([20, 21, 21], [22, "1"], [30, 31]),
        "ffp0": ff(30, 40), "ffp1": ff(31, 41),
        "use_p": lut(40, 41, out=50), "use_b": lut(22, out=51),
    }
    ports = {"clk": {"direction": "input", "bits": [CLK]}, "y": {"direction": "output", "bits": [50, 51]}}
    return {"modules": {"top": {"attributes": {}, "ports": ports, "cells": cells, "netnames": {}}}}


def test_operands_and_product_move_into_the_block():
    net = _netlist()
    stats = pack_dsp_registers(net)
    cells = net["modules"]["top"]["cells"]
    mul = cells["mul"]
    assert stats.to_dict() == {"dsps": 1, "input_a": 1, "input_b": 1, "output": 1, "ffs_removed": 4, "reset_gates": 0,
                               "skipped": {}}
    p = mul["parameters"]
    assert p["REG_INPUTA_CLK"] == p["REG_INPUTB_CLK"] == p["REG_OUTPUT_CLK"] == "CLK0"
    assert mul["connections"]["CLK0"] == [CLK] and mul["connections"]["CE0"] == ["1"]
    assert mul["connections"]["RST0"] == ["0"]
    # the pins now read the flip-flops' D inputs; constants stay
    assert [mul["connections"][f"A{k}"] for k in range(4)] == [[10], [11], [11], ["0"]]
    assert mul["connections"]["B0"] == [12] and mul["connections"]["B1"] == ["1"]
    # the product pins drive the nets the output flip-flops drove
    assert mul["connections"]["P0"] == [40] and mul["connections"]["P1"] == [41]
    # operand A's flip-flops and the output ones go; B's stays for the LUT that also reads it
    assert set(cells) == {"mul", "ffb0", "use_p", "use_b"}


def test_nothing_moves_when_it_would_change_the_circuit():
    net = _netlist()
    cells = net["modules"]["top"]["cells"]
    cells["ffa1"] = ff(11, 21, ce=60)  # an enable: the block's CE0 is shared by all its registers
    cells["also_p"] = lut(30, out=52)  # a product bit read before its register
    ports = net["modules"]["top"]["ports"]
    ports["y"]["bits"].append(52)
    before = copy.deepcopy(cells)
    stats = pack_dsp_registers(net)
    assert stats.input_a == 0 and stats.output == 0 and stats.input_b == 1
    assert stats.skipped == {"operand A not from plain flip-flops on one clock": 1,
                             "product not into one kind of plain flip-flop only": 1}
    assert cells["mul"]["connections"]["A0"] == before["mul"]["connections"]["A0"]
    assert "REG_INPUTA_CLK" not in cells["mul"]["parameters"] and "ffp0" in cells and "ffa0" in cells


def test_a_synchronous_reset_gets_its_own_line():
    """Yosys turns a constant-0 mux leg in front of an operand register into a synchronous reset:
    the block's A register then resets on RST1 (that net), B and P stay on RST0 (low)."""
    net = _netlist()
    cells = net["modules"]["top"]["cells"]
    cells["ffa0"] = ff(10, 20, lsr=70, srmode="LSR_OVER_CE")
    cells["ffa1"] = ff(11, 21, lsr=70, srmode="LSR_OVER_CE")
    stats = pack_dsp_registers(net)
    mul = cells["mul"]
    assert stats.input_a == stats.input_b == stats.output == 1
    assert mul["parameters"]["REG_INPUTA_RST"] == "RST1" and mul["connections"]["RST1"] == [70]
    assert mul["parameters"]["REG_INPUTB_RST"] == mul["parameters"]["REG_OUTPUT_RST"] == "RST0"
    # an asynchronous reset cannot move into the block
    net = _netlist()
    net["modules"]["top"]["cells"]["ffa1"] = ff(11, 21, lsr=70, srmode="ASYNC")
    assert pack_dsp_registers(net).input_a == 0


def test_differing_resets_are_gated_in_front_of_the_block():
    """Operand bits with different synchronous resets (or some none): the block register has no
    reset, and each reset bit's D goes through a LUT4 computing D and not reset."""
    net = _netlist()
    cells = net["modules"]["top"]["cells"]
    cells["ffa1"] = ff(11, 21, lsr=70, srmode="LSR_OVER_CE")  # ffa0 has none
    stats = pack_dsp_registers(net)
    mul = cells["mul"]
    assert stats.input_a == 1 and stats.reset_gates == 1
    assert mul["parameters"]["REG_INPUTA_RST"] == "RST0" and "RST1" not in mul["connections"]
    (gate,) = [c for name, c in cells.items() if name.endswith("$rtlnn_srst_gate")]
    z = gate["connections"]["Z"][0]
    assert mul["connections"]["A0"] == [10] and mul["connections"]["A1"] == mul["connections"]["A2"] == [z]
    assert gate["connections"]["A"] == [11] and gate["connections"]["B"] == [70]
    init = int(gate["parameters"]["INIT"], 2)  # ECP5 LUT4: Z = INIT[{D, C, B, A}]
    assert [(init >> (a | b << 1)) & 1 for b in (0, 1) for a in (0, 1)] == [0, 1, 0, 0]
    assert z > max(b for c in cells.values() if c is not gate for bits in c["connections"].values() for b in bits
                   if isinstance(b, int) and b != z)


def test_second_clock_keeps_the_output_in_the_fabric():
    net = _netlist()
    net["modules"]["top"]["cells"]["ffp1"]["connections"]["CLK"] = [3]
    stats = pack_dsp_registers(net)
    assert stats.output == 0 and stats.input_a == 1


def test_pack_file_round_trip(tmp_path):
    path = tmp_path / "design.json"
    path.write_text(json.dumps(_netlist()))
    assert pack_file(path).output == 1
    assert json.loads(path.read_text())["modules"]["top"]["cells"]["mul"]["parameters"]["REG_OUTPUT_CLK"] == "CLK0"
