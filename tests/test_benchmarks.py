"""benchmarks/run.py: one command writes results.json (every column, with provenance) and a
markdown table that renders; the full stages (RTL simulation, Yosys, nextpnr) run in the slow test."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "benchmarks"
CASE = "micro-f8.3-latency-rf1"


def _run(tmp_path, *extra):
    cmd = [sys.executable, str(BENCH / "run.py"), "--quick", "--only", CASE, "--out", str(tmp_path / "out"),
           "--work", str(tmp_path / "work"), *extra]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    md = (tmp_path / "out" / "results.md").read_text()
    return data, md


def _table_rows(md: str, case: str) -> tuple[list[str], list[str]]:
    lines = md.splitlines()
    row = next(ln for ln in lines if ln.startswith(f"| `{case}`"))
    header = lines[lines.index(row) - 2]
    sep = lines[lines.index(row) - 1]
    assert set(sep.replace("|", "").split()) == {"---"}
    return [c.strip() for c in header.strip("|").split("|")], [c.strip() for c in row.strip("|").split("|")]


def test_quick_case_json_and_markdown(tmp_path):
    sys.path.insert(0, str(BENCH))
    import tables

    data, md = _run(tmp_path, "--skip", "sim", "synth", "ecp5")
    e = data["cases"][CASE]
    assert "error" not in e, e.get("error")
    gen = e["generate"]
    for key in ("seconds", "cpu_seconds", "latency_cycles", "ii", "multipliers", "rtl_sha256"):
        assert key in gen
    assert gen["ii"] == 1 and gen["latency_cycles"] >= 1 and gen["multipliers"] > 0
    assert e["emu"]["samples_per_second"] > 0 and e["emu"]["runs"] == 5 and e["emu"]["samples"] == 10_000
    assert 0.0 <= e["emu"]["argmax_agreement_vs_float"] <= 1.0
    for stage in ("sim", "synth", "ecp5"):  # not run here: each says why
        assert e[stage] == {"skipped": f"--skip {stage}"}
    # provenance: the command, commit, tools and machine behind every figure
    assert e["command"].startswith("python benchmarks/run.py --quick --only " + CASE)
    run = data["runs"][e["run"]]
    assert run["git_commit"] and run["machine"]["nproc"] >= 1 and run["machine"]["cpu_model"]
    assert run["versions"]["amaranth"] and run["versions"]["verilator"]
    assert run["finished"]

    header, row = _table_rows(md, CASE)
    assert header == [h for h, _ in tables.COLUMNS]
    assert len(row) == len(header)
    cells = dict(zip(header, row))
    assert cells["cycles"] == str(gen["latency_cycles"]) and cells["II"] == "1"
    assert cells["LUT"] == tables.SKIP and cells["sim mismatches"] == tables.SKIP
    assert "## Published reference figures" in md and "## Provenance" in md

    # a second run skipping everything keeps nothing it did not measure, and merges by case name
    data2, _ = _run(tmp_path, "--skip", "emu", "sim", "synth", "ecp5")
    e2 = data2["cases"][CASE]
    assert e2["generate"]["rtl_sha256"] == gen["rtl_sha256"]  # same input, same bytes
    assert e2["emu"].get("from_run") == e["run"]  # kept from the run that measured this very Verilog
    assert len(data2["runs"]) == 2 and list(data2["cases"]) == [CASE]


def test_pruning_and_case_names():
    sys.path.insert(0, str(BENCH))
    import cases

    graph = cases.prune_smallest(cases.random_mlp([16, 10, 5], seed=3), 0.7)
    for layer in graph:
        if layer.kind == "Dense":
            w = np.asarray(layer.weight)
            assert np.count_nonzero(w == 0) == round(0.7 * w.size)
    names = [c.name for c in cases.CASES]
    assert len(names) == len(set(names))
    assert {c.model.name for c in cases.CASES} >= {"jet", "jetp70", "mlp5x100"}
    assert any(u["case"].startswith("cnn") for u in cases.unavailable()) != cases.CNN_EXAMPLE.is_file()


@pytest.mark.slow
def test_quick_case_all_stages(tmp_path):
    """Every stage on the micro case: RTL = emulator, latency/II as reported, Yosys and nextpnr figures."""
    data, md = _run(tmp_path, "--vectors", "300")
    e = data["cases"][CASE]
    sim = e["sim"]
    assert sim["mismatches"] == 0 and sim["vectors"] == 300, sim
    assert sim["latency_cycles"] == e["generate"]["latency_cycles"] and sim["ii"] == e["generate"]["ii"]
    assert sim["passed"] and sim["build_seconds"] > 0 and sim["run_seconds"] > 0
    assert e["synth"]["lut"] > 0 and e["synth"]["lut_plus_55dsp"] == e["synth"]["lut_equivalent"] + 55 * e["synth"]["dsp"]
    assert e["ecp5"]["fmax_mhz"] > 0
    assert e["ecp5"]["latency_ns"] == pytest.approx(e["generate"]["latency_cycles"] * 1000 / e["ecp5"]["fmax_mhz"],
                                                    abs=0.02)
    _, row = _table_rows(md, CASE)
    assert "0/300" in row


def test_project_readme_table_from_results(tmp_path):
    """The project README's benchmark table is written from results.json between its markers."""
    sys.path.insert(0, str(BENCH))
    import tables

    def case(name, model, strategy, lut, dsp, cycles, nonzero):
        return {"case": name, "model": model, "strategy": strategy, "generate": {
            "latency_cycles": cycles, "ii": 1, "nonzero_weights": nonzero},
            "synth": {"lut": lut, "ff": 10, "dsp": dsp, "bram18": 0, "bram36": 0, "lut_plus_55dsp": lut + 55 * dsp},
            "sim": {"mismatches": 0, "vectors": 1000, "passed": True}, "ecp5": {"skipped": "too big"},
            "run": 3, "git_commit": "abcdef1234"}
    results = {"cases": {"jet-w8a16-latency-rf1": case("jet-w8a16-latency-rf1", "jet", "Latency", 1000, 100, 14, 9),
                         "jet-w8a16-shiftadd-rf1": case("jet-w8a16-shiftadd-rf1", "jet", "ShiftAdd", 3000, 0, 8, 9),
                         "tiny-f8.3-latency-rf1": {"case": "tiny-f8.3-latency-rf1", "model": "tiny",
                                                   "generate": {"latency_cycles": 6, "ii": 1}}}}
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\nbefore\n{tables.TOP_START}\nold table\n{tables.TOP_END}\nafter\n")
    assert tables.update_top_readme(readme, results)
    text = readme.read_text()
    assert "old table" not in text and text.startswith("# x\n\nbefore\n") and text.endswith("after\n")
    assert "| `jet-w8a16-shiftadd-rf1` | 8 / 1 | 3,000 / 10 / 0 / 0+0 | 3,000 | – | – | 0/1000 | 3 @ `abcdef1` |" in text
    assert "tiny-f8.3" not in text  # no synthesis figures: not in the summary
    assert "| `jet-w8a16-shiftadd-rf1` vs `jet-w8a16-latency-rf1` | 3,000 vs 6,500 | 0.46 |" in text
    (tmp_path / "plain.md").write_text("no markers\n")
    assert not tables.update_top_readme(tmp_path / "plain.md", results)
