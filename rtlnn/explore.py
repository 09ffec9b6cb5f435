"""Design-space exploration: reuse factors x precisions, each point measured, the Pareto front.

For every point of the sweep :func:`explore` converts the model with that point's config and
measures:

* **accuracy** — the bit-accurate emulator on the user's data (argmax against the labels, or
  against float Keras' argmax when no labels are given);
* **latency and II** — from the generators (cycles);
* **resources** — Yosys (:func:`rtlnn.flows.yosys_synth.synthesize`: LUT, FF, DSP, BRAM per
  layer, each layer's run cached by the hash of its Verilog), and the **cost**
  ``LUT-equivalent + 55 x DSP`` (:data:`DSP_LUTS`);
* **Fmax** — the ECP5 place-and-route flow (:func:`rtlnn.flows.ecp5.build_ecp5`) when asked.

A *precision* of the sweep is either a width ``W``: every weight, bias and activation gets
``W`` bits with its own integer bits from the numerical profile (the fewest that hold its
values on the data, see :mod:`rtlnn.profiling`), or a type such as ``fixed<16,6>`` used
model-wide.  A reuse factor ``R`` is set for every layer with multipliers, clamped to the
layer's nonzero products.

The work runs in parallel: ``engine="local"`` (a process pool on this machine's cores, the
default), ``"dask"`` (a Dask cluster at ``scheduler``, or a LocalCluster; ``pip install
rtlnn[dask]``) or ``"serial"``, in three phases (:func:`_run_points`): every point's accuracy,
latency and Verilog; then the distinct Yosys runs of the whole sweep, one per layer module,
longest first (points that share a layer's Verilog share its run, and one point's layers run
side by side); then each point's totals from the synthesis cache.  Synthesis uses the ``fast``
recipe by default (a lean ABC9 script, :mod:`rtlnn.flows.yosys_synth`), ``recipe="full"`` for
Yosys's own.  Each point's result is cached by a digest of its typed graph, the data, the
options and rtlnn's own code, so a re-run costs a file read per point; results are the same
whichever engine ran them.

The Pareto front minimizes latency and cost and maximizes accuracy; :func:`pick` chooses one
point by a rule (``min-cost``, ``min-latency``, ``max-accuracy``) among those within an
accuracy tolerance, and its config is written as YAML.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .ir import ModelGraph, RtlnnError

__all__ = ["explore", "Exploration", "PointResult", "parse_reuse", "parse_precision", "pareto_front", "pick",
           "DSP_LUTS", "PICK_RULES", "ENGINES"]

#: LUTs one DSP slice is counted as in the cost (LUT-equivalent + DSP_LUTS x DSP).
DSP_LUTS = 55
PICK_RULES = ("min-cost", "min-latency", "max-accuracy")
ENGINES = ("local", "dask", "serial")
#: Bumped when what a point measures changes, so cached points are not reused.
EXPLORE_VERSION = 1
#: Fields that depend on where and when a point ran, not on the design.
RUN_FIELDS = ("cached", "seconds", "design_dir")


# ----------------------------------------------------------------------------- the sweep


def parse_reuse(text) -> list[int]:
    """``"1,2,4,8"`` (or a list) -> ``[1, 2, 4, 8]``."""
    items = text if isinstance(text, (list, tuple)) else str(text).split(",")
    try:
        values = [int(str(v).strip()) for v in items if str(v).strip()]
    except ValueError:
        raise RtlnnError(f"--reuse {text!r}: give whole numbers separated by commas, e.g. 1,2,4,8") from None
    if not values or any(v < 1 for v in values):
        raise RtlnnError(f"--reuse {text!r}: reuse factors must be >= 1, e.g. 1,2,4,8")
    return sorted(set(values))


def parse_precision(text) -> list[str]:
    """``"8..16"`` (widths 8 to 16), ``"8..16:2"`` (step 2), ``"8,12,16"``, or types
    ``"fixed<16,6>;fixed<8,3>"`` -> labels: ``"8"`` ... or the type strings."""
    from .fixed import FixedFormatError, parse_type

    if isinstance(text, (list, tuple)):
        items = [str(v) for v in text]
    else:
        text = str(text).strip()
        m = re.fullmatch(r"(\d+)\s*\.\.\s*(\d+)(?:\s*:\s*(\d+))?", text)
        if m:
            lo, hi, step = int(m[1]), int(m[2]), int(m[3] or 1)
            if not 2 <= lo <= hi or step < 1:
                raise RtlnnError(f"--precision {text!r}: need 2 <= low <= high and a step >= 1, e.g. 8..16 or 8..16:2")
            return [str(w) for w in range(lo, hi + 1, step)]
        items = [p for p in re.split(r";|,(?![^<]*>)", text) if p.strip()]
    out = []
    for item in items:
        item = item.strip()
        if item.isdigit():
            if int(item) < 2:
                raise RtlnnError(f"--precision: width {item} is too narrow; use 2 bits or more")
            out.append(item)
            continue
        try:
            out.append(str(parse_type(item)))
        except FixedFormatError as e:
            raise RtlnnError(f"--precision {item!r}: {e}; give widths (8..16) or types (fixed<16,6>)") from None
    if not out:
        raise RtlnnError(f"--precision {text!r}: nothing to sweep")
    return list(dict.fromkeys(out))


@dataclass
class _Context:
    """What every point needs, shipped once to each worker."""

    graph: ModelGraph  # untyped, as the frontend made it
    base_config: dict
    x: np.ndarray
    labels: np.ndarray
    integer_bits: dict  # layer -> precision name -> integer bits
    signed: dict  # layer -> precision name -> signedness of the base type
    synth: bool
    part: str | None
    board: str | None
    fmax_board: str | None
    freq_mhz: float | None
    workdir: str
    use_cache: bool
    code_digest: str
    recipe: str = "fast"  # Yosys recipe (rtlnn.flows.yosys_synth.RECIPES)

    @property
    def synth_cache(self) -> str | None:
        """The synthesis cache of the sweep: the shared one, or (no cache) a folder of this sweep's own."""
        return None if self.use_cache else str(Path(self.workdir) / "synth-cache")


