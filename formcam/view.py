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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import landmarks as lm
from .errors import UsageError

SIDE_MAX_WIDTH = 0.25
FRONTAL_MIN_WIDTH = 0.45
#: Fewer usable frames than this: the view is 'unknown'.
MIN_FRAMES = 5

LABELS = ("side", "rear", "front", "oblique", "unknown")


@dataclass(frozen=True)
class ViewEstimate:
    """The camera's view of the runner.

    Attributes
    ----------
    label : {'side', 'rear', 'front', 'oblique', 'unknown'}
    confidence : float
        0-1.
    direction : {'left', 'right', 'toward', 'away'} or None
        Side view: the image direction the runner faces; rear: 'away';
        front: 'toward'.
    facing : int
        +1 the runner faces image-right, -1 image-left, 0 unknown or not a
        side view.
    """

    label: str = "unknown"
    confidence: float = 0.0
    direction: str | None = None
    facing: int = 0

    def to_json(self) -> dict:
        return {"label": self.label, "confidence": float(self.confidence), "direction": self.direction}


def detect_view(xy: np.ndarray, *, override: str | None = None) -> ViewEstimate:
    """Classify the camera view from cleaned landmarks.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Landmark pixels of the upright image; NaN where missing.
    override : {'side', 'rear', 'front'}, optional
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
            return ViewEstimate("side", float(share) * 0.5, None, 0)
        return ViewEstimate("side", float(share * facing_agreement), "right" if facing > 0 else "left", facing)
    if winner == 2:
        return ViewEstimate("oblique", float(share), None, facing)
    frontal_order = order[usable][votes == 1]
    frontal_order = frontal_order[np.isfinite(frontal_order)]
    rear_share = float(np.mean(frontal_order > 0)) if frontal_order.size else 0.5
    if rear_share >= 0.5:
        return ViewEstimate("rear", float(share * rear_share), "away", 0)
    return ViewEstimate("front", float(share * (1 - rear_share)), "toward", 0)


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
        heel_to_toe = np.concatenate([
            xy[:, lm.LEFT_FOOT_INDEX, 0] - xy[:, lm.LEFT_HEEL, 0],
            xy[:, lm.RIGHT_FOOT_INDEX, 0] - xy[:, lm.RIGHT_HEEL, 0],
        ])
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
    if label not in ("side", "rear", "front"):
        raise UsageError(f"The view must be side, rear or front, not '{label}'.")
    if label == "side":
        direction = {1: "right", -1: "left"}.get(facing)
        return ViewEstimate("side", 1.0, direction, facing)
    return ViewEstimate(label, 1.0, "away" if label == "rear" else "toward", 0)
