"""Board files, lookup, platforms (amaranth-boards and our own), and `rtlnn boards`."""

from __future__ import annotations

import json

import pytest

from rtlnn import boards
from rtlnn.boards import get_board, load_boards, part_resources, yosys_family
from rtlnn.cli import main
from rtlnn.ir import RtlnnError

EXPECTED = {
    "arty-a7-35": "xc7a35ticsg324-1L",
    "arty-a7-100": "xc7a100ticsg324-1L",
    "basys3": "xc7a35tcpg236-1",
    "nexys-a7-100t": "xc7a100tcsg324-1",
    "zcu102": "xczu9eg-ffvb1156-2-e",
    "ulx3s-85f": "LFE5U-85F-6BG381C",
}


def test_every_board_is_there_with_its_part_and_resources():
    found = {b.name: b for b in load_boards()}
    assert {n: found[n].part for n in EXPECTED} == EXPECTED
    for b in found.values():
        assert all(b.resources[k] >= 0 for k in boards.RESOURCE_KEYS)
        assert b.resources["lut"] > 0 and b.resources["ff"] > 0 and b.resources["dsp"] > 0
        assert b.clock_hz > 0 and b.clock["pin"]
        assert b.leds and b.buttons and b.uart
    assert found["zcu102"].resources["dsp"] == 2520 and found["zcu102"].yosys_family == "xcup"
    assert found["ulx3s-85f"].resources["lut"] == 83640 and found["ulx3s-85f"].nextpnr["device"] == "85k"
    assert found["arty-a7-35"].resources == found["basys3"].resources  # same die


@pytest.mark.parametrize("name,board", [("ARTY", "arty-a7-35"), ("nexys4ddr", "nexys-a7-100t"),
                                        ("ulx3s", "ulx3s-85f"), (" zcu102 ", "zcu102")])
def test_lookup_by_name_or_alias(name, board):
    assert get_board(name).name == board


def test_unknown_board_lists_the_valid_names():
    with pytest.raises(RtlnnError) as e:
        get_board("arty-z7")
    msg = str(e.value)
    assert "unknown board 'arty-z7'" in msg
    for name in EXPECTED:
        assert name in msg


def test_board_file_errors_name_the_file(tmp_path, monkeypatch):
    (tmp_path / "bad.yml").write_text("name: bad\ntitle: Bad\n")
    monkeypatch.setenv("RTLNN_BOARDS_DIR", str(tmp_path))
    with pytest.raises(RtlnnError, match=r"bad\.yml lacks .*part"):
        load_boards()
    monkeypatch.setenv("RTLNN_BOARDS_DIR", str(tmp_path / "none"))
    with pytest.raises(RtlnnError, match="no board files"):
        load_boards()


def test_a_board_file_path_works(tmp_path):
    data = get_board("basys3").to_dict()
    data.update(name="my-basys", aliases=[], platform="rtlnn.boards:Basys3Platform")
    path = tmp_path / "my.yml"
    import yaml

    path.write_text(yaml.safe_dump(data))
    assert get_board(str(path)).name == "my-basys"


@pytest.mark.parametrize("module,cls,board", [
    ("arty_a7", "ArtyA7_35Platform", "arty-a7-35"), ("arty_a7", "ArtyA7_100Platform", "arty-a7-100"),
    ("nexys4ddr", "Nexys4DDRPlatform", "nexys-a7-100t"), ("ulx3s", "ULX3S_85F_Platform", "ulx3s-85f")])
