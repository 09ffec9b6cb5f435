"""Vivado export (ZCU102 and other UltraScale+ / 7-series parts): a project folder and an IP package.

``build_vivado(design_dir, board="zcu102")`` writes ``output_dir/build/<board>-vivado/``:

- ``rtl/*.v``: the network, unchanged; ``hdl/<project>_axis.v``: the AXI4-Stream /
  AXI4-Lite wrapper (:mod:`rtlnn.flows.axis_wrapper`), the top
- ``constraints/<project>_axis.xdc``: ``create_clock`` on ``aclk`` (period from report.json's
  ``clock_period_ns``, else the board clock)
- ``build.tcl``: creates the project for the part, packages the wrapper as an IP
  (``ipx::package_project``, AXI interfaces inferred and tied to ``aclk``), synthesizes and
  implements out of context (the AXI ports are block-design nets, not package pins), and
  writes ``reports/utilization.rpt``, ``reports/utilization_hier.rpt``,
  ``reports/timing_summary.rpt``; it stops with an error when a run fails
- ``README.md``: the one command, ``vivado -mode batch -source build.tcl``

When ``vivado`` is on PATH the flow runs it and reads LUT/FF/DSP/BRAM and WNS from the reports.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..boards import Board, get_board
from ..hw.emit import to_verilog
from ..ir import RtlnnError
from ..report import load_report
from .axis_wrapper import ADDR_WIDTH, REGISTERS, axis_wrapper_for, wrapper_module_name
from .plan import (BuildResult, design_sources, log_tail, missing_tools, missing_tools_message, record_build,
                   run_logged, write_plan)

__all__ = ["build_vivado", "write_vivado_plan", "parse_utilization", "parse_timing_summary", "TOOLCHAIN",
           "COMMAND", "REPORTS"]

TOOLCHAIN = "vivado"
COMMAND = "vivado -mode batch -source build.tcl"
IP_VENDOR, IP_LIBRARY, IP_VERSION = "rtlnn.org", "rtlnn", "1.0"
REPORTS = {"utilization": "reports/utilization.rpt", "utilization_hier": "reports/utilization_hier.rpt",
           "timing_summary": "reports/timing_summary.rpt"}


def _clock_period(report: dict, board: Board) -> float:
    period = report.get("clock_period_ns")
    if period is None:
        period = 1e9 / board.clock_hz
    period = float(period)
    if not period > 0:
        raise RtlnnError(f"vivado: clock period {period!r} ns must be positive (report.json clock_period_ns)")
    return period


def _tcl_list(items) -> str:
    return "\n".join(f"    {item} \\" for item in items)


def _build_tcl(*, project: str, network: str, part: str, top: str, sources: list[str], xdc: str, period: float,
               board: Board, regs_bytes: int) -> str:
    ip_name = top
    return f"""# rtlnn: Vivado project, IP package and out-of-context implementation of {top}
# for {board.title} ({part}). Run in this folder: {COMMAND}
set here [file dirname [file normalize [info script]]]
cd $here
file mkdir reports

create_project -force {project} ./vivado -part {part}
add_files -norecurse [list \\
{_tcl_list(sources)}
]
add_files -fileset constrs_1 -norecurse {xdc}
set_property top {top} [current_fileset]
update_compile_order -fileset sources_1

# ---- IP package: AXI4-Stream in/out + AXI4-Lite status, all on aclk / aresetn
ipx::package_project -root_dir ./ip -vendor {IP_VENDOR} -library {IP_LIBRARY} -taxonomy /UserIP -import_files -force
set core [ipx::current_core]
set_property name {ip_name} $core
set_property version {IP_VERSION} $core
set_property display_name {{rtlnn {network} (AXI4-Stream)}} $core
set_property description {{rtlnn network {network}: AXI4-Stream in/out, AXI4-Lite status registers}} $core
foreach busif {{s_axis m_axis s_axi}} {{
    if {{[llength [ipx::get_bus_interfaces $busif -of_objects $core]] == 0}} {{
        error "rtlnn: Vivado did not infer the $busif interface of {top}"
    }}
}}
ipx::associate_bus_interfaces -busif s_axis -clock aclk $core
ipx::associate_bus_interfaces -busif m_axis -clock aclk $core
ipx::associate_bus_interfaces -busif s_axi -clock aclk $core
ipx::associate_bus_interfaces -clock aclk -reset aresetn $core
if {{[llength [ipx::get_memory_maps s_axi -of_objects $core]] == 0}} {{
    ipx::add_memory_map s_axi $core
}}
set_property slave_memory_map_ref s_axi [ipx::get_bus_interfaces s_axi -of_objects $core]
set mmap [ipx::get_memory_maps s_axi -of_objects $core]
if {{[llength [ipx::get_address_blocks regs -of_objects $mmap]] == 0}} {{
    ipx::add_address_block regs $mmap
}}
set_property range {regs_bytes} [ipx::get_address_blocks regs -of_objects $mmap]
set_property width 32 [ipx::get_address_blocks regs -of_objects $mmap]
ipx::create_xgui_files $core
ipx::update_checksums $core
ipx::check_integrity $core
ipx::save_core $core
set_property ip_repo_paths [list $here/ip] [current_project]
update_ip_catalog

