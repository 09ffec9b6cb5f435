"""AXI4-Stream in / AXI4-Stream out wrapper with an AXI4-Lite status slave, for Vivado IP packaging.

:class:`AxisWrapper` puts the written io_parallel network (an ``Instance`` of its Verilog
top) behind standard AXI interfaces, so the packaged IP drops into a block design with the
Zynq MPSoC and an AXI DMA:

- ``s_axis_*``: one input vector per beat; ``TDATA`` is the packed ``in_data`` zero-padded to
  whole bytes (first element in the least significant bits).
- ``m_axis_*``: one output vector per beat, ``out_data`` zero-padded to whole bytes; ``TLAST``
  on every ``FRAME_LEN``-th vector (``FRAME_LEN`` <= 1: on every vector).
- ``s_axi_*``: 32-bit AXI4-Lite registers (byte addresses; see :data:`REGISTERS`).
- ``aclk``, ``aresetn`` (active low, synchronous).

The network cannot stall, so nothing is lost under ``m_axis_tready`` backpressure by
*credits*: an output FIFO of ``depth`` entries, and a new input is accepted only while the
vectors accepted but not yet sent out (in the network or in the FIFO) are fewer than
``depth``.  ``depth`` covers the network's latency, so with ``TREADY`` high the wrapper
takes one vector every ``ii`` cycles.  Inputs are registered once before the network.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from amaranth.hdl import Array, C, ClockDomain, ClockSignal, Elaboratable, Instance, Module, ResetSignal, Signal
from amaranth.lib import wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.wiring import In, Out

from ..hw.emit import to_verilog
from ..ir import RtlnnError
from ..report import load_report

__all__ = ["AxisWrapper", "REGISTERS", "WRAPPER_ID", "WRAPPER_VERSION", "axis_wrapper_for", "write_axis_wrapper",
           "simulate_axis_wrapper", "AxisBenchResult", "wrapper_module_name"]

WRAPPER_ID = 0x72746E6E  # "rtnn"
WRAPPER_VERSION = 0x00010000  # 1.0
ADDR_WIDTH = 6
#: AXI4-Lite registers: name -> byte address (read-only unless noted)
REGISTERS = {
    "ID": 0x00,  # 0x72746e6e ("rtnn")
    "VERSION": 0x04,  # wrapper version, major << 16 | minor
    "VECTORS_IN": 0x08,  # input vectors accepted since reset / clear
    "VECTORS_OUT": 0x0C,  # output vectors sent since reset / clear
    "LATENCY_CYCLES": 0x10,  # the network's latency (the wrapper adds its input register)
    "II": 0x14,  # the network's initiation interval
    "IN_WIDTH": 0x18,  # bits of in_data used in s_axis_tdata
    "OUT_WIDTH": 0x1C,  # bits of out_data in m_axis_tdata
    "FRAME_LEN": 0x20,  # read/write: TLAST every FRAME_LEN vectors
    "CONTROL": 0x24,  # write 1 to bit 0: clear the vector counters and the frame position
    "STATUS": 0x28,  # bit 0: output FIFO overflowed (never, by construction); [15:8] FIFO depth; [31:16] in flight
}


def wrapper_module_name(project: str) -> str:
    return f"{project}_axis"


class AxisWrapper(wiring.Component):
    """The network ``core_module`` (or the Amaranth component ``core``) behind AXI4-Stream and AXI4-Lite."""

    def __init__(self, *, in_width: int, out_width: int, latency: int, ii: int, core_module: str = "rtlnn_top",
                 core_clocked: bool = True, core: Elaboratable | None = None, frame: int = 1,
                 depth: int | None = None):
        if in_width < 1 or out_width < 1 or ii < 1 or latency < 0:
            raise RtlnnError(f"AXI wrapper: invalid widths or timing (in_width={in_width}, out_width={out_width}, "
                             f"latency={latency}, ii={ii})")
        if not 0 <= frame < 1 << 16:
            raise RtlnnError(f"AXI wrapper: frame length {frame} must be between 0 and 65535")
        self.in_width, self.out_width, self.latency, self.ii, self.frame = in_width, out_width, latency, ii, frame
        # Enough credits to keep the network full: results of the vectors in flight plus two in the FIFO.
        self.depth = depth or (-(-(latency + 2) // ii) + 2)
        if self.depth > 255:
            raise RtlnnError(f"AXI wrapper: output FIFO depth {self.depth} exceeds 255 (latency {latency}, ii {ii})")
        self.core, self.core_module, self.core_clocked = core, core_module, core_clocked
        self.in_bytes, self.out_bytes = -(-in_width // 8), -(-out_width // 8)
        super().__init__({
            "aclk": In(1), "aresetn": In(1),
            "s_axis_tdata": In(8 * self.in_bytes), "s_axis_tvalid": In(1), "s_axis_tready": Out(1),
            "m_axis_tdata": Out(8 * self.out_bytes), "m_axis_tvalid": Out(1), "m_axis_tready": In(1),
            "m_axis_tlast": Out(1),
            "s_axi_awaddr": In(ADDR_WIDTH), "s_axi_awvalid": In(1), "s_axi_awready": Out(1),
            "s_axi_wdata": In(32), "s_axi_wstrb": In(4), "s_axi_wvalid": In(1), "s_axi_wready": Out(1),
            "s_axi_bresp": Out(2), "s_axi_bvalid": Out(1), "s_axi_bready": In(1),
            "s_axi_araddr": In(ADDR_WIDTH), "s_axi_arvalid": In(1), "s_axi_arready": Out(1),
            "s_axi_rdata": Out(32), "s_axi_rresp": Out(2), "s_axi_rvalid": Out(1), "s_axi_rready": In(1),
        })

    def _core(self, m, in_data, in_valid, out_data, out_valid):
        if self.core is not None:
            m.submodules.core = core = self.core
            m.d.comb += [core.in_data.eq(in_data), core.in_valid.eq(in_valid),
                         out_data.eq(core.out_data), out_valid.eq(core.out_valid)]
            return
        ports = dict(i_in_data=in_data, i_in_valid=in_valid, o_out_data=out_data, o_out_valid=out_valid)
        if self.core_clocked:
            ports.update(i_clk=ClockSignal("sync"), i_rst=ResetSignal("sync"))
        m.submodules.core = Instance(self.core_module, **ports)

    def elaborate(self, platform):
        m = Module()
        m.domains.sync = cd = ClockDomain("sync", local=True)
        m.d.comb += [cd.clk.eq(self.aclk), cd.rst.eq(~self.aresetn)]

        # ---- network, fed from a register, drained into the output FIFO
        in_data, in_valid = Signal(self.in_width), Signal()
        out_data, out_valid = Signal(self.out_width), Signal()
        self._core(m, in_data, in_valid, out_data, out_valid)
        m.submodules.fifo = fifo = SyncFIFOBuffered(width=self.out_width, depth=self.depth)
        overflow = Signal()
        m.d.comb += [fifo.w_data.eq(out_data), fifo.w_en.eq(out_valid)]
        with m.If(out_valid & ~fifo.w_rdy):
            m.d.sync += overflow.eq(1)

        # ---- credits: accept while fewer than `depth` vectors are in flight or queued
        in_flight = Signal(range(self.depth + 1))
        cooldown = Signal(range(self.ii))
        accept, send = Signal(), Signal()
        m.d.comb += [
            self.s_axis_tready.eq((in_flight < self.depth) & (cooldown == 0)),
            accept.eq(self.s_axis_tvalid & self.s_axis_tready),
            self.m_axis_tvalid.eq(fifo.r_rdy),
            self.m_axis_tdata.eq(fifo.r_data),
            fifo.r_en.eq(self.m_axis_tready),
            send.eq(self.m_axis_tvalid & self.m_axis_tready),
        ]
        m.d.sync += [in_data.eq(self.s_axis_tdata[:self.in_width]), in_valid.eq(accept),
                     in_flight.eq(in_flight + accept - send)]
        with m.If(accept):
            m.d.sync += cooldown.eq(self.ii - 1)
        with m.Elif(cooldown != 0):
            m.d.sync += cooldown.eq(cooldown - 1)

        # ---- frames and counters
        frame_len = Signal(16, init=self.frame)
        frame_pos = Signal(16)
        vectors_in, vectors_out = Signal(32), Signal(32)
        clear = Signal()
        m.d.comb += self.m_axis_tlast.eq((frame_len <= 1) | (frame_pos == frame_len - 1))
        with m.If(clear):
            m.d.sync += [vectors_in.eq(0), vectors_out.eq(0), frame_pos.eq(0)]
        with m.Else():
            m.d.sync += [vectors_in.eq(vectors_in + accept), vectors_out.eq(vectors_out + send)]
            with m.If(send):
                m.d.sync += frame_pos.eq(frame_pos + 1)
                with m.If(self.m_axis_tlast):
                    m.d.sync += frame_pos.eq(0)

        # ---- AXI4-Lite
        regs = [C(0, 32)] * (1 << (ADDR_WIDTH - 2))
        values = {
            "ID": C(WRAPPER_ID, 32), "VERSION": C(WRAPPER_VERSION, 32), "VECTORS_IN": vectors_in,
            "VECTORS_OUT": vectors_out, "LATENCY_CYCLES": C(self.latency, 32), "II": C(self.ii, 32),
            "IN_WIDTH": C(self.in_width, 32), "OUT_WIDTH": C(self.out_width, 32), "FRAME_LEN": frame_len,
            "CONTROL": C(0, 32), "STATUS": (overflow | (C(self.depth, 8) << 8) | (in_flight << 16)),
        }
        for name, addr in REGISTERS.items():
            regs[addr >> 2] = values[name]
        reg_file = Array(regs)

        with m.If(self.s_axi_rvalid):
            with m.If(self.s_axi_rready):
                m.d.sync += self.s_axi_rvalid.eq(0)
        with m.Elif(self.s_axi_arvalid):
            m.d.comb += self.s_axi_arready.eq(1)
            m.d.sync += [self.s_axi_rvalid.eq(1), self.s_axi_rdata.eq(reg_file[self.s_axi_araddr[2:]])]

        waddr = self.s_axi_awaddr[2:]
        with m.If(self.s_axi_bvalid):
            with m.If(self.s_axi_bready):
                m.d.sync += self.s_axi_bvalid.eq(0)
        with m.Elif(self.s_axi_awvalid & self.s_axi_wvalid):
            m.d.comb += [self.s_axi_awready.eq(1), self.s_axi_wready.eq(1)]
            m.d.sync += self.s_axi_bvalid.eq(1)
            with m.If(waddr == REGISTERS["FRAME_LEN"] >> 2):
                with m.If(self.s_axi_wstrb[0]):
                    m.d.sync += frame_len[:8].eq(self.s_axi_wdata[:8])
                with m.If(self.s_axi_wstrb[1]):
                    m.d.sync += frame_len[8:].eq(self.s_axi_wdata[8:16])
                m.d.sync += frame_pos.eq(0)
            with m.If((waddr == REGISTERS["CONTROL"] >> 2) & self.s_axi_wstrb[0] & self.s_axi_wdata[0]):
                m.d.comb += clear.eq(1)
        m.d.comb += [self.s_axi_bresp.eq(0), self.s_axi_rresp.eq(0)]
        return m


def _core_is_clocked(design_dir: Path, top: str) -> bool:
    from ..selftest import _core_is_clocked as clocked

    return clocked(design_dir, top)


def axis_wrapper_for(design_dir, *, frame: int = 1) -> AxisWrapper:
    """The :class:`AxisWrapper` around a written design's top module (widths and timing from report.json)."""
    design_dir = Path(design_dir)
    report = load_report(design_dir)
    top = report["project"]
    return AxisWrapper(in_width=int(report["ports"]["in_width"]), out_width=int(report["ports"]["out_width"]),
                       latency=int(report["latency_cycles"]), ii=int(report["ii"]), core_module=top,
                       core_clocked=_core_is_clocked(design_dir, top), frame=frame)


