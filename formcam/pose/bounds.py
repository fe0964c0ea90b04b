"""Bounds a pose file must keep before formcam spends memory or time on it.

A pose file is small on disk whatever it holds: 2 million frames of NaN
compress to 6 MB and take 2.8 GB once loaded. So the frame count is read from
the arrays' headers, before any array is loaded (:func:`check_pose_file_size`,
which :func:`formcam.pose.posefile.load_pose` calls first); the frame times are
checked to be a video's by the loader itself.
"""

from __future__ import annotations

import ast
import os
import zipfile
from pathlib import Path

import numpy as np

from formcam.errors import UnreadableInputError

#: Most frames a pose file may hold: 35 minutes at 240 fps, over 4 hours at 30 fps (about 1 GB once loaded).
MAX_POSE_FRAMES = 500_000
#: A header longer than this is not numpy's (its own are under 200 bytes).
_MAX_HEADER = 4096


def check_pose_file_size(path: str | os.PathLike) -> None:
    """Refuse a pose file of more than :data:`MAX_POSE_FRAMES` frames, reading only the arrays' headers.

    Anything else wrong with the file is left to the loader, which says it in its own words.
    """
    name = Path(path).name
    try:
        with zipfile.ZipFile(path) as archive:
            frames = max((_leading_length(archive, member) for member in _ARRAYS), default=0)
    except (OSError, zipfile.BadZipFile, ValueError, SyntaxError):
        return
    if frames > MAX_POSE_FRAMES:
        raise UnreadableInputError(
            f"{name} holds {frames} frames, more than the {MAX_POSE_FRAMES} a formcam pose file may hold; "
            "it was not written by formcam from a video."
        )


_ARRAYS = ("t_ms.npy", "image_xy.npy", "visibility.npy", "world_xyz.npy")


def _leading_length(archive: zipfile.ZipFile, member: str) -> int:
    """The first dimension of an ``.npy`` member, from its header alone (0 when absent)."""
    if member not in archive.namelist():
        return 0
    with archive.open(member) as fh:
        major, _ = np.lib.format.read_magic(fh)
        length_bytes = 2 if major == 1 else 4
        header_length = int.from_bytes(fh.read(length_bytes), "little")
        if header_length > _MAX_HEADER:
            return 0
        header = ast.literal_eval(fh.read(header_length).decode("latin1"))
    shape = header.get("shape") if isinstance(header, dict) else None
    return int(shape[0]) if isinstance(shape, tuple) and shape and isinstance(shape[0], int) else 0
