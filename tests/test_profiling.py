"""Numerical profiling, precision advice and the profile page, on the demo model with a
deliberately too-narrow layer (fc2's result at fixed<16,2>: its float outputs reach -8.7)."""

import json
import shutil
import subprocess

import numpy as np
import pytest

import rtlnn
from rtlnn.datasets import jet_tagging
from rtlnn.demo import demo_model_path
from rtlnn.profiling import integer_bits_needed, numerical

pytestmark = pytest.mark.keras

NARROW = "fixed<16,2>"
TOLERANCE = 0.01  # allowed accuracy drop against float Keras


@pytest.fixture(scope="module")
def demo():
    pytest.importorskip("keras")
    km = rtlnn.load_keras(demo_model_path())
    x, y = jet_tagging(1000, seed=7)
    return km, x, y


def _convert(km, tmp_path, narrow=True):
    cfg = rtlnn.config_from_keras_model(km, granularity="name", default_precision="fixed<16,6>")
    if narrow:
        cfg["LayerName"]["fc2"]["Precision"]["result"] = NARROW
    return rtlnn.convert_from_keras_model(km, config=cfg, output_dir=tmp_path / "prj")


def test_integer_bits_needed():
    assert integer_bits_needed(-1.0, 0.99) == 1  # fixed<W,1> holds [-1, 1)
    assert integer_bits_needed(-1.0, 1.0) == 2  # 1.0 itself needs the next bit
    assert integer_bits_needed(0.0, 6.0) == 4  # fixed<W,4> reaches 7.99
    assert integer_bits_needed(-8.676, 6.4) == 5
    assert integer_bits_needed(0.0, 3.5, signed=False) == 2
    assert integer_bits_needed(0.0, 0.0) == 1
    assert integer_bits_needed(-0.3, 0.2) == 0  # fixed<W,0> holds [-0.5, 0.5)