def write_axis_wrapper(design_dir, path, *, frame: int = 1) -> AxisWrapper:
    """Emit the wrapper of ``design_dir`` as Verilog module ``<project>_axis`` at ``path`` (deterministic)."""
    report = load_report(design_dir)
    wrapper = axis_wrapper_for(design_dir, frame=frame)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_verilog(wrapper, wrapper_module_name(report["project"])))
    return wrapper


# ---------------------------------------------------------------------------- simulation
BENCH_MODULE = "rtlnn.sim.axis_bench"


@dataclass
class AxisBenchResult:
    """What the AXI bench saw: the outputs (in order) against tb/expected.hex, TLAST, registers."""

    passed: bool
    errors: list
    n_vectors: int
    mismatches: int
    outputs_received: int
    tlast_errors: int
    registers: dict
    full_rate_spacing: int | None  # smallest cycles between accepted inputs with TREADY held high
    backpressure_cycles: int  # cycles where m_axis_tvalid was high and m_axis_tready low
    cycles: int
    simulator: str

    def to_dict(self) -> dict:
        return asdict(self)


def simulate_axis_wrapper(design_dir, *, n: int | None = None, frame: int = 4, ready_probability: float = 0.5,
                          simulator: str = "icarus", seed: int = 0, build_root=None) -> AxisBenchResult:
    """Stream the design's test vectors through its AXI wrapper under cocotb: random gaps on the input,
    random ``m_axis_tready`` backpressure on the first half, full rate on the second; then read the
    AXI4-Lite registers. Outputs are compared with ``tb/expected.hex``."""
    from ..sim.runner import (_build, _check_simulator, _Design, _get_runner, _log_excerpt, _tool_env,
                              TIMESCALE, default_build_root, simulation_sources)
    from ..vectors import read_hex

    design_dir = Path(design_dir).resolve()
    report = load_report(design_dir)
    _check_simulator(simulator)
    meta = json.loads((design_dir / "tb" / "meta.json").read_text())
    count = int(meta["n_vectors"]) if n is None else int(n)
    if not 1 <= count <= int(meta["n_vectors"]):
        raise RtlnnError(f"AXI bench: {count} vectors asked for, tb/ holds {meta['n_vectors']}")
    expected = read_hex(design_dir / "tb" / "expected.hex")[:count]
    name = wrapper_module_name(report["project"])
    path = design_dir / "sim" / "axis" / f"{name}.v"
    wrapper = write_axis_wrapper(design_dir, path, frame=1)
    sources = simulation_sources(design_dir) + [path]
    root = Path(build_root) if build_root else default_build_root()
    build_dir, _, _ = _build(_Design(design_dir, sources, {"top": name}, design_dir / "tb"), simulator, root)

    runs = root / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=runs))
    record_path = run_dir / "axis.json"
    log = run_dir / "sim.log"
    env = {"RTLNN_AXIS_TB": str(design_dir / "tb"), "RTLNN_AXIS_RESULT": str(record_path),
           "RTLNN_AXIS_VECTORS": str(count), "RTLNN_AXIS_FRAME": str(frame),
           "RTLNN_AXIS_READY_P": str(ready_probability), "RTLNN_AXIS_SEED": str(seed),
           "RTLNN_AXIS_REGISTERS": json.dumps(REGISTERS)}
    runner = _get_runner(simulator)
    try:
        with _tool_env(simulator):
            try:
                runner.test(test_module=BENCH_MODULE, hdl_toplevel=name, hdl_toplevel_lang="verilog",
                            build_dir=str(build_dir), test_dir=str(run_dir), extra_env=env, seed=seed,
                            timescale=TIMESCALE if simulator == "icarus" else None, log_file=str(log))
            except (SystemExit, RuntimeError):
                pass
        if not record_path.exists():
            raise RtlnnError(f"{simulator}: the AXI bench on {name} produced no result\n{_log_excerpt(log)}")
        record = json.loads(record_path.read_text())
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    if "error" in record:
        raise RtlnnError(f"AXI bench: {record['error']}")
    return _judge(record, expected, count, frame, wrapper, report, simulator)


