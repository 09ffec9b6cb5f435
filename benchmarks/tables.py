"""results.json -> results.md: the figures table, the skipped stages with reasons, the published
reference figures and the provenance of every run."""

from __future__ import annotations

import references

COLUMNS = [
    # header, getter(entry) -> str
    ("case", lambda e: f"`{e['case']}`"),
    ("strategy", lambda e: e["strategy"]),
    ("RF", lambda e: str(e["reuse_factor"])),
    ("gen s", lambda e: _g(e, "generate", "seconds")),
    ("cycles", lambda e: _g(e, "generate", "latency_cycles")),
    ("II", lambda e: _g(e, "generate", "ii")),
    ("mult", lambda e: _g(e, "generate", "multipliers")),
    ("LUT", lambda e: _g(e, "synth", "lut")),
    ("FF", lambda e: _g(e, "synth", "ff")),
    ("DSP", lambda e: _g(e, "synth", "dsp")),
    ("BRAM18/36", lambda e: _bram(e)),
    ("LUT+55·DSP", lambda e: _g(e, "synth", "lut_plus_55dsp")),
    ("Fmax MHz", lambda e: _g(e, "ecp5", "fmax_mhz")),
    ("latency ns", lambda e: _g(e, "ecp5", "latency_ns")),
    ("emu samples/s", lambda e: _g(e, "emu", "samples_per_second", thousands=True)),
    ("argmax = float", lambda e: _g(e, "emu", "argmax_agreement_vs_float")),
    ("sim build s", lambda e: _g(e, "sim", "build_seconds")),
    ("sim run s", lambda e: _g(e, "sim", "run_seconds")),
    ("sim mismatches", lambda e: _sim(e)),
    ("run @ commit", lambda e: _made_by(e)),
]

SKIP = "–"
ERROR = "err"


def _g(e: dict, stage: str, key: str, thousands: bool = False) -> str:
    s = e.get(stage)
    if not isinstance(s, dict):
        return SKIP
    if "error" in s:
        return ERROR
    if "skipped" in s or s.get(key) is None:
        return SKIP
    v = s[key]
    if isinstance(v, float):
        return f"{v:,.0f}" if thousands else (f"{v:.3f}" if v < 1 else f"{v:.1f}" if v < 1000 else f"{v:,.0f}")
    return f"{v:,}" if thousands else str(v)


def _made_by(e: dict) -> str:
    """Which run made the row (its command: the Provenance table) at which git commit; stages kept
    from an earlier run on the same Verilog (``--skip``) name that run too."""
    if "run" not in e:
        return SKIP
    kept = sorted({s["from_run"] for s in (e.get(k) for k in ("emu", "sim", "synth", "ecp5"))
                   if isinstance(s, dict) and "from_run" in s and s["from_run"] != e["run"]})
    commit = f" @ `{e['git_commit'][:7]}`" if e.get("git_commit") else ""
    return f"{e['run']}{commit}" + (f" (+ run {', '.join(map(str, kept))})" if kept else "")


def _bram(e: dict) -> str:
    s = e.get("synth")
    if not isinstance(s, dict) or "lut" not in s:
        return _g(e, "synth", "lut")
    return f"{s['bram18']}/{s['bram36']}"


def _sim(e: dict) -> str:
    s = e.get("sim")
    if not isinstance(s, dict) or "mismatches" not in s:
        return _g(e, "sim", "mismatches")
    ok = "" if s.get("passed") else " FAIL"
    return f"{s['mismatches']}/{s['vectors']}{ok}"


def brief(stage: str, s: dict) -> str:
    """One progress line for a finished stage."""
    if "error" in s:
        return "ERROR " + s["error"]
    if "skipped" in s:
        return "skipped: " + s["skipped"]
    if stage == "emu":
        return f"{s['samples_per_second']:,} samples/s"
    if stage == "sim":
        return (f"{s['mismatches']} mismatches / {s['vectors']}, latency {s['latency_cycles']}, II {s['ii']}, "
                f"build {s['build_seconds']} s, run {s['run_seconds']} s")
    if stage == "synth":
        return (f"LUT {s['lut']} FF {s['ff']} DSP {s['dsp']} BRAM18/36 {s['bram18']}/{s['bram36']} "
                f"({s['seconds']} s{', cached' if s['cached'] else ''})")
    if stage == "ecp5":
        return f"Fmax {s['fmax_mhz']} MHz, {s['latency_ns']} ns{' (cached)' if s['cached'] else ''}"
    return ""


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def figures_table(entries: list[dict]) -> list[str]:
    lines = [_row([h for h, _ in COLUMNS]), _row(["---"] * len(COLUMNS))]
    for e in entries:
        if "error" in e:
            lines.append(_row([f"`{e['case']}`", e["strategy"], str(e["reuse_factor"])]
                              + ["not generated"] + [SKIP] * (len(COLUMNS) - 4)))
            continue
        lines.append(_row([get(e) for _, get in COLUMNS]))
    return lines


