"""rtlnn.sim: the cocotb bench + runner, proven on small hand-written Verilog fixtures.

Fixtures (tests/data/sim): ``add_pipe`` (+3 on four packed bytes, latency 3, II 1),
``add_ii2`` (same function, latency 3, II 2, holds its input), ``add_ii2_ignores_valid``
(latches in_data every cycle), ``flaky`` (latency 3/4 alternating, silent after 8 vectors).
Each Verilator build takes ~10 s; builds are shared through one session cache.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import shutil
from pathlib import Path

import pytest

from rtlnn.ir import RtlnnError
from rtlnn.sim import SimulationResult, simulate

DATA = Path(__file__).parent / "data" / "sim"
HAVE_ICARUS = shutil.which("iverilog") is not None and shutil.which("vvp") is not None
# Misbehaving fixtures test the bench's judging, which is the same on both simulators:
# run them on Icarus when present (builds in ~0.1 s instead of ~10 s).
FAST_SIM = "icarus" if HAVE_ICARUS else "verilator"


def plus3(x: int) -> int:
    return sum(((((x >> (8 * i)) & 0xFF) + 3) & 0xFF) << (8 * i) for i in range(4))


def make_design(root: Path, rtl: str, top: str, *, n: int = 200, latency: int = 3,
                ii: int = 1, seed: int = 1, corrupt: tuple[int, ...] = ()) -> Path:
    """A design directory following the rtl/ + tb/ contract around one fixture file."""
    (root / "rtl").mkdir(parents=True)
    (root / "tb").mkdir()
    shutil.copy(DATA / rtl, root / "rtl" / rtl)
    rng = random.Random(seed)
    ins = [rng.getrandbits(32) for _ in range(n)]
    exp = [plus3(x) for x in ins]
    for i in corrupt:
        exp[i] ^= 0x10
    (root / "tb" / "inputs.hex").write_text("".join(f"{x:08x}\n" for x in ins))
    (root / "tb" / "expected.hex").write_text("".join(f"{x:08x}\n" for x in exp))
    (root / "tb" / "meta.json").write_text(json.dumps(
        {"top": top, "in_width": 32, "out_width": 32, "latency": latency, "ii": ii,
         "n_vectors": n}))
    return root


@pytest.fixture(scope="session")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("simcache")


@pytest.fixture(scope="session")
def first_run(cache, tmp_path_factory) -> tuple[Path, SimulationResult]:
    """The session's first simulation of add_pipe: it must build from scratch."""
    d = make_design(tmp_path_factory.mktemp("add_pipe"), "add_pipe.v", "add_pipe")
    return d, simulate(d, build_root=cache)


def test_outputs_collected(first_run):
    d, r = first_run
    assert r.passed, r.errors
    exp = [int(x, 16) for x in (d / "tb" / "expected.hex").read_text().split()]
    assert r.outputs == exp
    assert (r.n_vectors, r.mismatches, r.missing_outputs, r.extra_outputs) == (200, 0, 0, 0)
    assert r.latency_cycles == 3 and r.latency_consistent and r.latency_cycles_all == [3]
    assert r.ii == 1
    # 4 reset cycles + 200 vectors + latency, plus a short watch for extra outputs
    assert 200 + 3 <= r.cycles <= 200 + 3 + 4 + 10
    saved = json.loads((d / "sim" / "result.json").read_text())
    assert saved["passed"] and saved["outputs"] == exp and saved["latency_cycles"] == 3
    assert (d / "sim" / "sim.log").exists()


def test_build_cache_reused(first_run, cache):
    d, r = first_run
    assert not r.build_cached and r.build_seconds > 0
    again = simulate(d, build_root=cache, vectors=20)
    assert again.build_cached and again.build_dir == r.build_dir and again.passed
    assert again.n_vectors == 20 and len(again.outputs) == 20
    builds = [p for p in cache.iterdir() if p.name.startswith("add_pipe-verilator-")
              and p.is_dir()]
    assert len(builds) == 1
    assert not list(cache.glob("*.tmp-*"))


def test_mismatches_counted_and_reported(cache, tmp_path, first_run):
    d = make_design(tmp_path / "d", "add_pipe.v", "add_pipe", corrupt=(5, 17, 199))
    r = simulate(d, build_root=cache, result_path=tmp_path / "out.json")
    assert r.build_cached  # same RTL as first_run
    assert r.mismatches == 3 and not r.passed
    assert [m["index"] for m in r.first_mismatches] == [5, 17, 199]
    m = r.first_mismatches[0]
    inp = int(m["input"], 16)
    assert int(m["got"], 16) == plus3(inp) and int(m["expected"], 16) == plus3(inp) ^ 0x10
    assert len(m["input"]) == 8 and len(m["got"]) == 8
    assert json.loads((tmp_path / "out.json").read_text())["mismatches"] == 3


def test_wrong_latency_claim_caught(cache, tmp_path, first_run):
    d = make_design(tmp_path / "d", "add_pipe.v", "add_pipe", latency=2)
    r = simulate(d, build_root=cache)
    assert r.mismatches == 0 and r.latency_cycles == 3 and r.latency_expected == 2
    assert not r.passed and any("latency 3" in e for e in r.errors)


def test_gaps_mode(cache, tmp_path, first_run):
    d = make_design(tmp_path / "d", "add_pipe.v", "add_pipe", n=300)
    r = simulate(d, build_root=cache, gaps=True, seed=7)
    assert r.passed, r.errors
    assert r.ii == 1 and r.latency_cycles == 3
    assert r.cycles > 300 + 50  # idle cycles were really inserted
    r2 = simulate(d, build_root=cache, gaps=True, seed=7)
    assert r2.cycles == r.cycles  # seeded: same schedule


