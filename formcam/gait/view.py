"""Which way the camera looks at the runner: side, rear, front or oblique.

Cues (all from the upright image, per frame, then a majority vote):

* **Width.**  The mean of the shoulder and hip widths (horizontal distance
  between the left and right landmark) relative to the trunk length (mid-hip
  to mid-shoulder).  Seen from the side both pairs nearly overlap (ratio about
  0.1); from behind or in front they span about 0.6 of the trunk.
  Below :data:`SIDE_MAX_WIDTH` a frame votes *side*, above
  :data:`FRONTAL_MIN_WIDTH` it votes *rear* or *front*, between: *oblique*.
* **Left/right order.**  From behind, the runner's left shoulder and hip are
  on the image's left (``x_right - x_left > 0``); from the front, the reverse.
  BlazePose labels sides from the person's anatomy, so the order tells rear
  from front.
* **Facing** (side view): the sign of the median heel-to-toe vector
  (``foot_index - heel``), falling back on nose-ahead-of-ears.

``confidence`` is the fraction of usable frames that agree with the winning
label (for side views, times the agreement of the facing cue).

A clip can change view (a camera that follows the runner round a corner, a
treadmill clip that cuts from the side to behind): :func:`view_segments`
classifies windows of :data:`SEGMENT_S` seconds the same way and merges
neighbours with the same label, so that metrics can use only the steps taken
in parts of the clip where they are valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from formcam.errors import UsageError
from formcam.pose import landmarks as lm

SIDE_MAX_WIDTH = 0.25
FRONTAL_MIN_WIDTH = 0.45
#: Fewer usable frames than this: the view is 'unknown'.
MIN_FRAMES = 5


class View(str, Enum):
    """A camera view of the runner.

    A ``str``: it equals its value (``View.SIDE == "side"``), and prints,
    formats and serialises to JSON and CSV as it, so reports read the same.
    """

    SIDE = "side"
    REAR = "rear"
    FRONT = "front"
    OBLIQUE = "oblique"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


#: The views formcam measures in: those that can be asked for (``--view``) and rendered.
CLEAR_VIEWS = (View.SIDE, View.REAR, View.FRONT)
#: The views of the runner's frontal plane (from behind or in front).
FRONTAL = (View.REAR, View.FRONT)
#: Length of the windows classified by :func:`view_segments`, s (about five strides).
SEGMENT_S = 4.0


@dataclass(frozen=True)
class ViewEstimate:
    """The camera's view of the runner.

    Attributes
    ----------
    label : View
    confidence : float
        0-1.
    direction : {'left', 'right', 'toward', 'away'} or None
        Side view: the image direction the runner faces; rear: 'away';
        front: 'toward'.
    facing : int
        +1 the runner faces image-right, -1 image-left, 0 unknown or not a
        side view.
    """

    label: View = View.UNKNOWN
    confidence: float = 0.0
    direction: str | None = None
    facing: int = 0

    def to_json(self) -> dict:
        return {"label": self.label, "confidence": float(self.confidence), "direction": self.direction}


@dataclass(frozen=True)
class ViewSegment:
    """A stretch of the clip seen from one view.

    Attributes
    ----------
    start_frame, stop_frame : int
        Frames ``start_frame <= i < stop_frame``.
    start_ms, end_ms : float
        Time of the first and the last frame, ms.
    label, confidence, direction
        As in :class:`ViewEstimate`.
    """

    start_frame: int
    stop_frame: int
    start_ms: float
    end_ms: float
    label: View
    confidence: float
    direction: str | None

    def to_json(self) -> dict:
        return {
            "start_frame": int(self.start_frame),
            "stop_frame": int(self.stop_frame),
            "start_ms": round(float(self.start_ms), 3),
            "end_ms": round(float(self.end_ms), 3),
            "label": self.label,
            "confidence": round(float(self.confidence), 3),
            "direction": self.direction,
        }


def view_segments(xy: np.ndarray, t_ms: np.ndarray, *, window_s: float = SEGMENT_S) -> list[ViewSegment]:
    """Classify the view of each stretch of about ``window_s`` seconds; merge equal neighbours.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Cleaned landmark pixels of the upright image.
    t_ms : ndarray, shape (T,)
        Frame times, ms.
    window_s : float
        Window length, s; the clip is cut into ``max(1, round(duration /
        window_s))`` windows of equal duration (at most one per frame).

    Returns
    -------
    list of ViewSegment
        In time order, covering every frame; empty for an empty clip.
        Confidence of a merged segment is the frame-weighted mean of its
        windows'.
    """
    xy = np.asarray(xy, dtype=np.float64)
    t_ms = np.asarray(t_ms, dtype=np.float64)
    n = xy.shape[0] if xy.ndim == 3 else 0
    if n == 0 or t_ms.shape != (n,) or xy.shape[1:] != (lm.N_LANDMARKS, 2):
        return []
    duration_ms = float(np.nanmax(t_ms) - np.nanmin(t_ms)) if np.isfinite(t_ms).any() else 0.0
    windows_by_time = duration_ms / (1000.0 * window_s) if np.isfinite(duration_ms) else 1.0
    # At most one window per frame: a timestamp jump of days must not mean millions of empty windows.
    n_windows = int(np.clip(round(windows_by_time), 1, n))
    bounds = np.unique(np.linspace(0, n, n_windows + 1).round().astype(int))
    windows = [(int(a), int(b), detect_view(xy[a:b])) for a, b in zip(bounds[:-1], bounds[1:])]  # loop over windows
    segments: list[ViewSegment] = []
    for start, stop, estimate in windows:
        previous = segments[-1] if segments else None
        if previous and (previous.label, previous.direction) == (estimate.label, estimate.direction):
            frames_before = previous.stop_frame - previous.start_frame
            confidence = (previous.confidence * frames_before + estimate.confidence * (stop - start)) / (
                stop - previous.start_frame
            )
            segments[-1] = ViewSegment(
                previous.start_frame,
                stop,
                previous.start_ms,
                float(t_ms[stop - 1]),
                estimate.label,
                float(confidence),
                estimate.direction,
            )
        else:
            segments.append(
                ViewSegment(
                    start,
                    stop,
                    float(t_ms[start]),
                    float(t_ms[stop - 1]),
                    estimate.label,
                    float(estimate.confidence),
                    estimate.direction,
                )
            )
    return segments


def frame_view_labels(segments: list[ViewSegment], n_frames: int) -> np.ndarray:
    """Each frame's segment label, str array (T,); 'unknown' where no segment covers it."""
    labels = np.full(n_frames, View.UNKNOWN, dtype="<U7")
    for segment in segments:  # loop over segments
        labels[segment.start_frame : segment.stop_frame] = segment.label
    return labels