@dataclass
class PointResult:
    """One point of the sweep, measured (``error`` says why a point could not be)."""

    index: int
    reuse_factor: int
    precision: str
    accuracy: float | None = None
    latency_cycles: int | None = None
    ii: int | None = None
    multipliers: int | None = None
    lut: int | None = None
    ff: int | None = None
    dsp: int | None = None
    bram18: int | None = None
    lut_equivalent: int | None = None
    cost: int | None = None
    fmax_mhz: float | None = None
    latency_ns: float | None = None
    pareto: bool = False
    error: str | None = None
    config: dict = field(default_factory=dict)
    cached: bool = False
    seconds: float = 0.0
    design_dir: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def design_key(self) -> dict:
        """Everything but where and when it ran: equal for equal designs, whichever engine."""
        return {k: v for k, v in self.to_dict().items() if k not in RUN_FIELDS}


def _point_config(ctx: _Context, rf: int, precision: str) -> dict:
    cfg = copy.deepcopy(ctx.base_config)
    model = cfg.setdefault("Model", {})
    names = cfg.get("LayerName") or {}
    cfg["LayerName"] = names
    if precision.isdigit():
        width = int(precision)
        model["Precision"] = f"fixed<{width},{max(1, width // 2)}>"
        for layer, bits in ctx.integer_bits.items():
            entry = names.setdefault(layer, {}) or {}
            names[layer] = entry
            prec = {}
            for pname, integer in bits.items():
                base = "fixed" if ctx.signed[layer][pname] else "ufixed"
                prec[pname] = f"{base}<{width},{integer}>"
            entry["Precision"] = prec
    else:
        model["Precision"] = precision
        for entry in names.values():  # the point's type is model-wide: drop per-layer types
            if isinstance(entry, dict):
                entry.pop("Precision", None)
    model["ReuseFactor"] = rf
    for entry in names.values():
        if isinstance(entry, dict):
            entry.pop("ReuseFactor", None)
    return cfg


