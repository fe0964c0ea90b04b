"""A pose file is bounded before it is loaded (issue 22, point 18).

Before: 6 MB of NaN frames (2 million) took 2.8 GB of memory; frame times a
billion seconds apart passed the loader and failed the report's schema after
report.html was written (exit 1).
"""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from formcam import pipeline
from formcam.errors import UnreadableInputError
from formcam.pose.bounds import MAX_POSE_FRAMES
from formcam.pose.posefile import FORMAT, PoseSequence, save_pose
from formcam.synthetic.gait import make_gait


def write_npy_member(archive: zipfile.ZipFile, name: str, shape: tuple, fill: float, dtype=np.float32) -> None:
    """An ``.npy`` member of ``shape`` full of ``fill``, written a chunk at a time (never whole in memory)."""
    with archive.open(f"{name}.npy", "w", force_zip64=True) as fh:
        np.lib.format.write_array_header_1_0(
            fh, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": shape}
        )
        per_frame = int(np.prod(shape[1:], dtype=np.int64))
        chunk_frames = 10_000
        for start in range(0, shape[0], chunk_frames):
            n = min(chunk_frames, shape[0] - start)
            if name == "t_ms":
                block = (np.arange(start, start + n) * 33.3).astype(dtype)
            else:
                block = np.full(n * per_frame, fill, dtype)
            fh.write(block.tobytes())


def nan_bomb(path: Path, frames: int) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("format.npy", "w") as fh:
            np.lib.format.write_array(fh, np.array(FORMAT))
        write_npy_member(archive, "t_ms", (frames,), 0.0, np.float64)
        write_npy_member(archive, "image_xy", (frames, 33, 2), np.nan)
        write_npy_member(archive, "visibility", (frames, 33), np.nan)
        write_npy_member(archive, "world_xyz", (frames, 33, 3), np.nan)
        with archive.open("frame_size.npy", "w") as fh:
            np.lib.format.write_array(fh, np.array([640, 480], np.int32))
    return path


def test_a_pose_file_of_too_many_frames_is_refused_before_it_is_loaded(tmp_path):
    bomb = nan_bomb(tmp_path / "bomb.npz", MAX_POSE_FRAMES + 1)
    assert bomb.stat().st_size < 20e6
    tracemalloc.start()
    try:
        with pytest.raises(UnreadableInputError, match=r"bomb\.npz holds 500001 frames, more than"):
            pipeline.analyze(bomb, tmp_path / "o", pipeline.AnalysisOptions(progress=False))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50e6, f"{peak / 1e6:.0f} MB allocated"
    assert not (tmp_path / "o").exists()


def test_frame_times_far_apart_are_refused_before_any_output(tmp_path):
    gait = make_gait(view="side", duration_s=6, seed=2)
    t_ms = np.arange(gait.n_frames) * 1e12  # a trillion ms between frames: finite, increasing, absurd
    path = save_pose(
        PoseSequence(t_ms, gait.image_xy, gait.visibility, gait.world_xyz, gait.frame_size), tmp_path / "far.npz"
    )
    with pytest.raises(UnreadableInputError, match=r"far\.npz is damaged: its frame times span .* hours"):
        pipeline.analyze(path, tmp_path / "o", pipeline.AnalysisOptions(progress=False, force=True))
    assert not (tmp_path / "o").exists()
