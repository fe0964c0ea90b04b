"""The slow-motion replay of the worst step, appended to the annotated video (``--replay``).

The step replayed is the worst step (:func:`formcam.report.evidence.worst_and_typical`)
of the most severely flagged metric, or of the view's first headline metric
when nothing is flagged. Its frames, from a little before its contact to the
next contact, are read again by seeking, drawn with the same overlay plus a
title banner, and written after the clip's last frame, each held
:data:`SLOWDOWN` times as long.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..decode import probe_video
from .annotations import PANEL_METRICS, FrameAnnotator, panel_rows
from .evidence import HIGHLIGHTED, flagged_metrics, worst_and_typical
from .overlay import draw_banner, draw_overlay
from .seek import frames_around

__all__ = ["SLOWDOWN", "ReplayStep", "append_replay", "replay_step"]

#: The replay plays this many times slower than real time.
SLOWDOWN = 4
#: Lead-in before the step's contact and tail after the next contact, seconds.
LEAD_IN_S = 0.15
TAIL_S = 0.1


@dataclass(frozen=True)
class ReplayStep:
    """The step to replay: its metric, side, value and frame range (0-based, inclusive)."""

    metric: str
    label: str
    side: str | None
    value: float
    unit: str
    first_frame: int
    last_frame: int
    anchor_frame: int
    anchor_t_ms: float

    @property
    def title(self) -> str:
        unit = "°" if self.unit == "deg" else f" {self.unit}"
        side = f", {self.side} step" if self.side else ""
        return f"Replay 1/{SLOWDOWN} speed: {self.label} {self.value:.1f}{unit}{side}"


def replay_step(report: dict, contact_frames, fps: float) -> ReplayStep | None:
    """Choose the step to replay, or None when no metric has per-step values.

    Parameters
    ----------
    report : dict
        report.json content.
    contact_frames : array_like of int
        All foot contacts (both feet), frames.
    fps : float
        Frame rate of the video, for the lead-in and tail.
    """
    view = report["view"]["label"]
    candidates = flagged_metrics(report) + [name for name in PANEL_METRICS.get(view, ())
                                            if report["metrics"].get(name, {}).get("per_step")]
    for name in candidates:
        chosen = worst_and_typical(name, report["metrics"][name])
        if not chosen:
            continue
        step, metric = chosen["worst"], report["metrics"][name]
        contacts = np.sort(np.asarray(contact_frames, dtype=int))
        frame = int(step["frame"])
        start = contacts[contacts <= frame]
        start_frame = int(start[-1]) if start.size else frame
        later = contacts[contacts > start_frame]
        stop_frame = int(later[0]) if later.size else frame
        lead, tail = round(LEAD_IN_S * fps), round(TAIL_S * fps)
        return ReplayStep(
            metric=name, label=metric.get("label") or name, side=step.get("side"), value=float(step["value"]),
            unit=metric["unit"], first_frame=max(start_frame - lead, 0), last_frame=max(stop_frame, frame) + tail,
            anchor_frame=frame, anchor_t_ms=float(step["t_ms"]),
        )
    return None


def append_replay(writer, video_path: Path, kinematics, report: dict, *, last_pts: int) -> int:
    """Write the replay of the worst step after the clip in ``writer``.

    Parameters
    ----------
    writer : formcam.report.h264.H264Writer
        The annotated video's open writer; its ``time_base`` is the source's.
    video_path : Path
        The analysed video, read again by seeking.
    kinematics : formcam.kinematics.Kinematics
    report : dict
    last_pts : int
        pts of the last frame written; the replay starts one frame interval later.

    Returns
    -------
    int
        Frames written (0 when there is no step to replay or its frames cannot be read).
    """
    info = probe_video(video_path)
    fps = info.fps or 30.0
    step = replay_step(report, kinematics.events.contact_frames, fps)
    if step is None:
        return 0
    n_frames = len(kinematics.xy)
    last = min(step.last_frame, n_frames - 1)
    factor = float(report["video"].get("slow_motion_factor") or 1.0)
    images = frames_around(video_path, step.anchor_t_ms, before=step.anchor_frame - step.first_frame,
                           after=last - step.anchor_frame, slow_motion_factor=factor, info=info)
    annotate = FrameAnnotator(kinematics, fps=fps)
    panel = panel_rows(report)
    ticks = max(1, round(1.0 / (fps * float(writer.time_base))))
    pts = last_pts
    written = 0
    for frame, image in zip(range(step.first_frame, last + 1), images):
        if image is None or image.shape[:2] != (info.height, info.width):
            continue
        highlight = step.metric if step.metric in HIGHLIGHTED else None
        drawn = draw_overlay(image, annotate(frame, highlight=highlight), panel)
        pts += SLOWDOWN * ticks
        writer.write(draw_banner(drawn, step.title), pts)
        written += 1
    return written
