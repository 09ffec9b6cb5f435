"""The converted model a user holds: emulate it, write its RTL, simulate it, report on it."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Mapping

import numpy as np

from . import emulate
from .element_types import describe as describe_element_types
from .ir import Dense, ModelGraph, RtlnnError
from .report import SimulationReport, store_section
from .vectors import pack, unpack, write_vectors

__all__ = ["RtlnnModel", "REPORT_VERSION"]

#: Bumped when a field of report.json changes meaning; fields are only ever added.
REPORT_VERSION = 1
DEFAULT_PART = "xc7a35tcpg236-1"
IO_TYPES = ("io_parallel", "io_stream")


class RtlnnModel:
    """A typed graph ready for hardware: ``predict``/``trace`` emulate it, ``write`` emits it,
    ``simulate`` proves the emitted Verilog against the emulator."""

    def __init__(self, graph: ModelGraph, config: Mapping, output_dir: "str | os.PathLike" = "rtlnn_prj", *,
                 part: str = DEFAULT_PART, io_type: str = "io_parallel", project_name: str = "rtlnn_top",
                 clock_period: float = 5.0, keras_model=None):
        if io_type not in IO_TYPES:
            raise RtlnnError(f"io_type {io_type!r} is not supported; use 'io_parallel' or 'io_stream'")
        self.graph = graph
        self.config = dict(config)
        self.output_dir = Path(output_dir)
        self.part = part
        self.io_type = io_type
        self.project_name = project_name
        self.clock_period = clock_period
        self.keras_model = keras_model
        self._design = None

    # ------------------------------------------------------------------ emulation
    def predict_raw(self, x) -> list[np.ndarray]:
        raw = emulate.run_raw(self.graph, emulate.quantize_inputs(self.graph, x))
        return [raw[name] for name in self.graph.outputs]

    def predict(self, x):
        """Bit-accurate outputs of the hardware for float inputs ``x`` (batched)."""
        raw = emulate.run_raw(self.graph, emulate.quantize_inputs(self.graph, x))
        out = [self.graph[n].result_t.to_float(raw[n]) for n in self.graph.outputs]
        return out[0] if len(out) == 1 else out

    def trace(self, x) -> dict[str, np.ndarray]:
        """Every layer's emulated outputs (floats), by layer name."""
        raw = emulate.run_raw(self.graph, emulate.quantize_inputs(self.graph, x), keep=True)
        return emulate.to_float(self.graph, raw)

    # ------------------------------------------------------------------ hardware
    @property
    def design(self):
        """The Amaranth network (built on first use)."""
        if self._design is None and self.io_type == "io_stream":
            from .hw.stream_top import build_stream_network, fifo_depths_from_config

            self._design = build_stream_network(self.graph, name=self.project_name,
                                                fifo_depths=fifo_depths_from_config(self.config, self.graph))
        if self._design is None:
            from .hw.top import build_network

            self._design = build_network(self.graph, name=self.project_name, clock_period=self.clock_period,
                                         part=self.part)
        return self._design

    @property
    def latency_cycles(self) -> int:
        return self.design.latency

    @property
    def ii(self) -> int:
        return self.design.ii

    def _bus_types(self):
        ins = [self.graph[n].result_t for n in self.graph.inputs]
        outs = [self.graph[n].result_t for n in self.graph.outputs]
        return ins, outs

    def _vectors(self, x, n_random: int, seed: int) -> list[np.ndarray]:
        """Raw input rows: quantized ``x``, or random codes over each input's whole range."""
        if x is not None:
            raw = emulate.quantize_inputs(self.graph, x)
            return [raw[n] for n in self.graph.inputs]
        rng = np.random.default_rng(seed)
        arrays = []
        for name in self.graph.inputs:
            t = self.graph[name].result_t
            shape = (n_random,) + tuple(self.graph[name].shape)
            if t.width <= 62:
                arrays.append(rng.integers(t.min_raw, t.max_raw, size=shape, endpoint=True, dtype=np.int64))
            else:
                arrays.append(np.array([int(rng.integers(0, 1 << 62)) << (t.width - 62) for _ in range(np.prod(shape))],
                                       dtype=object).reshape(shape))
        return arrays

    def _write_tb(self, tb_dir: Path, inputs: list[np.ndarray]) -> None:
        in_types, out_types = self._bus_types()
        raw = emulate.run_raw(self.graph, dict(zip(self.graph.inputs, inputs)))
        outputs = [raw[n] for n in self.graph.outputs]
        if self.io_type == "io_stream":  # one hex line per pixel (rtlnn.sim.stream_vectors)
            from .sim.stream_vectors import write_stream_vectors

            ins, outs = self.graph.inputs, self.graph.outputs
            write_stream_vectors(tb_dir, design=self.design, in_arrays=inputs, in_types=in_types,
                                 in_shapes=[self.graph[n].shape for n in ins], out_arrays=outputs,
                                 out_shapes=[self.graph[n].shape for n in outs], out_types=out_types)
            return
        write_vectors(tb_dir, top=self.project_name, in_words=pack(inputs, in_types), out_words=pack(outputs, out_types),
                      in_width=self.design.in_width, out_width=self.design.out_width,
                      latency=self.latency_cycles, ii=self.ii)

    def write(self, x=None, *, n_vectors: int = 1000, seed: int = 0) -> Path:
        """Write ``rtl/`` (one Verilog file per layer plus the top), ``tb/`` (test vectors from
        ``x``, or ``n_vectors`` random ones, and the simulation models of any Xilinx cells the
        Verilog instantiates) and ``report.json`` into ``output_dir``.

        The folder is assembled beside the target and moved into place at the end, so an error
        leaves no half-written output behind.
        """
        from .hw.xilinx_cells import SIMULATION_MODELS_FILE, simulation_models

        target = self.output_dir
        if target.exists() and (not target.is_dir() or (any(target.iterdir()) and not (target / "report.json").exists())):
            raise RtlnnError(
                f"output_dir {str(target)!r} exists and is not an rtlnn project folder; choose another folder or remove it"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            files = self.design.verilog_files()
            rtl = staging / "rtl"
            rtl.mkdir()
            for name in sorted(files):
                (rtl / name).write_text(files[name])
            self._write_tb(staging / "tb", self._vectors(x, n_vectors, seed))
            models = simulation_models(files.values())
            if models is not None:  # for the simulator only: synthesis reads rtl/ and has the cells
                (staging / "tb" / SIMULATION_MODELS_FILE).write_text(models)
            (staging / "config.json").write_text(json.dumps(self.config, indent=2, sort_keys=True, default=str) + "\n")
            (staging / "report.json").write_text(json.dumps(self.report(), indent=2) + "\n")
            _replace_dir(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return target

    def simulate(self, x=None, *, n_vectors: int = 1000, simulator: str = "verilator", gaps: bool = False,
                 seed: int = 0) -> SimulationReport:
        """Run the emitted Verilog under cocotb on ``x`` (or random vectors) and compare every output
        with the emulator; measured latency and II are compared with the generator's."""
        from .sim import simulate as run_simulation

        self.write(x, n_vectors=n_vectors, seed=seed)
        result = run_simulation(self.output_dir, simulator=simulator, gaps=gaps, seed=seed)
        report = self._simulation_report(result)
        self._store_simulation(report)
        return report

    def _simulation_report(self, result) -> SimulationReport:
        _, out_types = self._bus_types()
        floats = None
        if result.outputs:
            shapes = [tuple(self.graph[n].shape) for n in self.graph.outputs]
            words = result.outputs
            if self.io_type == "io_stream":  # pixels -> frames
                from .sim.stream_vectors import frame_words

                words = frame_words(result.outputs, shapes, out_types)
            floats = [t.to_float(r) for t, r in zip(out_types, unpack(words, shapes, out_types))]
            floats = floats[0] if len(floats) == 1 else floats
        return SimulationReport.from_result(result, self.latency_cycles, self.ii, outputs=floats)

    def _store_simulation(self, report: SimulationReport) -> None:
        store_section(self.output_dir, "simulation", report.to_dict())

    def build(self, board: str, toolchain: str | None = None, *, selftest: int | None = None, run: bool = True):
        """Board build of the written design (written first if needed): see ``rtlnn build`` and
        :func:`rtlnn.commands.build.build` (openXC7 plan + self-test, Vivado project + AXI IP, ECP5)."""
        from .commands.build import build

        if not (self.output_dir / "report.json").is_file():
            self.write()
        return build(self.output_dir, board=board, toolchain=toolchain, selftest=selftest, run=run)

    def synthesize(self, part: str | None = None, board=None, **kwargs):
        """Yosys synthesis of the written design (written first if needed) for ``part`` or ``board``
        (default: this model's part): see :func:`rtlnn.flows.yosys_synth.synthesize`."""
        from .flows.yosys_synth import synthesize

        if not (self.output_dir / "report.json").is_file():
            self.write()
        return synthesize(self.output_dir, part=part if part or board else self.part, board=board, **kwargs)

    # ------------------------------------------------------------------ reports
    def report(self) -> dict:
        """The data of ``report.json`` (documented in the README; fields are only ever added)."""
        design = self.design
        built = {info.name: info for info in design.layers}
        layers = []
        for layer in self.graph:
            hw = built.get(layer.name)
            entry = {
                "name": layer.name,
                "kind": layer.kind,
                "inputs": list(layer.inputs),
                "input_shapes": [list(self.graph[i].shape) for i in layer.inputs],
                "output_shape": list(layer.shape),
                "precision": {k: str(v) for k, v in layer.precisions().items() if v is not None},
                "reuse_factor": layer.reuse_factor,
                "strategy": layer.strategy,
                # what was built for the strategy and why (Auto's choice, ShiftAdd's arithmetic plan)
                "strategy_reason": hw.strategy_reason if hw else None,
                # a multiplier Dense's pipelining as built (config Pipeline, or chosen for the clock)
                "pipeline": getattr(hw, "pipeline", None) if hw else None,
                "multipliers": hw.n_multipliers if hw else 0,
                "latency_cycles": hw.latency if hw else 0,
                "ii": hw.ii if hw else 1,
            }
            if isinstance(layer, Dense):
                entry["nonzero_weights"] = layer.n_products()
                entry["weights"] = int(layer.weight.size)
            if getattr(layer, "element_t", None) is not None:  # per-element types: 'result' is their union
                entry["element_precision"] = describe_element_types(layer.element_t)
            layers.append(entry)
        return {
            "rtlnn_report_version": REPORT_VERSION,
            "project": self.project_name,
            "part": self.part,
            "io_type": self.io_type,
            "clock_period_ns": self.clock_period,
            "latency_cycles": design.latency,
            "ii": design.ii,
            "latency_ns": design.latency * self.clock_period,
            "multipliers": sum(l["multipliers"] for l in layers),
            "inputs": [{"name": n, "shape": list(self.graph[n].shape), "precision": str(self.graph[n].result_t)}
                       for n in self.graph.inputs],
            "outputs": [{"name": n, "shape": list(self.graph[n].shape), "precision": str(self.graph[n].result_t)}
                        for n in self.graph.outputs],
            "ports": {"in_width": design.in_width, "out_width": design.out_width},
            **({"stream": design.stream_report()} if self.io_type == "io_stream" else {}),
            "layers": layers,
        }


def _replace_dir(staging: Path, target: Path) -> None:
    """Move ``staging`` to ``target``, replacing an earlier rtlnn output folder."""
    if target.exists():
        old = target.with_name(f".{target.name}.old")
        if old.exists():
            shutil.rmtree(old)
        target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(target)

