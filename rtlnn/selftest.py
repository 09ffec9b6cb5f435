"""The self-test wrapper of a written design: build it from ``tb/``, emit it, prove it in simulation.

:func:`selftest_component` reads a design folder (``rtl/``, ``tb/``, ``report.json``) and
returns a :class:`rtlnn.hw.selftest.SelfTest` around the written network module, holding
the first ``n`` test vectors.  :func:`write_selftest_verilog` emits it (deterministic
bytes); :func:`simulate_selftest` runs it with the written ``rtl/*.v`` under cocotb
(:mod:`rtlnn.sim.selftest_bench`) and returns what the LEDs and the UART showed.

Board builds use the same component with the board's clock and a human baud rate; the
simulation uses a fast UART (10 clock cycles per bit) so the report line takes a few
thousand cycles.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from .hw.emit import is_verilog_name, to_verilog
from .hw.selftest import SelfTest
from .ir import RtlnnError
from .report import load_report
from .vectors import read_hex

__all__ = ["selftest_component", "write_selftest_verilog", "simulate_selftest", "SelfTestResult",
           "selftest_module_name", "DEFAULT_VECTORS", "DEFAULT_BAUD"]

DEFAULT_VECTORS = 32
DEFAULT_BAUD = 115200
SIM_CLK_FREQ = 1_000_000
SIM_BAUD = 100_000
BENCH_MODULE = "rtlnn.sim.selftest_bench"


def selftest_module_name(project: str) -> str:
    """The wrapper's Verilog module name: ``rtlnn_selftest`` unless the network already uses it."""
    return "rtlnn_selftest" if project != "rtlnn_selftest" else f"{project}_wrapper"


def _core_is_clocked(design_dir: Path, top: str) -> bool:
    """Whether the written top module has ``clk``/``rst`` ports (a purely combinational one has none)."""
    path = design_dir / "rtl" / f"{top}.v"
    if not path.is_file():
        raise RtlnnError(f"self-test: {path} is missing; the design's top module {top!r} must be in rtl/")
    match = re.search(rf"\bmodule\s+{re.escape(top)}\s*\(([^)]*)\)", path.read_text())
    if not match:
        raise RtlnnError(f"self-test: {path} does not define module {top!r}")
    ports = {p.strip() for p in match.group(1).split(",")}
    return "clk" in ports


def selftest_component(design_dir, *, n: int | None = None, clk_freq: float, baud: int = DEFAULT_BAUD,
                       corrupt: int | None = None, resend_cycles: int | None = None) -> SelfTest:
    """A :class:`SelfTest` around the design's written top module with its first ``n`` test vectors
    (``None``: ``DEFAULT_VECTORS`` or all of them if fewer). ``corrupt=k`` flips bit 0 of expected
    vector ``k`` (to see it fail)."""
    design_dir = Path(design_dir)
    report = load_report(design_dir)
    tb = design_dir / "tb"
    try:
        meta = json.loads((tb / "meta.json").read_text())
    except FileNotFoundError:
        raise RtlnnError(f"self-test: {tb / 'meta.json'} is missing; write the design with test vectors") from None
    available = int(meta["n_vectors"])
    count = min(DEFAULT_VECTORS, available) if n is None else int(n)
    if count < 1:
        raise RtlnnError(f"self-test: the number of vectors must be at least 1, got {n!r}")
    if count > available:
        raise RtlnnError(f"self-test: {count} vectors requested but {tb} holds {available}; "
                         f"write the design with more vectors (n_vectors=) or ask for fewer")
    inputs = read_hex(tb / "inputs.hex")[:count]
    expected = read_hex(tb / "expected.hex")[:count]
    if len(inputs) < count or len(expected) < count:
        raise RtlnnError(f"self-test: {tb} has fewer vector lines than meta.json's n_vectors={available}")
    if corrupt is not None:
        if not 0 <= corrupt < count:
            raise RtlnnError(f"self-test: corrupt={corrupt} is not one of the {count} vectors")
        expected[corrupt] ^= 1
    top = meta["top"]
    if top != report["project"]:
        raise RtlnnError(f"self-test: tb/meta.json names top {top!r} but report.json's project is "
                         f"{report['project']!r}; write the design again")
    return SelfTest(inputs=inputs, expected=expected, in_width=int(meta["in_width"]),
                    out_width=int(meta["out_width"]), latency=int(meta["latency"]), ii=int(meta["ii"]),
                    clk_freq=clk_freq, baud=baud, core_module=top,
                    core_clocked=_core_is_clocked(design_dir, top), resend_cycles=resend_cycles)


