"""Read a few frames from the middle of a video by seeking, for evidence frames and replays.

The annotated video decodes the whole clip once; the HTML report's evidence
frames and the slow-motion replay need only a handful of frames around known
times, so they seek (PyAV jumps to the key frame before the time and decodes
from there) instead of decoding everything again.

Times are the analysis's real-time ``t_ms`` (the pose file's); a slow-motion
clip's file time is ``t_ms * slow_motion_factor``. Frames come back upright,
turned by the file's rotation metadata like :func:`formcam.decode.iter_frames`.
"""

from __future__ import annotations

import os
from collections import deque

import av
import numpy as np

from ..decode import VideoInfo, probe_video

__all__ = ["frames_around"]


def frames_around(
    path: str | os.PathLike,
    t_ms: float,
    *,
    before: int = 0,
    after: int = 0,
    slow_motion_factor: float = 1.0,
    info: VideoInfo | None = None,
) -> list[np.ndarray | None]:
    """The frame nearest ``t_ms`` and its neighbours, read by seeking.

    Parameters
    ----------
    path : str or os.PathLike
        The analysed video.
    t_ms : float
        Real time of the anchor frame in ms (as in the pose file's ``t_ms``).
    before, after : int
        How many frames before and after the anchor to return as well.
    slow_motion_factor : float
        report.json's ``video.slow_motion_factor``: file time = real time times this.
    info : VideoInfo, optional
        The video's probe, if already known.

    Returns
    -------
    list of (ndarray of shape (H, W, 3), uint8) or None, length ``before + 1 + after``
        Upright RGB frames in order, the anchor at index ``before``; None where the
        video has no such frame (before its start, after its end) or the anchor
        time is not within one and a half frames of any frame.

    Raises
    ------
    formcam.errors.UnreadableInputError
        If the video cannot be opened.
    """
    info = info or probe_video(path)
    fps = info.fps or 30.0
    turns_ccw = (-info.rotation_deg // 90) % 4
    target_s = t_ms * slow_motion_factor / 1000.0
    half_frame = 0.5 / fps
    frames: list[np.ndarray | None] = [None] * (before + 1 + after)
    with av.open(os.fspath(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        time_base = stream.time_base
        # Seek a little before the first wanted frame, so the lead-in is decoded too.
        seek_s = target_s - (before + 2) / fps
        try:
            container.seek(max(int(seek_s / time_base), 0), stream=stream, backward=True, any_frame=False)
        except av.error.FFmpegError:
            container.seek(0)
        lead: deque = deque(maxlen=before)
        anchor_found = False
        collected = 0
        for frame in container.decode(stream):
            time_s = float(frame.pts * time_base) if frame.pts is not None else frame.time
            if time_s is None:
                continue
            if not anchor_found:
                if time_s < target_s - half_frame:
                    if before:
                        lead.append(frame)
                    continue
                if time_s > target_s + 3 * half_frame:
                    break  # no frame at that time (a gap, or past the end)
                anchor_found = True
                for k, earlier in enumerate(reversed(lead)):
                    frames[before - 1 - k] = _upright(earlier, turns_ccw)
            frames[before + collected] = _upright(frame, turns_ccw)
            collected += 1
            if collected > after:
                break
    return frames


def _upright(av_frame, turns_ccw: int) -> np.ndarray:
    rgb = av_frame.to_ndarray(format="rgb24")
    if turns_ccw:
        rgb = np.rot90(rgb, turns_ccw)
    return np.ascontiguousarray(rgb)