def test_pins_agree_with_amaranth_boards(module, cls, board):
    import importlib

    plat_cls = getattr(importlib.import_module(f"amaranth_boards.{module}"), cls)
    b = get_board(board)
    assert b.platform_class() is plat_cls
    plat = plat_cls()
    assert plat.default_clk == b.clock["name"]
    clk = plat.lookup(plat.default_clk, 0)
    assert clk.ios[0].names == [b.clock["pin"]]
    assert clk.clock.frequency == b.clock_hz
    leds = [plat.lookup("led", k).ios[0].names[0] for k in range(len(b.leds))]
    assert leds == list(b.leds)
    uart = plat.lookup("uart", 0)
    pins = {s.name: s.ios[0].names[0] for s in uart.ios}
    assert (pins["tx"], pins["rx"]) == (b.uart["tx"], b.uart["rx"])
    assert f"{plat.device}" in b.part and plat.package.lower() in b.part.lower()


class _Blinky:
    def elaborate(self, platform):
        from amaranth.hdl import Module, Signal
        from amaranth.lib import io

        m = Module()
        count = Signal(8)
        m.d.sync += count.eq(count + 1)
        m.submodules.led = led = io.Buffer("o", platform.request("led", 0, dir="-"))
        m.d.comb += led.o.eq(count[-1])
        return m


@pytest.mark.parametrize("board,expect", [
    ("zcu102", ["LOC G21", "LOC F21", "LVDS_25", "LOC AG14", "-period 8.0"]),
    ("basys3", ["LOC W5", "LOC U16", "-period 10.0"]),
])
def test_our_platforms_write_constraints(board, expect):
    from amaranth.hdl import Elaboratable

    class Blinky(_Blinky, Elaboratable):
        pass

    b = get_board(board)
    plat = b.platform()
    assert plat.device == b.device and plat.package == b.package and plat.speed == b.speed
    plan = plat.build(Blinky(), name="blinky", do_build=False)
    xdc = plan.files["blinky.xdc"]
    for text in expect:
        assert text in xdc
    assert b.part in plan.files["blinky.tcl"]


def test_zcu102_platform_is_ultrascale_plus():
    from rtlnn.boards import ZCU102Platform

    assert ZCU102Platform().family == "ultrascaleplus"


def test_part_lookups_and_families():
    assert part_resources("xc7a35tcpg236-1").name == "basys3"
    assert part_resources("xc7a100tcsg324-3").resources["lut"] == 63400
    assert part_resources("xc7a35ticsg324-1L").name == "arty-a7-35"
    assert part_resources("xc7k325tffg900-2") is None
    assert [yosys_family(p) for p in ("xc7a35tcpg236-1", "xczu9eg-ffvb1156-2-e", "xcvu9p-flga2104-2L-e",
                                      "xcku040-ffva1156-2-e", "LFE5U-85F-6BG381C")] == ["xc7", "xcup", "xcup",
                                                                                        "xcu", "ecp5"]
    with pytest.raises(RtlnnError, match="no Yosys synthesis family"):
        yosys_family("ep4ce22f17c6")


def test_rtlnn_boards_lists_every_board(capsys):
    assert main(["boards"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["board", "part", "clock", "LUT"]
    for name, part in EXPECTED.items():
        row = next(line for line in lines if line.startswith(name + " "))
        assert part in row
    assert "20800" in out and "274080" in out and "156 MULT18" in out and "100 MHz (W5)" in out
    assert main(["boards", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {b["name"] for b in data} >= set(EXPECTED)


def test_board_files_are_package_data(monkeypatch):
    """The board files live in the package (rtlnn/boards/*.yml) and pyproject ships them, so a
    non-editable install finds them too."""
    import tomllib
    from pathlib import Path

    import rtlnn

    monkeypatch.delenv("RTLNN_BOARDS_DIR", raising=False)
    package = Path(rtlnn.__file__).resolve().parent
    assert boards.boards_dir() == package / "boards"
    assert {b.path for b in load_boards()} == {str(p) for p in (package / "boards").glob("*.yml")}
    pyproject = tomllib.loads((package.parent / "pyproject.toml").read_text())
    assert "boards/*.yml" in pyproject["tool"]["setuptools"]["package-data"]["rtlnn"]
    assert callable(boards.xilinx_resources)  # public: rtlnn.flows.openxc7 builds platforms with it
