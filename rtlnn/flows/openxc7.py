"""Artix-7 bitstreams with open tools (openXC7: yosys + nextpnr-xilinx + prjxray), through Amaranth.

``build_openxc7(design_dir, board)`` puts the self-test wrapper (:mod:`rtlnn.hw.selftest`)
around the written network as the board's top — LEDs for pass / fail / done, the report
line on the board's USB UART — and lets Amaranth's own Xilinx platform
(``toolchain="Xray"``) produce the build plan: the top's Verilog, the network's ``rtl/*.v``,
the XDC (pins, I/O standards and a ``create_clock`` for the board clock) and the script
that runs yosys ``synth_xilinx``, nextpnr-xilinx, ``fasm2frames`` and ``xc7frames2bit``.
The plan goes to ``output_dir/build/<board>/`` with a README; when every tool is on PATH
(or ``AMARANTH_ENV_XRAY`` names an environment script) the script runs and the flow reads
utilization and Fmax from nextpnr's log.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from amaranth.hdl import Elaboratable, Module
from amaranth.lib import io

from ..boards import Board, get_board
from ..ir import RtlnnError
from ..report import load_report
from ..selftest import DEFAULT_BAUD, selftest_component
from .plan import (BuildResult, design_sources, log_tail, missing_tools, missing_tools_message, record_build,
                   run_logged, write_plan)

__all__ = ["build_openxc7", "write_openxc7_plan", "BoardSelfTestTop", "parse_nextpnr_log", "TOP_NAME",
           "TOOLCHAIN", "XRAY_TOOLS"]

TOOLCHAIN = "openxc7"
TOP_NAME = "rtlnn_board"
XRAY_TOOLS = ["yosys", "nextpnr-xilinx", "fasm2frames", "xc7frames2bit"]
SCRIPT = f"build_{TOP_NAME}.sh"
COMMAND = f"sh {SCRIPT}"
LED_ROLES = ("pass", "fail", "done")

# Appended to Amaranth's Xray XDC template: the board clock's period, for nextpnr-xilinx's timing.
_CLOCK_XDC = r"""
{% for port, frequency in platform.iter_port_clock_constraints() -%}
create_clock -period {{"%.3f"|format(1000000000/frequency)}} [get_ports {{port.name|tcl_quote}}]
{% endfor %}
"""


class BoardSelfTestTop(Elaboratable):
    """The board's top: the self-test wrapper, its LEDs on the board's first three LEDs
    (pass, fail, done) and its report line on the board's UART."""

    def __init__(self, selftest):
        self.selftest = selftest

    def elaborate(self, platform):
        m = Module()
        m.submodules.selftest = st = self.selftest
        for k, role in enumerate(LED_ROLES):
            m.submodules[f"led_{role}"] = led = io.Buffer("o", platform.request("led", k, dir="-"))
            m.d.comb += led.o.eq(getattr(st, f"led_{role}"))
        uart = platform.request("uart", 0, dir="-")
        m.submodules.uart_tx = tx = io.Buffer("o", uart.tx)
        m.d.comb += tx.o.eq(st.uart_tx)
        return m


def _with_clock_constraint(cls):
    """``cls`` with a ``create_clock`` line per clocked port added to its Xray XDC."""

    def file_templates(self):
        templates = dict(cls.file_templates.fget(self))
        if self.toolchain == "Xray":
            templates["{{name}}.xdc"] = templates["{{name}}.xdc"] + _CLOCK_XDC
        return templates

    return type(cls.__name__, (cls,), {"file_templates": property(file_templates), "__module__": cls.__module__})


def _data_platform_class(board: Board):
    """A platform built from the board file alone (used when amaranth-boards is not installed)."""
    from amaranth.vendor import XilinxPlatform

    from .. import boards as boards_module

    resources = boards_module.xilinx_resources(board)
    return type(f"{board.name.replace('-', '_')}_platform", (XilinxPlatform,), {
        "device": board.device, "package": board.package, "speed": board.speed,
        "default_clk": board.clock.get("name", "clk"), "default_rst": "rst" if board.reset else None,
        "resources": resources, "connectors": [],
    })


