"""``rtlnn demo``: the bundled jet-tagger MLP from Keras to simulated Verilog, with a short report."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from .converters import config_from_keras_model, convert_from_keras_model, load_keras
from .report import store_section

__all__ = ["DEMO_MODEL", "demo_model_path", "run_demo"]

DEMO_MODEL = "jet_tagger.keras"
DEMO_PRECISION = "fixed<16,6>"
#: The demo's test set is drawn with a seed the training script never uses.
TEST_SEED = 2026


def demo_model_path() -> Path:
    return Path(str(resources.files("rtlnn") / "examples" / DEMO_MODEL))


def _float_outputs(path: Path, x: np.ndarray) -> np.ndarray | None:
    """Keras float outputs, or None when Keras is not installed."""
    try:
        import keras
    except ImportError:
        return None
    model = keras.saving.load_model(str(path), compile=False)
    return np.asarray(model.predict(x, batch_size=1024, verbose=0))


def run_demo(output_dir="rtlnn_demo", *, n_vectors: int = 1000, simulator: str = "verilator") -> dict:
    """Convert the bundled model at fixed<16,6>, RF 1, simulate ``n_vectors`` test samples and compare."""
    from .datasets import JET_CLASSES, jet_tagging

    path = demo_model_path()
    km = load_keras(path)
    x, y = jet_tagging(n_vectors, seed=TEST_SEED)
    config = config_from_keras_model(km, granularity="name", default_precision=DEMO_PRECISION, default_reuse_factor=1)
    rm = convert_from_keras_model(km, config=config, output_dir=output_dir)
    sim = rm.simulate(x, simulator=simulator)

    emulated = rm.predict(x)
    accuracy = {"fixed_emulator": float(np.mean(np.argmax(emulated, axis=1) == y))}
    if sim.outputs is not None and len(sim.outputs) == len(y):
        accuracy["rtl_simulation"] = float(np.mean(np.argmax(sim.outputs, axis=1) == y))
    reference = _float_outputs(path, x)
    if reference is not None:
        accuracy["keras_float"] = float(np.mean(np.argmax(reference, axis=1) == y))
        accuracy["argmax_agreement_fixed_vs_float"] = float(np.mean(np.argmax(reference, 1) == np.argmax(emulated, 1)))
        accuracy["max_abs_error_fixed_vs_float"] = float(np.max(np.abs(reference - emulated)))
    store_section(rm.output_dir, "accuracy", accuracy)

    lines = [
        f"rtlnn demo: {path.name} (16->64->32->32->5, ReLU; classes {', '.join(JET_CLASSES)}) at {DEMO_PRECISION}, RF 1",
        f"  output folder        {rm.output_dir}",
        f"  latency / II         {rm.latency_cycles} cycles / {rm.ii} (generator); "
        f"{sim.latency_cycles} / {sim.ii} (measured in simulation)",
        f"  multipliers          {rm.report()['multipliers']}",
        f"  simulation           {sim.n_vectors} vectors on {sim.simulator}, {sim.mismatches} mismatches -> "
        f"{'PASS' if sim.passed else 'FAIL'}",
    ]
    for key in ("keras_float", "fixed_emulator", "rtl_simulation"):
        if key in accuracy:
            lines.append(f"  accuracy {key:<16} {accuracy[key]:.4f}")
    if "max_abs_error_fixed_vs_float" in accuracy:
        lines.append(f"  fixed vs float       argmax agreement {accuracy['argmax_agreement_fixed_vs_float']:.4f}, "
                     f"max |error| {accuracy['max_abs_error_fixed_vs_float']:.4f}")
    return {"passed": sim.passed, "simulation": sim.to_dict(), "accuracy": accuracy, "text": "\n".join(lines),
            "output_dir": str(rm.output_dir)}
