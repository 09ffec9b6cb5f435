"""What every rtlnn cocotb bench shares: its run settings, the port check, the vector file, the record.

The benches only drive and record; the runner judges.  So a bench that finds the design
unfit (a missing or mis-sized port) writes ``{"error": ...}`` as its record and returns,
and the record is written atomically so the runner never reads half of one.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass


def write_record(path: str, record: dict) -> None:
    """Write the bench's JSON record atomically (write a temporary file, then rename)."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(record, f)
    os.replace(tmp, path)


@dataclass(frozen=True)
class BenchRun:
    """The settings of one io_parallel or io_stream bench run, from the runner's environment.

    ``RTLNN_SIM_TB`` (the design's ``tb/`` folder, with ``meta.json`` and ``inputs.hex``),
    ``RTLNN_SIM_RESULT`` (the record's path), ``RTLNN_SIM_VECTORS`` (how many vectors or
    frames; default all of ``meta.json``'s), ``RTLNN_SIM_GAPS`` (``1``: idle cycles and
    backpressure), ``RTLNN_SIM_SEED``.
    """

    tb: str
    result_path: str
    meta: dict
    n: int
    gaps: bool
    seed: int

    @classmethod
    def from_env(cls) -> "BenchRun":
        tb = os.environ["RTLNN_SIM_TB"]
        with open(os.path.join(tb, "meta.json")) as f:
            meta = json.load(f)
        return cls(tb=tb, result_path=os.environ["RTLNN_SIM_RESULT"], meta=meta,
                   n=int(os.environ.get("RTLNN_SIM_VECTORS") or meta["n_vectors"]),
                   gaps=os.environ.get("RTLNN_SIM_GAPS", "0") == "1",
                   seed=int(os.environ.get("RTLNN_SIM_SEED", "0")))

    def port_error(self, dut, ports: tuple, contract: str) -> str | None:
        """Why ``dut`` does not fit the bench (a port missing, or ``in_data``/``out_data`` not as
        wide as ``meta.json`` says), or None."""
        top = self.meta["top"]
        missing = [p for p in ports if not hasattr(dut, p)]
        if missing:
            return f"top module {top!r} lacks port(s) {', '.join(missing)}; the {contract} contract needs {', '.join(ports)}"
        for port, key in (("in_data", "in_width"), ("out_data", "out_width")):
            got, want = len(getattr(dut, port)), int(self.meta[key])
            if got != want:
                return f"port {port} of {top!r} is {got} bits wide but tb/meta.json says {want}"
        return None

    def read_words(self, limit: int) -> list[int]:
        """The first ``limit`` words of ``inputs.hex`` (one hexadecimal word a line)."""
        words: list[int] = []
        with open(os.path.join(self.tb, "inputs.hex")) as f:
            for line in f:
                line = line.strip()
                if line:
                    words.append(int(line, 16))
                    if len(words) == limit:
                        break
        return words

    def record(self, record: dict) -> None:
        write_record(self.result_path, record)