def test_ii2_design(cache, tmp_path):
    d = make_design(tmp_path / "d", "add_ii2.v", "add_ii2", ii=2)
    r = simulate(d, build_root=cache)
    assert r.passed, r.errors
    assert (r.ii, r.latency_cycles) == (2, 3)
    rg = simulate(d, build_root=cache, gaps=True, seed=1)
    assert rg.passed and rg.build_cached and rg.ii == 2


def test_design_ignoring_in_valid_caught(cache, tmp_path):
    d = make_design(tmp_path / "d", "add_ii2.v", "add_ii2_ignores_valid", ii=2)
    r = simulate(d, build_root=cache, simulator=FAST_SIM)
    # the second half of every vector is computed from the junk driven while in_valid=0
    assert r.mismatches == r.n_vectors and not r.passed
    assert r.latency_cycles == 3 and r.missing_outputs == 0


def test_inconsistent_latency_and_missing_outputs(cache, tmp_path):
    n = 40
    d = make_design(tmp_path / "d", "flaky.v", "flaky", n=n, ii=2)
    r = simulate(d, build_root=cache, simulator=FAST_SIM)
    assert not r.passed
    assert r.missing_outputs == n - 8 and len(r.outputs) == 8
    assert r.mismatches == 0
    assert not r.latency_consistent and r.latency_cycles is None
    assert r.latency_cycles_all == [3, 4]
    assert r.cycles < 2 * n + 3 + 60  # gave up soon after the last input: no hang
    assert any("no output" in e for e in r.errors) and any("varies" in e for e in r.errors)


@pytest.mark.skipif(not HAVE_ICARUS, reason="iverilog not on PATH (apt-get install iverilog)")
def test_icarus(cache, tmp_path):
    d = make_design(tmp_path / "d", "add_ii2.v", "add_ii2", ii=2, n=100)
    r = simulate(d, simulator="icarus", build_root=cache, gaps=True)
    assert r.passed, r.errors
    assert r.simulator == "icarus" and (r.ii, r.latency_cycles) == (2, 3)
    assert simulate(d, simulator="icarus", build_root=cache, vectors=10).build_cached


def test_icarus_missing_is_clear(tmp_path, monkeypatch):
    d = make_design(tmp_path / "d", "add_pipe.v", "add_pipe", n=4)
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    with pytest.raises(RtlnnError, match="iverilog not found on PATH.*apt-get install iverilog"):
        simulate(d, simulator="icarus", build_root=tmp_path / "c")


def test_build_failure_quotes_log(tmp_path):
    d = make_design(tmp_path / "d", "add_pipe.v", "add_pipe", n=4)
    v = d / "rtl" / "add_pipe.v"
    v.write_text(v.read_text().replace("assign out_valid = v2;", "assign out_valid = v2 +;"))
    with pytest.raises(RtlnnError, match=r"(?s)building add_pipe.*failed.*%Error"):
        simulate(d, build_root=tmp_path / "c")
    assert not list((tmp_path / "c").glob("add_pipe-verilator-*"))  # nothing half-built


def test_bad_design_dirs(tmp_path):
    with pytest.raises(RtlnnError, match="does not exist"):
        simulate(tmp_path / "nope")
    d = make_design(tmp_path / "d", "add_pipe.v", "add_pipe", n=4)
    with pytest.raises(RtlnnError, match="holds only 4"):
        simulate(d, vectors=5, build_root=tmp_path / "c")
    with pytest.raises(RtlnnError, match="unknown simulator"):
        simulate(d, simulator="modelsim", build_root=tmp_path / "c")
    meta = json.loads((d / "tb" / "meta.json").read_text())
    del meta["ii"]
    (d / "tb" / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(RtlnnError, match="lacks key.*ii"):
        simulate(d, build_root=tmp_path / "c")


def _simulate_icarus(args):
    d, root = args
    r = simulate(d, simulator="icarus", build_root=root, result_path=Path(root) / "ignored.json")
    return r.passed, r.build_cached, r.build_dir


@pytest.mark.skipif(not HAVE_ICARUS, reason="iverilog not on PATH (apt-get install iverilog)")
def test_concurrent_builds_share_one_cache_entry(tmp_path):
    d = make_design(tmp_path / "d", "add_pipe.v", "add_pipe", n=20)
    root = tmp_path / "c"
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        res = pool.map(_simulate_icarus, [(str(d), str(root))] * 3)
    assert all(p for p, _, _ in res)
    assert len({b for _, _, b in res}) == 1
    assert sum(1 for _, cached, _ in res if not cached) == 1  # exactly one process built
    assert not list(root.glob("*.tmp-*"))


@pytest.mark.skipif(not HAVE_ICARUS, reason="iverilog not on PATH (apt-get install iverilog)")
def test_port_contract_checked(tmp_path):
    d = make_design(tmp_path / "d", "add_pipe.v", "add_pipe", n=4)
    meta = json.loads((d / "tb" / "meta.json").read_text())
    (d / "tb" / "meta.json").write_text(json.dumps({**meta, "out_width": 36}))
    with pytest.raises(RtlnnError, match="out_data of 'add_pipe' is 32 bits wide.*says 36"):
        simulate(d, simulator="icarus", build_root=tmp_path / "c")
    (d / "tb" / "meta.json").write_text(json.dumps(meta))
    v = d / "rtl" / "add_pipe.v"
    v.write_text(v.read_text().replace("out_valid", "done"))
    with pytest.raises(RtlnnError, match="lacks port.*out_valid"):
        simulate(d, simulator="icarus", build_root=tmp_path / "c")
