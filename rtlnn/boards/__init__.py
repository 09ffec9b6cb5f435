"""FPGA boards: the data in ``rtlnn/boards/*.yml``, looked up by name, and their Amaranth platforms.

The board files are package data (installed with rtlnn, editable or not).  A board file is
plain data (see ``rtlnn/boards/arty-a7-35.yml``): name and aliases, part
(device, package, speed), the Yosys synthesis family, the default clock (Hz and pin),
reset, LED, button and UART pins, and the part's resources (LUT, FF, DSP, BRAM18,
BRAM36, CARRY; for ECP5 the LUT4, FF, MULT18, EBR counts under the same keys).

``Board.platform()`` gives the Amaranth platform: the ``amaranth-boards`` class where
that package has the board, else one of the thin classes below (Basys 3, ZCU102), whose
resources are built from the same board file.

``part_resources(part)`` finds the resources of a bare part name through the boards
that carry that device, so ``rtlnn synth --part xc7a35tcpg236-1`` can give percentages.
"""

from __future__ import annotations

import importlib
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from ..ir import RtlnnError

__all__ = ["Board", "boards_dir", "load_boards", "get_board", "board_names", "part_resources",
           "yosys_family", "xilinx_resources", "Basys3Platform", "ZCU102Platform", "RESOURCE_KEYS"]

#: Resource keys every board file gives, in the order tables show them.
RESOURCE_KEYS = ("lut", "ff", "dsp", "bram18", "bram36", "carry")
_REQUIRED = ("name", "title", "vendor", "family", "yosys_family", "part", "device", "package", "speed", "platform",
             "clock", "resources")

#: How each family names its resources, for tables shown to people.
RESOURCE_UNITS = {
    "xilinx": {"lut": "LUT", "ff": "FF", "dsp": "DSP48", "bram18": "RAMB18", "bram36": "RAMB36", "carry": "CARRY"},
    "lattice": {"lut": "LUT4", "ff": "FF", "dsp": "MULT18", "bram18": "EBR", "bram36": "-", "carry": "CCU2"},
}


@dataclass(frozen=True)
class Board:
    """One board file's data."""

    name: str
    title: str
    vendor: str
    family: str
    yosys_family: str
    part: str
    device: str
    package: str
    speed: str
    platform_ref: str
    clock: dict
    resources: dict
    aliases: tuple = ()
    reset: dict | None = None
    leds: tuple = ()
    buttons: tuple = ()
    uart: dict | None = None
    iostandard: str = "LVCMOS33"
    nextpnr: dict | None = None
    path: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def clock_hz(self) -> int:
        return int(self.clock["hz"])

    @property
    def clock_mhz(self) -> float:
        return self.clock_hz / 1e6

    @property
    def bram36_equivalent(self) -> float:
        """Block RAM capacity in 36 Kbit blocks (ECP5 EBRs are 18 Kbit)."""
        return self.resources.get("bram36", 0) or self.resources.get("bram18", 0) / 2

    def units(self) -> dict:
        return RESOURCE_UNITS.get(self.vendor, RESOURCE_UNITS["xilinx"])

    def platform_class(self):
        """The Amaranth platform class (``amaranth-boards`` or one defined here)."""
        module_name, _, class_name = self.platform_ref.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as e:
            if module_name.startswith("amaranth_boards"):
                raise RtlnnError(f"board {self.name!r} needs the amaranth-boards package for its platform; "
                                 "install it with `pip install amaranth-boards`") from None
            raise RtlnnError(f"board {self.name!r}: platform module {module_name!r} cannot be imported ({e})") from None
        try:
            return getattr(module, class_name)
        except AttributeError:
            raise RtlnnError(f"board file {self.path}: platform {self.platform_ref!r} names no class "
                             f"{class_name!r} in {module_name}") from None

    def platform(self, **kwargs):
        """An instance of the board's Amaranth platform (``toolchain=...`` passes through)."""
        return self.platform_class()(**kwargs)

    def to_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "aliases": list(self.aliases), "vendor": self.vendor,
                "family": self.family, "yosys_family": self.yosys_family, "part": self.part,
                "device": self.device, "package": self.package, "speed": self.speed,
                "clock": dict(self.clock), "reset": self.reset, "leds": list(self.leds),
                "buttons": list(self.buttons), "uart": self.uart, "resources": dict(self.resources),
                "platform": self.platform_ref}