def _typed(ctx: _Context, rf: int, precision: str):
    """The point's config (reuse factors clamped to each layer's products) and typed graph."""
    from .passes import run_passes

    cfg = _point_config(ctx, rf, precision)
    probe = copy.deepcopy(cfg)
    probe["Model"]["ReuseFactor"] = 1
    typed = run_passes(ctx.graph.copy(), probe)
    for layer in typed:
        if hasattr(layer, "n_products") and layer.n_products() and rf > 1:
            entry = cfg["LayerName"].setdefault(layer.name, {}) or {}
            cfg["LayerName"][layer.name] = entry
            entry["ReuseFactor"] = min(rf, layer.n_products())
    return cfg, run_passes(ctx.graph.copy(), cfg)


def _cache_path(ctx: _Context, typed: ModelGraph, rf: int, precision: str) -> Path:
    from .hw.emit import cache_dir, fingerprint

    key = fingerprint("rtlnn-explore", EXPLORE_VERSION, ctx.code_digest, list(typed), list(typed.outputs), ctx.x,
                      ctx.labels, ctx.synth, ctx.part, ctx.board, ctx.fmax_board, ctx.freq_mhz, rf, precision,
                      ctx.recipe if ctx.synth else None)
    return cache_dir("explore") / f"{key}.json"


def measure_point(ctx: _Context, index: int, rf: int, precision: str) -> tuple[dict, str | None]:
    """A point's first phase (in a worker): its config, then either its cached result or its
    accuracy (emulator), latency, II and multipliers, with the design written for synthesis.
    Returns ``(PointResult.to_dict(), cache file to store the finished result in, or None)``."""
    start = time.monotonic()
    result = PointResult(index=index, reuse_factor=rf, precision=precision)
    try:
        cfg, typed = _typed(ctx, rf, precision)
    except RtlnnError as e:
        result.error = str(e)
        return result.to_dict(), None
    result.config = cfg
    path = _cache_path(ctx, typed, rf, precision)
    if ctx.use_cache and path.is_file():
        try:
            data = json.loads(path.read_text())
            data.update(index=index, cached=True, seconds=round(time.monotonic() - start, 3))
            return data, None
        except (OSError, json.JSONDecodeError):
            pass  # a torn entry: measure again
    from .model import RtlnnModel

    out_dir = Path(ctx.workdir) / f"p{index:03d}_rf{rf}_{_slug(precision)}"
    rm = RtlnnModel(typed, cfg, out_dir, part=ctx.part or "xc7a35tcpg236-1")
    try:
        pred = rm.predict(ctx.x)
        pred = pred[0] if isinstance(pred, list) else pred
        result.accuracy = float(np.mean(np.argmax(np.asarray(pred).reshape(len(ctx.x), -1), axis=1) == ctx.labels))
        result.latency_cycles, result.ii = rm.latency_cycles, rm.ii
        result.multipliers = rm.design.n_multipliers
        if ctx.synth or ctx.fmax_board:
            rm.write(n_vectors=4)
            result.design_dir = str(out_dir)
    except RtlnnError as e:
        result.error = str(e).splitlines()[0]
    result.seconds = round(time.monotonic() - start, 3)
    return result.to_dict(), str(path) if ctx.use_cache else None


def point_synthesis_jobs(ctx: _Context, result: dict) -> list[tuple]:
    """The Yosys runs of a measured point (:func:`rtlnn.flows.yosys_synth.design_jobs`)."""
    if not ctx.synth or result.get("error") or result.get("cached") or not result.get("design_dir"):
        return []
    from .flows.yosys_synth import design_jobs

    return design_jobs(result["design_dir"], part=None if ctx.board else ctx.part, board=ctx.board,
                       recipe=ctx.recipe)


def run_synthesis_job(ctx: _Context, job, family: str, recipe: str) -> dict:
    """One distinct Yosys run of the sweep, into the synthesis cache (in a worker)."""
    from .flows.yosys_synth import run_job

    return run_job(job, family, recipe, cache_root=ctx.synth_cache)


