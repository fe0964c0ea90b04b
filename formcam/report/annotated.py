"""The annotated video: the input, upright, with the runner's skeleton and findings drawn on.

Same frames and timing as the input (each frame keeps its presentation time),
encoded as H.264 so it plays in browsers and on phones.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..decode import iter_frames
from ..pose import prefetch
from .annotations import FrameAnnotator, panel_rows
from .h264 import H264Writer
from .overlay import draw_overlay
from .replay import append_replay


def render_annotated_video(
    video_path: Path,
    out_path: Path,
    kinematics,
    report: dict,
    *,
    on_frame: Callable[[int], None] | None = None,
    replay: bool = False,
) -> Path:
    """Decode ``video_path`` again, draw each frame's annotation, and write H.264 to ``out_path``.

    Parameters
    ----------
    video_path : Path
        The analysed video.
    out_path : Path
        Where the MP4 goes (written atomically).
    kinematics : formcam.kinematics.Kinematics
        Cleaned landmarks ``xy`` (T, 33, 2), per-frame ``signals`` and ``events``.
    report : dict
        The report, for the panel's values.
    on_frame : callable, optional
        Progress callback, called with the running frame count.
    replay : bool
        Append a slow-motion replay of the worst step (:func:`formcam.report.replay.append_replay`).
    """
    frames = iter_frames(video_path)  # presentation times of the file, which the output keeps
    info = frames.info
    kin = kinematics
    n_frames = len(kin.xy)
    fps = info.fps or 30.0
    annotate = FrameAnnotator(kin, fps=fps)
    panel = panel_rows(report)
    writer = H264Writer(out_path, width=info.width, height=info.height, time_base=info.time_base, fps=fps)
    last_pts = None
    with writer:
        with frames:
            for frame in prefetch(frames):
                i = frame.index
                image = draw_overlay(frame.rgb, annotate(i), panel) if i < n_frames else frame.rgb
                writer.write(image, frame.pts)
                last_pts = frame.pts
                if on_frame is not None:
                    on_frame(i + 1)
        if replay and last_pts is not None:  # after the decoder is closed: the replay opens the file again
            append_replay(writer, Path(video_path), kin, report, last_pts=last_pts)
    return Path(out_path)