def detect_view(xy: np.ndarray, *, override: str | None = None) -> ViewEstimate:
    """Classify the camera view from cleaned landmarks.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Landmark pixels of the upright image; NaN where missing.
    override : View or {'side', 'rear', 'front'}, optional
        Force the label (the command line's ``--view``); the facing direction
        of a forced side view is still measured.  Confidence is then 1.

    Returns
    -------
    ViewEstimate
        'unknown' with confidence 0 when fewer than :data:`MIN_FRAMES` frames
        show the trunk.
    """
    xy = np.asarray(xy, dtype=np.float64)
    if xy.ndim != 3 or xy.shape[1:] != (lm.N_LANDMARKS, 2) or xy.shape[0] == 0:
        return _forced(override, 0, 0.0) if override else ViewEstimate()

    width_ratio, order = _width_and_order(xy)
    facing, facing_agreement = estimate_facing(xy)
    if override:
        return _forced(override, facing, facing_agreement)

    usable = np.isfinite(width_ratio)
    if usable.sum() < MIN_FRAMES:
        return ViewEstimate()
    ratio = width_ratio[usable]
    votes = np.where(ratio < SIDE_MAX_WIDTH, 0, np.where(ratio > FRONTAL_MIN_WIDTH, 1, 2))  # side, frontal, oblique
    counts = np.bincount(votes, minlength=3)
    winner = int(np.argmax(counts))
    share = counts[winner] / votes.size
    if winner == 0:
        if facing == 0:
            return ViewEstimate(View.SIDE, float(share) * 0.5, None, 0)
        return ViewEstimate(View.SIDE, float(share * facing_agreement), "right" if facing > 0 else "left", facing)
    if winner == 2:
        return ViewEstimate(View.OBLIQUE, float(share), None, facing)
    frontal_order = order[usable][votes == 1]
    frontal_order = frontal_order[np.isfinite(frontal_order)]
    rear_share = float(np.mean(frontal_order > 0)) if frontal_order.size else 0.5
    if rear_share >= 0.5:
        return ViewEstimate(View.REAR, float(share * rear_share), "away", 0)
    return ViewEstimate(View.FRONT, float(share * (1 - rear_share)), "toward", 0)


