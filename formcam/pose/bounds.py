"""Bounds a pose file must keep before formcam spends memory or time on it.

A pose file is small on disk whatever it holds: 2 million frames of NaN
compress to 6 MB and take 2.8 GB once loaded. So the frame count is read from
the arrays' headers, before any array is loaded (:func:`check_pose_file_size`),
and the frame times are checked to be a video's (:func:`check_frame_times`):
a clip's frames are at most a second apart in the median, whatever gaps it has.
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
#: Longest median interval between frames, ms: the pose stage never sees fewer than one frame a second.
MAX_MEDIAN_FRAME_MS = 1000.0
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


def check_frame_times(t_ms: np.ndarray, name: str) -> None:
    """Refuse frame times that are not a video's: a median interval over :data:`MAX_MEDIAN_FRAME_MS`.

    Parameters
    ----------
    t_ms : ndarray, shape (T,)
        Frame times, ms, finite and increasing (the loader checks that).
    name : str
        The file's name, for the message.
    """
    if len(t_ms) < 2:
        return
    median_ms = float(np.median(np.diff(t_ms)))
    if median_ms > MAX_MEDIAN_FRAME_MS:
        raise UnreadableInputError(
            f"{name} is damaged: its frames are {median_ms:.3g} ms apart in the median, "
            f"more than the {MAX_MEDIAN_FRAME_MS:g} ms of any video formcam analyses."
        )
