"""The io_stream network top: layer generators joined by valid/ready streams with a FIFO on every edge.

:func:`build_stream_network` builds one stream generator per layer
(:mod:`rtlnn.hw.stream_generators`; a Reshape that keeps the pixel layout is wiring) and a
:class:`~rtlnn.hw.fifo.StreamFifo` on every edge: producer -> consumer input, and
producer -> top output.  A producer read by several FIFOs (a branch) writes to all of them
in the same cycle, when all have room; a layer with several inputs takes one pixel from
each in the same cycle (its generator joins them); several graph outputs leave together
on ``out_data`` (their pixels side by side, first output in the low bits) and need equal
pixel counts, as do several inputs on ``in_data``.

Ports: ``clk``, ``rst``, ``in_data``, ``in_valid``, ``in_ready``, ``out_data``,
``out_valid``, ``out_ready`` (a pixel moves when valid and ready are both high in a
cycle; see docs/io_stream.md), and ``fifo_levels``: every FIFO's occupancy, side by side
in :attr:`StreamDesign.fifos` order, for stall diagnosis (leave it unconnected in a
product: synthesis removes it).

FIFO depths.  ``FifoDepth`` (config, per producing layer) sets the depth of a layer's
output FIFOs; ``auto`` (the default) sizes them by simulation of the network's own
components (Amaranth's simulator, cycle-exact): a *sizing run* streams frames into the
network at its II — each frame's pixels back to back — through FIFOs deep enough never to
fill (checked), and records every FIFO's largest occupancy ``k``; the depth becomes
``k + 1`` (a full FIFO cannot take a pixel in the cycle it gives one; minimum 2).  A
*verification run* then repeats the stream with those depths and requires every output
pixel to come out in exactly the same cycle as in the sizing run, so the sized network
neither stalls nor deadlocks where the unbounded one did not.  Because pixel counts and
schedules are static (data-independent), one run covers every input.  Both runs also give
``latency`` (first pixel accepted -> first output pixel valid, empty pipeline, inputs at
full rate) and the measured frame interval, which must equal ``ii`` (the slowest layer's
cycles per frame, at least one cycle per input and output pixel).  Results are cached on
disk by a fingerprint of the graph and the generator code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from amaranth.hdl import Cat, ClockSignal, Instance, Module, ResetSignal, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .. import ir
from ..fixed import FixedType
from .emit import cached_text, fingerprint, to_verilog, unique_name
from .fifo import LATENCY as FIFO_LATENCY, MIN_DEPTH, StreamFifo
from .generators import WIRING_KINDS, HwOptions, Source
from .stream_generators import make_stream_generator, pixel_layout
from .top import LayerInfo, check_network

__all__ = ["build_stream_network", "fifo_depths_from_config", "StreamDesign", "StreamTop", "FifoInfo", "SIZING_FRAMES"]

#: Frames streamed by the sizing and verification runs.
SIZING_FRAMES = 4


@dataclass(frozen=True)
class FifoInfo:
    """One FIFO of the top: the edge it sits on and its depth."""

    name: str
    producer: str  # layer name
    consumer: str  # layer name, or "output"
    port: int  # consumer input index (output index for "output")
    width: int
    depth: int
    auto: bool  # depth found by the sizing run (else from FifoDepth)
    level_offset: int = 0  # bit offset of its level in fifo_levels
    level_width: int = 0


@dataclass
class _Node:
    layer: ir.Layer
    type: FixedType
    pixels: int
    channels: int
    make: object = None  # builds the stream generator
    component: wiring.Component | None = None
    module: str | None = None
    producers: list = field(default_factory=list)  # stream producer of each input (after wiring aliases)

    @property
    def width(self) -> int:
        return self.channels * self.type.width


def _plan(graph: ir.ModelGraph, name: str, options: HwOptions) -> tuple[dict[str, _Node], dict[str, str]]:
    nodes: dict[str, _Node] = {}
    alias: dict[str, str] = {}  # layer name -> the layer whose stream carries its data
    used = {name}
    for layer in graph:
        pixels, channels = pixel_layout(layer.shape)
        if isinstance(layer, ir.Input):
            if not isinstance(layer.result_t, FixedType):
                raise ir.RtlnnError(f"Input layer {layer.name!r}: result_t must be a FixedType, not {layer.result_t!r}")
            nodes[layer.name] = _Node(layer, layer.result_t, pixels, channels)
            alias[layer.name] = layer.name
            continue
        srcs = [nodes[alias[i]] for i in layer.inputs]
        flatten = layer.kind == "Reshape" and (pixels, channels) != (srcs[0].pixels, srcs[0].channels)
        if layer.kind in WIRING_KINDS and not flatten:  # an image Flatten has a stream generator (hw/reshape_ops)
            (src,) = srcs
            if (pixels, channels) != (src.pixels, src.channels):
                raise ir.RtlnnError(
                    f"{layer.kind} layer {layer.name!r}: io_stream carries {src.pixels} pixel(s) of {src.channels} "
                    f"channels from {src.layer.name!r} but this layer needs {pixels} of {channels}; only reshapes "
                    "that keep the pixel layout are wiring in io_stream (Flatten of an image needs a Flatten "
                    "stream generator)")
            alias[layer.name] = alias[layer.inputs[0]]
            continue
        sources = [Source(i, nodes[alias[i]].type, graph[i].size, tuple(graph[i].shape)) for i in layer.inputs]
        make = (lambda layer=layer, sources=sources: make_stream_generator(layer, sources, options))
        comp = make()
        comp._MustUse__silence = True  # read for its attributes; the tops elaborate fresh ones
        node = _Node(layer, layer.result_t, pixels, channels, make, comp, unique_name(f"{name}_{layer.name}", used))
        if comp.pixels_out != pixels:
            raise ir.RtlnnError(f"layer {layer.name!r}: its stream generator gives {comp.pixels_out} pixels per frame "
                                f"but the layer's shape {tuple(layer.shape)} has {pixels}")
        node.producers = [alias[i] for i in layer.inputs]
        nodes[layer.name] = node
        alias[layer.name] = layer.name
    return nodes, alias


def _edges(nodes: dict[str, _Node], outputs: list[str]) -> list[tuple[str, str, int]]:
    edges = []
    for lname, node in nodes.items():
        for k, p in enumerate(node.producers):
            edges.append((p, lname, k))
    for k, o in enumerate(outputs):
        edges.append((o, "output", k))
    return edges


def _fifo_infos(edges, nodes, depths: dict[tuple, int], auto: set, top: str) -> list[FifoInfo]:
    infos, offset = [], 0
    used = set()
    for e in edges:
        p, c, k = e
        depth = depths[e]
        lw = max(1, depth.bit_length())
        name = unique_name(f"{p}_to_{c}" + (f"_{k}" if c == "output" or len(nodes[c].producers) > 1 else ""), used)
        infos.append(FifoInfo(name, p, c, k, nodes[p].width, depth, e in auto, offset, lw))
        offset += lw
    return infos


def _fifo_module(top: str, width: int, depth: int) -> str:
    return f"{top}_fifo_w{width}_d{depth}"


class StreamTop(wiring.Component):
    """The io_stream top (see the module doc).  ``instances=True`` instantiates layers and FIFOs
    by Verilog module name (``clocked``: the module names that have ``clk``/``rst`` ports)."""

    def __init__(self, nodes, inputs, outputs, fifos: list[FifoInfo], *, top_name: str = "top",
                 instances: bool = False, clocked: frozenset = frozenset()):
        self._nodes, self._inputs, self._outputs, self._fifos = nodes, inputs, outputs, fifos
        self._instances, self._clocked, self._top_name = instances, clocked, top_name
        in_width = sum(nodes[n].width for n in inputs)
        out_width = sum(nodes[n].width for n in outputs)
        super().__init__({
            "in_data": In(unsigned(in_width)), "in_valid": In(1), "in_ready": Out(1),
            "out_data": Out(unsigned(out_width)), "out_valid": Out(1), "out_ready": In(1),
            "fifo_levels": Out(unsigned(max(1, sum(f.level_width for f in fifos)))),
        })

    def _fifo(self, m, f: FifoInfo):
        """The FIFO's (w_payload, w_valid, w_ready, r_payload, r_valid, r_ready, level) signals."""
        sig = {k: Signal(w, name=f"{f.name}_{k}") for k, w in (
            ("w_payload", f.width), ("w_valid", 1), ("w_ready", 1), ("r_payload", f.width), ("r_valid", 1),
            ("r_ready", 1), ("level", f.level_width))}
        if self._instances:
            module = _fifo_module(self._top_name, f.width, f.depth)
            m.submodules[f.name] = Instance(
                module, i_clk=ClockSignal("sync"), i_rst=ResetSignal("sync"),
                i_i__payload=sig["w_payload"], i_i__valid=sig["w_valid"], o_i__ready=sig["w_ready"],
                o_o__payload=sig["r_payload"], o_o__valid=sig["r_valid"], i_o__ready=sig["r_ready"],
                o_level=sig["level"])
        else:
            fifo = StreamFifo(f.width, f.depth, name=f.name)
            m.submodules[f.name] = fifo
            m.d.comb += [fifo.i.payload.eq(sig["w_payload"]), fifo.i.valid.eq(sig["w_valid"]),
                         sig["w_ready"].eq(fifo.i.ready), sig["r_payload"].eq(fifo.o.payload),
                         sig["r_valid"].eq(fifo.o.valid), fifo.o.ready.eq(sig["r_ready"]),
                         sig["level"].eq(fifo.level)]
        return sig

    def _layer(self, m, node: _Node, ins: list[dict]):
        """Instantiate a layer; connect its inputs to the FIFO read sides ``ins``; return its output
        (payload, valid, ready) signals."""
        out = {"payload": Signal(node.width, name=f"{node.module}_o_payload"),
               "valid": Signal(name=f"{node.module}_o_valid"), "ready": Signal(name=f"{node.module}_o_ready")}
        names = ["i"] if len(ins) == 1 else [f"i_{k}" for k in range(len(ins))]
        if self._instances:
            ports = {}
            for nm, f in zip(names, ins):
                ports.update({f"i_{nm}__payload": f["r_payload"], f"i_{nm}__valid": f["r_valid"],
                              f"o_{nm}__ready": f["r_ready"]})
            ports.update(o_o__payload=out["payload"], o_o__valid=out["valid"], i_o__ready=out["ready"])
            if node.module in self._clocked:
                ports.update(i_clk=ClockSignal("sync"), i_rst=ResetSignal("sync"))
            m.submodules[node.module] = Instance(node.module, **ports)
        else:
            comp = node.component
            m.submodules[node.module] = comp
            for nm, f in zip(names, ins):
                port = getattr(comp, nm)
                m.d.comb += [port.payload.eq(f["r_payload"]), port.valid.eq(f["r_valid"]), f["r_ready"].eq(port.ready)]
            m.d.comb += [out["payload"].eq(comp.o.payload), out["valid"].eq(comp.o.valid), comp.o.ready.eq(out["ready"])]
        return out

    def elaborate(self, platform):
        m = Module()
        fifo_sig = {(f.producer, f.consumer, f.port): self._fifo(m, f) for f in self._fifos}
        # producer streams: the top input (one stream for all Input layers) and every layer
        streams = {}
        in_stream = {"payload": self.in_data, "valid": self.in_valid, "ready": self.in_ready}
        offset = 0
        for n in self._inputs:
            w = self._nodes[n].width
            streams[n] = {"payload": self.in_data[offset:offset + w], "valid": self.in_valid, "ready": None}
            offset += w
        for lname, node in self._nodes.items():
            if node.component is None:
                continue
            ins = [fifo_sig[(p, lname, k)] for k, p in enumerate(node.producers)]
            streams[lname] = self._layer(m, node, ins)
        # forks: every producer writes all its FIFOs in the same cycle, when all have room
        by_producer: dict[str, list] = {}
        for key, sig in fifo_sig.items():
            by_producer.setdefault(key[0], []).append(sig)
        input_ready = []
        for p, sigs in by_producer.items():
            s = streams[p]
            room = Signal(name=f"{p}_fork_room")
            m.d.comb += room.eq(Cat(*[f["w_ready"] for f in sigs]).all())
            for f in sigs:
                m.d.comb += [f["w_payload"].eq(s["payload"]), f["w_valid"].eq(s["valid"] & room)]
            if s["ready"] is None:  # a top input
                input_ready.append(room)
            else:
                m.d.comb += s["ready"].eq(room)
        for lname, node in self._nodes.items():  # a layer nobody reads (not an output) is always drained
            if node.component is not None and lname not in by_producer:
                m.d.comb += streams[lname]["ready"].eq(1)
        m.d.comb += in_stream["ready"].eq(Cat(*input_ready).all() if input_ready else 1)
        # the outputs leave together
        outs = [fifo_sig[(o, "output", k)] for k, o in enumerate(self._outputs)]
        all_valid = Signal(name="out_all_valid")
        m.d.comb += [all_valid.eq(Cat(*[f["r_valid"] for f in outs]).all()),
                     self.out_valid.eq(all_valid), self.out_data.eq(Cat(*[f["r_payload"] for f in outs]))]
        m.d.comb += [f["r_ready"].eq(self.out_ready & all_valid) for f in outs]
        m.d.comb += self.fifo_levels.eq(Cat(*[fifo_sig[(f.producer, f.consumer, f.port)]["level"]
                                              for f in self._fifos]))
        return m


