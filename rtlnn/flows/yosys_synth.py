"""Synthesis report: Yosys ``synth_xilinx`` (or ``synth_ecp5``) on a written design, per layer and in total.

How the network is cut.  Each layer's Verilog file is synthesized alone with ``-top`` its
module (flattened inside, out of context: no I/O or clock buffers), and the top is
synthesized once with every layer module read as a black box (``read_verilog -lib``), so
its own cells are the glue between layers (delay lines, output registers).  The network
total is the sum of those runs: per-layer figures add up to the total by construction,
every cell belongs to exactly one row, and each run is cached on its own, so changing one
layer's reuse factor re-synthesizes that layer only, and the runs go in parallel.  The
price is that Yosys does not optimize across layer boundaries (as a tool does after
flattening the whole network) — the same choice as an out-of-context, per-module flow.

Caching: a run is keyed by the SHA-256 of its Verilog, the synthesis command, the part
family, the recipe and the Yosys build; results live in ``$RTLNN_CACHE_DIR/synth`` or
``~/.cache/rtlnn/synth``.  A report whose every run came from the cache says
``cached: true``.  Two designs that share a layer (the same Verilog) share its run:
:func:`design_jobs` lists a design's runs by key, so a sweep (:mod:`rtlnn.explore`) runs
the distinct ones of all its points once, in parallel, and then reads each point from the cache.

Recipes.  ``full`` (the default) is the family's synthesis command as Yosys ships it.
``fast`` is the same command with ABC9's LUT-mapping script cut to :data:`FAST_ABC9_SCRIPT`
(structural hashing, sweeping, one ``&dc2`` rewrite, ``&if`` mapping with the same wire delay),
dropping the default script's ``&scorr``/``&dch``/``&mfs`` optimizations, which take most of the
time on multiplier-heavy layers; everything else (DSP and carry mapping, FF and BRAM
inference) is unchanged, so DSP, BRAM and FF counts are equal and LUT counts close (figures in
the README).  Meant for exploration, where the points are compared with each other.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..boards import Board, get_board, part_resources, yosys_family
from ..ir import RtlnnError
from ..report import load_report, store_section
from .cells import add_counts, count_resources, stat_cells
from .fit import fit_advice, utilization
from .yowasp import find_tool, run_tool

__all__ = ["synthesize", "SynthesisReport", "format_synthesis", "synth_command", "cache_dir", "design_modules",
           "RECIPE_VERSION", "RECIPES", "FAST_ABC9_SCRIPT", "synth_script", "design_jobs", "run_job"]

#: Bumped whenever the synthesis recipe or the parsing changes, so old cache entries are not reused.
RECIPE_VERSION = 1
#: ``full``: the synthesis command as Yosys ships it; ``fast``: the same with a lean ABC9 script.
RECIPES = ("full", "fast")
#: ABC9's script in the ``fast`` recipe (Yosys substitutes ``{W}``, the family's wire delay).
FAST_ABC9_SCRIPT = "+&st;&sweep;&dc2;&if,{W},-v"


def synth_command(family: str, top: str) -> str:
    """The Yosys synthesis command for ``family`` (xc7, xcu, xcup, ecp5)."""
    if family == "ecp5":
        return f"synth_ecp5 -top {top} -noiopad"
    return f"synth_xilinx -family {family} -top {top} -flatten -noiopad -noclkbuf"


def synth_script(family: str, top: str, recipe: str = "full") -> list[str]:
    """The Yosys commands that synthesize ``top`` (after reading the sources) in ``recipe``."""
    if recipe not in RECIPES:
        raise RtlnnError(f"synthesis recipe {recipe!r} is not one of {', '.join(RECIPES)}")
    lines = [f'scratchpad -set abc9.script "{FAST_ABC9_SCRIPT}"'] if recipe == "fast" else []
    return lines + [synth_command(family, top)]


def cache_dir() -> Path:
    env = os.environ.get("RTLNN_CACHE_DIR")
    return (Path(env).expanduser() if env else Path.home() / ".cache" / "rtlnn") / "synth"


@dataclass
class _Job:
    name: str  # layer name, or "(glue)" for the top's own cells
    kind: str
    module: str
    sources: dict  # file name -> Verilog text, synthesized
    blackboxes: dict = field(default_factory=dict)  # file name -> Verilog text, read as black boxes


@dataclass
class SynthesisReport:
    """What Yosys made of a design: totals, per layer, glue, utilization and the fit verdict."""

    part: str
    board: str | None
    family: str
    tool: str
    command: str
    total: dict
    layers: list
    glue: dict
    resources: dict | None
    utilization: dict | None
    fits: bool | None
    advice: str | None
    multipliers: int
    seconds: float
    cached: bool
    method: str = "per-module"
    recipe: str = "full"

    def to_dict(self) -> dict:
        return {"tool": self.tool, "command": self.command, "recipe": self.recipe, "method": self.method,
                "part": self.part,
                "board": self.board, "family": self.family, "total": self.total, "layers": self.layers,
                "glue": self.glue, "resources": self.resources, "utilization": self.utilization, "fits": self.fits,
                "advice": self.advice, "multipliers": self.multipliers, "seconds": round(self.seconds, 2),
                "cached": self.cached, "recipe_version": RECIPE_VERSION}

    def summary(self) -> str:
        return format_synthesis(self.to_dict())


def format_synthesis(s: dict) -> str:
    """A plain-text table of a ``synthesis`` section."""
    lines = [f"synthesis: {s['tool']} `{s['command'].split(' -top')[0]}` for {s['part']}"
             + (f" ({s['board']})" if s.get("board") else "")
             + f", {s['seconds']:.1f} s" + (" (cached)" if s.get("cached") else "")]
    header = ("layer", "kind", "mult", "LUT", "LUT-eq", "FF", "DSP", "BRAM18", "BRAM36", "CARRY", "s")
    rows = [header]

    def row(e, name, kind):
        return (name, kind, str(e.get("multipliers", "")), str(e["lut"]), str(e["lut_equivalent"]), str(e["ff"]),
                str(e["dsp"]), str(e["bram18"]), str(e["bram36"]), str(e["carry"]),
                f"{e.get('seconds', 0):.1f}" + ("*" if e.get("cached") else ""))
    for e in s["layers"]:
        rows.append(row(e, e["name"], e["kind"]))
    rows.append(row(s["glue"], "(glue)", "top"))
    rows.append(row({**s["total"], "multipliers": s["multipliers"], "seconds": s["seconds"], "cached": s["cached"]},
                    "total", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for k, r in enumerate(rows):
        if k == len(rows) - 1:
            lines.append("  ".join("-" * w for w in widths))
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    util = s.get("utilization")
    if util:
        res = s["resources"]
        lines.append(f"utilization of {s['part']}: LUT {util['lut']:.1f}% of {res['lut']}, FF {util['ff']:.1f}% of "
                     f"{res['ff']}, DSP {util['dsp']:.1f}% of {res['dsp']}, BRAM {util['bram']:.1f}% of "
                     f"{res['bram18']} x 18 Kbit -> " + ("fits" if s["fits"] else "DOES NOT FIT"))
    else:
        lines.append(f"utilization: part {s['part']} is not on a known board; pass --board for percentages")
    if s.get("advice"):
        lines.append(s["advice"])
    lines.append("(* = from the cache; DSP vs the generator's multipliers: "
                 f"{s['total']['dsp']} / {s['multipliers']})")
    return "\n".join(lines)


def design_modules(design_dir: Path, report: dict) -> tuple[str, list[tuple[str, str, str]]]:
    """The top module and ``[(layer name, kind, module)]`` of a written design, from rtl/ and report.json."""
    from ..hw.emit import verilog_name

    rtl = design_dir / "rtl"
    top = report["project"]
    if not (rtl / f"{top}.v").is_file():
        raise RtlnnError(f"{rtl} has no {top}.v (the top named in report.json); run `rtlnn convert` again")
    files = {p.stem for p in rtl.glob("*.v")} - {top}
    layers = []
    for layer in report["layers"]:
        module = verilog_name(f"{top}_{layer['name']}")
        if module in files:
            layers.append((layer["name"], layer["kind"], module))
            files.discard(module)
    for module in sorted(files):  # a module no layer name maps to (renamed to stay unique)
        layers.append((module, "module", module))
    return top, layers


def _key(job: _Job, family: str, tool_version: str, recipe: str = "full") -> str:
    h = hashlib.sha256()
    for part in (f"rtlnn-synth-{RECIPE_VERSION}", tool_version, family, job.module, synth_command(family, job.module)):
        h.update(part.encode() + b"\0")
    if recipe != "full":  # (full-recipe keys are those of the versions before recipes existed)
        h.update("\n".join(synth_script(family, job.module, recipe)).encode() + b"\0")
    for group in (job.sources, job.blackboxes):
        for name in sorted(group):
            h.update(name.encode() + b"\0" + group[name].encode() + b"\0")
        h.update(b"\1")
    return h.hexdigest()


def run_job(job: _Job, family: str, recipe: str = "full", cache_root=None) -> dict:
    """One Yosys run of :func:`design_jobs`, cached (in ``cache_root`` instead of :func:`cache_dir`
    if given): its resource counts, ``seconds`` and ``cached``."""
    return _run_job(job, family, Path(cache_root) if cache_root else cache_dir(), None, recipe)


def _run_job(job: _Job, family: str, cache: Path | None, keep_dir: Path | None, recipe: str = "full") -> dict:
    tool = find_tool("yosys")
    key = _key(job, family, tool.version, recipe)
    entry_path = cache / f"{key}.json" if cache else None
    if entry_path and entry_path.is_file():
        try:
            entry = json.loads(entry_path.read_text())
            return {**entry, "cached": True}
        except json.JSONDecodeError:
            pass  # a torn entry: synthesize again
    work = Path(tempfile.mkdtemp(prefix=f"rtlnn-synth-{job.module}-"))
    try:
        lines = []
        for name, text in sorted(job.blackboxes.items()):
            (work / name).write_text(text)
            lines.append(f"read_verilog -lib {name}")
        for name, text in sorted(job.sources.items()):
            (work / name).write_text(text)
            lines.append(f"read_verilog {name}")
        lines += [*synth_script(family, job.module, recipe), "tee -q -o stat.json stat -json"]
        (work / "synth.ys").write_text("\n".join(lines) + "\n")
        seconds = run_tool("yosys", ["-q", "-l", "yosys.log", "-s", "synth.ys"], cwd=work, log=work / "stdout.log")
        cells = stat_cells(work / "stat.json")
        blackbox_modules = {Path(n).stem for n in job.blackboxes}
        cells = {k: v for k, v in cells.items() if k not in blackbox_modules}
        entry = {**count_resources(cells, family), "seconds": round(seconds, 2)}
        if keep_dir is not None:
            keep_dir.mkdir(parents=True, exist_ok=True)
            shutil.copy(work / "yosys.log", keep_dir / f"{job.module}.log")
        if entry_path:
            entry_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = entry_path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(entry))
            tmp.replace(entry_path)
        return {**entry, "cached": False}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _resolve_target(report: dict, part: str | None, board) -> tuple[str, Board | None, Board | None]:
    """(part, the board asked for, the board whose resources are the part's)."""
    if board:
        b = get_board(board)
        if part and part.lower() != b.part.lower():
            raise RtlnnError(f"--part {part} and --board {b.name} (part {b.part}) disagree; give one of them")
        return b.part, b, b
    part = part or report.get("part")
    if not part:
        raise RtlnnError("no part: pass --part or --board (report.json names none)")
    return part, None, part_resources(part)


def _plan(design_dir: Path, report: dict) -> tuple[str, list[_Job], _Job]:
    """The top module, one job per layer module, and the glue job of a written design."""
    top, modules = design_modules(design_dir, report)
    rtl = design_dir / "rtl"
    texts = {p.name: p.read_text() for p in rtl.glob("*.v")}
    job_list = [_Job(name, kind, module, {f"{module}.v": texts[f"{module}.v"]}) for name, kind, module in modules]
    glue_job = _Job("(glue)", "top", top, {f"{top}.v": texts[f"{top}.v"]},
                    {f"{m}.v": texts[f"{m}.v"] for _, _, m in modules})
    return top, job_list, glue_job


def design_jobs(design_dir, *, part: str | None = None, board=None, recipe: str = "full") -> list[tuple]:
    """``[(cache key, job, family, recipe, size)]``: the Yosys runs :func:`synthesize` makes for the
    design (``size``: characters of Verilog synthesized, to start the long runs first).  Equal keys
    are the same run, whichever design they come from; :func:`run_job` runs one into the cache."""
    design_dir = Path(design_dir)
    report = load_report(design_dir)
    part, asked, _ = _resolve_target(report, part, board)
    family = asked.yosys_family if asked else yosys_family(part)
    synth_script(family, "x", recipe)  # an unknown recipe fails here
    version = find_tool("yosys").version
    _, job_list, glue_job = _plan(design_dir, report)
    return [(_key(j, family, version, recipe), j, family, recipe, sum(len(t) for t in j.sources.values()))
            for j in [*job_list, glue_job]]


def synthesize(design_dir, *, part: str | None = None, board=None, jobs: int | None = None, use_cache: bool = True,
               store: bool = True, keep_logs: bool = False, recipe: str = "full", cache_root=None) -> SynthesisReport:
    """Synthesize the design written in ``design_dir`` for ``part`` or ``board`` (default: report.json's part).

    Runs Yosys once per layer module and once for the glue (``jobs`` at a time, default the
    core count), counts LUT/FF/DSP/BRAM/CARRY per layer and in total, compares them with
    the part's resources where a board file knows the part, and stores the result as the
    ``synthesis`` section of report.json (unless ``store=False``).  Yosys logs go to
    ``design_dir/build/synth/`` when ``keep_logs``.  ``recipe`` is ``full`` or ``fast`` (module doc);
    ``cache_root`` a cache folder other than :func:`cache_dir`.
    """
    design_dir = Path(design_dir)
    report = load_report(design_dir)
    part, asked, b = _resolve_target(report, part, board)
    family = asked.yosys_family if asked else yosys_family(part)
    synth_script(family, "x", recipe)  # an unknown recipe fails here, before any work
    find_tool("yosys")  # a missing tool fails here, once, before any work
    top, job_list, glue_job = _plan(design_dir, report)
    by_name = {layer["name"]: layer for layer in report["layers"]}
    cache = (Path(cache_root) if cache_root else cache_dir()) if use_cache else None
    keep = design_dir / "build" / "synth" if keep_logs else None
    start = time.monotonic()
    workers = max(1, jobs or os.cpu_count() or 1)
    # Largest files first, so the long runs start early.
    ordered = sorted([*job_list, glue_job], key=lambda j: -sum(len(t) for t in j.sources.values()))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {id(j): pool.submit(_run_job, j, family, cache, keep, recipe) for j in ordered}
        results = {k: f.result() for k, f in futures.items()}
    seconds = time.monotonic() - start

    layers = []
    for job in job_list:
        entry = results[id(job)]
        info = by_name.get(job.name, {})
        layers.append({"name": job.name, "kind": job.kind, "module": job.module,
                       "multipliers": info.get("multipliers", 0), "reuse_factor": info.get("reuse_factor", 1),
                       "nonzero_weights": info.get("nonzero_weights"),
                       "weight_width": _width(info.get("precision", {}).get("weight")), **entry})
    glue = {"name": "(glue)", "kind": "top", "module": top, **results[id(glue_job)]}
    total = add_counts([*layers, glue])
    resources = dict(b.resources) if b else None
    util = utilization(total, resources)
    fits = None if util is None else all(v <= 100.0 for v in util.values())
    advice = fit_advice(layers, glue, resources, part) if resources and not fits else None
    tool = find_tool("yosys")
    result = SynthesisReport(part=part, board=asked.name if asked else None, family=family, tool=f"yosys ({tool.version})",
                             command="; ".join(synth_script(family, "<module>", recipe)), total=total,
                             layers=layers, glue=glue,
                             resources=resources, utilization=util, fits=fits, advice=advice,
                             multipliers=int(report.get("multipliers", 0)), seconds=seconds,
                             cached=all(r["cached"] for r in results.values()), recipe=recipe)
    if store:
        store_section(design_dir, "synthesis", result.to_dict())
    return result


def _width(precision: str | None) -> int | None:
    if not precision:
        return None
    from ..fixed import parse_type

    try:
        return parse_type(precision).width
    except Exception:  # a precision this version cannot parse only loses the width hint
        return None

