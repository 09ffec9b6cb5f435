"""Constant tables in hardware: one ``amaranth.lib.memory`` ROM with registered read ports,
and the index arithmetic of :class:`rtlnn.tables.TableIndex` as logic.

Every table-driven generator (activations, softmax exp and inverse) reads its table through
:class:`Rom`; the contents come from :mod:`rtlnn.tables` / :mod:`rtlnn.activations`, the same
arrays the emulator indexes.  A read takes one cycle (address in cycle ``t``, data in
``t + 1``), so a synthesizer may map the ROM to block RAM (``style="block"``) or LUTs.
All read ports share one memory (one copy of the contents in the Verilog); a tool that
needs more ports than a RAM has replicates it.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from amaranth.hdl import Const, Module, Mux, Value, signed, unsigned
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

from ..ir import RtlnnError
from ..tables import TableIndex

__all__ = ["Rom", "table_address", "ROM_STYLES"]

#: Values of the ``rom_style`` synthesis attribute a ROM may carry (None: let the tool choose).
ROM_STYLES = (None, "block", "distributed")


class Rom(wiring.Component):
    """``contents`` (integers) with ``n_ports`` registered read ports ``addr_k`` -> ``data_k``.

    The data shape is the narrowest holding every entry (signed only if one is negative).
    """

    latency = 1

    def __init__(self, contents: Sequence[int], *, n_ports: int = 1, style: str | None = None,
                 name: str = "table"):
        self._MustUse__silence = True
        values = [int(v) for v in np.ravel(np.asarray(contents, dtype=object))]
        if not values:
            raise RtlnnError(f"{name}: a ROM needs at least one entry")
        if not isinstance(n_ports, int) or n_ports < 1:
            raise RtlnnError(f"{name}: n_ports must be a positive integer, not {n_ports!r}")
        if style not in ROM_STYLES:
            raise RtlnnError(f"{name}: ROM style {style!r} is not one of {ROM_STYLES}")
        lo, hi = min(values), max(values)
        if lo < 0:
            bits = max(lo.bit_length(), hi.bit_length()) + 1
            self.data_shape = signed(max(bits, 2))
        else:
            self.data_shape = unsigned(max(hi.bit_length(), 1))
        self.contents = values
        self.depth = len(values)
        self.n_ports = n_ports
        self.style = style
        self.addr_width = max((self.depth - 1).bit_length(), 1)
        members = {}
        for k in range(n_ports):
            members[f"addr_{k}"] = In(unsigned(self.addr_width))
            members[f"data_{k}"] = Out(self.data_shape)
        del self._MustUse__silence
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        attrs = {"rom_style": self.style} if self.style else None
        m.submodules.mem = mem = memory.Memory(shape=self.data_shape, depth=self.depth, init=self.contents,
                                               attrs=attrs)
        for k in range(self.n_ports):
            port = mem.read_port(domain="sync")
            m.d.comb += [port.addr.eq(getattr(self, f"addr_{k}")), getattr(self, f"data_{k}").eq(port.data)]
        return m


def table_address(x: Value, index: TableIndex) -> Value:
    """The table index of raw ``x`` (of ``index.in_t``) as logic: align, subtract ``lo``,
    arithmetic shift right, clamp to ``[0, size - 1]`` (comparisons only where reachable)."""
    v = Value.cast(x)
    v = v.as_signed() if index.in_t.signed else v.as_unsigned()
    aligned = v.shift_left(index.up)
    diff = aligned - Const(index.lo_raw, signed(max(index.lo_raw.bit_length() + 1, 2)))
    raw = diff.shift_right(index.shift)
    lo, hi = index.unclamped_range()
    width = max((index.size - 1).bit_length(), 1)
    out = raw
    if hi > index.size - 1:
        out = Mux(raw > index.size - 1, Const(index.size - 1, unsigned(width)), out)
    if lo < 0:
        out = Mux(raw < 0, Const(0, unsigned(width)), out)
    return out.as_unsigned()[:width] if len(out) >= width else out.as_unsigned()
