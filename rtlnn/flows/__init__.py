"""FPGA flows after the RTL: synthesis reports, place and route, board builds.

- :mod:`rtlnn.flows.yowasp`      finds and runs the open tools (YoWASP Yosys, nextpnr-ecp5, ecppack)
- :mod:`rtlnn.flows.cells`       Yosys cell counts into LUT / FF / DSP / BRAM / CARRY
- :mod:`rtlnn.flows.fit`         utilization of a part, and the reuse factor or precision that would fit
- :mod:`rtlnn.flows.yosys_synth` ``synthesize()``: per-layer and total synthesis report (``rtlnn synth``)
- :mod:`rtlnn.flows.ecp5`        ``build_ecp5()``: nextpnr-ecp5 place and route, measured Fmax (ULX3S)
- :mod:`rtlnn.flows.plan`        build plans for the boards whose tools may be missing (openXC7, Vivado)
"""
