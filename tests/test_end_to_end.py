"""The user's path through the Python API and the command line, short of RTL simulation."""

import json
import subprocess
import sys

import numpy as np
import pytest

import rtlnn
from rtlnn.cli import main
from rtlnn.demo import demo_model_path


@pytest.fixture(scope="module")
def demo_km():
    return rtlnn.load_keras(demo_model_path())


def _rtl_bytes(folder):
    return {p.name: p.read_bytes() for p in sorted((folder / "rtl").iterdir())}


def test_same_model_and_config_give_the_same_verilog_bytes(demo_km, tmp_path):
    cfg = rtlnn.config_from_keras_model(demo_km, granularity="name", default_precision="fixed<16,6>")
    cfg["LayerName"]["fc1"]["Precision"]["weight"] = "ap_fixed<9,1,AP_RND,AP_SAT>"
    a = rtlnn.convert_from_keras_model(demo_km, config=cfg, output_dir=tmp_path / "a").write()
    b = rtlnn.convert_from_keras_model(demo_km, config=cfg, output_dir=tmp_path / "b").write()
    files_a, files_b = _rtl_bytes(a), _rtl_bytes(b)
    assert files_a == files_b
    # one file per layer with hardware, plus the top
    assert len(files_a) >= 5 and "rtlnn_top.v" in files_a
    assert (a / "tb" / "inputs.hex").read_bytes() == (b / "tb" / "inputs.hex").read_bytes()


def test_report_json_fields(demo_km, tmp_path):
    rm = rtlnn.convert_from_keras_model(demo_km, output_dir=tmp_path / "r")
    rm.write(n_vectors=10)
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    for key in ("latency_cycles", "ii", "layers", "multipliers", "part", "io_type", "ports"):
        assert key in report
    assert report["latency_cycles"] == rm.latency_cycles > 0 and report["ii"] == 1
    dense = [l for l in report["layers"] if l["kind"] == "Dense"]
    assert [l["name"] for l in dense] == ["fc1", "fc2", "fc3", "output"]
    for layer in dense:
        for key in ("name", "kind", "input_shapes", "output_shape", "precision", "reuse_factor", "strategy",
                    "multipliers", "latency_cycles", "ii"):
            assert key in layer
        assert layer["multipliers"] == layer["nonzero_weights"]
    assert report["multipliers"] == sum(l["multipliers"] for l in report["layers"])


@pytest.mark.keras
def test_wide_emulator_agrees_with_keras_float(demo_km):
    keras = pytest.importorskip("keras")
    from rtlnn.datasets import jet_tagging

    x, _ = jet_tagging(2000, seed=7)
    model = keras.saving.load_model(str(demo_model_path()), compile=False)
    ref = np.asarray(model.predict(x, verbose=0))
    rm = rtlnn.convert_from_keras_model(demo_km, config={"Model": {"Precision": "fixed<32,16>"}},
                                        output_dir="unused")
    got = rm.predict(x)
    full_scale = np.max(np.abs(ref), axis=0)
    assert np.all(np.abs(got - ref) <= 1e-3 * full_scale[None, :])


def test_reuse_factor_changes_multipliers_and_ii(demo_km):
    rm = rtlnn.convert_from_keras_model(demo_km, config={"Model": {"ReuseFactor": 4}}, output_dir="unused")
    report = rm.report()
    assert rm.ii == 4
    for layer in report["layers"]:
        if layer["kind"] == "Dense":
            assert layer["multipliers"] == -(-layer["nonzero_weights"] // 4)


# ---------------------------------------------------------------- command line and errors

def test_cli_convert_and_report(tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["convert", str(demo_model_path()), "-o", str(out), "--precision", "fixed<12,5>",
                 "--reuse-factor", "2", "--vectors", "20"]) == 0
    assert (out / "report.json").is_file() and len(list((out / "rtl").glob("*.v"))) >= 5
    assert len((out / "tb" / "inputs.hex").read_text().split()) == 20
    capsys.readouterr()
    assert main(["report", str(out)]) == 0
    text = capsys.readouterr().out
    assert "fc1" in text and "fixed<12,5>" in text
    assert main(["report", str(out), "--json"]) == 0
    as_json = json.loads(capsys.readouterr().out)
    assert as_json == json.loads((out / "report.json").read_text())


@pytest.mark.parametrize("make_args, words", [
    (lambda d: ["convert", str(d / "missing.keras"), "-o", str(d / "o")], ["missing.keras"]),
    (lambda d: ["convert", str(demo_model_path()), "-o", str(d / "o"), "--precision", "fixed<16"], ["fixed<16"]),
    (lambda d: ["convert", str(demo_model_path()), "-o", str(d / "o"), "--reuse-factor", "100000"],
     ["fc1", "ReuseFactor", "valid range is 1.."]),
])
def test_bad_input_gives_one_line_and_no_output(tmp_path, capsys, make_args, words):
    assert main(make_args(tmp_path)) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("rtlnn convert: error:")
    for w in words:
        assert w in err
    assert not (tmp_path / "o").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".o")]


def test_corrupt_model_file(tmp_path, capsys):
    bad = tmp_path / "corrupt.keras"
    bad.write_bytes(b"PK\x03\x04 this is not a keras archive")
    assert main(["convert", str(bad), "-o", str(tmp_path / "o")]) != 0
    assert "corrupt.keras" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_write_refuses_a_foreign_folder(demo_km, tmp_path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    rm = rtlnn.convert_from_keras_model(demo_km, output_dir=foreign)
    with pytest.raises(rtlnn.RtlnnError, match="not an rtlnn project"):
        rm.write(n_vectors=5)
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_console_script_help():
    out = subprocess.run([sys.executable, "-m", "rtlnn", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for verb in ("convert", "simulate", "report", "demo"):
        assert verb in out.stdout
