"""Packing raw values onto the top-level buses, and the test-vector files of ``tb/``.

On ``in_data`` / ``out_data`` every element is a two's complement (or unsigned) field of
its type's width, the first element in the least significant bits, several inputs or
outputs concatenated in the graph's order.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .fixed import FixedType, raw_array

__all__ = ["pack", "unpack", "write_vectors", "read_hex"]


def pack(arrays: list[np.ndarray], types: list[FixedType]) -> list[int]:
    """Rows of raw values (one ``(batch, ...)`` array per bus part) to one integer per row."""
    batch = arrays[0].shape[0]
    words = [0] * batch
    shift = 0
    for array, t in zip(arrays, types):
        flat = raw_array(array).reshape(batch, -1)
        mask = (1 << t.width) - 1
        for k in range(flat.shape[1]):
            column = flat[:, k]
            for row in range(batch):
                words[row] |= (int(column[row]) & mask) << shift
            shift += t.width
    return words


def unpack(words: list[int], shapes: list[tuple[int, ...]], types: list[FixedType]) -> list[np.ndarray]:
    """The inverse of :func:`pack`: integers to ``(batch, *shape)`` raw arrays, sign-extended."""
    out = []
    shift = 0
    for shape, t in zip(shapes, types):
        n = int(np.prod(shape, dtype=np.int64))
        mask = (1 << t.width) - 1
        rows = []
        for w in words:
            row = []
            for k in range(n):
                v = (w >> (shift + k * t.width)) & mask
                if t.signed and v >> (t.width - 1):
                    v -= 1 << t.width
                row.append(v)
            rows.append(row)
        dtype = object if t.width > 62 else np.int64
        out.append(np.array(rows, dtype=dtype).reshape((len(words),) + tuple(shape)))
        shift += n * t.width
    return out


def _hex_lines(words: list[int], width: int) -> str:
    digits = max(1, -(-width // 4))
    return "".join(f"{w:0{digits}x}\n" for w in words)


def write_vectors(tb_dir: Path, *, top: str, in_words: list[int], out_words: list[int], in_width: int,
                  out_width: int, latency: int, ii: int) -> None:
    """Write ``meta.json``, ``inputs.hex`` and ``expected.hex`` (the contract of :mod:`rtlnn.sim`)."""
    tb_dir.mkdir(parents=True, exist_ok=True)
    meta = {"top": top, "in_width": in_width, "out_width": out_width, "latency": latency, "ii": ii,
            "n_vectors": len(in_words)}
    (tb_dir / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    (tb_dir / "inputs.hex").write_text(_hex_lines(in_words, in_width))
    (tb_dir / "expected.hex").write_text(_hex_lines(out_words, out_width))


def read_hex(path: Path) -> list[int]:
    return [int(line, 16) for line in Path(path).read_text().split()]