# ---- synthesis and implementation, out of context (the AXI ports are not package pins)
set_property -name {{STEPS.SYNTH_DESIGN.ARGS.MORE OPTIONS}} -value {{-mode out_of_context}} -objects [get_runs synth_1]
launch_runs synth_1 -jobs 4
wait_on_run synth_1
if {{[get_property PROGRESS [get_runs synth_1]] != "100%"}} {{
    error "rtlnn: synthesis of {top} failed; see vivado/{project}.runs/synth_1/runme.log"
}}
launch_runs impl_1 -jobs 4
wait_on_run impl_1
if {{[get_property PROGRESS [get_runs impl_1]] != "100%"}} {{
    error "rtlnn: implementation of {top} failed; see vivado/{project}.runs/impl_1/runme.log"
}}
open_run impl_1
report_utilization -file {REPORTS['utilization']}
report_utilization -hierarchical -file {REPORTS['utilization_hier']}
report_timing_summary -max_paths 10 -file {REPORTS['timing_summary']}
puts "rtlnn: reports written to $here/reports (clock period {period:g} ns); IP in $here/ip"
"""


def _xdc(period: float, top: str) -> str:
    return (f"# rtlnn: clock constraint for {top} ({1000 / period:.6g} MHz)\n"
            f"create_clock -period {period:.3f} -name aclk [get_ports aclk]\n")


def _readme(*, board: Board, report: dict, top: str, period: float, sources: list[str], wrapper) -> str:
    regs = "\n".join(f"| 0x{addr:02x} | {name} |" for name, addr in REGISTERS.items())
    src = "\n".join(f"- `{s}`" for s in sources)
    return f"""# {board.title}: Vivado project and IP for `{report['project']}`

Run, in this folder:

```sh
{COMMAND}
```

It creates the Vivado project for `{board.part}` in `vivado/`, packages the AXI wrapper
`{top}` as an IP in `ip/` ({IP_VENDOR}:{IP_LIBRARY}:{top}:{IP_VERSION}), synthesizes and implements it out of
context with a {period:g} ns clock on `aclk`, and writes:

- `{REPORTS['utilization']}` and `{REPORTS['utilization_hier']}` (`report_utilization`)
- `{REPORTS['timing_summary']}` (`report_timing_summary`)

`rtlnn build <design> --board {board.name} --toolchain vivado` runs this command itself when `vivado`
is on PATH and records LUT/FF/DSP/BRAM and WNS in the design's report.json (`builds`).

## The IP

Add `ip/` to a block design's IP repositories, then connect it to the Zynq MPSoC through an AXI DMA:
MM2S -> `s_axis`, `m_axis` -> S2MM, `s_axi` on an AXI interconnect from the PS.

- `s_axis`: one input vector per beat, TDATA {8 * wrapper.in_bytes} bits (`in_data`, {wrapper.in_width} bits,
  first element in the least significant bits, zero padding above)
- `m_axis`: one output vector per beat, TDATA {8 * wrapper.out_bytes} bits (`out_data`, {wrapper.out_width} bits),
  TLAST every FRAME_LEN vectors (default {wrapper.frame})
- `s_axi`: AXI4-Lite, 32-bit registers:

| offset | register |
| --- | --- |
{regs}

Network latency {report['latency_cycles']} cycles (+1 input register, +FIFO), one vector every {report['ii']} cycle(s).
Backpressure on `m_axis` never loses data: a {wrapper.depth}-entry output FIFO and credit-based input
throttling (`s_axis_tready` is low while {wrapper.depth} vectors are in flight or queued).

## Files

