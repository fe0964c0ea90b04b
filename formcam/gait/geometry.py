"""Landmark geometry shared by the stages: body scale, a foot's forward reach, knee flexion, midpoints.

All take landmark pixels ``xy`` of shape (T, 33, 2), x right, y down, NaN
where missing, and return per-frame arrays.
"""

from __future__ import annotations

import numpy as np

from formcam.pose import landmarks as lm


def forward_reach(xy: np.ndarray, points, fallbacks, facing: int, *, hips: np.ndarray | None = None) -> np.ndarray:
    """Forward distance of foot points from the mid-hip, px (Zeni et al. 2008's contact signal).

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Landmark pixels, NaN where missing.
    points, fallbacks : sequence of int, length k
        Landmarks to measure, and the ones taken where each is missing (e.g. heel, then ankle).
    facing : int
        +1 the runner faces image-right, -1 image-left.
    hips : ndarray, shape (T, 33, 2), optional
        Landmarks to take the mid-hip from instead of ``xy``.

    Returns
    -------
    ndarray, shape (T, k)
        Positive ahead of the mid-hip; NaN where neither point nor the mid-hip is seen.
    """
    hips = xy if hips is None else hips
    points, fallbacks = list(points), list(fallbacks)
    with np.errstate(invalid="ignore"):
        mid_hip_x = (hips[:, lm.LEFT_HIP, 0] + hips[:, lm.RIGHT_HIP, 0]) / 2
        x = np.where(np.isfinite(xy[:, points, 0]), xy[:, points, 0], xy[:, fallbacks, 0])
        return (x - mid_hip_x[:, None]) * facing


def body_scale_px(xy: np.ndarray) -> float:
    """Median trunk length (mid-shoulder to mid-hip) in px over the frames that show it, or NaN."""
    mid_sh = (xy[:, lm.LEFT_SHOULDER] + xy[:, lm.RIGHT_SHOULDER]) / 2
    mid_hip = (xy[:, lm.LEFT_HIP] + xy[:, lm.RIGHT_HIP]) / 2
    length = np.hypot(*(mid_sh - mid_hip).T)
    length = length[np.isfinite(length)]
    return float(np.median(length)) if length.size else float("nan")


def knee_flexion_deg(xy: np.ndarray, side: str) -> np.ndarray:
    """180 minus the hip-knee-ankle angle of one leg, degrees, shape (T,); 0 = straight."""
    hip, knee, ankle = (
        (lm.LEFT_HIP, lm.LEFT_KNEE, lm.LEFT_ANKLE) if side == "left" else (lm.RIGHT_HIP, lm.RIGHT_KNEE, lm.RIGHT_ANKLE)
    )
    a, b = xy[:, hip] - xy[:, knee], xy[:, ankle] - xy[:, knee]
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.sum(a * b, axis=1) / (np.hypot(a[:, 0], a[:, 1]) * np.hypot(b[:, 0], b[:, 1]))
        return 180.0 - np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def midpoint(xy: np.ndarray, left_index: int) -> np.ndarray:
    """Midpoint of a left landmark and its right twin, (T, 2)."""
    return (xy[:, left_index] + xy[:, left_index + 1]) / 2