@dataclass
class StreamDesign:
    """A network built for io_stream: timing, costs, FIFOs and Verilog (same surface as NetworkDesign)."""

    name: str
    top: StreamTop
    latency: int
    ii: int
    layers: list[LayerInfo]
    in_width: int  # bits per input pixel
    out_width: int  # bits per output pixel
    pixels_in: int
    pixels_out: int
    fifos: list[FifoInfo]
    sizing: dict
    _nodes: dict = field(repr=False, default_factory=dict)
    _inputs: list = field(repr=False, default_factory=list)
    _outputs: list = field(repr=False, default_factory=list)
    options: HwOptions = field(default_factory=HwOptions)
    io_type: str = "io_stream"

    @property
    def n_multipliers(self) -> int:
        return sum(l.n_multipliers for l in self.layers)

    def stream_report(self) -> dict:
        """The io_stream section of report.json: pixels per frame, FIFOs, how their depths were found."""
        return {
            "pixels_in": self.pixels_in, "pixels_out": self.pixels_out,
            "fifos": [{"name": f.name, "producer": f.producer, "consumer": f.consumer, "width": f.width,
                       "depth": f.depth, "auto": f.auto} for f in self.fifos],
            "fifo_bits": sum(f.width * f.depth for f in self.fifos),
            "sizing": self.sizing,
        }

    @property
    def fifo_levels_width(self) -> int:
        return max(1, sum(f.level_width for f in self.fifos))

    def verilog_files(self) -> dict[str, str]:
        """``{file name: Verilog}``: one file per layer, one per FIFO shape, then the top (deterministic)."""
        files, clocked = {}, set()
        for node in self._nodes.values():
            if node.make is None:
                continue
            key = fingerprint("stream", node.module, node.layer,
                              [self._nodes[p].type for p in node.producers],
                              [tuple(self._nodes[p].layer.shape) for p in node.producers], self.options)
            text = cached_text(key, lambda node=node: to_verilog(node.make(), node.module))
            files[f"{node.module}.v"] = text
            if re.search(r"^\s*input\s+clk\s*;", text, re.M):
                clocked.add(node.module)
        for width, depth in sorted({(f.width, f.depth) for f in self.fifos}):
            module = _fifo_module(self.name, width, depth)
            key = fingerprint("stream-fifo", module, width, depth)
            files[f"{module}.v"] = cached_text(key, lambda w=width, d=depth, mod=module:
                                               to_verilog(StreamFifo(w, d, name=mod), mod))
        top = StreamTop(self._nodes, self._inputs, self._outputs, self.fifos, top_name=self.name, instances=True,
                        clocked=frozenset(clocked))
        files[f"{self.name}.v"] = to_verilog(top, self.name)
        return files


