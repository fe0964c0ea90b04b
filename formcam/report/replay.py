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

import cv2
import numpy as np

from formcam.gait.registry import DRAWN_METRICS, panel_metrics
from formcam.report.annotations import FrameAnnotator, panel_rows
from formcam.report.drawing import draw_banner
from formcam.report.evidence import flagged_metrics, worst_and_typical
from formcam.report.overlay import OverlayPainter
from formcam.video.probe import probe_video
from formcam.video.seek import frames_between

__all__ = ["SLOWDOWN", "ReplayStep", "append_replay", "replay_step"]

#: The replay plays this many times slower than real time.
SLOWDOWN = 4
#: Lead-in before the step's contact and tail after the next contact, seconds.
LEAD_IN_S = 0.15
TAIL_S = 0.1


@dataclass(frozen=True)
class ReplayStep:
    """The step to replay: its metric and value, and the stretch of the clip to show.

    Attributes
    ----------
    metric, label, unit : str
    side : str or None
    value : float
    contact_frame : int
        The analysed frame of the step's contact (its start).
    contact_t_ms : float
        Its real time, ms.
    start_ms, stop_ms : float
        The stretch replayed, real time in ms: the lead-in before the contact to
        the tail after the next contact.
    """

    metric: str
    label: str
    unit: str
    side: str | None
    value: float
    contact_frame: int
    contact_t_ms: float
    start_ms: float
    stop_ms: float

    @property
    def title(self) -> str:
        unit = "°" if self.unit == "deg" else f" {self.unit}"
        side = f", {self.side} step" if self.side else ""
        return f"Replay 1/{SLOWDOWN} speed: {self.label} {self.value:.1f}{unit}{side}"


def replay_step(report: dict) -> ReplayStep | None:
    """Choose the step to replay from report.json, or None when no metric has per-step values."""
    view = report["view"]["label"]
    candidates = flagged_metrics(report) + [
        name for name in panel_metrics(view) if report["metrics"].get(name, {}).get("per_step")
    ]
    contacts = sorted((e["frame"], e["t_ms"]) for e in report["events"] if e["kind"] == "contact")
    for name in candidates:
        chosen = worst_and_typical(name, report["metrics"][name])
        if not chosen:
            continue
        step, metric = chosen["worst"], report["metrics"][name]
        frame, t_ms = int(step["frame"]), float(step["t_ms"])
        start = [c for c in contacts if c[0] <= frame]
        contact_frame, contact_t = start[-1] if start else (frame, t_ms)
        later = [c for c in contacts if c[0] > contact_frame]
        stop_t = max(later[0][1] if later else t_ms, t_ms)
        return ReplayStep(
            metric=name,
            label=metric.get("label") or name,
            unit=metric["unit"],
            side=step.get("side"),
            value=float(step["value"]),
            contact_frame=int(contact_frame),
            contact_t_ms=float(contact_t),
            start_ms=contact_t - 1000 * LEAD_IN_S,
            stop_ms=stop_t + 1000 * TAIL_S,
        )
    return None


def _analysed_frames(times_ms: np.ndarray, step: ReplayStep, t_ms: np.ndarray | None, n_frames: int) -> np.ndarray:
    """Analysed frame index of each video frame (-1: none), by time when ``t_ms`` is known.

    Without ``t_ms``, video and analysis have the same frames: the video frame
    nearest the contact is the contact's analysed frame, and the others follow.
    """
    if t_ms is not None and len(t_ms) > 1:
        t_ms = np.asarray(t_ms, dtype=np.float64)
        right = np.clip(np.searchsorted(t_ms, times_ms), 0, len(t_ms) - 1)
        left = np.maximum(right - 1, 0)
        nearest = np.where(np.abs(t_ms[left] - times_ms) <= np.abs(t_ms[right] - times_ms), left, right)
        tolerance = 0.5 * float(np.median(np.diff(t_ms))) + 1e-6  # a frame the model skipped shows its neighbour
        return np.where(np.abs(t_ms[nearest] - times_ms) <= tolerance, nearest, -1)
    anchor = int(np.argmin(np.abs(times_ms - step.contact_t_ms)))
    index = step.contact_frame + np.arange(len(times_ms)) - anchor
    return np.where((index >= 0) & (index < n_frames), index, -1)


def append_replay(
    writer, video_path: Path, kinematics, report: dict, *, last_pts: int, t_ms: np.ndarray | None = None
) -> int:
    """Write the replay of the worst step after the clip in ``writer``.

    Parameters
    ----------
    writer : formcam.video.encode.H264Writer
        The annotated video's open writer; its ``time_base`` is the source's.
    video_path : Path
        The analysed video, read again by seeking.
    kinematics : formcam.gait.kinematics.Kinematics
    report : dict
    last_pts : int
        pts of the last frame written; the replay starts :data:`SLOWDOWN` frame intervals later.
    t_ms : ndarray, shape (T,), optional
        Real time of each analysed frame (the pose file's ``t_ms``), to match
        video frames to analysed ones when the model did not see every frame.

    Returns
    -------
    int
        Frames written (0 when there is no step to replay or its frames cannot be read).
    """
    step = replay_step(report)
    if step is None:
        return 0
    info = probe_video(video_path)
    fps = info.fps or 30.0
    factor = float(report["video"].get("slow_motion_factor") or 1.0)
    frames = frames_between(video_path, step.start_ms, step.stop_ms, slow_motion_factor=factor, info=info)
    if not frames:
        return 0
    # The writer may be smaller than the video (the annotated video's size cap).
    size = (writer.width, writer.height)
    annotate = FrameAnnotator(kinematics, fps=fps, scale=(size[0] / info.width, size[1] / info.height))
    indices = _analysed_frames(np.array([t for t, _ in frames]), step, t_ms, annotate.n_frames)
    panel = panel_rows(report)
    highlight = step.metric if step.metric in DRAWN_METRICS else None
    # The panel keeps the corner it has in the clip before.
    painter = OverlayPainter(*size, panel, track=annotate.xy)
    ticks = max(1, round(1.0 / (fps * float(writer.time_base))))
    pts = last_pts
    written = 0
    for (_, image), i in zip(frames, indices):
        if image.shape[:2] != (info.height, info.width):
            continue
        if size != (info.width, info.height):
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        drawn = image
        if i >= 0:
            drawn = np.array(image, dtype=np.uint8, order="C", copy=True)
            painter.draw_on(drawn, annotate(int(i), highlight=highlight))
        pts += SLOWDOWN * ticks
        writer.write(draw_banner(drawn, step.title), pts)
        written += 1
    return written
