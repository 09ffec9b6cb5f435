"""The io_parallel network top: layer generators wired in graph order, aligned in time.

:func:`build_network` plans the network once: it builds one generator per layer (Reshape
is wiring only), and schedules it.  A layer starts when its last input arrives; an input
that arrives earlier goes through a delay line (data and valid) so every input of a layer
is present in the same cycle — a chain needs no delays, a DAG gets them where needed.
Outputs that arrive before the last one are delayed the same way, so ``out_valid``
follows ``in_valid`` by exactly ``latency`` cycles.

The top exists in two forms with the same wiring: ``NetworkDesign.top`` holds the layer
components as Amaranth submodules (simulate it with ``amaranth.sim``), while
:meth:`NetworkDesign.verilog_files` emits every layer as its own Verilog module (its own
file, synthesizable alone) and a top that instantiates them by module name.  Layer
modules that hold registers (``latency > 0``) have ``clk`` and ``rst`` ports; purely
combinational ones have none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from amaranth.hdl import Cat, ClockSignal, Instance, Module, ResetSignal, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .. import ir
from ..fixed import FixedType
from .generators import WIRING_KINDS, HwOptions, Source, make_generator
from .emit import cached_text, fingerprint, is_verilog_name, to_verilog, unique_name
from .pipeline import delay

__all__ = ["build_network", "NetworkDesign", "LayerInfo", "NetworkTop"]


@dataclass(frozen=True)
class LayerInfo:
    """One layer as built: what it costs and when it runs (cycles after the top's ``in_valid``)."""

    name: str
    kind: str
    latency: int
    ii: int
    n_multipliers: int
    module: str | None  # Verilog module name, None for pure wiring (Input, Reshape)
    start: int  # cycle at which its inputs are valid
    reuse_factor: int = 1
    strategy: str | None = None  # the implementation built (Auto resolved), when the generator says
    strategy_reason: str | None = None
    pipeline: dict | None = None  # a multiplier Dense's multiplier_registers and adder_levels_per_stage


@dataclass
class _Node:
    layer: ir.Layer
    size: int
    type: FixedType
    make: Callable[[], wiring.Component] | None  # builds the layer's generator
    component: wiring.Component | None
    module: str | None
    sources: list[tuple[str, int]] = field(default_factory=list)  # (layer name, delay cycles)
    start: int = 0
    arrival: int = 0
    registered: bool = False  # its outputs come straight from flip-flops (see Source.registered)


def _plan(graph: ir.ModelGraph, name: str, options: HwOptions) -> dict[str, _Node]:
    nodes: dict[str, _Node] = {}
    used = {name}
    for layer in graph:
        if isinstance(layer, ir.Input):
            if not isinstance(layer.result_t, FixedType):
                raise ir.RtlnnError(f"Input layer {layer.name!r}: result_t must be a FixedType, "
                                    f"not {layer.result_t!r}")
            nodes[layer.name] = _Node(layer, layer.size, layer.result_t, None, None, None, registered=True)
            continue
        sources = [Source(i, nodes[i].type, nodes[i].size, tuple(graph[i].shape), registered=nodes[i].registered)
                   for i in layer.inputs]
        make = None
        if layer.kind in WIRING_KINDS:
            (src,) = sources
            if layer.size != src.size:
                raise ir.RtlnnError(f"{layer.kind} layer {layer.name!r}: {layer.size} elements out of "
                                    f"{src.size} in from {src.name!r}")
            if layer.result_t is not None and layer.result_t != src.type:
                raise ir.RtlnnError(f"{layer.kind} layer {layer.name!r}: result_t {layer.result_t} differs from "
                                    f"its input's {src.type}; a reshape cannot change precision")
            out_t = src.type
        else:
            out_t = layer.result_t
            make = (lambda layer=layer, sources=sources: make_generator(layer, sources, options))
        comp = make() if make else None
        if comp is not None:
            _silence_unused(comp)  # may serve only for its attributes; emission builds fresh ones
        module = unique_name(f"{name}_{layer.name}", used) if comp is not None else None
        node = _Node(layer, layer.size, out_t, make, comp, module,
                     registered=all(s.registered for s in sources) if comp is None
                     else bool(getattr(comp, "registered_output", False)))
        # Schedule: start when the last input arrives; delay the earlier ones to match.
        node.start = max(nodes[i].arrival for i in layer.inputs)
        node.sources = [(i, node.start - nodes[i].arrival) for i in layer.inputs]
        node.arrival = node.start + (comp.latency if comp is not None else 0)
        nodes[layer.name] = node
    return nodes


def _silence_unused(elaboratable) -> None:
    """No UnusedElaboratable warning if this object is only read, never elaborated."""
    elaboratable._MustUse__silence = True


class NetworkTop(wiring.Component):
    """The network's io_parallel top.  ``instances=True`` instantiates the layers by module name."""

    def __init__(self, nodes: dict[str, _Node], inputs: list[str], outputs: list[str], latency: int,
                 *, instances: bool = False):
        self._nodes, self._inputs, self._outputs = nodes, inputs, outputs
        self._latency, self._instances = latency, instances
        in_width = sum(nodes[n].size * nodes[n].type.width for n in inputs)
        out_width = sum(nodes[n].size * nodes[n].type.width for n in outputs)
        super().__init__({
            "in_data": In(unsigned(in_width)),
            "in_valid": In(1),
            "out_data": Out(unsigned(out_width)),
            "out_valid": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        data, valid = {}, {}
        offset = 0
        for n in self._inputs:
            width = self._nodes[n].size * self._nodes[n].type.width
            data[n], valid[n] = self.in_data[offset:offset + width], self.in_valid
            offset += width
        for lname, node in self._nodes.items():
            if lname in data:
                continue
            tag = node.module or lname
            xs = [delay(m, data[src], lag, name=f"{tag}_in{k}") for k, (src, lag) in enumerate(node.sources)]
            src0, lag0 = node.sources[0]  # all inputs arrive together: any one's valid will do
            xv = delay(m, valid[src0], lag0, name=f"{tag}_in_valid", reset_less=False)
            if node.component is None:  # wiring only
                data[lname], valid[lname] = xs[0], xv
                continue
            comp = node.component
            in_ports = ["in_data"] if len(xs) == 1 else [f"in_data_{k}" for k in range(len(xs))]
            if self._instances:
                od = Signal(len(comp.out_data), name=f"{node.module}_out_data")
                ov = Signal(name=f"{node.module}_out_valid")
                ports = {f"i_{p}": x for p, x in zip(in_ports, xs)}
                ports.update(i_in_valid=xv, o_out_data=od, o_out_valid=ov)
                if comp.latency > 0:
                    ports.update(i_clk=ClockSignal("sync"), i_rst=ResetSignal("sync"))
                m.submodules[node.module] = Instance(node.module, **ports)
                data[lname], valid[lname] = od, ov
            else:
                m.submodules[node.module] = comp
                m.d.comb += [getattr(comp, p).eq(x) for p, x in zip(in_ports, xs)]
                m.d.comb += comp.in_valid.eq(xv)
                data[lname], valid[lname] = comp.out_data, comp.out_valid
        outs = []
        out_valid = None
        for n in self._outputs:
            lag = self._latency - self._nodes[n].arrival
            outs.append(delay(m, data[n], lag, name=f"out_{n}"))
            out_valid = delay(m, valid[n], lag, name=f"out_valid_{n}", reset_less=False)
        m.d.comb += [self.out_data.eq(Cat(*outs)), self.out_valid.eq(out_valid)]
        return m


@dataclass
class NetworkDesign:
    """A network built for io_parallel: the simulatable top, its timing, costs and Verilog."""

    name: str
    top: NetworkTop
    latency: int
    ii: int
    layers: list[LayerInfo]
    in_width: int
    out_width: int
    _nodes: dict = field(repr=False, default_factory=dict)
    _inputs: list = field(repr=False, default_factory=list)
    _outputs: list = field(repr=False, default_factory=list)
    options: HwOptions = field(default_factory=HwOptions)

    @property
    def n_multipliers(self) -> int:
        return sum(l.n_multipliers for l in self.layers)

    def verilog_files(self) -> dict[str, str]:
        """``{file name: Verilog}``: one file per layer module (graph order), then the top.

        Each layer is built afresh and emitted as its own module; the top instantiates them.
        The same graph always gives the same bytes.
        """
        files = {}
        for node in self._nodes.values():
            if node.make is not None:
                key = fingerprint(node.module, node.layer, [self._nodes[src].type for src, _ in node.sources],
                                  [self._nodes[src].registered for src, _ in node.sources], self.options)
                files[f"{node.module}.v"] = cached_text(key, lambda node=node: to_verilog(node.make(), node.module))
        top = NetworkTop(self._nodes, self._inputs, self._outputs, self.latency, instances=True)
        files[f"{self.name}.v"] = to_verilog(top, self.name)
        return files


def check_network(graph: ir.ModelGraph, name: str) -> list[str]:
    """Checks every network top makes of its graph and name; returns the Input layer names."""
    if not is_verilog_name(name):
        raise ir.RtlnnError(f"top name {name!r} is not a Verilog identifier: use letters, digits and _, "
                            "starting with a letter")
    inputs = graph.inputs
    if not inputs:
        raise ir.RtlnnError(f"graph {graph.name!r} has no Input layer")
    if not graph.outputs:
        raise ir.RtlnnError(f"graph {graph.name!r} names no outputs")
    for o in graph.outputs:
        if o not in graph.layers:
            raise ir.RtlnnError(f"graph {graph.name!r}: output {o!r} is not a layer")
    return inputs


def build_network(graph: ir.ModelGraph, *, name: str = "rtlnn_top", levels_per_stage: int = 2,
                  clock_period: float | None = None, part: str | None = None) -> NetworkDesign:
    """Build the io_parallel hardware of ``graph`` (every precision set; see the module doc).

    ``clock_period`` (ns) pipelines the layers that support it for that target clock on
    ``part``'s family (:mod:`rtlnn.hw.timing_model`); without it, ``levels_per_stage``.
    """
    from .timing_model import check_clock_period, family_of_part

    options = HwOptions(levels_per_stage=levels_per_stage, clock_period=check_clock_period(clock_period),
                        family=family_of_part(part))
    inputs = check_network(graph, name)
    nodes = _plan(graph, name, options)
    latency = max(nodes[o].arrival for o in graph.outputs)
    infos = []
    for node in nodes.values():
        comp = node.component
        infos.append(LayerInfo(
            name=node.layer.name, kind=node.layer.kind,
            latency=comp.latency if comp is not None else 0,
            ii=comp.ii if comp is not None else 1,
            n_multipliers=comp.n_multipliers if comp is not None else 0,
            module=node.module, start=node.start,
            reuse_factor=getattr(comp, "reuse_factor", 1),
            strategy=getattr(comp, "strategy", None), strategy_reason=getattr(comp, "strategy_reason", None),
            pipeline=getattr(comp, "pipeline", None)))
    ii = max(i.ii for i in infos)
    top = NetworkTop(nodes, inputs, list(graph.outputs), latency)
    _silence_unused(top)
    return NetworkDesign(name, top, latency, ii, infos, len(top.in_data), len(top.out_data),
                         nodes, inputs, list(graph.outputs), options)
