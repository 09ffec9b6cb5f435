"""The on-board self-test wrapper: PASS on the design's own vectors, FAIL on a corrupted one,
in Amaranth's simulator (with the network as a component) and under cocotb (with the written rtl/)."""

from __future__ import annotations

import shutil

import pytest
from amaranth.sim import Simulator

from rtlnn.config import config_from_graph
from rtlnn.hw.selftest import SelfTest, baud_divisor
from rtlnn.ir import RtlnnError
from rtlnn.model import RtlnnModel
from rtlnn.passes import run_passes
from rtlnn.selftest import selftest_component, simulate_selftest, write_selftest_verilog
from rtlnn.vectors import read_hex

from graphs import make_mlp

needs_icarus = pytest.mark.skipif(shutil.which("iverilog") is None, reason="Icarus Verilog not installed")


def _model(tmp_path, name="prj", reuse=1, n_vectors=12):
    g = make_mlp([4, 3, 2], seed=3)
    cfg = config_from_graph(g, default_precision="fixed<8,3>", default_reuse_factor=reuse)
    rm = RtlnnModel(run_passes(g, cfg), cfg, tmp_path / name)
    rm.write(n_vectors=n_vectors)
    return rm


@pytest.fixture(scope="module")
def design(tmp_path_factory):
    return _model(tmp_path_factory.mktemp("selftest")).output_dir


def _uart_line(st, max_cycles=20000):
    """Run ``st`` under Amaranth's simulator; decode its UART (10 cycles per bit)."""
    result = {}

    async def bench(ctx):
        line, cycles = "", 0
        while cycles < max_cycles and not line.endswith("\n"):
            await ctx.tick()
            cycles += 1
            if ctx.get(st.uart_tx) == 0:
                await ctx.tick().repeat(5)
                byte = 0
                for k in range(8):
                    await ctx.tick().repeat(st.divisor)
                    byte |= ctx.get(st.uart_tx) << k
                await ctx.tick().repeat(st.divisor)
                line += chr(byte)
        result.update(line=line, leds=(ctx.get(st.led_pass), ctx.get(st.led_fail), ctx.get(st.led_done)),
                      cycles=ctx.get(st.cycles_measured), latency=ctx.get(st.latency_measured))

    sim = Simulator(st)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return result


@pytest.mark.parametrize("reuse", [1, 2])
def test_amaranth_sim_pass_and_fail(tmp_path, reuse):
    rm = _model(tmp_path, reuse=reuse)
    tb = rm.output_dir / "tb"
    inputs, expected = read_hex(tb / "inputs.hex"), read_hex(tb / "expected.hex")
    n = len(inputs)
    for corrupt in (None, 5):
        exp = list(expected)
        if corrupt is not None:
            exp[corrupt] ^= 1 << 3
        rm._design = None  # a fresh network component per simulation
        d = rm.design
        st = SelfTest(inputs=inputs, expected=exp, in_width=d.in_width, out_width=d.out_width, latency=d.latency,
                      ii=d.ii, clk_freq=1e6, baud=100_000, core=d.top)
        r = _uart_line(st)
        total = (n - 1) * d.ii + d.latency
        assert r["cycles"] == total and r["latency"] == d.latency
        if corrupt is None:
            assert r["leds"] == (1, 0, 1)
            assert r["line"] == f"PASS n={n} lat={d.latency} cycles={total} err=0\r\n"
        else:
            assert r["leds"] == (0, 1, 1)
            assert r["line"] == f"FAIL n={n} lat={d.latency} cycles={total} err=1\r\n"


@needs_icarus
def test_cocotb_selftest_passes(design):
    r = simulate_selftest(design, n=10, simulator="icarus")
    assert r.passed, r
    assert (r.led_pass, r.led_fail, r.led_done) == (1, 0, 1)
    assert r.line.startswith("PASS n=10 lat=") and r.line.endswith(" err=0\r\n")
    assert r.outputs_seen == 10 and r.errors == 0
    assert (design / "sim" / "selftest" / "result.json").is_file()


@needs_icarus
def test_cocotb_selftest_fails_on_corrupted_vector(design):
    r = simulate_selftest(design, n=10, simulator="icarus", corrupt=4)
    assert not r.passed
    assert (r.led_pass, r.led_fail, r.led_done) == (0, 1, 1)
    assert r.line.startswith("FAIL n=10 ") and r.line.endswith(" err=1\r\n")


def test_wrapper_verilog_is_deterministic(design, tmp_path):
    write_selftest_verilog(design, tmp_path / "a.v", n=8, clk_freq=100e6)
    write_selftest_verilog(design, tmp_path / "b.v", n=8, clk_freq=100e6)
    a = (tmp_path / "a.v").read_text()
    assert a == (tmp_path / "b.v").read_text()
    assert "module rtlnn_selftest(" in a and "rtlnn_top core" in a


def test_clear_errors(design):
    with pytest.raises(RtlnnError, match="holds 12"):
        selftest_component(design, n=100, clk_freq=100e6)
    with pytest.raises(RtlnnError, match="at least 1"):
        selftest_component(design, n=0, clk_freq=100e6)
    with pytest.raises(RtlnnError, match="too fast"):
        baud_divisor(1e6, 921600)
    assert baud_divisor(100e6, 115200) == 868
