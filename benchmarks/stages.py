"""One function per measured stage of a case: generate, emulate, simulate, synthesize, place and route.

Each returns a dict of figures, or ``{"skipped": reason}`` when the stage was not run (too big
for the time budget, a missing tool, a design that does not fit).  Nothing here prints.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

SYNTH_BOARD = "arty-a7-100"  # xc7a100t: Yosys synth_xilinx -family xc7
ECP5_BOARD = "ulx3s-85f"
ECP5_FREQ_MHZ = 200.0
ECP5_DSP = 156  # MULT18X18D of the LFE5U-85F
DSP_LUTS = 55  # LUT-equivalents of one DSP48 in the LUT + 55 x DSP cost measure
EMU_SAMPLES = 10_000
EMU_RUNS = 5
SIM_VECTORS = 1000


@contextmanager
def cold_cache():
    """RTLNN_CACHE_DIR pointed at a fresh folder (so Verilog emission starts cold), then restored."""
    old = os.environ.get("RTLNN_CACHE_DIR")
    tmp = tempfile.mkdtemp(prefix="rtlnn-bench-cache-")
    os.environ["RTLNN_CACHE_DIR"] = tmp
    try:
        yield Path(tmp)
    finally:
        if old is None:
            os.environ.pop("RTLNN_CACHE_DIR", None)
        else:
            os.environ["RTLNN_CACHE_DIR"] = old
        shutil.rmtree(tmp, ignore_errors=True)


class Timer:
    """Wall-clock and this process's CPU seconds (the machine may be shared: CPU time is the steadier)."""

    def __enter__(self):
        self.t0, self.c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t0
        self.cpu = time.process_time() - self.c0


def generate(case, out_dir: Path, x_sim: np.ndarray):
    """Convert (passes on the untyped graph) and write rtl/, tb/ (``x_sim`` vectors) and report.json,
    with a cold Verilog-emission cache.  Returns (RtlnnModel, figures)."""
    from rtlnn.model import RtlnnModel
    from rtlnn.passes import run_passes

    graph = case.model.build()  # model loading is not part of generation (hls4ml: the user's Keras model)
    float_graph = graph
    config = case.config()
    with cold_cache(), Timer() as t:
        typed = run_passes(_copy(graph), config)
        rm = RtlnnModel(typed, config, out_dir, project_name=case.model.name, io_type=case.model.io_type)
        rm.write(x_sim)
    rep = rm.report()
    weighted = [layer for layer in typed if getattr(layer, "weight", None) is not None]  # Dense, Conv, ...
    with_weights = [l for l in rep["layers"] if "weight" in l["precision"]]
    return rm, float_graph, {
        "seconds": round(t.wall, 2), "cpu_seconds": round(t.cpu, 2),
        "latency_cycles": rep["latency_cycles"], "ii": rep["ii"], "multipliers": rep["multipliers"],
        "io_type": rep["io_type"],
        "weights": int(sum(np.size(layer.weight) for layer in weighted)),
        "nonzero_weights": int(sum(_nonzero(layer) for layer in weighted)),
        "precisions": {l["name"]: l["precision"] for l in with_weights},
        "strategies": {l["name"]: (l.get("strategy_reason") or l["strategy"]) for l in with_weights},
        "design_dir": str(out_dir), "rtl_sha256": rtl_hash(out_dir),
    }


def _nonzero(layer) -> int:
    """Nonzero weights after quantization (what the hardware multiplies)."""
    raw = getattr(layer, "weight_raw", None)
    return int(np.count_nonzero(raw() if callable(raw) else layer.weight))


def rtl_hash(design_dir: Path) -> str:
    """SHA-256 of the emitted Verilog: two runs with the same hash measured the same hardware."""
    import hashlib

    h = hashlib.sha256()
    for p in sorted((Path(design_dir) / "rtl").glob("*.v")):
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def _copy(graph):
    import copy

    return copy.deepcopy(graph)


def float_forward(graph, x: np.ndarray) -> np.ndarray | None:
    """The float network (Dense / ReLU / linear chain) in numpy, for the accuracy column; None otherwise."""
    vals = {}
    for layer in graph:
        if layer.kind == "Input":
            vals[layer.name] = np.asarray(x, dtype=np.float64)
        elif layer.kind == "Dense":
            vals[layer.name] = vals[layer.inputs[0]] @ np.asarray(layer.weight, np.float64) + np.asarray(layer.bias,
                                                                                                         np.float64)
        elif layer.kind == "Activation" and layer.function in ("relu", "linear"):
            v = vals[layer.inputs[0]]
            vals[layer.name] = np.maximum(v, 0.0) if layer.function == "relu" else v
        else:
            return None
    return vals[graph.outputs[0]]


def emulate(rm, float_graph, x: np.ndarray) -> dict:
    """Emulator throughput (median of EMU_RUNS predict calls on len(x) samples) and agreement with float."""
    rm.predict(x[:16])  # warm-up (imports, first allocation)
    runs = []
    for _ in range(EMU_RUNS):
        with Timer() as t:
            y = rm.predict(x)
        runs.append(t.wall)
    med = statistics.median(runs)
    figs = {"samples": len(x), "runs": EMU_RUNS, "median_seconds": round(med, 4),
            "samples_per_second": round(len(x) / med), "run_seconds": [round(r, 4) for r in runs]}
    ref = float_forward(float_graph, x)
    if ref is not None:
        y = np.asarray(y, dtype=np.float64)
        figs["argmax_agreement_vs_float"] = round(float(np.mean(np.argmax(y, 1) == np.argmax(ref, 1))), 4)
        figs["max_abs_error_vs_float"] = round(float(np.max(np.abs(y - ref))), 4)
    return figs