def _judge(record, expected, n, frame, wrapper: AxisWrapper, report, simulator) -> AxisBenchResult:
    outputs, lasts = record["outputs"], record["lasts"]
    mismatches = sum(1 for got, want in zip(outputs, expected) if got != want)
    want_last = [frame <= 1 or (k + 1) % frame == 0 for k in range(len(outputs))]
    tlast_errors = sum(1 for got, want in zip(lasts, want_last) if bool(got) != want)
    regs = record["registers"]
    errors = []
    if len(outputs) != n:
        errors.append(f"{len(outputs)} of {n} output vectors came out")
    if mismatches:
        errors.append(f"{mismatches} outputs differ from tb/expected.hex")
    if tlast_errors:
        errors.append(f"TLAST wrong on {tlast_errors} beats (frame length {frame})")
    want_regs = {"ID": WRAPPER_ID, "VERSION": WRAPPER_VERSION, "VECTORS_IN": n, "VECTORS_OUT": n,
                 "LATENCY_CYCLES": int(report["latency_cycles"]), "II": int(report["ii"]),
                 "IN_WIDTH": wrapper.in_width, "OUT_WIDTH": wrapper.out_width, "FRAME_LEN": frame}
    for reg, want in want_regs.items():
        if regs.get(reg) != want:
            errors.append(f"register {reg} reads {regs.get(reg)!r}, expected {want}")
    if regs.get("STATUS", 1) & 1:
        errors.append("the output FIFO overflowed")
    spacing = record.get("full_rate_spacing")
    if spacing is not None and spacing != wrapper.ii:
        errors.append(f"with TREADY high the wrapper accepted a vector every {spacing} cycles, not every "
                      f"{wrapper.ii} (the network's II)")
    return AxisBenchResult(passed=not errors, errors=errors, n_vectors=n, mismatches=mismatches,
                           outputs_received=len(outputs), tlast_errors=tlast_errors, registers=regs,
                           full_rate_spacing=spacing, backpressure_cycles=int(record["backpressure_cycles"]),
                           cycles=int(record["cycles"]), simulator=simulator)
