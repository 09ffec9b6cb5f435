"""Build plans: a folder of files a user can run, the tools it needs, and the result of running it.

Every board flow (openXC7, Vivado, ...) ends the same way: it writes a complete, deterministic
plan folder (``output_dir/build/<board>[-<toolchain>]/``) whatever is installed, then runs
it only when every tool it needs is on PATH. When one is missing the plan stays where it
was written and the flow says once, clearly, which tool(s) and what to run by hand — a
:class:`BuildResult` with ``ran=False`` and that ``message``, never an exception.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Mapping

from ..ir import RtlnnError
from ..report import load_report, store_section

__all__ = ["BuildResult", "write_plan", "missing_tools", "missing_tools_message", "run_logged", "record_build",
           "design_sources", "LOG_TAIL"]

LOG_TAIL = 20


@dataclass
class BuildResult:
    """One board build: where its plan is, whether it ran, and what the tools measured."""

    board: str
    toolchain: str
    part: str
    top: str
    plan_dir: str
    command: str  # what a user runs inside plan_dir
    ran: bool = False
    passed: bool | None = None  # tools ran and finished without error (None: not run)
    missing_tools: list[str] = field(default_factory=list)
    message: str = ""
    seconds: float = 0.0
    log: str | None = None
    utilization: dict = field(default_factory=dict)
    timing: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        if not self.ran:
            return self.message
        lines = [f"{self.toolchain} build for {self.board} ({self.part}): "
                 f"{'finished' if self.passed else 'FAILED'} in {self.seconds:.0f} s; plan and log in {self.plan_dir}"]
        if self.timing:
            lines.append("  timing: " + ", ".join(f"{k}={v}" for k, v in sorted(self.timing.items())))
        if self.utilization:
            lines.append("  utilization: " + ", ".join(f"{k}={v}" for k, v in sorted(self.utilization.items())))
        return "\n".join(lines)


def design_sources(design_dir: Path) -> dict[str, str]:
    """``{"rtl/<file>.v": text}`` for every Verilog file of a written design, sorted by name."""
    rtl = Path(design_dir) / "rtl"
    files = sorted(p for p in rtl.glob("*") if p.suffix in (".v", ".sv")) if rtl.is_dir() else []
    if not files:
        raise RtlnnError(f"build: no Verilog in {rtl}; write the design first (model.write() or `rtlnn convert`)")
    return {f"rtl/{p.name}": p.read_text() for p in files}


def write_plan(files: Mapping[str, "str | bytes"], dest: Path, *, executable: tuple[str, ...] = (".sh",)) -> Path:
    """Write ``files`` (relative POSIX paths) as the folder ``dest``, replacing an older plan whole.

    The folder is assembled beside ``dest`` and renamed into place, so an error never leaves a
    half-written plan. Same ``files``, same bytes on disk (scripts get the executable bit).
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        for name in sorted(files):
            rel = Path(name)
            if rel.is_absolute() or ".." in rel.parts:
                raise RtlnnError(f"build plan: file name {name!r} must be a relative path inside the plan")
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            content = files[name]
            path.write_bytes(content.encode() if isinstance(content, str) else content)
            path.chmod(0o755 if name.endswith(executable) else 0o644)
        staging.chmod(0o755)
        if dest.exists():
            old = dest.with_name(f".{dest.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            dest.rename(old)
            staging.rename(dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return dest


def missing_tools(tools: list[str], env: Mapping[str, str] | None = None) -> list[str]:
    """The tools not found on PATH (each may be overridden by an absolute path in ``env``)."""
    env = os.environ if env is None else env
    missing = []
    for tool in tools:
        override = env.get(tool.upper().replace("-", "_"))
        if override and Path(override).is_file():
            continue
        if shutil.which(tool) is None:
            missing.append(tool)
    return missing


def missing_tools_message(toolchain: str, missing: list[str], plan_dir: Path, command: str, *,
                          install: str | None = None) -> str:
    """The one message for a plan that could not run here."""
    tools = ", ".join(missing)
    noun = "is" if len(missing) == 1 else "are"
    return (f"{toolchain}: {tools} {noun} not on PATH, so nothing was run; the complete build plan is in "
            f"{plan_dir} — install {install or toolchain} and run `{command}` there (see its README.md)")


def run_logged(argv: list[str], cwd: Path, log: Path, *, env: Mapping[str, str] | None = None) -> tuple[bool, float]:
    """Run a tool with its output in ``log``; (finished without error?, seconds)."""
    t0 = time.perf_counter()
    with open(log, "w") as f:
        proc = subprocess.run(argv, cwd=cwd, stdout=f, stderr=subprocess.STDOUT, env=dict(env) if env else None,
                              check=False)
    return proc.returncode == 0, time.perf_counter() - t0


def log_tail(log: Path, n: int = LOG_TAIL) -> str:
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join("    " + line for line in lines[-n:])


def record_build(design_dir: Path, result: BuildResult) -> None:
    """Store the result under ``builds["<board>/<toolchain>"]`` in report.json and in the plan folder."""
    report = load_report(design_dir)
    builds = dict(report.get("builds") or {})
    builds[f"{result.board}/{result.toolchain}"] = result.to_dict()
    store_section(design_dir, "builds", builds)
    plan_dir = Path(result.plan_dir)
    if plan_dir.is_dir():
        (plan_dir / "result.json").write_text(json.dumps(result.to_dict(), indent=1) + "\n")