def _order(results: dict) -> list[dict]:
    from cases import CASES

    rank = {c.name: k for k, c in enumerate(CASES)}
    return sorted(results["cases"].values(), key=lambda e: (rank.get(e["case"], len(rank)), e["case"]))


def figures(results: dict, level: str = "##") -> list[str]:
    """The per-model figure tables and the comparisons (also spliced into benchmarks/README.md)."""
    out = []
    models = {}
    for e in _order(results):
        models.setdefault(e["model"], []).append(e)
    for model, group in models.items():
        out += [f"{level} {model}: {group[0]['model_title']}", ""]
        by_prec = {}
        for e in group:
            by_prec.setdefault(e["precision"], []).append(e)
        for prec, rows in by_prec.items():
            out += [f"Precision `{prec}` = `{_prec_text(rows[0]['precision_config'])}`:", ""]
            out += figures_table(rows)
            out.append("")
    return out + [ln.replace("## ", f"{level} ", 1) if ln.startswith("## ") else ln
                  for ln in comparisons(results["cases"])]


def markdown(results: dict) -> str:
    entries = _order(results)
    out = ["# rtlnn benchmark results", "",
           "Generated by `benchmarks/run.py` from `results.json` (the data; every case records the command, "
           "git commit and machine that produced it). Columns are explained in `benchmarks/README.md`. "
           f"`{SKIP}` = stage not run (reason below), `{ERROR}` = the stage failed (message in results.json).", ""]
    out += figures(results)
    notes = []
    for e in entries:
        if "error" in e:
            notes.append(f"- `{e['case']}`: not generated: {e['error']}")
            continue
        for stage in ("emu", "sim", "synth", "ecp5"):
            s = e.get(stage) or {}
            if "skipped" in s:
                why = s["skipped"]
                if why.startswith("--skip"):
                    why = f"not run (`{why}` in run {e.get('run')}); rerun with `--only {e['case']}`"
                notes.append(f"- `{e['case']}` {stage}: {why}")
            elif "error" in s:
                notes.append(f"- `{e['case']}` {stage} failed: {s['error']}")
    for u in results.get("unavailable", []):
        notes.append(f"- `{u['case']}`: {u['reason']}")
    from cases import CASES

    missing = [c.name for c in CASES if c.name not in results["cases"]]
    if missing:
        notes.append("- not run yet (no figures in results.json; run them with `--only`): "
                     + ", ".join(f"`{n}`" for n in missing))
    if notes:
        out += ["## Stages not run, and why", ""] + notes + [""]
    out += references.markdown()
    out += ["## Provenance", "",
            "| run | command | git commit | rtlnn files changed vs commit | started | finished | machine | load at start |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for k, r in enumerate(results.get("runs", [])):
        used = any(e.get("run") == k or any(isinstance(e.get(st), dict) and e[st].get("from_run") == k
                                            for st in ("emu", "sim", "synth", "ecp5")) for e in entries)
        if not used:
            continue
        m = r["machine"]
        dirty = len(r.get("git_dirty_rtlnn_files") or [])
        out.append(_row([str(k), f"`{r['command']}`", f"`{(r['git_commit'] or '?')[:10]}`",
                         str(dirty) + (" (see results.json)" if dirty else ""), r["started"], r["finished"] or "stopped (time budget)",
                         f"{m['nproc']} x {m['cpu_model']}, {m['memory_gib']} GiB", str(m["load_average_at_start"])]))
    v = results["runs"][-1]["versions"] if results.get("runs") else {}
    if v:
        out += ["", "Tools (latest run): " + ", ".join(f"{k} {val}" for k, val in v.items() if val), ""]
    return "\n".join(out) + "\n"


def _cost(cases: dict, name: str) -> int | None:
    s = (cases.get(name) or {}).get("synth") or {}
    return s.get("lut_plus_55dsp")


def comparisons(cases: dict) -> list[str]:
    """The issue-8 questions, answered from the synthesized cases: ShiftAdd vs multipliers on the
    same network and precision, and the 70%-pruned network vs the dense one (same Yosys recipe)."""
    rows = []
    for model in ("jet", "jetp70", "mlp5x100", "tiny"):
        for prec in ("f8.3", "w8a16", "f16.6"):
            lat, sa = f"{model}-{prec}-latency-rf1", f"{model}-{prec}-shiftadd-rf1"
            a, b = _cost(cases, lat), _cost(cases, sa)
            if a and b:
                dsp = cases[sa]["synth"]["dsp"]
                rows.append(_row([f"`{sa}` vs `{lat}`", f"{b:,} vs {a:,}", f"{b / a:.2f}",
                                  f"ShiftAdd DSP {dsp}; cycles {cases[sa]['generate']['latency_cycles']} vs "
                                  f"{cases[lat]['generate']['latency_cycles']}"]))
    for prec in ("f8.3", "w8a16", "f16.6"):
        for strat in ("latency", "shiftadd"):
            p, d = f"jetp70-{prec}-{strat}-rf1", f"jet-{prec}-{strat}-rf1"
            a, b = _cost(cases, d), _cost(cases, p)
            if a and b:
                nz = cases[p]["generate"]["nonzero_weights"] / max(cases[d]["generate"]["nonzero_weights"], 1)
                rows.append(_row([f"`{p}` vs `{d}`", f"{b:,} vs {a:,}", f"{b / a:.2f}",
                                  f"nonzero weights ratio {nz:.2f} (after quantization)"]))
    if not rows:
        return []
    return ["## Comparisons (LUT + 55 × DSP, same Yosys run recipe)", "",
            _row(["designs", "LUT+55·DSP", "ratio", "notes"]), _row(["---"] * 4), *rows, ""]


def _prec_text(p) -> str:
    if isinstance(p, dict):
        return ", ".join(f"{k}: {v}" for k, v in p.items())
    return str(p)


README_START = "<!-- results:start (written by benchmarks/run.py) -->"
README_END = "<!-- results:end -->"


def _replace_marked(path, start: str, end: str, body: str) -> bool:
    """Replace the text between the markers ``start`` and ``end`` of ``path``; False if it lacks them."""
    text = path.read_text()
    if start not in text or end not in text:
        return False
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(head + start + body + "\n" + end + tail)
    return True


def update_readme(path, results: dict) -> bool:
    """Replace the marked results section of ``path`` with the current figures; False if no markers."""
    body = ["", "Figures of `results.json` (skip reasons, reference figures and provenance in "
            "[results.md](results.md)):", "", *figures(results, level="###")]
    return _replace_marked(path, README_START, README_END, "\n".join(body))


TOP_START = "<!-- benchmarks:start (written by benchmarks/run.py from benchmarks/results.json) -->"
TOP_END = "<!-- benchmarks:end -->"


def summary(results: dict) -> list[str]:
    """The compact table of the project README: every case with synthesis figures, then the comparisons."""
    lines = [_row(["case", "cycles / II", "LUT / FF / DSP / BRAM18+36", "LUT + 55×DSP", "Fmax MHz (ECP5)",
                   "latency ns (ECP5)", "sim mismatches", "run @ commit"]), _row(["---"] * 8)]
    for e in _order(results):
        s = e.get("synth") or {}
        if "lut" not in s:
            continue
        g = e["generate"]
        lines.append(_row([f"`{e['case']}`", f"{g['latency_cycles']} / {g['ii']}",
                           f"{s['lut']:,} / {s['ff']:,} / {s['dsp']:,} / {s['bram18']}+{s['bram36']}",
                           f"{s['lut_plus_55dsp']:,}", _g(e, "ecp5", "fmax_mhz"), _g(e, "ecp5", "latency_ns"),
                           _sim(e), _made_by(e)]))
    return lines + [""] + comparisons(results["cases"])


def update_top_readme(path, results: dict) -> bool:
    """Replace the marked benchmark table of the project README; False if it has no markers."""
    body = ["", "From `benchmarks/results.json` (cases are named `<model>-<precision>-<strategy>-rf<N>`, see "
            "[benchmarks/README.md](benchmarks/README.md); `–` = not run, reasons in "
            "[benchmarks/results.md](benchmarks/results.md)). A row is reproduced by "
            "`python benchmarks/run.py --only <case>` at the commit shown; the exact command of each run "
            "(budget flags included) is in the Provenance table of benchmarks/results.md:", "", *summary(results)]
    return _replace_marked(path, TOP_START, TOP_END, "\n".join(body).replace("\n## ", "\n#### "))
