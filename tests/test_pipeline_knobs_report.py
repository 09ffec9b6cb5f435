"""`rtlnn report` prints what was measured: synthesis per layer and in total (% of the part) and
the place-and-route timing (Fmax, latency in ns), when report.json holds them."""

from __future__ import annotations

import json

from rtlnn.cli import main
from rtlnn.report import format_report, format_timing


def _counts(lut, ff, dsp, **extra):
    return {"lut": lut, "lut_equivalent": lut + 55 * dsp, "ff": ff, "dsp": dsp, "bram18": 0, "bram36": 0,
            "carry": 3, **extra}


REPORT = {
    "project": "net", "part": "xc7a35tcpg236-1", "io_type": "io_parallel", "latency_cycles": 7, "latency_ns": 35.0,
    "clock_period_ns": 5.0, "ii": 1, "multipliers": 12,
    "layers": [{"name": "fc1", "kind": "Dense", "output_shape": [4], "precision": {"result": "fixed<8,3>"},
                "reuse_factor": 1, "multipliers": 12, "latency_cycles": 7, "ii": 1,
                "pipeline": {"multiplier_registers": 2, "adder_levels_per_stage": 2}}],
    "synthesis": {
        "tool": "yosys 0.70", "command": "synth_xilinx -family xc7 -top fc1", "part": "xc7a35tcpg236-1",
        "board": "arty-a7-35", "seconds": 4.2, "cached": False, "multipliers": 12,
        "layers": [{"name": "fc1", "kind": "Dense", "multipliers": 12, **_counts(812, 301, 12), "seconds": 4.0}],
        "glue": _counts(0, 20, 0), "total": _counts(812, 321, 12),
        "resources": {"lut": 20800, "ff": 41600, "dsp": 90, "bram18": 100},
        "utilization": {"lut": 3.9, "ff": 0.8, "dsp": 13.3, "bram": 0.0}, "fits": True, "advice": None},
    "timing": {"board": "ulx3s-85f", "part": "LFE5U-85F-6BG381C", "fmax_mhz": 171.3, "freq_target_mhz": 150.0,
               "timing_met": True, "latency_cycles": 7, "latency_ns": 40.86, "ii": 1, "throughput_msps": 171.3,
               "utilization": {"TRELLIS_COMB": {"used": 836, "available": 83640},
                               "MULT18X18D": {"used": 12, "available": 156}},
               "dsp_packing": {"dsps": 12, "input_a": 12, "input_b": 12, "output": 12}},
}


def test_report_prints_synthesis_and_timing():
    text = format_report(REPORT)
    assert "m2/a2" in text
    assert "utilization of xc7a35tcpg236-1: LUT 3.9% of 20800" in text and "fits" in text
    lines = text.splitlines()
    total = [line for line in lines if line.startswith("total")][0].split()
    assert total[1:6] == ["12", "812", "1472", "321", "12"]  # mult, LUT, LUT-eq, FF, DSP
    assert ("timing: ulx3s-85f (LFE5U-85F-6BG381C), place and route: Fmax 171.3 MHz (target 150 MHz, met); "
            "latency 7 cycles = 40.9 ns") in text
    assert "LUT4 836 / 83,640 (1.0%)" in text and "DSP 12 / 156 (7.7%)" in text
    assert "DSP registers packed: input A 12, B 12, output 12 of 12 blocks" in text


def test_report_without_measurements_has_no_sections():
    bare = {k: v for k, v in REPORT.items() if k not in ("synthesis", "timing")}
    text = format_report(bare)
    assert "synthesis" not in text and "timing:" not in text
    assert format_timing({**REPORT["timing"], "timing_met": False}).count("NOT met") == 1


def test_cli_report_shows_them(tmp_path, capsys):
    (tmp_path / "report.json").write_text(json.dumps(REPORT))
    assert main(["report", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Fmax 171.3 MHz" in out and "utilization of xc7a35tcpg236-1" in out