def board_platform(board: Board, toolchain: str = "Xray"):
    """The board's Amaranth platform for ``toolchain``, with the clock constraint in its XDC."""
    try:
        cls = board.platform_class()
    except RtlnnError as e:
        if "amaranth-boards" not in str(e):
            raise
        cls = _data_platform_class(board)
    return _with_clock_constraint(cls)(toolchain=toolchain)


def _check_board(board: Board) -> None:
    if board.vendor != "xilinx" or not board.part.lower().startswith("xc7"):
        raise RtlnnError(f"openxc7 builds Xilinx 7-series boards (Artix-7); {board.name} is a {board.family} board "
                         f"({board.part}): use --toolchain vivado for Zynq UltraScale+, nextpnr-ecp5 for ECP5")
    if len(board.leds) < len(LED_ROLES) or not board.uart:
        raise RtlnnError(f"board {board.name}: the self-test needs {len(LED_ROLES)} LEDs and a UART; "
                         f"its board file {board.path} gives {len(board.leds)} LEDs and "
                         f"{'a' if board.uart else 'no'} UART")


def _readme(board: Board, report: dict, plan_dir_name: str, meta: dict) -> str:
    sources = "\n".join(f"- `{s}`" for s in meta["sources"])
    return f"""# {board.title}: rtlnn self-test bitstream with openXC7

Network `{report['project']}` ({report['latency_cycles']} cycles latency, II {report['ii']}) inside the
self-test wrapper: {meta['n_vectors']} stored test vectors go through the network at full rate, every
output is compared with the emulator's, and the result shows on the board.

## Build

Needs the openXC7 tools on PATH: {', '.join(f'`{t}`' for t in XRAY_TOOLS)} (prjxray), plus the
nextpnr-xilinx chip database `{meta['xray_device']}.bin` and the prjxray database. Then, in this folder:

```sh
CHIPDB_DIR=/path/to/xilinx-chipdb DB_DIR=/path/to/prjxray-db {COMMAND}
```

(`CHIPDB_DIR` defaults to `/usr/share/nextpnr/xilinx-chipdb`, `DB_DIR` to `/usr/share/nextpnr/prjxray-db`;
an environment script named by `AMARANTH_ENV_XRAY` is sourced first.) The result is `{TOP_NAME}.bit`;
program it with e.g. `openFPGALoader -b <board> {TOP_NAME}.bit`.

`rtlnn build <design> --board {board.name} --toolchain openxc7` runs this script itself when the tools
are installed and records utilization and Fmax in the design's report.json (`builds`).

## Files

- `{SCRIPT}` (and `.bat`, `.json`): the commands, written by Amaranth's Xilinx platform (`toolchain="Xray"`)
- `{TOP_NAME}.v`: the board top (self-test wrapper with its ROMs, LEDs, UART)
- `{TOP_NAME}.xdc`: pins, I/O standards, and the {board.clock_mhz:g} MHz clock constraint
{sources}

Part `{meta['part']}` (prjxray part `{meta['xray_part']}`), top module `{TOP_NAME}`.

## On the board

- LED 0: PASS (every output matched, latency and cycle count as the generator says)
- LED 1: FAIL
- LED 2: done
- UART ({meta['baud']} baud, 8N1), repeated every second:
  `PASS n={meta['n_vectors']} lat={report['latency_cycles']} cycles={meta['total_cycles']} err=0`

Press the reset button to run the test again.
"""