def boards_dir() -> Path:
    """``$RTLNN_BOARDS_DIR``, else the board files shipped in this package (``rtlnn/boards/``)."""
    env = os.environ.get("RTLNN_BOARDS_DIR")
    return Path(env).expanduser() if env else Path(__file__).resolve().parent


def _board_from_data(data: dict, path: Path) -> Board:
    if not isinstance(data, dict):
        raise RtlnnError(f"board file {path} does not hold a mapping of board fields")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise RtlnnError(f"board file {path} lacks {', '.join(missing)}; see rtlnn/boards/arty-a7-35.yml for the fields")
    res = data["resources"]
    bad = [k for k in RESOURCE_KEYS if not isinstance(res.get(k), int) or res.get(k) < 0]
    if bad:
        raise RtlnnError(f"board file {path}: resources {', '.join(bad)} must be counts (non-negative integers)")
    if not isinstance(data["clock"], dict) or "hz" not in data["clock"] or "pin" not in data["clock"]:
        raise RtlnnError(f"board file {path}: clock needs hz and pin, e.g. {{name: clk100, hz: 100000000, pin: E3}}")
    known = set(_REQUIRED) | {"aliases", "reset", "leds", "buttons", "uart", "iostandard", "nextpnr"}
    return Board(
        name=str(data["name"]), title=str(data["title"]), vendor=str(data["vendor"]), family=str(data["family"]),
        yosys_family=str(data["yosys_family"]), part=str(data["part"]), device=str(data["device"]),
        package=str(data["package"]), speed=str(data["speed"]), platform_ref=str(data["platform"]),
        clock=dict(data["clock"]), resources=dict(res), aliases=tuple(data.get("aliases") or ()),
        reset=data.get("reset"), leds=tuple(data.get("leds") or ()), buttons=tuple(data.get("buttons") or ()),
        uart=data.get("uart"), iostandard=str(data.get("iostandard", "LVCMOS33")), nextpnr=data.get("nextpnr"),
        path=str(path), extra={k: v for k, v in data.items() if k not in known})