# ---------------------------------------------------------------------------- sizing by simulation
def _simulate_timing(nodes, inputs, outputs, fifos: list[FifoInfo], ii: int, frames: int, budget: int) -> dict:
    """Stream ``frames`` frames (each frame's pixels back to back, frame k offered from cycle
    k * ii) with the output always ready; return every output pixel's cycle, the cycle each
    input pixel was taken, and every FIFO's largest occupancy.  Stops after ``budget`` cycles."""
    from amaranth.sim import Simulator

    for node in nodes.values():  # fresh components: an elaboratable is elaborated once
        if node.make is not None:
            node.component = node.make()
    top = StreamTop(nodes, inputs, outputs, fifos)
    p_in = nodes[inputs[0]].pixels
    p_out = nodes[outputs[0]].pixels
    n_out = frames * p_out
    record = {"out": [], "in": [], "max_level": [0] * len(fifos), "cycles": 0}

    async def bench(ctx):
        sent = 0
        for cycle in range(budget):
            frame = sent // p_in
            offer = sent < frames * p_in and cycle >= frame * ii
            ctx.set(top.in_valid, 1 if offer else 0)
            ctx.set(top.out_ready, 1)
            levels = ctx.get(top.fifo_levels)
            for k, f in enumerate(fifos):
                lv = (levels >> f.level_offset) & ((1 << f.level_width) - 1)
                if lv > record["max_level"][k]:
                    record["max_level"][k] = lv
            if offer and ctx.get(top.in_ready):
                record["in"].append(cycle)
                sent += 1
            if ctx.get(top.out_valid):
                record["out"].append(cycle)
                if len(record["out"]) == n_out:
                    record["cycles"] = cycle + 1
                    return
            await ctx.tick()
        record["cycles"] = budget

    sim = Simulator(top)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return record


