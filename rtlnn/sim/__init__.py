"""Simulation of written designs: cocotb bench + Verilator (default) or Icarus.

A written design directory holds ``rtl/*.v`` and ``tb/`` with ``meta.json``
(``top``, ``in_width``, ``out_width``, ``latency``, ``ii``, ``n_vectors``), ``inputs.hex``
and ``expected.hex`` (one packed vector per line, lowercase hex, zero-padded).
``simulate(design_dir)`` proves the RTL produces exactly ``expected.hex``, ``latency``
cycles after each input, at one vector every ``ii`` cycles.
"""

from rtlnn.sim.runner import (
    SIMULATORS,
    SimulationResult,
    build,
    default_build_root,
    simulate,
)

__all__ = ["SIMULATORS", "SimulationResult", "build", "default_build_root", "simulate"]
