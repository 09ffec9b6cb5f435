"""The CNN example end to end (train, 8-bit config, io_stream, Verilator on the whole test set):
slow (3-8 minutes), run with ``-m slow``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.keras
def test_cnn_example_end_to_end(tmp_path):
    pytest.importorskip("sklearn")
    out = subprocess.run([sys.executable, str(REPO / "scripts" / "cnn_example.py"), "--output-dir",
                          str(tmp_path / "prj"), "--no-docs"], capture_output=True, text=True, timeout=1800)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert '"rtl_bit_exact": true' in out.stdout and '"simulation_passed": true' in out.stdout
