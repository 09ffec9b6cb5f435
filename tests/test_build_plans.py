"""Board build plans: openXC7 (Artix-7 boards, self-test top) and Vivado (ZCU102, AXI IP).

Checks what the plans hold (part, top, constraints, every source, report commands), that
the same design gives the same bytes, that a missing tool gives one clear message and
leaves the plan, that a present tool is run and its figures read (with stand-in tools),
and that the AXI wrapper streams every vector through under backpressure."""

from __future__ import annotations

import json
import os
import shutil
import stat
import textwrap
from pathlib import Path

import pytest

from rtlnn.cli import main
from rtlnn.config import config_from_graph
from rtlnn.flows.axis_wrapper import REGISTERS, simulate_axis_wrapper
from rtlnn.flows.openxc7 import XRAY_TOOLS, build_openxc7, parse_nextpnr_log, write_openxc7_plan
from rtlnn.flows.vivado import build_vivado, parse_timing_summary, parse_utilization, write_vivado_plan
from rtlnn.ir import RtlnnError
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes

from graphs import make_mlp

ARTIX_BOARDS = {  # board -> (prjxray part, chipdb device, LED pins)
    "arty-a7-35": ("xc7a35tcsg324-1", "xc7a35t", ("H5", "J5", "T9")),
    "arty-a7-100": ("xc7a100tcsg324-1", "xc7a100t", ("H5", "J5", "T9")),
    "basys3": ("xc7a35tcpg236-1", "xc7a35t", ("U16", "E19", "U19")),
    "nexys-a7-100t": ("xc7a100tcsg324-1", "xc7a100t", ("H17", "K15", "J13")),
}
needs_icarus = pytest.mark.skipif(shutil.which("iverilog") is None, reason="Icarus Verilog not installed")


def _write(folder: Path, *, reuse=1, n_vectors=16, sizes=(4, 3, 2)) -> Path:
    g = make_mlp(list(sizes), seed=5)
    cfg = config_from_graph(g, default_precision="fixed<8,3>", default_reuse_factor=reuse)
    return RtlnnModel(run_passes(g, cfg), cfg, folder).write(n_vectors=n_vectors)


@pytest.fixture(scope="module")
def design(tmp_path_factory):
    return _write(tmp_path_factory.mktemp("plans") / "prj")


