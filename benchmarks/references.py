"""Published figures of the reference tools on the same model shapes, each with its source.

Only figures read in the cited text (a paper's abstract, a project's README table, the tool
report an author posted; found with the project's search tool) are given as ``verified``;
figures quoted second-hand (a talk, memory) carry ``verified: False`` and say so in the table,
so nobody mistakes them for a checked number.
Each figure was measured on the authors' tool and FPGA (Vivado, Xilinx parts), not on the
Yosys/nextpnr flow of the rtlnn columns: compare shapes and orders of magnitude, not digits.
"""

from __future__ import annotations

REFERENCES: list[dict] = [
    {
        "tool": "hls4ml (Latency strategy, Vivado HLS)",
        "model": "16->64->32->32->5 jet tagger (the same shape as `jet`)",
        "figure": "latency 'on the scale of 100 ns'; the model 'fits well within the available resources of "
                  "modern FPGAs'",
        "source": "J. Duarte et al., 'Fast inference of deep neural networks in FPGAs for particle physics', "
                  "JINST 13 P07027 (2018), arXiv:1804.06913 — abstract (the paper's tables were not readable "
                  "with the search tool)",
        "url": "https://arxiv.org/abs/1804.06913",
        "verified": True,
    },
    {
        "tool": "hls4ml (Latency strategy, Vivado HLS 2018.2 C synthesis)",
        "model": "the same jet tagger ('KERAS_3layer') with 70%-pruned retrained weights (the shape of `jetp70`), "
                 "ap_fixed<16,6>, ReuseFactor 1, io_parallel, xcku115, ClockPeriod 5",
        "figure": "latency 22 clocks at the 5 ns target (HLS timing estimate 4.366 ns); the same post says the "
                  "initiation interval of that code was 2, not 1. HLS estimates, not place and route",
        "source": "J. Duarte, hls4ml pull request #86 'Fix sublayer to use layer code (+ pruning support + default "
                  "unroll limit of 4096)', 2018-08-08: the C-synthesis report quoted in its description. This is "
                  "the '22 cycles at 200 MHz' issue 8 quotes",
        "url": "https://github.com/fastmachinelearning/hls4ml/pull/86",
        "verified": True,
    },
    {
        "tool": "hls4ml + da4ml (distributed arithmetic, no DSP)",
        "model": "constant matrix-vector products of fully unrolled networks (jet-tagging models among them)",
        "figure": "'can reduce on-chip resources by up to a third for realistic, highly quantized neural networks "
                  "while simultaneously reducing latency'",
        "source": "C. Sun, Z. Que, V. Loncar, W. Luk, M. Spiropulu, 'da4ml: Distributed Arithmetic for Real-time "
                  "Neural Networks on FPGAs', arXiv:2507.04535 (2025) — abstract",
        "url": "https://arxiv.org/abs/2507.04535",
        "verified": True,
    },
    {
        "tool": "hls4ml Distributed Arithmetic strategy (da4ml)",
        "model": "Dense / Conv CMVM kernels, ReuseFactor 1",
        "figure": "'DA can usually reduce up to 30% of the LUTs and all DSPs used' vs the Latency strategy; the "
                  "da4ml README: no DSP and 'up to 50% less LUT usage' than hls4ml's latency strategy",
        "source": "hls4ml documentation, 'Distributed Arithmetic' (fastmachinelearning.org/hls4ml/advanced/da.html); "
                  "da4ml README, 'Key Features' (github.com/calad0i/da4ml)",
        "url": "https://fastmachinelearning.org/hls4ml/advanced/da.html",
        "verified": True,
    },
    {
        "tool": "LogicNets (neurons as truth tables, Vivado)",
        "model": "jet substructure classification (JSC-S/M/L: sparse, 2-3-bit MLPs of a similar task, not the "
                 "same dense shape)",
        "figure": "'less than 15 ns of inference latency and throughput in the hundreds of millions of "
                  "inferences per second'",
        "source": "Y. Umuroglu, Y. Akhauri, N. J. Fraser, M. Blott, 'LogicNets: Co-Designed Neural Networks and "
                  "Circuits for Extreme-Throughput Applications', FPL 2020, arXiv:2004.03021 — abstract",
        "url": "https://arxiv.org/abs/2004.03021",
        "verified": True,
    },
    {
        "tool": "LogicNets reimplementation (Vivado 2019.2)",
        "model": "jet substructure classification, JSC-S / JSC-M / JSC-L (sparse LUT networks, 5 classes)",
        "figure": "JSC-M: 14,576 LUT, 803 FF, 596.66 MHz, 5 cycles, 71.5% accuracy; JSC-L: 38,925 LUT, 2,418 FF, "
                  "485.44 MHz, 6 cycles, 72.6%; JSC-S: 232 LUT, 1,394.70 MHz, 5 cycles, 68.8%. This is the "
                  "'5 cycles at over 500 MHz' issue 8 quotes",
        "source": "Xilinx/logicnets, examples/jet_substructure/README.md, 'Results' table (NeuraLUT, PolyLUT and "
                  "NeuraLUT-Assemble report this task too; only their abstracts were readable)",
        "url": "https://github.com/Xilinx/logicnets/blob/master/examples/jet_substructure/README.md",
        "verified": True,
    },
]


def markdown() -> list[str]:
    lines = ["## Published reference figures", "",
             "Measured by their authors with Vivado on Xilinx parts (not the Yosys / nextpnr flow above), on "
             "their own trained models: compare shapes and orders of magnitude. Unverified = quoted second-hand, "
             "not read in the source.", "",
             "| tool | model | published figure | source | checked |", "| --- | --- | --- | --- | --- |"]
    for r in REFERENCES:
        src = r["source"] + (f" <{r['url']}>" if r.get("url") else "")
        lines.append("| " + " | ".join(s.replace("|", "\\|") for s in (
            r["tool"], r["model"], r["figure"], src, "yes" if r["verified"] else "**unverified**")) + " |")
    return lines + [""]