def estimate_facing(xy: np.ndarray) -> tuple[int, float]:
    """Image direction the runner faces, and the fraction of frames agreeing.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)

    Returns
    -------
    facing : int
        +1 image-right, -1 image-left, 0 unknown.
    agreement : float
        Fraction of frames whose cue has the winning sign (0 when unknown).
    """
    with np.errstate(invalid="ignore"):
        heel_to_toe = np.concatenate(
            [
                xy[:, lm.LEFT_FOOT_INDEX, 0] - xy[:, lm.LEFT_HEEL, 0],
                xy[:, lm.RIGHT_FOOT_INDEX, 0] - xy[:, lm.RIGHT_HEEL, 0],
            ]
        )
        mid_ear = (xy[:, lm.LEFT_EAR, 0] + xy[:, lm.RIGHT_EAR, 0]) / 2
        nose_ahead = xy[:, lm.NOSE, 0] - mid_ear
    for cue in (heel_to_toe, nose_ahead):
        cue = cue[np.isfinite(cue) & (cue != 0)]
        if cue.size >= MIN_FRAMES:
            sign = int(np.sign(np.median(cue)))
            if sign:
                return sign, float(np.mean(np.sign(cue) == sign))
    return 0, 0.0


def _width_and_order(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per frame: (shoulder + hip width) / 2 / trunk length, and sign of right-minus-left x."""
    dx_sh = xy[:, lm.RIGHT_SHOULDER, 0] - xy[:, lm.LEFT_SHOULDER, 0]
    dx_hip = xy[:, lm.RIGHT_HIP, 0] - xy[:, lm.LEFT_HIP, 0]
    mid_sh = (xy[:, lm.LEFT_SHOULDER] + xy[:, lm.RIGHT_SHOULDER]) / 2
    mid_hip = (xy[:, lm.LEFT_HIP] + xy[:, lm.RIGHT_HIP]) / 2
    trunk = np.hypot(*(mid_sh - mid_hip).T)
    with np.errstate(invalid="ignore", divide="ignore"):
        upright = mid_sh[:, 1] < mid_hip[:, 1]
        ratio = np.where(upright & (trunk > 0), (np.abs(dx_sh) + np.abs(dx_hip)) / 2 / trunk, np.nan)
    return ratio, np.sign(dx_sh + dx_hip)


def _forced(label: str, facing: int, agreement: float) -> ViewEstimate:
    if label not in CLEAR_VIEWS:
        raise UsageError(f"The view must be side, rear or front, not '{label}'.")
    view = View(label)
    if view == View.SIDE:
        direction = {1: "right", -1: "left"}.get(facing)
        return ViewEstimate(View.SIDE, 1.0, direction, facing)
    return ViewEstimate(view, 1.0, "away" if view == View.REAR else "toward", 0)