def finish_point(ctx: _Context, result: dict, cache_file: str | None) -> dict:
    """A point's last phase (in a worker): its resources from the synthesis cache (every run is
    there after the sweep's synthesis phase), Fmax when asked; the result stored in the cache."""
    if result.get("error") or result.get("cached"):
        return result
    start = time.monotonic()
    p = PointResult(**result)
    out_dir = Path(p.design_dir) if p.design_dir else None
    try:
        if ctx.synth:
            from .flows.yosys_synth import synthesize

            s = synthesize(out_dir, part=None if ctx.board else ctx.part, board=ctx.board, jobs=1, recipe=ctx.recipe,
                           cache_root=ctx.synth_cache)
            t = s.total
            p.lut, p.ff, p.dsp = int(t["lut"]), int(t["ff"]), int(t["dsp"])
            p.bram18 = int(t["bram18"]) + 2 * int(t["bram36"])
            p.lut_equivalent = int(t["lut_equivalent"])
            p.cost = p.lut_equivalent + DSP_LUTS * p.dsp
        if ctx.fmax_board:
            from .flows.ecp5 import build_ecp5

            timing = build_ecp5(out_dir, board=ctx.fmax_board, freq_mhz=ctx.freq_mhz, bitstream=False)
            p.fmax_mhz = float(timing.fmax_mhz)
            p.latency_ns = round(p.latency_cycles * 1000.0 / timing.fmax_mhz, 2)
    except RtlnnError as e:
        p.error = str(e).splitlines()[0]
    p.seconds = round(p.seconds + time.monotonic() - start, 3)
    if cache_file and p.error is None:
        path = Path(cache_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({**p.to_dict(), "cached": False}))
        tmp.replace(path)
    return p.to_dict()


def evaluate_point(ctx: _Context, index: int, rf: int, precision: str) -> dict:
    """One point measured start to end in this process (its Yosys runs one after another)."""
    result, cache_file = measure_point(ctx, index, rf, precision)
    for _key, job, family, recipe, _size in point_synthesis_jobs(ctx, result):
        run_synthesis_job(ctx, job, family, recipe)
    return finish_point(ctx, result, cache_file)


def _slug(precision: str) -> str:
    return re.sub(r"[^0-9A-Za-z]+", "_", precision).strip("_")


#: The code that turns a typed graph into a point's measurements, besides the generators (which
#: :func:`rtlnn.hw.emit.fingerprint` covers): a cached point is reused only by the same code.
_MEASURING_CODE = ("explore.py", "fixed.py", "arith*.py", "activations.py", "elementwise.py", "tables.py",
                   "emulate/*.py", "flows/yosys_synth.py", "flows/cells.py", "flows/ecp5.py",
                   "flows/serial_harness.py")


def _code_digest() -> str:
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for pattern in _MEASURING_CODE:
        for path in sorted(root.glob(pattern)):
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


# ----------------------------------------------------------------------------- engines


