"""A Xilinx LUT cell as Amaranth logic, for tests that run LUT-cell designs in Amaranth's
simulator (which cannot run the ``Instance`` that :func:`rtlnn.hw.xilinx_cells.lut_cell` makes)."""

from amaranth.hdl import Cat, Const, Signal


def truth_table_cell(m, init: int, inputs) -> Signal:
    """The cell's output: bit ``i`` of ``init`` for inputs ``i`` (``I0`` the lowest bit)."""
    out = Signal()
    m.d.comb += out.eq(Const(init, 1 << len(inputs)).bit_select(Cat(*inputs), 1))
    return out