def load_board_file(path) -> Board:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as e:
        raise RtlnnError(f"cannot read board file {path}: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise RtlnnError(f"board file {path} is not valid YAML: {e}") from None
    return _board_from_data(data, path)


@lru_cache(maxsize=8)
def _load_dir(directory: str) -> tuple[Board, ...]:
    folder = Path(directory)
    files = sorted(folder.glob("*.yml")) + sorted(folder.glob("*.yaml"))
    if not files:
        raise RtlnnError(f"no board files (*.yml) in {folder}; set RTLNN_BOARDS_DIR to a folder of board files, "
                         "or unset it to use rtlnn's own (rtlnn/boards/)")
    boards = [load_board_file(f) for f in files]
    seen: dict[str, str] = {}
    for b in boards:
        for key in (b.name, *b.aliases):
            k = key.lower()
            if k in seen and seen[k] != b.path:
                raise RtlnnError(f"board name {key!r} is used by both {seen[k]} and {b.path}; names must be unique")
            seen[k] = b.path
    return tuple(boards)


def load_boards() -> list[Board]:
    """Every board in :func:`boards_dir`, sorted by name."""
    return sorted(_load_dir(str(boards_dir())), key=lambda b: b.name)


def board_names() -> list[str]:
    return [b.name for b in load_boards()]


def get_board(name) -> Board:
    """A board by name or alias (case-insensitive), or from a board file path; a ``Board`` passes through."""
    if isinstance(name, Board):
        return name
    text = str(name)
    if text.endswith((".yml", ".yaml")) and Path(text).is_file():
        return load_board_file(text)
    key = text.strip().lower()
    for board in load_boards():
        if key == board.name.lower() or key in (a.lower() for a in board.aliases):
            return board
    raise RtlnnError(f"unknown board {text!r}; valid boards: {', '.join(board_names())} "
                     "(`rtlnn boards` lists them; a path to a board .yml file also works)")


def _device_core(device: str) -> str:
    """``xc7a35ti`` -> ``xc7a35t`` (the industrial grade shares the die); others unchanged."""
    d = device.lower()
    return d[:-1] if re.fullmatch(r"xc7[aksz]\d+ti", d) else d


def part_resources(part: str) -> Board | None:
    """The first board whose device is ``part``'s device (so its resources are the part's), or None."""
    p = part.lower()
    boards = load_boards()
    for board in boards:
        if p == board.part.lower():
            return board
    for board in boards:
        if p.startswith(_device_core(board.device)):
            return board
    return None


def yosys_family(part: str) -> str:
    """The Yosys synthesis family for a part: ``xc7``, ``xcup``, ``xcu`` (``synth_xilinx -family``) or ``ecp5``."""
    p = part.lower()
    if p.startswith("xc7"):
        return "xc7"
    if p.startswith(("xczu", "xcau", "xck26")) or re.match(r"xc[vk]u\d+p", p):
        return "xcup"
    if re.match(r"xc[vk]u\d+", p):
        return "xcu"
    if p.startswith(("lfe5u", "lfe5um")):
        return "ecp5"
    raise RtlnnError(f"part {part!r} has no Yosys synthesis family here; supported: Xilinx 7 series (xc7...), "
                     "UltraScale (xcvu/xcku), UltraScale+ (xczu, xcvu..p, xcku..p), Lattice ECP5 (LFE5U...)")


# ---------------------------------------------------------------------------- platforms
def xilinx_resources(board: Board) -> list:
    """Clock, reset, LED, button and UART resources of a Xilinx board, from its board file."""
    from amaranth.build import Attrs, Clock, DiffPairs, Pins, PinsN, Resource, Subsignal

    io = board.iostandard
    clk = board.clock
    if clk.get("pin_n"):
        clk_pins = DiffPairs(clk["pin"], clk["pin_n"], dir="i")
    else:
        clk_pins = Pins(clk["pin"], dir="i")
    res = [Resource(clk.get("name", "clk"), 0, clk_pins, Clock(float(clk["hz"])),
                    Attrs(IOSTANDARD=clk.get("iostandard", io)))]
    if board.reset:
        pins = (PinsN if board.reset.get("active_low") else Pins)(board.reset["pin"], dir="i")
        res.append(Resource("rst", 0, pins, Attrs(IOSTANDARD=board.reset.get("iostandard", io))))
    for k, pin in enumerate(board.leds):
        res.append(Resource("led", k, Pins(pin, dir="o"), Attrs(IOSTANDARD=io)))
    for k, pin in enumerate(board.buttons):
        res.append(Resource("button", k, Pins(pin, dir="i"), Attrs(IOSTANDARD=io)))
    if board.uart:
        res.append(Resource("uart", 0, Subsignal("rx", Pins(board.uart["rx"], dir="i")),
                            Subsignal("tx", Pins(board.uart["tx"], dir="o")),
                            Attrs(IOSTANDARD=board.uart.get("iostandard", io))))
    return res


def _xilinx_board_platform(board_name: str, device: str, package: str, speed: str, clk: str, doc: str):
    from amaranth.vendor import XilinxPlatform

    def __init__(self, **kwargs):
        board = get_board(board_name)
        self.resources = xilinx_resources(board)  # read by Platform.__init__
        XilinxPlatform.__init__(self, **kwargs)

    attrs = {"__doc__": doc, "__init__": __init__, "device": device, "package": package, "speed": speed,
             "default_clk": clk, "default_rst": "rst", "resources": [], "connectors": [], "board_name": board_name}
    return attrs


def __getattr__(name):
    # The platform classes import Amaranth's vendor package only when first asked for.
    if name in _PLATFORMS:
        from amaranth.vendor import XilinxPlatform

        cls = type(name, (XilinxPlatform,), _xilinx_board_platform(*_PLATFORMS[name]))
        cls.__module__ = __name__
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Boards amaranth-boards lacks: class name -> (board, device, package, speed, default clock, doc).
_PLATFORMS = {
    "Basys3Platform": ("basys3", "xc7a35t", "cpg236", "1", "clk100",
                       "Digilent Basys 3 (xc7a35tcpg236-1): 100 MHz clock, 16 LEDs, 5 buttons, USB UART."),
    "ZCU102Platform": ("zcu102", "xczu9eg", "ffvb1156", "2-e", "clk125",
                       "Xilinx ZCU102 (xczu9eg-ffvb1156-2-e): 125 MHz LVDS clock, 8 PL LEDs, 5 buttons, PL UART."),
}