class _Engine:
    """Runs calls ``fn(ctx, *args)`` on the chosen engine, results in submission order: a spawned
    process pool (``local``), a Dask cluster (``dask``; the context scattered once) or in turn
    (``serial``).  The workers and the caller share a file system (designs, caches)."""

    def __init__(self, ctx: _Context, engine: str, workers: int | None, scheduler: str | None, progress: bool):
        if engine not in ENGINES:
            raise RtlnnError(f"engine {engine!r} is not one of {', '.join(ENGINES)}")
        self.ctx, self.engine, self.progress = ctx, engine, progress
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.pool = self.client = self.cluster = self.ctx_ref = None
        if engine == "local":
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # spawn: the parent may hold TensorFlow's threads, which fork does not survive
            self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"))
        elif engine == "dask":
            try:
                from dask.distributed import Client, LocalCluster
            except ImportError:
                raise RtlnnError("engine 'dask' needs Dask: `pip install \"rtlnn[dask]\"` (dask[distributed])") from None
            if scheduler:
                self.client = Client(scheduler)
            else:
                self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                            dashboard_address=None)
                self.client = Client(self.cluster)
            self.ctx_ref = self.client.scatter(ctx, broadcast=True)

    def map(self, fn, calls: list[tuple], desc: str) -> list:
        from tqdm.auto import tqdm

        results: dict[int, object] = {}
        bar = tqdm(total=len(calls), desc=desc, unit="run", disable=not self.progress or not calls)
        try:
            if self.engine == "serial":
                for k, args in enumerate(calls):
                    results[k] = fn(self.ctx, *args)
                    bar.update()
            elif self.engine == "local":
                from concurrent.futures import as_completed
                from concurrent.futures.process import BrokenProcessPool

                try:
                    futures = {self.pool.submit(fn, self.ctx, *args): k for k, args in enumerate(calls)}
                    for f in as_completed(futures):
                        results[futures[f]] = f.result()
                        bar.update()
                except BrokenProcessPool:
                    raise RtlnnError("explore: a worker process died; a script that calls explore() with "
                                     "engine='local' must do so under `if __name__ == \"__main__\":` (workers are "
                                     "spawned and import the script), or use engine='serial'") from None
            else:
                from dask.distributed import as_completed

                futures = [self.client.submit(fn, self.ctx_ref, *args, pure=False) for args in calls]
                index = {f.key: k for k, f in enumerate(futures)}
                for f in as_completed(futures):
                    results[index[f.key]] = f.result()
                    bar.update()
        finally:
            bar.close()
        return [results[k] for k in range(len(calls))]

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _run_points(ctx: _Context, points, engine: str, workers: int | None, scheduler: str | None,
                progress: bool) -> tuple[list[dict], dict]:
    """Measure every point in three phases on one engine: (1) accuracy, latency and the design of
    each point; (2) the *distinct* Yosys runs of all points, longest first — a layer that several
    points share is synthesized once, and the layers of one point run in parallel; (3) each point's
    resources from the synthesis cache, Fmax if asked.  Returns the points and synthesis figures."""
    eng = _Engine(ctx, engine, workers, scheduler, progress)
    try:
        measured = eng.map(measure_point, [(k, rf, p) for k, (rf, p) in enumerate(points)], "explore: measure")
        distinct, total = {}, 0
        for result, _ in measured:
            for key, job, family, recipe, size in point_synthesis_jobs(ctx, result):
                total += 1
                distinct.setdefault(key, (size, job, family, recipe))
        runs = sorted(distinct.values(), key=lambda r: -r[0])
        entries = eng.map(run_synthesis_job, [(job, family, recipe) for _, job, family, recipe in runs],
                          "explore: yosys")
        results = eng.map(finish_point, measured, "explore: finish")
    finally:
        eng.close()
    synthesis = {"recipe": ctx.recipe if ctx.synth else None, "runs": total, "distinct_runs": len(runs),
                 "from_cache": sum(1 for e in entries if e.get("cached")),
                 "yosys_seconds": round(sum(e.get("seconds", 0) for e in entries if not e.get("cached")), 1)}
    return results, synthesis


# ----------------------------------------------------------------------------- choosing


def _dominates(a: PointResult, b: PointResult, cost_key: str) -> bool:
    ka = (a.latency_cycles, getattr(a, cost_key), -a.accuracy)
    kb = (b.latency_cycles, getattr(b, cost_key), -b.accuracy)
    return all(x <= y for x, y in zip(ka, kb)) and ka != kb


def pareto_front(points: list[PointResult], cost_key: str = "cost") -> list[PointResult]:
    """The points no other point beats on latency, cost and accuracy at once."""
    ok = [p for p in points if p.error is None and getattr(p, cost_key) is not None]
    return [p for p in ok if not any(_dominates(q, p, cost_key) for q in ok)]