def simulate(rm, n_vectors: int) -> dict:
    """Verilator build into a fresh build folder (so the build is timed cold) + a run of ``n_vectors``."""
    from rtlnn.sim import simulate as run_sim

    root = Path(tempfile.mkdtemp(prefix="rtlnn-bench-sim-"))
    try:
        res = run_sim(rm.output_dir, simulator="verilator", vectors=n_vectors, build_root=root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    d = res.to_dict()
    return {"simulator": "verilator", "vectors": res.n_vectors, "mismatches": res.mismatches,
            "latency_cycles": res.latency_cycles, "ii": res.ii,
            "latency_as_reported": res.latency_cycles == rm.latency_cycles, "ii_as_reported": res.ii == rm.ii,
            "passed": bool(res.passed and res.latency_cycles == rm.latency_cycles and res.ii == rm.ii),
            "build_seconds": round(d.get("build_seconds", 0.0), 2), "run_seconds": round(d.get("sim_seconds", 0.0), 2),
            "errors": list(res.errors)[:3]}


def synthesize(rm) -> dict:
    with Timer() as t:
        res = rm.synthesize(board=SYNTH_BOARD, store=True)
    tot = res.total
    return {"tool": res.tool, "command": res.command, "part": res.part, "board": res.board,
            "lut": tot["lut"], "ff": tot["ff"], "dsp": tot["dsp"], "bram18": tot["bram18"], "bram36": tot["bram36"],
            "carry": tot["carry"], "lut_equivalent": tot["lut_equivalent"],
            # the cost measure: LUTs (with SRL / LUTRAM) + 55 per DSP
            "lut_plus_55dsp": tot["lut_equivalent"] + DSP_LUTS * tot["dsp"], "fits": res.fits,
            "utilization": res.utilization, "seconds": round(res.seconds, 1), "wall_seconds": round(t.wall, 1),
            "cached": res.cached}


def place_and_route(rm, timeout: float | None) -> dict:
    from rtlnn.flows.ecp5 import build_ecp5

    try:
        res = build_ecp5(rm.output_dir, ECP5_BOARD, ECP5_FREQ_MHZ, bitstream=False, timeout=timeout)
    except Exception as e:
        if "did not finish within" in str(e):
            return {"skipped": f"nextpnr-ecp5 did not finish within --ecp5-timeout {timeout:g} s on this machine"}
        raise
    u = res.utilization
    return {"board": res.board, "part": res.part, "freq_target_mhz": res.freq_target_mhz, "fmax_mhz": res.fmax_mhz,
            "timing_met": res.timing_met, "latency_cycles": res.latency_cycles, "latency_ns": res.latency_ns,
            "throughput_msps": res.throughput_msps,
            "comb": u.get("TRELLIS_COMB", {}).get("used"), "ff": u.get("TRELLIS_FF", {}).get("used"),
            "dsp": u.get("MULT18X18D", {}).get("used"), "bram": u.get("DP16KD", {}).get("used"),
            "tools": res.tools, "seconds": res.seconds, "cached": res.cached,
            "harness": "serial timing harness (rtlnn.flows.serial_harness): I/O through shift registers"}


# ------------------------------------------------------------------------------ budgets


def logic_weight_bits(gen: dict, strategy: str) -> int:
    """The size proxy the time budgets use: weight bits held in logic (constants, weight muxes,
    adder graphs).  Yosys and Verilator times grow with it; Resource keeps weights in block RAM,
    so only its multipliers count there."""
    bits = 0
    for name, prec in gen["precisions"].items():
        del name
        w = prec.get("weight", "")
        width = int(w.split("<")[1].split(",")[0]) if "<" in w else 16
        bits = max(bits, width)
    if strategy == "Resource":
        return gen["multipliers"] * bits * 4
    return gen["nonzero_weights"] * bits


def ecp5_fit(synth: dict, max_lut: int) -> str | None:
    """Why the ECP5 run is skipped (None: run it), judged from the Xilinx synthesis of the same RTL."""
    if synth.get("dsp", 0) > ECP5_DSP:
        return (f"needs {synth['dsp']} multipliers as DSP (xc7 synthesis) > {ECP5_DSP} MULT18X18D of the 85F: "
                "does not fit the ULX3S-85F")
    if synth.get("lut", 0) + synth.get("ff", 0) // 2 > 83_640:
        return f"{synth['lut']} LUT (xc7 synthesis) > 83,640 LUT4 of the 85F: does not fit"
    if synth.get("lut", 0) > max_lut:
        return (f"{synth['lut']} LUT (xc7 synthesis) > --ecp5-max-lut {max_lut}: nextpnr-ecp5 would take over "
                "~10 minutes; rerun with a larger --ecp5-max-lut")
    return None