def write_selftest_verilog(design_dir, path, **kwargs) -> SelfTest:
    """Emit the self-test wrapper of ``design_dir`` as one Verilog module file at ``path``
    (``kwargs`` as for :func:`selftest_component`); returns the component (its timing, UART divisor)."""
    report = load_report(design_dir)
    name = selftest_module_name(report["project"])
    if not is_verilog_name(name):
        raise RtlnnError(f"self-test: module name {name!r} is not a Verilog identifier")
    component = selftest_component(design_dir, **kwargs)
    text = to_verilog(component, name)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return component


@dataclass
class SelfTestResult:
    """What the self-test wrapper showed in simulation: its LEDs, its UART line, its counters."""

    passed: bool  # led_pass lit, led_fail dark, line starts with PASS
    led_pass: int
    led_fail: int
    led_done: int
    line: str
    outputs_seen: int
    errors: int
    latency_cycles: int
    cycles: int
    done_cycle: int | None  # cycles after reset at which led_done rose
    simulator: str
    build_cached: bool

    def to_dict(self) -> dict:
        return asdict(self)


def simulate_selftest(design_dir, *, n: int | None = None, simulator: str = "icarus",
                      corrupt: int | None = None, build_root=None) -> SelfTestResult:
    """Simulate the self-test wrapper of a written design and report its LEDs and UART line.

    The wrapper is emitted to ``<design_dir>/sim/selftest/`` and built together with
    ``rtl/*.v`` (cached by content, like :func:`rtlnn.sim.simulate`).
    """
    # The runner's internals are reused on purpose: one recipe for tool environment and build cache.
    from .sim.runner import (_build, _check_simulator, _Design, _get_runner, _log_excerpt, _tool_env,
                             TIMESCALE, default_build_root, simulation_sources)

    design_dir = Path(design_dir).resolve()
    report = load_report(design_dir)
    _check_simulator(simulator)
    name = selftest_module_name(report["project"])
    wrapper = design_dir / "sim" / "selftest" / f"{name}.v"
    component = write_selftest_verilog(design_dir, wrapper, n=n, clk_freq=SIM_CLK_FREQ, baud=SIM_BAUD,
                                       corrupt=corrupt)
    sources = simulation_sources(design_dir) + [wrapper]
    root = Path(build_root) if build_root else default_build_root()
    design = _Design(design_dir, sources, {"top": name}, design_dir / "tb")
    build_dir, cached, _ = _build(design, simulator, root)

    runs = root / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=runs))
    record_path = run_dir / "selftest.json"
    log = run_dir / "sim.log"
    env = {
        "RTLNN_SELFTEST_RESULT": str(record_path),
        "RTLNN_SELFTEST_BIT_CYCLES": str(component.divisor),
        "RTLNN_SELFTEST_MAX_CYCLES": str(component.total_cycles + component.timeout + 200 * component.divisor * 10
                                         + 1000),
    }
    runner = _get_runner(simulator)
    try:
        with _tool_env(simulator):
            try:
                runner.test(test_module=BENCH_MODULE, hdl_toplevel=name, hdl_toplevel_lang="verilog",
                            build_dir=str(build_dir), test_dir=str(run_dir), extra_env=env,
                            timescale=TIMESCALE if simulator == "icarus" else None, log_file=str(log))
            except (SystemExit, RuntimeError):
                pass  # judged below by whether the bench wrote its record
        if not record_path.exists():
            raise RtlnnError(f"{simulator}: the self-test bench on {name} produced no result\n{_log_excerpt(log)}")
        record = json.loads(record_path.read_text())
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    if "error" in record:
        raise RtlnnError(f"self-test: {record['error']}")
    line = record["line"]
    passed = bool(record["led_pass"]) and not record["led_fail"] and line.startswith("PASS")
    result = SelfTestResult(passed=passed, led_pass=record["led_pass"], led_fail=record["led_fail"],
                            led_done=record["led_done"], line=line, outputs_seen=record["outputs_seen"],
                            errors=record["errors"], latency_cycles=record["latency_measured"],
                            cycles=record["cycles_measured"], done_cycle=record["done_cycle"],
                            simulator=simulator, build_cached=cached)
    out = design_dir / "sim" / "selftest" / "result.json"
    tmp = out.with_name(f".result.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(result.to_dict(), indent=1) + "\n")
    os.replace(tmp, out)
    return result
