"""Verilog emission: Verilog-safe module names and one deterministic Verilog text per module."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import re
from pathlib import Path

import numpy as np
from amaranth.back import verilog

from ..ir import RtlnnError

__all__ = ["verilog_name", "is_verilog_name", "unique_name", "to_verilog", "VERILOG_KEYWORDS", "fingerprint",
           "cached_text", "cache_dir"]

#: Verilog-2005 and SystemVerilog-2017 reserved words: never used as a module name.
VERILOG_KEYWORDS = frozenset("""
accept_on alias always always_comb always_ff always_latch and assert assign assume automatic before begin
bind bins binsof bit break buf bufif0 bufif1 byte case casex casez cell chandle checker class clocking cmos
config const constraint context continue cover covergroup coverpoint cross deassign default defparam design
disable dist do edge else end endcase endchecker endclass endclocking endconfig endfunction endgenerate
endgroup endinterface endmodule endpackage endprimitive endprogram endproperty endspecify endsequence
endtable endtask enum event eventually expect export extends extern final first_match for force foreach
forever fork forkjoin function generate genvar global highz0 highz1 if iff ifnone ignore_bins illegal_bins
implements implies import incdir include initial inout input inside instance int integer interconnect
interface intersect join join_any join_none large let liblist library local localparam logic longint
macromodule matches medium modport module nand negedge nettype new nexttime nmos nor noshowcancelled not
notif0 notif1 null or output package packed parameter pmos posedge primitive priority program property
protected pull0 pull1 pulldown pullup pulsestyle_ondetect pulsestyle_onevent pure rand randc randcase
randsequence rcmos real realtime ref reg reject_on release repeat restrict return rnmos rpmos rtran
rtranif0 rtranif1 s_always s_eventually s_nexttime s_until s_until_with scalared sequence shortint
shortreal showcancelled signed small soft solve specify specparam static string strong strong0 strong1
struct super supply0 supply1 sync_accept_on sync_reject_on table tagged task this throughout time
timeprecision timeunit tran tranif0 tranif1 tri tri0 tri1 triand trior trireg type typedef union unique
unique0 unsigned until until_with untyped use uwire var vectored virtual void wait wait_order wand weak
weak0 weak1 while wildcard wire with within wor xnor xor
""".split())

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def is_verilog_name(name: str) -> bool:
    return isinstance(name, str) and bool(_IDENT.match(name)) and name not in VERILOG_KEYWORDS


def verilog_name(text: str) -> str:
    """``text`` made into a plain Verilog identifier: other characters become ``_``."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", str(text))
    if not name or not (name[0].isalpha() or name[0] == "_"):
        name = "m_" + name
    if name in VERILOG_KEYWORDS:
        name += "_"
    return name


def unique_name(text: str, used: set[str]) -> str:
    """A Verilog-safe name for ``text`` not yet in ``used`` (added to it): ``x``, ``x_2``, ``x_3`` ..."""
    base = verilog_name(text)
    name, k = base, 1
    while name in used:
        k += 1
        name = f"{base}_{k}"
    used.add(name)
    return name


def to_verilog(component, module_name: str) -> str:
    """One component as Verilog with top module ``module_name``, without source paths (deterministic)."""
    if not is_verilog_name(module_name):
        raise RtlnnError(f"module name {module_name!r} is not a Verilog identifier")
    return verilog.convert(component, name=module_name, emit_src=False)


@functools.cache
def _generator_version() -> str:
    """A digest of the code that decides what Verilog is emitted: the generators, the number
    definitions they follow, and the Amaranth version."""
    import amaranth

    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(amaranth.__version__.encode())
    for path in sorted(list((root / "hw").glob("*.py")) + [root / "fixed.py", root / "arith.py", root / "ir.py", root / "csd.py"]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(*parts) -> str:
    """A stable digest of plain data: dataclasses (layers), numpy arrays, FixedTypes, scalars."""
    digest = hashlib.sha256(_generator_version().encode())

    def feed(obj):
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            digest.update(type(obj).__name__.encode())
            for f in dataclasses.fields(obj):
                digest.update(f.name.encode())
                feed(getattr(obj, f.name))
        elif isinstance(obj, np.ndarray):
            digest.update(f"{obj.dtype}{obj.shape}".encode())
            digest.update(np.ascontiguousarray(obj).tobytes() if obj.dtype != object else repr(obj.tolist()).encode())
        elif isinstance(obj, (list, tuple)):
            digest.update(b"[")
            for item in obj:
                feed(item)
            digest.update(b"]")
        elif isinstance(obj, dict):
            for k in sorted(obj):
                feed(k)
                feed(obj[k])
        else:
            digest.update(repr(obj).encode())
        digest.update(b";")

    for part in parts:
        feed(part)
    return digest.hexdigest()


def cache_dir(kind: str) -> Path:
    """``$RTLNN_CACHE_DIR/<kind>`` (default ``~/.cache/rtlnn/<kind>``)."""
    root = os.environ.get("RTLNN_CACHE_DIR") or Path.home() / ".cache" / "rtlnn"
    return Path(root) / kind


def cached_text(key: str, make) -> str:
    """``make()``'s text, remembered on disk under ``key``: emitting a large layer takes seconds,
    re-emitting an unchanged one should not."""
    path = cache_dir("verilog") / key[:2] / f"{key}.v"
    try:
        return path.read_text()
    except OSError:
        pass
    text = make()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text)
        tmp.replace(path)
    except OSError:
        pass  # a read-only cache is only slower
    return text
