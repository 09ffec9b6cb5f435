"""Checks that run in a fresh Python process, so that what rtlnn imports can be seen."""

import subprocess
import sys


def assert_emulates_without_importing(load_call: str, ref_path, x_key: str, y_key: str, forbidden) -> None:
    """In a fresh process: ``load_keras(<load_call>)`` converts, its emulator reproduces the stored
    outputs ``ref[y_key]`` on ``ref[x_key]`` exactly, and none of the ``forbidden`` modules got imported."""
    code = (
        "import sys, numpy as np\n"
        "from rtlnn.frontends.keras import load_keras, graph_from_keras\n"
        "from rtlnn.passes import run_passes\n"
        "from rtlnn.emulate import quantize_inputs, run_raw, to_float\n"
        f"g = run_passes(graph_from_keras(load_keras({load_call})), {{}})\n"
        f"ref = np.load({str(ref_path)!r})\n"
        f"out = to_float(g, run_raw(g, quantize_inputs(g, ref[{x_key!r}])))['output']\n"
        f"assert np.array_equal(out, ref[{y_key!r}].astype(np.float64))\n"
        f"bad = [m for m in {tuple(forbidden)!r} if m in sys.modules]\n"
        "assert not bad, bad\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr[-2000:]