@pytest.fixture
def no_tools(monkeypatch, tmp_path):
    """PATH without any FPGA tool."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("AMARANTH_ENV_XRAY", raising=False)
    for tool in XRAY_TOOLS + ["vivado"]:
        monkeypatch.delenv(tool.upper().replace("-", "_"), raising=False)


def _fake_tools(monkeypatch, folder: Path, scripts: dict[str, str]) -> None:
    folder.mkdir(exist_ok=True)
    for name, body in scripts.items():
        path = folder / name
        path.write_text("#!/bin/sh\n" + textwrap.dedent(body))
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}/usr/bin{os.pathsep}/bin")
    monkeypatch.delenv("AMARANTH_ENV_XRAY", raising=False)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------------------- openXC7


@pytest.mark.parametrize("board", sorted(ARTIX_BOARDS))
def test_openxc7_plan_contents(design, tmp_path, board):
    xray_part, device, leds = ARTIX_BOARDS[board]
    plan = write_openxc7_plan(design, board, n_vectors=8, dest=tmp_path / board)
    script = (plan / "build_rtlnn_board.sh").read_text()
    assert "synth_xilinx" in script and "-top rtlnn_board" in script
    assert f"--chipdb $CHIPDB_DIR/{device}.bin" in script and "--xdc rtlnn_board.xdc" in script
    assert f"--part {xray_part}" in script and "--output_file rtlnn_board.bit" in script
    sources = sorted(p.name for p in (design / "rtl").glob("*.v"))
    for name in sources:  # every written source is in the plan and on yosys's command line
        assert f"rtl/{name}" in script
        assert (plan / "rtl" / name).read_bytes() == (design / "rtl" / name).read_bytes()
    assert "module rtlnn_board(" in (plan / "rtlnn_board.v").read_text()
    assert "rtlnn_top core" in (plan / "rtlnn_board.v").read_text()  # the network, instantiated by name
    xdc = (plan / "rtlnn_board.xdc").read_text()
    assert "create_clock -period 10.000" in xdc
    for pin in leds:
        assert f"set_property LOC {pin} " in xdc
    meta = json.loads((plan / "plan.json").read_text())
    assert meta["top"] == "rtlnn_board" and meta["xray_part"] == xray_part and meta["n_vectors"] == 8
    assert meta["sources"] == [f"rtl/{s}" for s in sources]
    readme = (plan / "README.md").read_text()
    assert "sh build_rtlnn_board.sh" in readme and "PASS n=8" in readme


def test_openxc7_plan_is_deterministic(design, tmp_path):
    a = write_openxc7_plan(design, "arty-a7-35", dest=tmp_path / "a")
    b = write_openxc7_plan(design, "arty-a7-35", dest=tmp_path / "b")
    assert _files(a) == _files(b)
    assert os.access(a / "build_rtlnn_board.sh", os.X_OK)


def test_openxc7_missing_tools_message_and_plan_stays(design, no_tools, capsys):
    result = build_openxc7(design, "arty-a7-35", n_vectors=8)
    assert not result.ran and result.missing_tools == XRAY_TOOLS
    plan = Path(result.plan_dir)
    assert plan == design / "build" / "arty-a7-35"
    assert "nextpnr-xilinx" in result.message and str(plan) in result.message
    assert "sh build_rtlnn_board.sh" in result.message
    for name in ("build_rtlnn_board.sh", "rtlnn_board.v", "rtlnn_board.xdc", "README.md", "plan.json"):
        assert (plan / name).is_file()
    report = json.loads((design / "report.json").read_text())
    assert report["builds"]["arty-a7-35/openxc7"]["missing_tools"] == XRAY_TOOLS
    # the command line: one clear line, exit status 3, plan still there
    assert main(["build", str(design), "--board", "arty-a7-35", "--selftest", "8"]) == 3
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "not on PATH" in out[0]
    assert (plan / "build_rtlnn_board.sh").is_file()


NEXTPNR_LOG = """\
Info: Device utilisation:
Info: \t         SLICE_LUTX:   412/ 41600     0%
Info: \t          SLICE_FFX:   380/ 41600     0%
Info: \t            DSP48E1:     6/    90     6%
Info: Max frequency for clock 'clk': 120.50 MHz (PASS at 100.00 MHz)
Info: Device utilisation:
Info: \t         SLICE_LUTX:   415/ 41600     0%
Info: \t          SLICE_FFX:   380/ 41600     0%
Info: \t            DSP48E1:     6/    90     6%
Info: Max frequency for clock 'clk': 131.22 MHz (PASS at 100.00 MHz)
"""


def test_parse_nextpnr_log_takes_the_last_figures():
    util, timing = parse_nextpnr_log(NEXTPNR_LOG)
    assert util["SLICE_LUTX"] == {"used": 415, "available": 41600}
    assert util["DSP48E1"]["used"] == 6
    assert timing == {"clk": {"fmax_mhz": 131.22, "met": True, "target_mhz": 100.0}}


def test_openxc7_runs_present_tools_and_reads_their_figures(design, tmp_path, monkeypatch):
    log = tmp_path / "nextpnr.log"
    log.write_text(NEXTPNR_LOG)
    _fake_tools(monkeypatch, tmp_path / "bin", {
        "yosys": 'echo "yosys $*"\n',
        "nextpnr-xilinx": f'cat "{log}"\n',
        "fasm2frames": "echo frames\n",
        "xc7frames2bit": 'while [ $# -gt 0 ]; do [ "$1" = --output_file ] && touch "$2"; shift; done\n',
    })
    result = build_openxc7(design, "basys3", n_vectors=8)
    assert result.ran and result.passed, result.message
    assert result.utilization["SLICE_LUTX"] == 415
    assert result.timing["fmax_mhz[clk]"] == 131.22 and result.timing["met[clk]"] is True
    assert (Path(result.plan_dir) / "rtlnn_board.bit").is_file()


def test_openxc7_tool_failure_keeps_plan_and_log(design, tmp_path, monkeypatch):
    _fake_tools(monkeypatch, tmp_path / "bin", {
        "yosys": "echo ok\n", "nextpnr-xilinx": 'echo "ERROR: chipdb not found" >&2; exit 1\n',
        "fasm2frames": "exit 0\n", "xc7frames2bit": "exit 0\n",
    })
    result = build_openxc7(design, "arty-a7-100", n_vectors=8)
    assert result.ran and result.passed is False
    assert "chipdb not found" in result.message
    assert (Path(result.plan_dir) / "build_rtlnn_board.sh").is_file()


def test_openxc7_rejects_non_artix_board(design):
    with pytest.raises(RtlnnError, match="--toolchain vivado"):
        write_openxc7_plan(design, "zcu102")


# ---------------------------------------------------------------------------- Vivado


def test_vivado_plan_contents(design, tmp_path):
    plan = write_vivado_plan(design, "zcu102", dest=tmp_path / "v")
    tcl = (plan / "build.tcl").read_text()
    assert "create_project -force rtlnn_zcu102 ./vivado -part xczu9eg-ffvb1156-2-e" in tcl
    assert "set_property top rtlnn_top_axis [current_fileset]" in tcl
    for name in sorted(p.name for p in (design / "rtl").glob("*.v")):
        assert f"rtl/{name} \\" in tcl
        assert (plan / "rtl" / name).read_bytes() == (design / "rtl" / name).read_bytes()
    assert "hdl/rtlnn_top_axis.v \\" in tcl
    for command in ("ipx::package_project", "launch_runs synth_1", "launch_runs impl_1",
                    "report_utilization -file reports/utilization.rpt",
                    "report_timing_summary -max_paths 10 -file reports/timing_summary.rpt", "-mode out_of_context",
                    "ipx::associate_bus_interfaces -busif s_axis -clock aclk"):
        assert command in tcl
    xdc = (plan / "constraints" / "rtlnn_top_axis.xdc").read_text()
    assert "create_clock -period 5.000 -name aclk [get_ports aclk]" in xdc  # report.json clock_period_ns
    wrapper = (plan / "hdl" / "rtlnn_top_axis.v").read_text()
    for port in ("s_axis_tdata", "s_axis_tready", "m_axis_tlast", "s_axi_araddr", "s_axi_rdata", "aresetn"):
        assert port in wrapper
    assert "vivado -mode batch -source build.tcl" in (plan / "README.md").read_text()
    meta = json.loads((plan / "plan.json").read_text())
    assert meta["part"] == "xczu9eg-ffvb1156-2-e" and meta["registers"] == REGISTERS


def test_vivado_plan_is_deterministic(design, tmp_path):
    a = write_vivado_plan(design, "zcu102", dest=tmp_path / "a")
    b = write_vivado_plan(design, "zcu102", dest=tmp_path / "b")
    assert _files(a) == _files(b)


def test_vivado_missing_message_and_plan_stays(design, no_tools):
    result = build_vivado(design, "zcu102")
    assert not result.ran and result.missing_tools == ["vivado"]
    assert "vivado -mode batch -source build.tcl" in result.message and result.plan_dir in result.message
    assert (Path(result.plan_dir) / "build.tcl").is_file()
    assert main(["build", str(design), "--board", "zcu102", "--toolchain", "vivado", "--selftest", "4"]) == 2


UTIL_RPT = """\
+----------------------------+------+-------+------------+-----------+-------+
|          Site Type         | Used | Fixed | Prohibited | Available | Util% |
+----------------------------+------+-------+------------+-----------+-------+
| CLB LUTs*                  |  530 |     0 |          0 |    274080 |  0.19 |
| CLB Registers              |  612 |     0 |          0 |    548160 |  0.11 |
| CARRY8                     |   21 |     0 |          0 |     34260 |  0.06 |
| Block RAM Tile             |  0.5 |     0 |          0 |       912 |  0.05 |
| DSPs                       |    6 |     0 |          0 |      2520 |  0.24 |
"""
TIMING_RPT = """\
Design Timing Summary
---------------------

    WNS(ns)      TNS(ns)  TNS Failing Endpoints  TNS Total Endpoints      WHS(ns)
    -------      -------  ---------------------  -------------------      -------
      1.234        0.000                      0                 1200        0.030
