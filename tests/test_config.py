"""The hls4ml-shaped config: granularity, precedence, YAML, and the errors for what is unsupported."""

import pytest
import yaml

from rtlnn.config import config_from_graph, load_config
from rtlnn.fixed import parse_type
from rtlnn.ir import RtlnnError
from rtlnn.passes import run_passes

from graphs import make_mlp


def test_granularity_name_lists_every_layer_and_applies(tmp_path):
    g = make_mlp([4, 3, 2])
    cfg = config_from_graph(g, "name", default_precision="fixed<12,4>", default_reuse_factor=2)
    assert set(cfg["LayerName"]) == {"input_1", "fc1", "fc1_relu", "fc2"}
    cfg["LayerName"]["fc1"]["Precision"]["weight"] = "ap_fixed<9,1,AP_RND,AP_SAT>"
    cfg["LayerName"]["fc2"]["ReuseFactor"] = 3
    typed = run_passes(g, cfg)
    assert typed["fc1"].weight_t == parse_type("fixed<9,1,RND,SAT>")
    assert typed["fc1"].bias_t == parse_type("fixed<12,4>")
    assert typed["fc1"].reuse_factor == 2 and typed["fc2"].reuse_factor == 3
    assert typed["input_1"].result_t == parse_type("fixed<12,4>")
    # the accumulator is derived exact: every product and the bias fit
    acc = typed["fc1"].accum_t
    assert acc.frac == max(8 + 8, 8) and acc.width >= 9 + 12


def test_precedence_name_over_type_over_model():
    g = make_mlp([4, 3, 2])
    cfg = {
        "Model": {"Precision": "fixed<16,6>", "ReuseFactor": 1},
        "LayerType": {"Dense": {"Precision": {"result": "fixed<10,5>"}, "ReuseFactor": 2}},
        "LayerName": {"fc2": {"Precision": {"result": "ufixed<8,2>"}}},
    }
    typed = run_passes(g, cfg)
    assert typed["fc1"].result_t == parse_type("fixed<10,5>")
    assert typed["fc2"].result_t == parse_type("ufixed<8,2>")
    assert typed["fc2"].weight_t == parse_type("fixed<16,6>")
    assert typed["fc1"].reuse_factor == 2


def test_string_precision_on_a_layer_sets_all_but_accum():
    g = make_mlp([4, 3, 2])
    typed = run_passes(g, {"LayerName": {"fc1": {"Precision": "fixed<8,3>", }}})
    assert typed["fc1"].weight_t == typed["fc1"].bias_t == typed["fc1"].result_t == parse_type("fixed<8,3>")
    assert typed["fc1"].accum_t.width > 8


def test_hls4ml_model_level_config_works_unchanged():
    g = make_mlp([4, 3, 2])
    cfg = {"Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 1, "Strategy": "Latency",
                     "BramFactor": 1000000000, "TraceOutput": False}}
    typed = run_passes(g, cfg)
    assert typed["fc2"].result_t == parse_type("fixed<16,6>")


def test_yaml_file_and_hlsconfig_nesting(tmp_path):
    path = tmp_path / "cfg.yml"
    path.write_text(yaml.safe_dump({"HLSConfig": {"Model": {"Precision": "fixed<10,4>", "ReuseFactor": 2}}}))
    cfg = load_config(path)
    typed = run_passes(make_mlp([4, 3, 2]), cfg)
    assert typed["fc1"].result_t == parse_type("fixed<10,4>") and typed["fc1"].reuse_factor == 2


@pytest.mark.parametrize("cfg, words", [
    ({"Model": {"Precison": "fixed<8,3>"}}, ["Model", "Precison"]),
    ({"LayerName": {"fc9": {"ReuseFactor": 2}}}, ["fc9", "fc1"]),
    ({"LayerType": {"Conv3D": {}}}, ["Conv3D"]),
    ({"Model": {"Strategy": "Distributed"}}, ["Strategy", "Distributed", "Latency", "Resource"]),
    ({"Model": {"FifoDepth": 1}}, ["Model.FifoDepth", "auto"]),
    ({"Model": {"Precision": "fixed<16>"}}, ["Model.Precision", "fixed<16>"]),
    ({"LayerName": {"fc1": {"Precision": {"table": "fixed<8,3>"}}}}, ["fc1", "table"]),
    ({"LayerName": {"fc1": {"ReuseFactor": 0}}}, ["fc1", "ReuseFactor"]),
    ({"LayerName": {"fc1": {"ReuseFactor": 13}}}, ["fc1", "13", "1..12"]),
    ({"Model": {"BramFactor": 4}}, ["BramFactor", "Resource"]),
    ({"LayerName": {"fc1": {"Precision": {"maximum": "fixed<8,3>"}}}}, ["fc1", "maximum", "Model.Precision"]),
    ({"Model": {"Precision": {"maximum": "auto"}}}, ["maximum", "explicit"]),
    ({"LayerName": {"fc1": {"OutputCast": "auto"}}}, ["fc1", "OutputCast", "explicit"]),
    ({"LayerType": {"Dense": {"OutputCast": "fixed<8,3>"}}}, ["LayerType", "OutputCast", "LayerName"]),
    ({"Backend": {}}, ["Backend"]),
])
def test_unsupported_settings_are_errors_naming_the_place(cfg, words):
    with pytest.raises(RtlnnError) as e:
        run_passes(make_mlp([4, 3, 2]), cfg)
    for w in words:
        assert w in str(e.value)


def test_missing_and_malformed_yaml(tmp_path):
    with pytest.raises(RtlnnError, match="does not exist"):
        load_config(tmp_path / "nope.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("Model: [unclosed")
    with pytest.raises(RtlnnError, match="not valid YAML"):
        load_config(bad)
