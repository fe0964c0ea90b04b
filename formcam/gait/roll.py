"""Camera roll: how far the picture is turned from level, estimated from the runner, and its removal.

A camera rolled by a few degrees adds those degrees to every frontal-plane
angle (pelvic drop, shoulder dip, side lean) and to the side view's leans
(docs/metrics-research.md section 0: "a rolled camera biases every frontal-plane
angle").  formcam measures the roll of rear and front views on the whole
clip and turns the landmarks back before measuring any angle
(:func:`level_landmarks`); ``--level DEG`` gives it by hand for any view
(0: the camera was level).

Convention: ``roll_deg`` is the angle of a true horizontal line in the
picture, positive when it slopes down to the right (the picture is turned
clockwise on screen; image ``y`` points down).

Estimates (:func:`estimate_camera_roll`):

* **Rear and front views: the body's balance axis.**  Over whole strides a
  runner's weight stays over the feet (no net sideways force on a straight
  path), so the line from the mid-ankle to the mid-shoulder is vertical on
  average, whatever the pelvis and trunk do within a stride and even when
  they do it asymmetrically (a drop on one side tilts the hip line, not the
  balance axis).  The roll is the median over frames of that line's angle
  from the image vertical.  Its long base (about 0.8 of the body height)
  makes it precise: 2 px of noise at each end of a 480 px axis is 0.3 deg.
* **Side view: the ground line, reported but not applied.**  The feet's
  lowest points (heels and toes while on the ground: on a treadmill the
  stance foot slides along the belt, overground successive contacts lie
  along the path) fall on the ground, which is level.  The slope of a line
  through them (each foot landmark with its own offset, the lower envelope,
  refined after turning the points) equals the roll of a camera square to
  the running direction, and recovers it on synthetic clips to about 1 deg.
  But a camera that looks at the treadmill slightly from the front or behind
  and from above tilts the belt's line by perspective as much as a roll
  does: on the two real side-view treadmill clips here the line sloped by
  -3.5 and +9 degrees while the windows and pillars stood vertical.  So the
  side view's estimate is only reported (and warned about when large); the
  angles are measured as filmed unless ``--level`` says otherwise.  (The
  direction of the hips' bounce was tried as well and is worse: MediaPipe's
  hip landmarks sway with the legs.)

An estimate needs enough data (:data:`MIN_FRAMES` frames with the landmarks)
and is used only up to :data:`MAX_AUTO_ROLL_DEG`; beyond that the picture is
not levelled and the caller warns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcam.gait.geometry import body_scale_px
from formcam.gait.rhythm import median_frame_interval_ms
from formcam.gait.view import View

# scipy is imported inside the functions that use it: importing it takes about a second, which
# formcam spends while the pose model runs (pipeline.preload_analysis_libraries), not before.
from formcam.pose import landmarks as lm

#: Larger estimated rolls are not trusted (and not removed): the camera or the method is off.
MAX_AUTO_ROLL_DEG = 15.0
#: Fewer usable frames than this: no estimate.
MIN_FRAMES = 10
#: Side view: a foot point is on the ground when within this fraction of the foot's vertical range
#: from its lowest level (the running maximum of image y over 2 s).
GROUND_BAND = 0.08
#: Side view: ground points must spread horizontally over at least this fraction of the trunk length.
MIN_GROUND_SPREAD = 0.5

_FOOT_POINTS = (lm.LEFT_HEEL, lm.RIGHT_HEEL, lm.LEFT_FOOT_INDEX, lm.RIGHT_FOOT_INDEX)


@dataclass(frozen=True)
class RollEstimate:
    """The camera's roll and how it was found.

    Attributes
    ----------
    roll_deg : float
        Angle of a true horizontal in the picture, degrees, positive sloping
        down to the right; NaN when it could not be estimated.
    source : {'user', 'balance_axis', 'ground_line', 'none'}
    applied : bool
        Whether the landmarks were turned by it.
    """

    roll_deg: float = float("nan")
    source: str = "none"
    applied: bool = False

    def to_json(self) -> dict:
        value = round(float(self.roll_deg), 2) if np.isfinite(self.roll_deg) else None
        return {"roll_deg": value, "source": self.source, "applied": bool(self.applied)}


def estimate_camera_roll(
    xy: np.ndarray, t_ms: np.ndarray, view_label: str, *, apply_ground_line: bool = False
) -> RollEstimate:
    """Estimate the camera roll of a whole clip from the runner's landmarks.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Cleaned landmark pixels of the upright image; NaN where missing.
    t_ms : ndarray, shape (T,)
        Frame times, ms.
    view_label : str
        'side' uses the ground line; 'rear', 'front' and 'oblique' the
        balance axis; anything else gives no estimate.
    apply_ground_line : bool
        Mark a side view's ground-line estimate as applied (off by default:
        it cannot tell roll from perspective).

    Returns
    -------
    RollEstimate
        ``applied`` True when the estimate is finite, within
        :data:`MAX_AUTO_ROLL_DEG`, and from the balance axis (or
        ``apply_ground_line``).
    """
    xy = np.asarray(xy, dtype=np.float64)
    if xy.ndim != 3 or xy.shape[1:] != (lm.N_LANDMARKS, 2) or xy.shape[0] < MIN_FRAMES:
        return RollEstimate()
    if view_label in (View.REAR, View.FRONT, View.OBLIQUE):
        roll, source = balance_axis_roll_deg(xy), "balance_axis"
    elif view_label == View.SIDE:
        roll, source = ground_line_roll_deg(xy, t_ms), "ground_line"
    else:
        return RollEstimate()
    if not np.isfinite(roll):
        return RollEstimate(source="none")
    # The ground line also tilts when the camera is not square to the running direction (perspective),
    # which real side-view clips usually show: it is reported, not applied (see the module notes).
    applied = abs(roll) <= MAX_AUTO_ROLL_DEG and (source != "ground_line" or apply_ground_line)
    return RollEstimate(float(roll), source, applied=applied)


def balance_axis_roll_deg(xy: np.ndarray) -> float:
    """Roll from the median angle of the mid-ankle to mid-shoulder line from the image vertical, degrees.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)

    Returns
    -------
    float
        NaN with fewer than :data:`MIN_FRAMES` usable frames.
    """
    with np.errstate(invalid="ignore"):
        up = (xy[:, lm.LEFT_SHOULDER] + xy[:, lm.RIGHT_SHOULDER]) / 2 - (
            xy[:, lm.LEFT_ANKLE] + xy[:, lm.RIGHT_ANKLE]
        ) / 2
        # A true vertical (0, -1) turned by the roll r becomes (sin r, -cos r).
        angle = np.degrees(np.arctan2(up[:, 0], -up[:, 1]))
    angle = angle[np.isfinite(angle) & (up[:, 1] < 0)]
    return float(np.median(angle)) if angle.size >= MIN_FRAMES else float("nan")


def ground_line_roll_deg(xy: np.ndarray, t_ms: np.ndarray, *, iterations: int = 3) -> float:
    """Roll from the slope of the line through the feet's ground points (side views), degrees.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
    t_ms : ndarray, shape (T,)
    iterations : int
        Estimate, turn the points level, estimate again: the ground band
        selects the whole stance once the line is level.

    Returns
    -------
    float
        NaN when the ground points are too few or span too little width.
    """
    from scipy import ndimage

    t_ms = np.asarray(t_ms, dtype=np.float64)
    feet = xy[:, list(_FOOT_POINTS)]  # (T, 4, 2)
    n = feet.shape[0]
    dt_ms = median_frame_interval_ms(t_ms)
    if not np.isfinite(dt_ms):
        return float("nan")
    window = min(max(int(round(2000.0 / dt_ms)), 3), n)
    scale = body_scale_px(xy)
    if not np.isfinite(scale):
        return float("nan")
    centre = np.nanmedian(feet.reshape(-1, 2), axis=0)
    roll = 0.0
    for _ in range(iterations):
        level = _turn(feet, -roll, centre)
        x, y = level[..., 0], level[..., 1]
        finite = np.isfinite(y)
        if finite.sum(axis=0).min() < MIN_FRAMES:
            return float("nan")
        frames = np.arange(n)
        filled = np.stack(
            [np.interp(frames, frames[finite[:, k]], y[finite[:, k], k]) for k in range(y.shape[1])], axis=1
        )
        lowest = ndimage.maximum_filter1d(filled, size=window, axis=0, mode="nearest")
        spread = np.array([np.ptp(np.percentile(y[finite[:, k], k], [5, 95])) for k in range(y.shape[1])])
        ground = finite & (y >= lowest - GROUND_BAND * spread)
        if ground.sum() < MIN_FRAMES:
            return float("nan")
        gx = np.where(ground, x, np.nan)
        if np.nanmax(gx) - np.nanmin(gx) < MIN_GROUND_SPREAD * scale:
            return float("nan")
        slope = _lower_envelope_slope(gx, np.where(ground, y, np.nan))
        if not np.isfinite(slope):
            return float("nan")
        roll += float(np.degrees(np.arctan(slope)))
    return roll


def _lower_envelope_slope(x: np.ndarray, y: np.ndarray, *, rounds: int = 1) -> float:
    """Slope dy/dx of one line (a separate offset per column) through the lowest points (largest y).

    A least-squares fit, then refits on the points at or below it: a foot
    hovering just above the ground before contact (at one end of the stance)
    would otherwise tilt the line.
    """
    use = np.isfinite(x) & np.isfinite(y)
    slope = float("nan")
    for _ in range(rounds + 1):
        gx, gy = np.where(use, x, np.nan), np.where(use, y, np.nan)
        dx = gx - np.nanmean(gx, axis=0)
        dy = gy - np.nanmean(gy, axis=0)
        ok = np.isfinite(dx) & np.isfinite(dy)
        sxx = float(np.sum(dx[ok] ** 2))
        if ok.sum() < MIN_FRAMES or sxx <= 0:
            return slope
        slope = float(np.sum(dx[ok] * dy[ok]) / sxx)
        below = ok & (dy - slope * dx >= 0)
        use = below
    return slope


def level_landmarks(xy: np.ndarray, roll_deg: float, centre: tuple[float, float]) -> np.ndarray:
    """Turn landmarks so that a line at ``roll_deg`` becomes horizontal.

    Parameters
    ----------
    xy : ndarray, shape (..., 2)
        Pixels, x right, y down.
    roll_deg : float
        The camera roll (:class:`RollEstimate` convention); 0 or NaN: unchanged.
    centre : (float, float)
        Point turned about (the frame's centre), px.

    Returns
    -------
    ndarray, float64, shape like ``xy``
    """
    xy = np.asarray(xy, dtype=np.float64)
    if not np.isfinite(roll_deg) or roll_deg == 0:
        return xy.copy()
    return _turn(xy, -roll_deg, np.asarray(centre, dtype=np.float64))


def _turn(xy: np.ndarray, angle_deg: float, centre: np.ndarray) -> np.ndarray:
    """Turn points by ``angle_deg`` (positive: clockwise on screen, as y points down) about ``centre``."""
    angle = np.radians(angle_deg)
    cos, sin = np.cos(angle), np.sin(angle)
    x, y = xy[..., 0] - centre[0], xy[..., 1] - centre[1]
    out = np.empty(np.broadcast(x, y).shape + (2,))
    out[..., 0] = cos * x - sin * y + centre[0]
    out[..., 1] = sin * x + cos * y + centre[1]
    return out
