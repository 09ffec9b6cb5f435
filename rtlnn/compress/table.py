"""The results table of the compression applications, in the columns of the published one:
teacher P and OA; student P, CR, NL, OA, bits, SP; FPGA part, BRAM %, DSP %, FF %, LUT %
(Yosys synthesis); latency in clock cycles (measured in RTL simulation) — from the
``results.json`` files the applications write (:mod:`rtlnn.compress.app`), as data (JSON) and
Markdown.  Nothing is typed in: every figure is read from a run.

Student OA is the accuracy of the *hardware* (the bit-exact emulator, which the RTL simulation
matched output by output on the same test set), not of the float or QKeras model.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["table_rows", "format_markdown", "write_table", "readme_block", "update_readme", "README_BEGIN",
           "README_END"]

#: The README section between these markers is written by :func:`update_readme`, never by hand.
README_BEGIN = "<!-- compression-table: begin (written by scripts/results_table.py) -->"
README_END = "<!-- compression-table: end -->"


def _pct(x):
    return None if x is None else round(100.0 * float(x), 2)


def table_rows(results: list[dict]) -> list[dict]:
    rows = []
    for r in results:
        hw = r.get("hardware", {})
        util = (hw.get("synthesis") or {}).get("utilization") or {}
        sim = hw.get("simulation") or {}
        st = r["student"]
        rows.append({
            "app": r["title"], "key": r["app"], "quick": r.get("quick", False),
            "teacher_params": r["teacher"]["params"], "teacher_accuracy": _pct(r["teacher"]["accuracy"]),
            "student_params": st["params"], "compression_ratio": round(r["compression_ratio"], 1),
            "student_layers": st["n_layers"], "student_accuracy": _pct(st["accuracy_hardware"]),
            "bits": st["bits"], "sparsity": _pct(st["sparsity"]),
            "part": hw.get("part"), "board": hw.get("board"), "io_type": hw.get("io_type"),
            "bram_pct": util.get("bram"), "dsp_pct": util.get("dsp"), "ff_pct": util.get("ff"),
            "lut_pct": util.get("lut"),
            "latency_cycles": sim.get("latency_cycles"), "ii_cycles": sim.get("ii"),
            "rtl_mismatches": sim.get("mismatches"), "rtl_vectors": sim.get("vectors"),
            "accuracy_gap": _pct(r["accuracy_gap"]),
            "student_accuracy_qkeras": _pct(st["accuracy_qkeras"]),
            "student_accuracy_no_teacher_float": _pct(st["accuracy_float_no_teacher"]),
            "student_accuracy_distilled_float": _pct(st["accuracy_float_distilled"]),
            "qkeras_argmax_agreement": _pct(hw.get("qkeras", {}).get("argmax_agreement")),
            "qkeras_exact_outputs": _pct(hw.get("qkeras", {}).get("exact_fraction")),
            "n_test": r["data"]["n_test"], "seconds": r.get("seconds", {}).get("total"),
            "synthesis_runs": (hw.get("synthesis") or {}).get("runs"),
            "synthesis_runs_from_cache": (hw.get("synthesis") or {}).get("runs_from_cache"),
            "load_average": _load(r.get("machine") or {}),
        })
    return rows


def _load(machine: dict):
    """``[start, end]`` 1-minute load averages of the run, or None."""
    a, b = machine.get("load_average_start"), machine.get("load_average_end")
    return None if a is None or b is None else [a, b]


def _run_time(r) -> str:
    load = r.get("load_average")
    cached = r.get("synthesis_runs_from_cache")
    return (_f(r["seconds"], "{:.0f} s")
            + (f" (load average {load[0]:.1f} at the start, {load[1]:.1f} at the end, 2 cores)" if load else "")
            + (f", {cached} of {r['synthesis_runs']} Yosys runs from the cache of an earlier run of the same Verilog"
               if cached else ""))


def _f(v, spec="{}"):
    return "—" if v is None else spec.format(v)


def _table(rows: list[dict]) -> list[str]:
    head = ("| App | Teacher P | Teacher OA % | Student P | CR | NL | Student OA % | Bits | SP % | FPGA part | "
            "BRAM % | DSP % | FF % | LUT % | Latency (cc) |")
    lines = [head, "|" + "|".join(["---"] * 15) + "|"]
    for r in rows:
        lines.append(
            f"| {r['app']}{' (quick)' if r['quick'] else ''} | {r['teacher_params']:,} | {_f(r['teacher_accuracy'], '{:.2f}')} "
            f"| {r['student_params']:,} | {r['compression_ratio']:,.1f}× | {r['student_layers']} "
            f"| {_f(r['student_accuracy'], '{:.2f}')} | {r['bits']} | {_f(r['sparsity'], '{:.1f}')} | {r['part']} "
            f"| {_f(r['bram_pct'], '{:.2f}')} | {_f(r['dsp_pct'], '{:.2f}')} | {_f(r['ff_pct'], '{:.2f}')} "
            f"| {_f(r['lut_pct'], '{:.2f}')} | {_f(r['latency_cycles'])} |")
    return lines


def format_markdown(rows: list[dict], command: str | None = None, runs=()) -> str:
    lines = _table(rows)
    notes = ["", "Per application (all figures from the same run):", ""]
    for r in rows:
        notes.append(
            f"- **{r['app']}** ({r['board']}, {r['io_type']}, {r['n_test']} test samples): the student is "
            f"{_f(r['accuracy_gap'], '{:.2f}')} points below its teacher in hardware; RTL simulation of the whole "
            f"test set: {r['rtl_mismatches']} mismatches in {r['rtl_vectors']} inputs, II {r['ii_cycles']} cycles; "
            f"converted model vs QKeras: argmax agreement {_f(r['qkeras_argmax_agreement'], '{:.2f}')}%, identical "
            f"outputs {_f(r['qkeras_exact_outputs'], '{:.2f}')}%; QKeras accuracy "
            f"{_f(r['student_accuracy_qkeras'], '{:.2f}')}%; float student distilled "
            f"{_f(r['student_accuracy_distilled_float'], '{:.2f}')}% vs trained without teacher "
            f"{_f(r['student_accuracy_no_teacher_float'], '{:.2f}')}%; run time {_run_time(r)}.")
    legend = ["", "P: parameters (pruned zeros included); OA: overall test accuracy (student: the hardware's, "
              "bit-exact emulator = RTL); CR: teacher P / student P; NL: layers with weights; SP: zero fraction "
              "of the student's kernels; BRAM/DSP/FF/LUT: % of the part, Yosys `synth_xilinx` per layer "
              "(out of context, no place and route); latency: clock cycles from input valid to output valid, "
              "measured in Verilator simulation."]
    cmd = ["", f"Produced by `{command}`" + (" from the runs of " + ", ".join(f"`{r}`" for r in runs) if runs else "")
           + "."] if command else []
    return "\n".join(lines + notes + legend + cmd) + "\n"


def write_table(result_files, out_stem, command: str | None = None, runs=()) -> list[dict]:
    """Read ``results.json`` files, write ``out_stem``.md and .json; returns the rows."""
    results = [json.loads(Path(f).read_text()) for f in result_files]
    rows = table_rows(results)
    stem = Path(out_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".json").write_text(json.dumps({"rows": rows, "command": command, "runs": list(runs),
                                                     "sources": [str(f) for f in result_files]}, indent=2) + "\n")
    title = "# Compression results: teacher → distilled, quantized, pruned student → FPGA\n\n"
    stem.with_suffix(".md").write_text(title + format_markdown(rows, command, runs))
    return rows


def readme_block(rows: list[dict], command: str, details: str = "docs/compression_results.md") -> str:
    """The README's results section: the table and the figures a reader checks first, all from the runs."""
    gaps = ", ".join(f"{r['app']} {_f(r['accuracy_gap'], '{:.2f}')}" for r in rows)
    mism = "; ".join(f"{r['app']} {r['rtl_mismatches']} mismatches in {r['rtl_vectors']}" for r in rows)
    dist = "; ".join(f"{r['app']} {_f(r['student_accuracy_distilled_float'], '{:.2f}')}% vs "
                     f"{_f(r['student_accuracy_no_teacher_float'], '{:.2f}')}%" for r in rows)
    times = "; ".join(f"{r['app']} {_run_time(r)}" for r in rows)
    text = [*_table(rows), "",
            f"Student OA is the hardware's: the bit-exact emulator, which the RTL simulation matched on every test "
            f"input ({mism}). Gap to the teacher, in points: {gaps}. Float student distilled vs the "
            f"same student trained without a teacher: {dist}. Run times: {times}.",
            "", f"Produced by `{command}`; details: [{details}]({details})."]
    return "\n".join(text)


def update_readme(path, block: str) -> bool:
    """Replace the text between :data:`README_BEGIN` and :data:`README_END` in ``path`` with ``block``;
    False (and nothing written) when the markers are not there."""
    path = Path(path)
    text = path.read_text()
    if README_BEGIN not in text or README_END not in text:
        return False
    head, rest = text.split(README_BEGIN, 1)
    _, tail = rest.split(README_END, 1)
    path.write_text(f"{head}{README_BEGIN}\n{block}\n{README_END}{tail}")
    return True