def write_openxc7_plan(design_dir, board, *, n_vectors: int | None = None, baud: int = DEFAULT_BAUD,
                       dest=None) -> Path:
    """Write the openXC7 build plan of ``design_dir`` for ``board`` (default ``build/<board>/``)."""
    design_dir = Path(design_dir)
    board = get_board(board)
    _check_board(board)
    report = load_report(design_dir)
    sources = design_sources(design_dir)
    st = selftest_component(design_dir, n=n_vectors, clk_freq=board.clock_hz, baud=baud,
                            resend_cycles=board.clock_hz)
    platform = board_platform(board, "Xray")
    for name, text in sources.items():
        platform.add_file(name, text)
    plan = platform.build(BoardSelfTestTop(st), name=TOP_NAME, do_build=False, emit_src=False)
    files = dict(plan.files)
    meta = {
        "board": board.name, "toolchain": TOOLCHAIN, "part": board.part, "xray_part": platform._xray_part,
        "xray_device": platform._xray_device, "top": TOP_NAME, "network": report["project"],
        "clock_hz": board.clock_hz, "n_vectors": st.n, "baud": baud, "latency_cycles": st.latency, "ii": st.ii,
        "total_cycles": st.total_cycles, "sources": sorted(sources), "script": SCRIPT, "command": COMMAND,
        "tools": XRAY_TOOLS, "leds": dict(zip(LED_ROLES, board.leds)), "uart_tx": board.uart["tx"],
    }
    dest = Path(dest) if dest else design_dir / "build" / board.name
    files["README.md"] = _readme(board, report, dest.name, meta)
    files["plan.json"] = json.dumps(meta, indent=1, sort_keys=True) + "\n"
    return write_plan(files, dest)


_UTIL = re.compile(r"^Info:\s+([A-Za-z0-9_]+):\s+(\d+)\s*/\s*(\d+)\s+(\d+)%", re.M)
_FMAX = re.compile(r"Max frequency for clock\s+'([^']+)':\s+([\d.]+)\s+MHz(?:\s+\((PASS|FAIL) at\s+([\d.]+)\s+MHz\))?")


def parse_nextpnr_log(text: str) -> tuple[dict, dict]:
    """(utilization, timing) from a nextpnr log: the last device-utilisation table and the
    last (post-route) Fmax of each clock."""
    utilization = {}
    for bel, used, total, _ in _UTIL.findall(text):
        utilization[bel] = {"used": int(used), "available": int(total)}
    timing = {}
    for clock, mhz, verdict, target in _FMAX.findall(text):
        entry = {"fmax_mhz": float(mhz)}
        if verdict:
            entry.update(met=verdict == "PASS", target_mhz=float(target))
        timing[clock] = entry
    return utilization, timing


def _flatten(utilization: dict, timing: dict) -> tuple[dict, dict]:
    util = {k: v["used"] for k, v in utilization.items()}
    tim = {}
    for clock, e in timing.items():
        tim[f"fmax_mhz[{clock}]"] = e["fmax_mhz"]
        if "met" in e:
            tim[f"met[{clock}]"] = e["met"]
    return util, tim


def build_openxc7(design_dir, board, *, n_vectors: int | None = None, baud: int = DEFAULT_BAUD,
                  run: bool = True, dest=None) -> BuildResult:
    """Write the plan; run it when the openXC7 tools are installed (see the module doc)."""
    design_dir = Path(design_dir)
    b = get_board(board)
    plan_dir = write_openxc7_plan(design_dir, b, n_vectors=n_vectors, baud=baud, dest=dest)
    result = BuildResult(board=b.name, toolchain=TOOLCHAIN, part=b.part, top=TOP_NAME, plan_dir=str(plan_dir),
                         command=COMMAND)
    env_script = os.environ.get("AMARANTH_ENV_XRAY")
    missing = [] if env_script else missing_tools(XRAY_TOOLS)
    if missing:
        result.missing_tools = missing
        result.message = missing_tools_message(TOOLCHAIN, missing, plan_dir, COMMAND,
                                               install="openXC7 (yosys, nextpnr-xilinx, prjxray)")
    elif not run:
        result.message = f"{TOOLCHAIN}: build plan written to {plan_dir}; run `{COMMAND}` there"
    else:
        log = plan_dir / "build.log"
        ok, seconds = run_logged(["sh", SCRIPT], plan_dir, log)
        utilization, timing = parse_nextpnr_log(log.read_text(errors="replace"))
        result.utilization, result.timing = _flatten(utilization, timing)
        result.ran, result.passed, result.seconds, result.log = True, ok, round(seconds, 1), str(log)
        if ok:
            result.message = f"{TOOLCHAIN}: {plan_dir / (TOP_NAME + '.bit')} built in {seconds:.0f} s"
        else:
            result.message = (f"{TOOLCHAIN}: the build failed; plan and log in {plan_dir}\n{log_tail(log)}")
    record_build(design_dir, result)
    return result
