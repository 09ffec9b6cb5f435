"""``report.json``: reading it, adding measured sections, and printing it for people."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .ir import RtlnnError

__all__ = ["SimulationReport", "load_report", "store_section", "format_report", "format_timing"]


@dataclass
class SimulationReport:
    """What an RTL simulation showed, next to what the emulator and the generator predicted."""

    simulator: str
    n_vectors: int
    mismatches: int
    latency_cycles: int | None
    ii: int | None
    expected_latency_cycles: int
    expected_ii: int
    outputs: Any = None  # float outputs of the RTL (one array, or a list for several outputs)
    first_mismatches: list = field(default_factory=list)
    details: dict = field(default_factory=dict)

    @classmethod
    def from_result(cls, result, expected_latency: int, expected_ii: int, outputs=None) -> "SimulationReport":
        """Wrap a :class:`rtlnn.sim.SimulationResult` with the generator's own figures."""
        details = result.to_dict()
        for key in ("simulator", "n_vectors", "mismatches", "latency_cycles", "ii", "first_mismatches", "outputs"):
            details.pop(key, None)
        return cls(simulator=result.simulator, n_vectors=result.n_vectors, mismatches=result.mismatches,
                   latency_cycles=result.latency_cycles, ii=result.ii, expected_latency_cycles=expected_latency,
                   expected_ii=expected_ii, outputs=outputs, first_mismatches=list(result.first_mismatches),
                   details=details)

    @property
    def passed(self) -> bool:
        return (self.mismatches == 0 and self.n_vectors > 0 and self.latency_cycles == self.expected_latency_cycles
                and self.ii == self.expected_ii and not self.details.get("missing_outputs")
                and not self.details.get("extra_outputs"))

    def to_dict(self) -> dict:
        return {
            **{k: v for k, v in self.details.items() if k not in ("passed", "errors")},
            "errors": self.details.get("errors", []),
            "simulator": self.simulator,
            "n_vectors": self.n_vectors,
            "mismatches": self.mismatches,
            "latency_cycles": self.latency_cycles,
            "ii": self.ii,
            "expected_latency_cycles": self.expected_latency_cycles,
            "expected_ii": self.expected_ii,
            "passed": self.passed,
            "first_mismatches": self.first_mismatches,
        }

    def summary(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        return (f"{verdict}: {self.n_vectors} vectors on {self.simulator}, {self.mismatches} mismatches; "
                f"latency {self.latency_cycles} cycles (generator: {self.expected_latency_cycles}), "
                f"II {self.ii} (generator: {self.expected_ii})")


def load_report(design_dir) -> dict:
    path = Path(design_dir) / "report.json"
    if not path.is_file():
        raise RtlnnError(f"{str(design_dir)!r} has no report.json: it is not an rtlnn output folder (run `rtlnn convert` first)")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise RtlnnError(f"{str(path)!r} is corrupt ({e}); run `rtlnn convert` again") from None


def store_section(design_dir, key: str, data: dict) -> None:
    """Add or replace one measured section (``simulation``, ``accuracy``, ...) of report.json."""
    report = load_report(design_dir)
    report[key] = data
    path = Path(design_dir) / "report.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    tmp.replace(path)


def format_report(report: dict) -> str:
    """A plain-text table of the network and its layers, then what was measured: simulation,
    accuracy, synthesis (per layer and total, % of the part) and place-and-route timing."""
    lines = [
        f"project {report['project']}  part {report['part']}  {report['io_type']}",
        f"latency {report['latency_cycles']} cycles ({report['latency_ns']:g} ns at {report['clock_period_ns']:g} ns), "
        f"II {report['ii']}, multipliers {report['multipliers']}",
        "",
    ]
    # pipe: a multiplier Dense's multiplier registers / adder levels per stage (config Pipeline)
    header = ("layer", "kind", "shape", "result", "weight", "accum", "RF", "mult", "lat", "II", "pipe")
    rows = [header]
    for layer in report["layers"]:
        p = layer["precision"]
        pipe = layer.get("pipeline")
        rows.append((layer["name"], layer["kind"], "x".join(map(str, layer["output_shape"])), p.get("result", ""),
                     p.get("weight", ""), p.get("accum", ""), str(layer["reuse_factor"]), str(layer["multipliers"]),
                     str(layer["latency_cycles"]), str(layer["ii"]),
                     f"m{pipe['multiplier_registers']}/a{pipe['adder_levels_per_stage']}" if pipe else ""))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    sim = report.get("simulation")
    if sim:
        lines += ["", f"simulation ({sim['simulator']}): {sim['n_vectors']} vectors, {sim['mismatches']} mismatches, "
                      f"measured latency {sim['latency_cycles']} cycles, II {sim['ii']} -> "
                      f"{'PASS' if sim['passed'] else 'FAIL'}"]
    acc = report.get("accuracy")
    if acc:
        lines += ["accuracy: " + ", ".join(f"{k} {v:.4f}" for k, v in acc.items() if isinstance(v, float))]
    if report.get("synthesis"):  # rtlnn synth: per layer and total, % of the part
        from .flows.yosys_synth import format_synthesis

        lines += ["", format_synthesis(report["synthesis"])]
    if report.get("timing"):  # rtlnn build on an ECP5 board: measured Fmax
        lines += ["", format_timing(report["timing"])]
    return "\n".join(lines)


#: place-and-route cell types shown by :func:`format_timing`, with the names people use
_PNR_CELLS = (("TRELLIS_COMB", "LUT4"), ("TRELLIS_FF", "FF"), ("MULT18X18D", "DSP"), ("DP16KD", "EBR"))


def format_timing(t: dict) -> str:
    """The measured timing of a place-and-route run (report.json's ``timing`` section)."""
    met = "met" if t.get("timing_met") else "NOT met"
    lines = [f"timing: {t['board']} ({t['part']}), place and route: Fmax {t['fmax_mhz']:.1f} MHz "
             f"(target {t['freq_target_mhz']:g} MHz, {met}); latency {t['latency_cycles']} cycles = "
             f"{t['latency_ns']:.1f} ns, II {t['ii']} -> {t['throughput_msps']:.1f} M inferences/s"
             + (" (cached)" if t.get("cached") else "")]
    used = []
    for key, label in _PNR_CELLS:
        u = (t.get("utilization") or {}).get(key)
        if u and u.get("available"):
            used.append(f"{label} {u['used']:,} / {u['available']:,} ({100.0 * u['used'] / u['available']:.1f}%)")
    if used:
        lines.append("placed (harness included): " + ", ".join(used))
    pack = t.get("dsp_packing") or {}
    if pack.get("dsps"):
        lines.append(f"DSP registers packed: input A {pack['input_a']}, B {pack['input_b']}, output {pack['output']} "
                     f"of {pack['dsps']} blocks")
    return "\n".join(lines)