def pick(points: list[PointResult], rule: str = "min-cost", tolerance: float = 0.01, reference: float | None = None,
         cost_key: str = "cost") -> PointResult | None:
    """The point ``rule`` chooses among those with accuracy >= ``reference - tolerance``
    (``reference``: float accuracy, or the best point's): ``min-cost`` (ties: latency),
    ``min-latency`` (ties: cost), ``max-accuracy`` (ties: cost)."""
    if rule not in PICK_RULES:
        raise RtlnnError(f"--pick {rule!r} is not one of {', '.join(PICK_RULES)}")
    ok = [p for p in points if p.error is None and getattr(p, cost_key) is not None]
    if not ok:
        return None
    ref = max(p.accuracy for p in ok) if reference is None else reference
    good = [p for p in ok if p.accuracy >= ref - tolerance - 1e-12]
    if not good:
        return None
    keys = {"min-cost": lambda p: (getattr(p, cost_key), p.latency_cycles, -p.accuracy, p.index),
            "min-latency": lambda p: (p.latency_cycles, getattr(p, cost_key), -p.accuracy, p.index),
            "max-accuracy": lambda p: (-p.accuracy, getattr(p, cost_key), p.latency_cycles, p.index)}
    return min(good, key=keys[rule])


@dataclass
class Exploration:
    """The measured sweep: ``points`` (sweep order), the Pareto front, the chosen point, files."""

    points: list[PointResult]
    cost_key: str
    float_accuracy: float | None
    rule: str
    tolerance: float
    chosen: PointResult | None
    seconds: float
    engine: str
    files: dict = field(default_factory=dict)
    synthesis: dict = field(default_factory=dict)  # recipe, Yosys runs, distinct runs, from the cache, seconds

    @property
    def front(self) -> list[PointResult]:
        return [p for p in self.points if p.pareto]

    @property
    def cached(self) -> int:
        return sum(1 for p in self.points if p.cached)

    def to_dict(self) -> dict:
        return {"cost": "lut_equivalent + %d * dsp" % DSP_LUTS if self.cost_key == "cost" else self.cost_key,
                "float_accuracy": self.float_accuracy, "pick": self.rule, "tolerance": self.tolerance,
                "chosen": self.chosen.index if self.chosen else None, "seconds": round(self.seconds, 2),
                "engine": self.engine, "cached_points": self.cached, "synthesis": self.synthesis,
                "pareto": [p.index for p in self.front], "points": [p.to_dict() for p in self.points],
                "files": self.files}

    def table(self) -> str:
        """A markdown table of every point (Pareto points starred, the chosen one marked)."""
        head = ["#", "RF", "precision", "accuracy", "latency (cycles)", "II", "mult", "LUT", "FF", "DSP", "BRAM18",
                "cost", "Fmax (MHz)", "latency (ns)", "Pareto", "cached"]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

        def f(v, fmt="{}"):
            return "-" if v is None else fmt.format(v)
        for p in self.points:
            mark = ("**chosen** " if self.chosen is p else "") + ("*" if p.pareto else "")
            cells = [str(p.index), str(p.reuse_factor), p.precision if not p.precision.isdigit() else f"{p.precision} bits",
                     f(p.accuracy, "{:.4f}"), f(p.latency_cycles), f(p.ii), f(p.multipliers), f(p.lut), f(p.ff),
                     f(p.dsp), f(p.bram18), f(p.cost), f(p.fmax_mhz, "{:.1f}"), f(p.latency_ns), mark.strip(),
                     "yes" if p.cached else ""]
            if p.error:
                cells[3] = "error: " + p.error[:60]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def write(self, directory) -> dict:
        """``explore.json``, ``explore.md``, ``pareto.png`` and (if a point was chosen) ``chosen.yaml``."""
        import yaml

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        files = {"json": "explore.json", "table": "explore.md", "plot": "pareto.png"}
        if self.chosen is not None:
            (out / "chosen.yaml").write_text(yaml.safe_dump(self.chosen.config, sort_keys=False))
            files["config"] = "chosen.yaml"
        self.files = files
        _pareto_plot(self, out / "pareto.png")
        summary = (f"{len(self.points)} points, {len(self.front)} on the Pareto front, {self.cached} from the cache, "
                   f"{self.seconds:.1f} s on engine {self.engine}")
        sy = self.synthesis
        if sy.get("recipe"):
            summary += (f"; Yosys ({sy['recipe']} recipe): {sy['runs']} layer runs, {sy['distinct_runs']} distinct, "
                        f"{sy['from_cache']} of those from the cache, {sy['yosys_seconds']} s of Yosys")
        if self.chosen is not None:
            summary += (f"; chosen by {self.rule} within {self.tolerance} of "
                        f"{'float' if self.float_accuracy is not None else 'the best point'}: point {self.chosen.index} "
                        f"(RF {self.chosen.reuse_factor}, precision {self.chosen.precision})")
        (out / "explore.md").write_text(f"# Design-space exploration\n\n{summary}\n\n{self.table()}\n")
        (out / "explore.json").write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        return files


