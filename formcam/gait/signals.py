"""Per-frame posture signals (tilts, leans, head position, knee flexion, hip height) for metrics and drawings."""

from __future__ import annotations

import numpy as np

from formcam.gait.geometry import knee_flexion_deg, midpoint
from formcam.gait.view import FRONTAL, View, ViewEstimate
from formcam.pose import landmarks as lm


# ----------------------------------------------------------------------------------- signals
def frame_signals(xy: np.ndarray, view: ViewEstimate) -> dict[str, np.ndarray]:
    """Per-frame posture signals for plotting and drawing.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Cleaned landmark pixels.
    view : ViewEstimate

    Returns
    -------
    dict of str -> ndarray, float64, shape (T,)
        * ``shoulder_tilt_deg``, ``hip_tilt_deg``: line tilt from horizontal,
          positive = the runner's **right** shoulder/hip lower (either view);
        * ``trunk_lateral_lean_deg``: mid-hip to mid-shoulder from vertical,
          positive = towards the runner's right;
        * ``trunk_forward_lean_deg``, ``head_forward_deg``: from vertical,
          positive = forward (in the running direction, so left- and
          right-facing runners give the same sign);
        * ``head_forward_pct``: mid-ear ahead of mid-shoulder, % of trunk;
        * ``knee_flexion_left_deg``, ``knee_flexion_right_deg``: 180 minus the
          hip-knee-ankle angle;
        * ``mid_hip_y_px``: mid-hip height in the image (y down);
        * ``pelvis_tilt_deg``: the two pelvis stickers' line tilt, positive =
          the runner's right lower; NaN here (no landmark gives it):
          :func:`formcam.gait.kinematics.analyse_pose` fills it from the
          stickers' tracks (:mod:`formcam.gait.pelvis`).

        Frontal-plane signals are NaN in side views, sagittal ones NaN in rear
        and front views or when the facing direction is unknown.
    """
    xy = np.asarray(xy, dtype=np.float64)
    n = xy.shape[0] if xy.ndim == 3 else 0
    names = (
        "shoulder_tilt_deg",
        "hip_tilt_deg",
        "trunk_lateral_lean_deg",
        "trunk_forward_lean_deg",
        "head_forward_deg",
        "head_forward_pct",
        "knee_flexion_left_deg",
        "knee_flexion_right_deg",
        "mid_hip_y_px",
        "pelvis_tilt_deg",
    )
    out = {name: np.full(n, np.nan) for name in names}
    if n == 0 or xy.shape[1:] != (lm.N_LANDMARKS, 2):
        return out
    with np.errstate(invalid="ignore", divide="ignore"):
        mid_sh, mid_hip, mid_ear = midpoint(xy, lm.LEFT_SHOULDER), midpoint(xy, lm.LEFT_HIP), midpoint(xy, lm.LEFT_EAR)
        trunk_len = np.hypot(*(mid_sh - mid_hip).T)
        out["mid_hip_y_px"] = mid_hip[:, 1]
        out["knee_flexion_left_deg"] = knee_flexion_deg(xy, "left")
        out["knee_flexion_right_deg"] = knee_flexion_deg(xy, "right")
        if view.label != View.SIDE:
            out["shoulder_tilt_deg"] = _line_tilt(xy, lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER)
            out["hip_tilt_deg"] = _line_tilt(xy, lm.LEFT_HIP, lm.RIGHT_HIP)
            lean_image_right = np.degrees(np.arctan2(mid_sh[:, 0] - mid_hip[:, 0], mid_hip[:, 1] - mid_sh[:, 1]))
            out["trunk_lateral_lean_deg"] = lean_image_right * runner_right_sign(xy, view)
        facing = view.facing
        if facing and view.label not in FRONTAL:
            out["trunk_forward_lean_deg"] = np.degrees(
                np.arctan2((mid_sh[:, 0] - mid_hip[:, 0]) * facing, mid_hip[:, 1] - mid_sh[:, 1])
            )
            out["head_forward_deg"] = np.degrees(
                np.arctan2((mid_ear[:, 0] - mid_sh[:, 0]) * facing, mid_sh[:, 1] - mid_ear[:, 1])
            )
            out["head_forward_pct"] = (
                100.0 * (mid_ear[:, 0] - mid_sh[:, 0]) * facing / np.where(trunk_len > 0, trunk_len, np.nan)
            )
    return out


def _line_tilt(xy: np.ndarray, left: int, right: int) -> np.ndarray:
    """Tilt of the left-right line from horizontal, degrees, positive = right point lower."""
    d = xy[:, right] - xy[:, left]
    return np.degrees(np.arctan2(d[:, 1], np.abs(d[:, 0])))


def runner_right_sign(xy: np.ndarray, view: ViewEstimate) -> float:
    """+1 where the runner's right is image-right (rear view), -1 where it is image-left (front)."""
    if view.label == View.REAR:
        return 1.0
    if view.label == View.FRONT:
        return -1.0
    order = np.sign(xy[:, lm.RIGHT_SHOULDER, 0] - xy[:, lm.LEFT_SHOULDER, 0])
    order = order[np.isfinite(order)]
    return float(np.sign(np.median(order))) if order.size and np.median(order) != 0 else float("nan")