"""


def test_vivado_report_parsers():
    assert parse_utilization(UTIL_RPT) == {"lut": 530, "ff": 612, "carry": 21, "bram36": 0.5, "dsp": 6}
    t = parse_timing_summary(TIMING_RPT, 5.0)
    assert t["wns_ns"] == 1.234 and t["met"] and t["fmax_mhz"] == round(1000 / (5.0 - 1.234), 2)


def test_vivado_runs_when_present(design, tmp_path, monkeypatch):
    (tmp_path / "util.rpt").write_text(UTIL_RPT)
    (tmp_path / "timing.rpt").write_text(TIMING_RPT)
    _fake_tools(monkeypatch, tmp_path / "bin", {"vivado": f"""\
        mkdir -p reports
        cp "{tmp_path / 'util.rpt'}" reports/utilization.rpt
        cp "{tmp_path / 'timing.rpt'}" reports/timing_summary.rpt
        echo "vivado $*" > vivado.log
    """})
    result = build_vivado(design, "zcu102")
    assert result.ran and result.passed, result.message
    assert result.utilization["dsp"] == 6 and result.timing["met"] is True
    assert "-source build.tcl" in Path(result.log).read_text()


# ---------------------------------------------------------------------------- AXI wrapper bench


@needs_icarus
@pytest.mark.parametrize("reuse", [1, 2])
def test_axis_wrapper_backpressure_loses_nothing(tmp_path, reuse):
    folder = _write(tmp_path / "axis", reuse=reuse, n_vectors=40)
    r = simulate_axis_wrapper(folder, frame=3, ready_probability=0.3, simulator="icarus", seed=reuse)
    assert r.passed, r.errors
    assert r.outputs_received == 40 and r.mismatches == 0 and r.tlast_errors == 0
    assert r.backpressure_cycles > 0  # the output really was held back
    assert r.full_rate_spacing == reuse  # with TREADY high: one vector every II cycles
    regs = r.registers
    assert regs["ID"] == 0x72746E6E and regs["VECTORS_IN"] == regs["VECTORS_OUT"] == 40
    assert regs["FRAME_LEN"] == 3 and regs["STATUS"] & 1 == 0