def test_profile_flags_the_narrow_layer(demo, tmp_path):
    km, x, _ = demo
    rm = _convert(km, tmp_path)
    profile = numerical(km, rm, x, output_dir=tmp_path / "profile")
    over = profile.flagged("overflow")
    assert [(d.layer, d.what) for d in over] == [("fc2", "activation")]
    d = over[0]
    assert d.precision == NARROW and d.type_max < 2 and d.min < -2
    assert d.overflow_count > 0.05 * d.n  # many values wrap
    assert d.integer_bits_needed > 2 and d.integer_bits == 2
    # every layer is profiled: weights and biases of the 4 Dense layers, activations of all 8 layers
    assert {(e.layer, e.what) for e in profile.weights} == {(n, w) for n in ("fc1", "fc2", "fc3", "output")
                                                          for w in ("weight", "bias")}
    assert [e.layer for e in profile.activations] == [l.name for l in rm.graph]
    # fixed<16,6> leaves integer bits unused on the small weights (|w| < 2)
    fc1_w = profile.layer("fc1")[0]
    assert fc1_w.what == "weight" and "unused_integer_bits" in fc1_w.flags and fc1_w.integer_bits_needed <= 2
    # files: json is the data, the PNGs decode, the page names them
    data = json.loads((tmp_path / "profile" / "profile.json").read_text())
    assert data["n_samples"] == len(x)
    flagged = [a for a in data["activations"] if "overflow" in a["flags"]]
    assert [a["layer"] for a in flagged] == ["fc2"]
    page = (tmp_path / "profile" / "index.html").read_text()
    assert 'src="weights.png"' in page and 'src="activations.png"' in page and "fc2" in page
    for png in ("weights.png", "activations.png"):
        assert (tmp_path / "profile" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_profile_weights_only_and_below_lsb(demo, tmp_path):
    km, _, _ = demo
    cfg = rtlnn.config_from_keras_model(km, granularity="name", default_precision="fixed<16,6>")
    cfg["LayerName"]["fc2"]["Precision"]["weight"] = "fixed<4,1>"  # lsb 0.125: most fc2 weights are below it
    rm = rtlnn.convert_from_keras_model(km, config=cfg, output_dir=tmp_path / "prj")
    profile = numerical(None, rm)  # no data: weights only
    assert profile.activations == [] and len(profile.weights) == 8
    w = [d for d in profile.weights if d.layer == "fc2" and d.what == "weight"][0]
    assert "below_lsb" in w.flags and w.below_lsb_fraction > 0.3
    assert not profile.flagged("overflow")


def test_advice_fixes_the_narrow_layer(demo, tmp_path):
    from rtlnn.advice import advise_precision

    km, x, y = demo
    rm = _convert(km, tmp_path)
    float_acc = float(np.mean(np.argmax(km.keras_model.predict(x, verbose=0), 1) == y))
    narrow_acc = float(np.mean(np.argmax(rm.predict(x), 1) == y))
    assert narrow_acc < float_acc - TOLERANCE  # the narrow layer breaks the model

    out = tmp_path / "advised.yaml"
    advice = advise_precision(km, rm, x, y, tolerance=TOLERANCE, output=out)
    assert advice.within and advice.float_score == pytest.approx(float_acc)
    assert int(advice.types["fc2"]["result"].split(",")[1].rstrip(">")) >= 5  # fc2 got its integer bits back
    assert advice.bits["after"]["weights"] < advice.bits["before"]["weights"]  # and fewer bits overall
    # the written YAML, converted from scratch, is within the tolerance on the user's data
    rm2 = rtlnn.convert_from_keras_model(km, config=str(out), output_dir=tmp_path / "advised")
    acc = float(np.mean(np.argmax(rm2.predict(x), 1) == y))
    assert acc >= float_acc - TOLERANCE
    assert acc == pytest.approx(advice.score) and advice.verified_score == pytest.approx(acc)
    assert str(rm2.graph["fc2"].result_t) == advice.types["fc2"]["result"]


def test_advice_max_abs_error_metric(demo, tmp_path):
    from rtlnn.advice import advise_precision

    km, x, _ = demo
    rm = _convert(km, tmp_path, narrow=False)
    advice = advise_precision(km, rm, x[:500], metric="max_abs_error", tolerance=0.25, max_frac=12)
    assert advice.within and advice.score <= 0.25
    assert advice.verified_score == pytest.approx(advice.score)
    with pytest.raises(rtlnn.RtlnnError, match="even 2 fractional bits"):
        advise_precision(km, rm, x[:500], metric="max_abs_error", tolerance=1e-4, max_frac=2)


def test_cli_profile_and_advise(demo, tmp_path):
    km, x, y = demo
    np.save(tmp_path / "x.npy", x[:600])
    np.save(tmp_path / "y.npy", y[:600])
    (tmp_path / "narrow.yaml").write_text(
        "Model:\n  Precision: fixed<16,6>\nLayerName:\n  fc2:\n    Precision:\n      result: fixed<16,2>\n")
    from rtlnn.cli import main

    args = ["profile", str(demo_model_path()), "--data", str(tmp_path / "x.npy"), "--config",
            str(tmp_path / "narrow.yaml"), "-o", str(tmp_path / "prof")]
    assert main(args + ["--strict"]) == 1  # overflow -> non-zero with --strict
    assert main(args + ["--labels", str(tmp_path / "y.npy"), "--advise", str(tmp_path / "adv.yaml")]) == 0
    assert (tmp_path / "prof" / "index.html").is_file() and (tmp_path / "adv.yaml").is_file()
    assert main(["profile", str(tmp_path / "prof"), "--data", str(tmp_path / "x.npy")]) == 2  # folder w/o --model


CHECK_IMAGES = """
<script>
window.addEventListener('load', () => {
  const out = document.createElement('pre'); out.id = 'rtlnn-check';
  out.textContent = JSON.stringify(Array.from(document.images).map(i => [i.getAttribute('src'), i.naturalWidth,
                                                                         i.naturalHeight, i.complete]));
  document.body.appendChild(out);
});
</script>
"""


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.skipif(_chromium() is None, reason="chromium is not installed (apt-get install -y chromium)")
def test_profile_page_renders_in_chromium(demo, tmp_path):
    km, x, _ = demo
    rm = _convert(km, tmp_path)
    numerical(km, rm, x[:500], output_dir=tmp_path / "profile")
    page = tmp_path / "profile" / "index.html"
    # a copy of the page with a checker that lists every image's decoded size
    probe = page.with_name("probe.html")
    probe.write_text(page.read_text().replace("</body>", CHECK_IMAGES + "</body>"))
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
             f"--user-data-dir={tmp_path / 'chrome'}"]
    shot = tmp_path / "shot.png"
    subprocess.run([_chromium(), *flags, f"--screenshot={shot}", "--window-size=1200,2400", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:4] == b"\x89PNG"
    dom = subprocess.run([_chromium(), *flags, "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
                         check=True, capture_output=True, text=True, timeout=120).stdout
    report = dom.split('<pre id="rtlnn-check">', 1)[1].split("</pre>", 1)[0]
    images = json.loads(report.replace("&quot;", '"'))
    assert {src for src, *_ in images} == {"weights.png", "activations.png"}
    for src, width, height, complete in images:
        assert complete and width > 300 and height > 100, (src, width, height)


def test_advice_and_sweep_set_a_folded_batchnorm_through_its_own_name(tmp_path):
    """A BatchNormalization folded into its Dense gives that Dense its result type: the advice
    and the sweep set it under the BatchNormalization's name, and re-converting agrees."""
    pytest.importorskip("keras")
    from rtlnn.advice import advise_precision
    from rtlnn.explore import explore
    from test_trace import _keras_branchy_model

    model = _keras_branchy_model()
    rm = rtlnn.convert_from_keras_model(model, config={"Model": {"Precision": "fixed<16,6>"}},
                                        output_dir=tmp_path / "prj")
    x = np.random.default_rng(0).normal(0, 1, (300, 6))
    advice = advise_precision(model, rm, x, tolerance=0.02)
    assert advice.types["bn"]["result"] == advice.types["d2"]["result"]
    assert advice.verified_score == advice.score and advice.within
    ex = explore(model, x, None, reuse="1", precision="8", synth=False, engine="serial", progress=False,
                 output_dir=tmp_path / "sweep")
    names = ex.points[0].config["LayerName"]
    assert names["bn"]["Precision"]["result"] == names["d2"]["Precision"]["result"]
    rm8 = rtlnn.convert_from_keras_model(model, config=ex.points[0].config, output_dir=tmp_path / "p8")
    assert str(rm8.graph["d2"].result_t) == names["d2"]["Precision"]["result"]