def _stall_report(record, fifos: list[FifoInfo], frames: int, p_out: int) -> str:
    full = [f"{f.name} ({lv}/{f.depth})" for f, lv in zip(fifos, record["max_level"]) if lv >= f.depth]
    return (f"{len(record['out'])} of {frames * p_out} output pixels in {record['cycles']} cycles; "
            f"FIFOs that filled: {', '.join(full) or 'none'}")


def _size_fifos(graph, name, nodes, inputs, outputs, edges, user_depths: dict, ii: int) -> tuple[list, dict]:
    """The FIFO depths (FifoDepth or sized by simulation) and the sizing record (see the module doc)."""
    frames = SIZING_FRAMES
    p_in, p_out = nodes[inputs[0]].pixels, nodes[outputs[0]].pixels
    total_latency = sum(n.component.latency for n in nodes.values() if n.component is not None)
    n_edges = len(edges)
    # deep enough never to fill: a frame of the edge's pixels per frame in flight, plus every layer's
    # pipeline, twice over (the run checks it)
    roomy = {e: 2 * (2 * nodes[e[0]].pixels + total_latency // max(1, ii) + 4) for e in edges}
    budget = (frames + 2) * ii + 4 * total_latency + 64 * (n_edges + 2) + 4 * frames * (p_in + p_out)
    auto = {e for e in edges if user_depths.get(e[0]) is None}
    big = _fifo_infos(edges, nodes, roomy, auto, name)  # FifoDepth settings too: the schedule without them
    run = _simulate_timing(nodes, inputs, outputs, big, ii, frames, budget)
    if len(run["out"]) < frames * p_out:
        raise ir.RtlnnError(f"io_stream network {name!r}: the sizing run did not finish ("
                            f"{_stall_report(run, big, frames, p_out)}); a layer generator stalls or a FifoDepth "
                            "setting is too small")
    for f, lv in zip(big, run["max_level"]):
        if lv >= f.depth:
            raise ir.RtlnnError(f"io_stream network {name!r}: FIFO {f.name} filled up ({lv}) in the sizing run; "
                                "a layer generator misstates its II or never drains")
    depths = {e: (max(MIN_DEPTH, lv + 1) if e in auto else user_depths[e[0]])
              for e, lv in zip(edges, run["max_level"])}
    final = _fifo_infos(edges, nodes, depths, auto, name)
    check = _simulate_timing(nodes, inputs, outputs, final, ii, frames, budget)
    verified = check["out"] == run["out"]
    firsts = [run["out"][k * p_out] for k in range(frames)]
    record = {
        "method": "simulation", "frames": frames, "verified": verified, "latency": run["out"][0] - run["in"][0],
        "frame_interval": firsts[-1] - firsts[-2] if frames > 1 else None,
        "max_level": {f.name: lv for f, lv in zip(big, run["max_level"])},
        "depth": {f.name: f.depth for f in final},
        "auto": sorted(f.name for f in final if f.auto),
    }
    if not verified:
        record["stall"] = _stall_report(check, final, frames, p_out)
        if auto and not (set(edges) - auto):  # fully automatic sizing must be proven; FifoDepth is the user's call
            raise ir.RtlnnError(f"io_stream network {name!r}: the sized FIFOs change the schedule ({record['stall']})")
    return final, record


def fifo_depths_from_config(config, graph: ir.ModelGraph) -> dict:
    """``{layer name: FifoDepth}`` from a config (Model / LayerType / LayerName; ``auto`` -> None)."""
    from ..config import resolve_layer_settings

    depths = {}
    for layer in graph:
        depth = resolve_layer_settings(config, layer.name, layer.kind).get("fifo_depth")
        depths[layer.name] = depth if isinstance(depth, int) else None
    return depths


def build_stream_network(graph: ir.ModelGraph, *, name: str = "rtlnn_top", levels_per_stage: int = 2,
                         fifo_depths: dict | None = None, sizing: str = "auto") -> StreamDesign:
    """Build the io_stream hardware of ``graph`` (every precision set).  ``fifo_depths`` maps a layer
    name to the depth of its output FIFOs (an int >= 2, or None / "auto" for the sizing run).
    ``sizing``: ``"auto"`` (analysis for a chain of pixel-by-pixel layers, else simulation) or
    ``"simulation"`` (always the sizing and verification runs)."""
    if sizing not in ("auto", "simulation"):
        raise ir.RtlnnError(f"sizing must be 'auto' or 'simulation', not {sizing!r}")
    inputs = check_network(graph, name)
    options = HwOptions(levels_per_stage=levels_per_stage)
    nodes, alias = _plan(graph, name, options)
    outputs = [alias[o] for o in graph.outputs]
    for group, what in ((inputs, "inputs"), (outputs, "outputs")):
        counts = {nodes[n].pixels for n in group}
        if len(counts) != 1:
            listing = ", ".join(f"{n} ({nodes[n].pixels})" for n in group)
            raise ir.RtlnnError(f"graph {graph.name!r}: io_stream {what} share one stream, so they need equal pixel "
                                f"counts per frame, not {listing}")
    user = {}
    for lname, depth in (fifo_depths or {}).items():
        if lname not in graph.layers:
            raise ir.RtlnnError(f"FifoDepth for {lname!r}: the model has no such layer")
        if depth is None or (isinstance(depth, str) and depth.lower() == "auto"):
            continue
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < MIN_DEPTH:
            raise ir.RtlnnError(f"layer {lname!r}: FifoDepth must be a whole number >= {MIN_DEPTH} or 'auto', "
                                f"not {depth!r}")
        user[alias[lname]] = depth
    edges = _edges(nodes, outputs)
    p_in, p_out = nodes[inputs[0]].pixels, nodes[outputs[0]].pixels
    comps = [n for n in nodes.values() if n.component is not None]
    ii = max([p_in, p_out] + [n.component.ii for n in comps])
    chain = _chain_sizing(nodes, inputs, outputs, edges, user, ii) if sizing == "auto" else None
    key = fingerprint("stream-sizing", name, [graph[n] for n in graph.layers], list(graph.outputs), options,
                      sorted(user.items()), SIZING_FRAMES)
    cached = chain if chain is not None else json.loads(cached_text(key, lambda: json.dumps(
        _sizing_json(graph, name, nodes, inputs, outputs, edges, user, ii))))
    auto = {tuple(e) for e in cached["auto_edges"]}
    depths = {tuple(e): d for e, d in cached["depths"]}
    fifos = _fifo_infos(edges, nodes, depths, auto, name)
    sizing = cached["record"]
    if sizing["frame_interval"] is not None and sizing["frame_interval"] != ii and sizing["verified"]:
        raise ir.RtlnnError(f"io_stream network {name!r}: frames come out every {sizing['frame_interval']} cycles, "
                            f"but the slowest layer needs {ii}; a layer generator misstates its II")
    infos = [LayerInfo(name=n.layer.name, kind=n.layer.kind, latency=n.component.latency if n.component else 0,
                       ii=n.component.ii if n.component else p_in, n_multipliers=n.component.n_multipliers
                       if n.component else 0, module=n.module, start=0,
                       reuse_factor=getattr(n.component, "reuse_factor", 1) if n.component else 1)
             for n in nodes.values()]
    for node in nodes.values():  # unelaborated components for the design's own top
        if node.make is not None:
            node.component = node.make()
            node.component._MustUse__silence = True
    top = StreamTop(nodes, inputs, outputs, fifos, top_name=name)
    top._MustUse__silence = True
    return StreamDesign(name, top, sizing["latency"], ii, infos, sum(nodes[n].width for n in inputs),
                        sum(nodes[n].width for n in outputs), p_in, p_out, fifos, sizing, nodes, inputs, outputs,
                        options)


def _chain_sizing(nodes, inputs, outputs, edges, user, ii) -> dict | None:
    """Sizing by analysis for a chain of pixel-by-pixel layers on one-pixel frames (an MLP).

    In a chain nothing waits on two producers, so no depth >= 2 can deadlock; a FIFO of
    depth 2 moves a pixel per cycle, so a producer is only ever throttled to its consumer's
    rate and the frame interval is the slowest layer's II; the first frame crosses every
    FIFO and layer without waiting: latency = sum of their latencies.  Returns None when
    the network is not such a chain (then it is sized by simulation).
    """
    from .stream_pixelwise import PixelwiseStream

    comps = [n for n in nodes.values() if n.component is not None]
    if (len(inputs) != 1 or len(outputs) != 1 or nodes[inputs[0]].pixels != 1
            or any(not isinstance(n.component, PixelwiseStream) or len(n.producers) != 1 for n in comps)):
        return None
    producers = [e[0] for e in edges]
    if len(set(producers)) != len(producers):  # a branch
        return None
    latency, at = FIFO_LATENCY, outputs[0]
    while at != inputs[0]:
        node = nodes[at]
        latency += node.component.latency + FIFO_LATENCY
        at = node.producers[0]
    depths = [[list(e), user.get(e[0], MIN_DEPTH)] for e in edges]
    record = {"method": "analysis", "verified": True, "latency": latency, "frame_interval": ii,
              "depth": None, "auto": None}
    return {"depths": depths, "auto_edges": [list(e) for e in edges if e[0] not in user], "record": record}


def _sizing_json(graph, name, nodes, inputs, outputs, edges, user, ii) -> dict:
    final, record = _size_fifos(graph, name, nodes, inputs, outputs, edges, user, ii)
    return {"depths": [[list(e), f.depth] for e, f in zip(edges, final)],
            "auto_edges": [list(e) for e, f in zip(edges, final) if f.auto], "record": record}
