"""Compression meets hardware: a pruned QAT student in RTL (one Verilator design) — its zeros
cost no multipliers, the RTL equals the emulator on every test input, latency and II as
reported; the results table; and (slow) the applications' quick mode end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytest.importorskip("qkeras")

from rtlnn import compress as C  # noqa: E402
from rtlnn import convert_from_keras_model  # noqa: E402
from rtlnn.compress.table import (README_BEGIN, README_END, format_markdown, readme_block, table_rows,  # noqa: E402
                                  update_readme, write_table)
from rtlnn.datasets import detector_pulses  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
L = keras.layers


def test_pruned_student_in_rtl(tmp_path):
    (x, y), (xt, yt) = detector_pulses(3000, seed=1), detector_pulses(400, seed=2)
    keras.utils.set_random_seed(7)
    s = keras.Sequential([keras.Input((32,)), L.Dense(12, activation="relu"), L.Dense(8, activation="relu"),
                          L.Dense(4)])
    C.train_classifier(s, (x, y), epochs=2)
    q = C.quantize_model(s, bits=8)
    cb = C.pruning_callback(0.5, 3 * 24, end_fraction=0.5, target_model=q)
    C.train_classifier(q, (x, y), epochs=3, batch_size=128, callbacks=[cb])
    pruned = {l.name: l.kernel.numpy() == 0 for l in C.prunable_layers(q)}
    assert abs(C.kernel_sparsity(q)["total"] - 0.5) <= 0.01

    rm = convert_from_keras_model(q, output_dir=tmp_path / "prj")  # Strategy Latency: one multiplier per product
    rep = rm.report()
    dense = [l for l in rep["layers"] if l["kind"] == "Dense"]
    assert len(dense) == 3
    for entry in dense:
        ir_w = rm.graph[entry["name"]].weight_raw()
        assert np.all(ir_w[pruned[entry["name"]]] == 0)  # every pruned weight is a zero in hardware
        assert entry["multipliers"] == entry["nonzero_weights"] == np.count_nonzero(ir_w)
        assert entry["nonzero_weights"] <= (~pruned[entry["name"]]).sum()
    assert rep["multipliers"] == C.model_stats(q).nonzero_weights

    sim = rm.simulate(xt, gaps=True)
    assert sim.mismatches == 0 and sim.passed
    assert sim.latency_cycles == rm.latency_cycles and sim.ii == rm.ii == 1
    # the RTL's outputs are QKeras's outputs
    np.testing.assert_array_equal(np.asarray(sim.outputs).reshape(len(xt), -1),
                                  np.asarray(q.predict(xt, verbose=0), dtype=np.float64))


def _fake_result(title, quick=False):
    return {"app": title.lower(), "title": title, "quick": quick, "data": {"n_test": 100},
            "teacher": {"params": 16348, "accuracy": 0.99},
            "student": {"params": 536, "n_layers": 3, "bits": 8, "sparsity": 0.2, "accuracy_hardware": 0.97,
                        "accuracy_qkeras": 0.97, "accuracy_float_no_teacher": 0.98, "accuracy_float_distilled": 0.975},
            "compression_ratio": 16348 / 536, "accuracy_gap": 0.02,
            "hardware": {"part": "xc7a35ticsg324-1L", "board": "arty-a7-35", "io_type": "io_parallel",
                         "qkeras": {"argmax_agreement": 1.0, "exact_fraction": 1.0},
                         "simulation": {"latency_cycles": 5, "ii": 1, "mismatches": 0, "vectors": 100},
                         "synthesis": {"utilization": {"bram": 0.0, "dsp": 0.0, "ff": 3.9, "lut": 30.34},
                                       "runs": 7, "runs_from_cache": 5}},
            "machine": {"cpus": 2, "load_average_start": 3.5, "load_average_end": 6.25}, "seconds": {"total": 10}}


def test_results_table(tmp_path):
    files = []
    for t in ("1D-MLP", "2D-CNN"):
        f = tmp_path / t / "results.json"
        f.parent.mkdir()
        f.write_text(json.dumps(_fake_result(t)))
        files.append(f)
    rows = write_table(files, tmp_path / "docs" / "table", command="python scripts/results_table.py")
    assert [r["app"] for r in rows] == ["1D-MLP", "2D-CNN"]
    assert rows[0]["compression_ratio"] == 30.5 and rows[0]["lut_pct"] == 30.34 and rows[0]["latency_cycles"] == 5
    md = (tmp_path / "docs" / "table.md").read_text()
    assert "| 1D-MLP | 16,348 | 99.00 | 536 | 30.5× | 3 | 97.00 | 8 | 20.0 | xc7a35ticsg324-1L | 0.00 | 0.00 | 3.90 " \
           "| 30.34 | 5 |" in md
    assert "2.00 points below its teacher" in md and "Produced by `python scripts/results_table.py`" in md
    data = json.loads((tmp_path / "docs" / "table.json").read_text())
    assert data["rows"] == rows
    assert "(quick)" in format_markdown(table_rows([_fake_result("X", quick=True)]))
    assert "run time 10 s (load average 3.5 at the start, 6.2 at the end, 2 cores), 5 of 7 Yosys runs from the " \
           "cache" in md

    # the README section is written between its markers, and only there
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\nbefore\n{README_BEGIN}\nold table\n{README_END}\nafter\n")
    block = readme_block(rows, "python scripts/results_table.py")
    assert update_readme(readme, block)
    text = readme.read_text()
    assert "old table" not in text and text.startswith("# x\nbefore\n") and text.endswith(f"{README_END}\nafter\n")
    assert "| 1D-MLP | 16,348 | 99.00 | 536 | 30.5× |" in text and "1D-MLP 0 mismatches in 100" in text
    assert "Gap to the teacher, in points: 1D-MLP 2.00, 2D-CNN 2.00" in text
    assert update_readme(readme, block) and readme.read_text() == text  # idempotent
    (tmp_path / "plain.md").write_text("no markers\n")
    assert not update_readme(tmp_path / "plain.md", block) and (tmp_path / "plain.md").read_text() == "no markers\n"


def test_results_table_does_not_import_tensorflow():
    """scripts/results_table.py only reads JSON: rtlnn.compress loads its Keras parts on first use."""
    code = ("import sys, rtlnn.compress, rtlnn.compress.table\n"
            "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules\n"
            "assert 'distill' in dir(rtlnn.compress)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.slow
@pytest.mark.parametrize("app", ["pulse_mlp", "moth_cnn", "vgg_student"])
def test_application_quick_mode(tmp_path, app):
    """The whole path of an application in its quick mode: training, conversion, RTL simulation
    of the test set with 0 mismatches, synthesis.  Slow: 1-2 minutes of CPU each (a Verilator
    build and one Yosys run per module, cold caches), more than the default run's budget."""
    import os

    out = tmp_path / app
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    subprocess.run([sys.executable, str(ROOT / "scripts" / f"{app}.py"), "--quick", "-o", str(out)], check=True,
                   cwd=ROOT, timeout=1800, env=env)
    r = json.loads((out / "results.json").read_text())
    print(f"{app} --quick: seconds {r['seconds']}")
    sim = r["hardware"]["simulation"]
    assert sim["mismatches"] == 0 and sim["passed"] and sim["vectors"] == r["data"]["n_test"]
    assert sim["latency_cycles"] == r["hardware"]["latency_cycles_reported"]
    assert r["hardware"]["qkeras"]["exact_fraction"] == 1.0  # the converted model is the QKeras model
    assert r["hardware"]["synthesis"]["utilization"]["lut"] > 0
    assert abs(r["student"]["sparsity"] - r["settings"]["sparsity"]) <= 0.01
    for stage in ("teacher", "distill", "qat_prune", "convert", "simulate", "synthesize", "total"):
        assert r["seconds"][stage] is not None, stage
