"""Published figures of the reference tools on the same model shapes, each with its source.

Only figures read in the cited text (its abstract or body, as found with the project's search
tool) are given as ``verified``; figures quoted second-hand (an issue, a talk, memory) carry
``verified: False`` and say so in the table, so nobody mistakes them for a checked number.
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
                  "JINST 13 P07027 (2018), arXiv:1804.06913 — abstract",
        "url": "https://arxiv.org/abs/1804.06913",
        "verified": True,
    },
    {
        "tool": "hls4ml (Latency strategy, Vivado HLS)",
        "model": "the same jet tagger",
        "figure": "22 clock cycles at 200 MHz (fully pipelined, II 1)",
        "source": "quoted in rtlnn issue 8 as 'the published HLS figure for this model'; not found in the text "
                  "the search tool returns for arXiv:1804.06913 (abstract and introduction, arxiv.org / deepai.org) "
                  "or arXiv:2006.10159 (QKeras + hls4ml, abstract); the tables of those papers were not readable",
        "url": None,
        "verified": False,
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
                  "da4ml package page says 'up to 50% less LUT usage' and no DSP",
        "source": "hls4ml documentation, 'Distributed Arithmetic' (fastmachinelearning.org/hls4ml/advanced/da.html); "
                  "da4ml on PyPI",
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
        "tool": "LUT-based networks (LogicNets / PolyLUT / NeuraLUT family)",
        "model": "jet tagging",
        "figure": "5 cycles at over 500 MHz",
        "source": "quoted in rtlnn issue 8; the papers that would hold it (NeuraLUT, FPL 2024; NeuraLUT-Assemble, "
                  "arXiv:2504.00592; PolyLUT, arXiv:2501.08043; LogicNets, arXiv:2004.03021) were found, but only "
                  "their abstracts and introductions are readable with the search tool, not their result tables",
        "url": "https://arxiv.org/abs/2504.00592",
        "verified": False,
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