- `build.tcl`, `constraints/{top}.xdc`
- `hdl/{top}.v` (the wrapper, the top)
{src}
"""


def write_vivado_plan(design_dir, board="zcu102", *, frame: int = 1, dest=None) -> Path:
    """Write the Vivado project folder of ``design_dir`` (default ``build/<board>-vivado/``)."""
    design_dir = Path(design_dir)
    board = get_board(board)
    if board.vendor != "xilinx":
        raise RtlnnError(f"vivado builds Xilinx boards; {board.name} is a {board.vendor} board ({board.part}): "
                         "use --toolchain nextpnr-ecp5 for ECP5")
    report = load_report(design_dir)
    sources = design_sources(design_dir)
    top = wrapper_module_name(report["project"])
    wrapper = axis_wrapper_for(design_dir, frame=frame)
    period = _clock_period(report, board)
    files: dict[str, str] = dict(sources)
    hdl = f"hdl/{top}.v"
    files[hdl] = to_verilog(wrapper, top)
    xdc = f"constraints/{top}.xdc"
    files[xdc] = _xdc(period, top)
    all_sources = sorted(sources) + [hdl]
    project = f"rtlnn_{board.name.replace('-', '_')}"
    files["build.tcl"] = _build_tcl(project=project, network=report["project"], part=board.part, top=top,
                                    sources=all_sources, xdc=xdc, period=period, board=board,
                                    regs_bytes=1 << ADDR_WIDTH)
    files["README.md"] = _readme(board=board, report=report, top=top, period=period, sources=sorted(sources),
                                 wrapper=wrapper)
    files["plan.json"] = json.dumps({
        "board": board.name, "toolchain": TOOLCHAIN, "part": board.part, "top": top, "network": report["project"],
        "clock_period_ns": period, "sources": all_sources, "constraints": [xdc], "command": COMMAND,
        "reports": REPORTS, "ip": {"vendor": IP_VENDOR, "library": IP_LIBRARY, "name": top, "version": IP_VERSION},
        "axis": {"in_tdata_bits": 8 * wrapper.in_bytes, "out_tdata_bits": 8 * wrapper.out_bytes,
                 "fifo_depth": wrapper.depth, "frame": frame},
        "registers": REGISTERS,
    }, indent=1, sort_keys=True) + "\n"
    dest = Path(dest) if dest else design_dir / "build" / f"{board.name}-vivado"
    return write_plan(files, dest)


_UTIL_ROW = re.compile(r"^\|\s*(CLB LUTs|Slice LUTs|CLB Registers|Slice Registers|DSPs|Block RAM Tile|CARRY8|CARRY4)"
                       r"\*?\s*\|\s*([\d.]+)\s*\|", re.M)


def parse_utilization(text: str) -> dict:
    """LUT, FF, DSP, BRAM (36 Kbit tiles) and CARRY counts from ``report_utilization`` text."""
    names = {"CLB LUTs": "lut", "Slice LUTs": "lut", "CLB Registers": "ff", "Slice Registers": "ff", "DSPs": "dsp",
             "Block RAM Tile": "bram36", "CARRY8": "carry", "CARRY4": "carry"}
    out = {}
    for label, value in _UTIL_ROW.findall(text):
        key = names[label]
        if key not in out:
            out[key] = float(value) if "." in value else int(value)
    return out


def parse_timing_summary(text: str, period: float) -> dict:
    """WNS / TNS (ns) from ``report_timing_summary`` and the Fmax they imply for ``period``."""
    lines = text.splitlines()
    for k, line in enumerate(lines):
        if "WNS(ns)" in line and "TNS(ns)" in line:
            for row in lines[k + 1:k + 4]:
                nums = re.findall(r"-?\d+\.\d+|-?\d+", row)
                if len(nums) >= 2 and not set(row.strip()) <= {"-", " "}:
                    wns, tns = float(nums[0]), float(nums[1])
                    return {"wns_ns": wns, "tns_ns": tns, "met": wns >= 0, "clock_period_ns": period,
                            "fmax_mhz": round(1000.0 / (period - wns), 2) if period - wns > 0 else None}
    return {}


def build_vivado(design_dir, board="zcu102", *, frame: int = 1, run: bool = True, dest=None) -> BuildResult:
    """Write the plan; run ``vivado`` when it is on PATH (see the module doc)."""
    design_dir = Path(design_dir)
    b = get_board(board)
    plan_dir = write_vivado_plan(design_dir, b, frame=frame, dest=dest)
    meta = json.loads((plan_dir / "plan.json").read_text())
    result = BuildResult(board=b.name, toolchain=TOOLCHAIN, part=b.part, top=meta["top"], plan_dir=str(plan_dir),
                         command=COMMAND)
    missing = missing_tools(["vivado"])
    if missing:
        result.missing_tools = missing
        result.message = missing_tools_message(TOOLCHAIN, missing, plan_dir, COMMAND, install="Vivado")
    elif not run:
        result.message = f"{TOOLCHAIN}: project written to {plan_dir}; run `{COMMAND}` there"
    else:
        log = plan_dir / "vivado.log"
        ok, seconds = run_logged(["vivado", "-mode", "batch", "-nojournal", "-log", "vivado.log", "-source",
                                  "build.tcl"], plan_dir, plan_dir / "vivado.out")
        result.ran, result.passed, result.seconds = True, ok, round(seconds, 1)
        result.log = str(log if log.exists() else plan_dir / "vivado.out")
        util = plan_dir / REPORTS["utilization"]
        timing = plan_dir / REPORTS["timing_summary"]
        if util.exists():
            result.utilization = parse_utilization(util.read_text(errors="replace"))
        if timing.exists():
            result.timing = parse_timing_summary(timing.read_text(errors="replace"), meta["clock_period_ns"])
        result.message = (f"{TOOLCHAIN}: reports in {plan_dir / 'reports'}, IP in {plan_dir / 'ip'}" if ok else
                          f"{TOOLCHAIN}: the build failed; log {result.log}\n{log_tail(Path(result.log))}")
    record_build(design_dir, result)
    return result