def _pareto_plot(ex: Exploration, path: Path) -> None:
    from .plot import pyplot

    plt = pyplot()
    ok = [p for p in ex.points if p.error is None and getattr(p, ex.cost_key) is not None]
    fig, ax = plt.subplots(figsize=(8, 5.5))
    if ok:
        acc = np.array([p.accuracy for p in ok])
        sc = ax.scatter([p.latency_cycles for p in ok], [getattr(p, ex.cost_key) for p in ok], c=acc, cmap="viridis",
                        s=[90 if p.pareto else 35 for p in ok], edgecolors=["black" if p.pareto else "none" for p in ok],
                        linewidths=1.2, zorder=3)
        fig.colorbar(sc, ax=ax, label="accuracy (emulator)")
        for p in ok:
            if p.pareto:
                ax.annotate(f"RF{p.reuse_factor} {p.precision}{'b' if p.precision.isdigit() else ''}",
                            (p.latency_cycles, getattr(p, ex.cost_key)), textcoords="offset points", xytext=(6, 4),
                            fontsize=7)
        if ex.chosen is not None and ex.chosen in ok:
            ax.scatter([ex.chosen.latency_cycles], [getattr(ex.chosen, ex.cost_key)], marker="*", s=320,
                       facecolors="none", edgecolors="red", linewidths=1.5, zorder=4, label=f"chosen ({ex.rule})")
            ax.legend(loc="upper right")
        ax.set_yscale("log")
    ax.set_xlabel("latency (cycles)")
    ax.set_ylabel("cost: LUT-equivalent + %d x DSP" % DSP_LUTS if ex.cost_key == "cost" else "multipliers")
    ax.set_title("Design space: black-edged points are Pareto-optimal (latency, cost, accuracy)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ----------------------------------------------------------------------------- the entry point


def explore(model, X, y=None, *, reuse=(1, 2, 4, 8), precision="8..16", config=None, synth: bool = True,
            part: str | None = None, board: str | None = None, fmax: str | None = None, freq_mhz: float | None = None,
            engine: str = "local", scheduler: str | None = None, workers: int | None = None,
            rule: str = "min-cost", tolerance: float = 0.01, output_dir=None, use_cache: bool = True,
            progress: bool = True, max_samples: int | None = 5000, recipe: str = "fast") -> Exploration:
    """Sweep ``reuse`` x ``precision`` for ``model`` (a Keras model, its file, a KerasModel, or an
    untyped :class:`ModelGraph` with labels ``y``); see the module doc.

    ``config`` is the base config (a dict or YAML; default: fixed<16,6> everywhere) whose other
    settings every point keeps; ``fmax`` names an ECP5 board (e.g. ``ulx3s-85f``) to place and
    route every point on; ``recipe`` the Yosys recipe (``fast``: a lean ABC9 script, or ``full``; see
    :mod:`rtlnn.flows.yosys_synth`).  Results, the Pareto plot, the table and the chosen config go to
    ``output_dir`` (``explore.json``, ``explore.md``, ``pareto.png``, ``chosen.yaml``; the
    points' designs under ``points/``).
    """
    from .config import config_from_graph, load_config
    from .converters import load_keras
    from .model import RtlnnModel
    from .passes import run_passes
    from .profiling import numerical
    from .trace import live_keras_model

    if engine not in ENGINES:
        raise RtlnnError(f"engine {engine!r} is not one of {', '.join(ENGINES)}")
    if rule not in PICK_RULES:
        raise RtlnnError(f"pick rule {rule!r} is not one of {', '.join(PICK_RULES)}")
    from .flows.yosys_synth import RECIPES

    if recipe not in RECIPES:
        raise RtlnnError(f"synthesis recipe {recipe!r} is not one of {', '.join(RECIPES)}")
    reuse = parse_reuse(reuse)
    precisions = parse_precision(precision)
    x = np.asarray(X, dtype=np.float64)
    if max_samples is not None and len(x) > max_samples:
        x = x[:max_samples]
        y = None if y is None else np.asarray(y)[:max_samples]
    if isinstance(model, ModelGraph):
        graph, live = model, None
    else:
        from .frontends.keras import KerasModel, graph_from_keras

        km = model if isinstance(model, KerasModel) else load_keras(model)
        graph, live = graph_from_keras(km), live_keras_model(km)
    float_accuracy = None
    if live is not None:
        float_out = np.asarray(live.predict(x.astype(np.float32), batch_size=1024, verbose=0))
        float_pred = np.argmax(float_out.reshape(len(x), -1), axis=1)
        labels = float_pred if y is None else np.asarray(y).reshape(-1)
        float_accuracy = float(np.mean(float_pred == labels))
    elif y is None:
        raise RtlnnError("explore: give labels (y / --labels): without a Keras model there is no float reference")
    else:
        labels = np.asarray(y).reshape(-1)
    if len(labels) != len(x):
        raise RtlnnError(f"explore: {len(labels)} labels for {len(x)} samples")

    base = load_config(config) if config is not None else config_from_graph(graph, "model", "fixed<16,6>")
    rm0 = RtlnnModel(run_passes(graph.copy(), base), base, "rtlnn_explore_base")
    # integer bits per tensor from the numerical profile (float Keras; the emulator without it)
    profile = numerical(live, rm0, x, activations="float" if live is not None else "emulator")
    from .advice import tensor_integer_bits

    integer_bits, signed = tensor_integer_bits(rm0, profile, untyped=graph)
    # layers only the typed graph has (OutputCast layers) are set through their own config key
    integer_bits = {k: v for k, v in integer_bits.items() if k in graph.layers}

    out = Path(output_dir) if output_dir is not None else Path("rtlnn_explore")
    ctx = _Context(graph=graph, base_config=base, x=x, labels=labels, integer_bits=integer_bits, signed=signed,
                   synth=synth, part=part, board=board, fmax_board=fmax, freq_mhz=freq_mhz,
                   workdir=str((out / "points").resolve()), use_cache=use_cache, code_digest=_code_digest(),
                   recipe=recipe)
    if synth or fmax:  # fail before any work when a tool is missing
        from .flows.yowasp import find_tool

        find_tool("yosys")
        if fmax:
            find_tool("nextpnr-ecp5")
    points = [(rf, p) for p in precisions for rf in reuse]
    start = time.monotonic()
    if not use_cache:  # this sweep's own synthesis cache: every run measured again
        import shutil

        shutil.rmtree(ctx.synth_cache, ignore_errors=True)
    raw, synthesis = _run_points(ctx, points, engine, workers, scheduler, progress)
    seconds = time.monotonic() - start
    results = [PointResult(**r) for r in raw]
    cost_key = "cost" if synth else "multipliers"
    front = {p.index for p in pareto_front(results, cost_key)}
    for p in results:
        p.pareto = p.index in front
    chosen = pick(results, rule, tolerance, float_accuracy, cost_key)
    ex = Exploration(results, cost_key, float_accuracy, rule, tolerance, chosen, seconds, engine, synthesis=synthesis)
    ex.write(out)
    return ex
