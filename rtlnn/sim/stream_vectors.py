"""The io_stream test-vector contract of ``tb/`` and the pixel <-> frame conversions.

``tb/meta.json`` for io_stream: ``top``, ``io_type`` = ``"io_stream"``, ``in_width`` /
``out_width`` (bits per *pixel*), ``latency``, ``ii`` (cycles per frame), ``n_vectors``
(frames), ``pixels_in`` / ``pixels_out`` (per frame), ``fifos`` (``name``, ``depth``,
``offset``, ``width`` of each FIFO's level in the top's ``fifo_levels`` port) and
``fifo_levels_width``.  ``inputs.hex`` / ``expected.hex`` hold one pixel per line, frames
one after another, pixels in row-major order; a pixel is every channel side by side
(channel 0 in the low bits), several Input (output) layers' pixels concatenated in graph
order.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..vectors import pack, unpack

__all__ = ["pixel_words", "frame_words", "write_stream_vectors"]


def _layouts(shapes):
    from ..hw.stream_generators import pixel_layout

    return [pixel_layout(s) for s in shapes]


def pixel_words(arrays, shapes, types) -> list[int]:
    """Raw ``(batch, *shape)`` arrays (one per bus part) to one integer per pixel, frames in order."""
    layouts = _layouts(shapes)
    flat = [np.asarray(a, dtype=object if t.width > 62 else None).reshape(a.shape[0] * p, c)
            for a, (p, c), t in zip(arrays, layouts, types)]
    return pack(flat, types)


def frame_words(pixels: list, shapes, types) -> list[int]:
    """The inverse for whole frames: pixel words (None for an unreadable one: read as 0) to one
    io_parallel-packed word per frame (see :mod:`rtlnn.vectors`)."""
    layouts = _layouts(shapes)
    per_frame = layouts[0][0]
    n = len(pixels) // per_frame
    words = [0 if w is None else int(w) for w in pixels[:n * per_frame]]
    parts = unpack(words, [(c,) for _, c in layouts], types)
    frames = [part.reshape((n, p * c)) for part, (p, c) in zip(parts, layouts)]
    return pack(frames, types) if n else []


def _hex_lines(words, width: int) -> str:
    digits = max(1, -(-width // 4))
    return "".join(f"{w:0{digits}x}\n" for w in words)


def write_stream_vectors(tb_dir: Path, *, design, in_arrays, in_shapes, in_types, out_arrays, out_shapes,
                         out_types) -> None:
    """Write ``meta.json``, ``inputs.hex`` and ``expected.hex`` for an io_stream design."""
    tb_dir.mkdir(parents=True, exist_ok=True)
    frames = int(in_arrays[0].shape[0])
    meta = {
        "top": design.name, "io_type": "io_stream", "in_width": design.in_width, "out_width": design.out_width,
        "latency": design.latency, "ii": design.ii, "n_vectors": frames,
        "pixels_in": design.pixels_in, "pixels_out": design.pixels_out,
        "fifos": [{"name": f.name, "depth": f.depth, "offset": f.level_offset, "width": f.level_width}
                  for f in design.fifos],
        "fifo_levels_width": design.fifo_levels_width,
    }
    (tb_dir / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    (tb_dir / "inputs.hex").write_text(_hex_lines(pixel_words(in_arrays, in_shapes, in_types), design.in_width))
    (tb_dir / "expected.hex").write_text(_hex_lines(pixel_words(out_arrays, out_shapes, out_types),
                                                    design.out_width))
