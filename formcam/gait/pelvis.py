"""The pelvis line from two skin markers: the clinical 2-D pelvic-drop method.

Physios measure pelvic drop on video from behind with a sticker on each
posterior superior iliac spine (PSIS): the line between them is the pelvis's
frontal-plane tilt (Dingenen et al. 2018).  :mod:`formcam.pose.markers` finds
the stickers in the frames; this module turns their tracks (pixels of the
upright frame, the runner's left then right) into the levelled line and its
tilt, filling short gaps (an arm swinging past, a blurred frame) and leaving
long ones out.  Pose-model hip points do not follow the pelvis
(docs/validation.md), so without markers there is no pelvic-drop value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcam.gait.roll import level_landmarks

#: Gaps in a marker track up to this long are filled by linear interpolation (an arm passing the sticker).
MAX_FILL_MS = 120.0
#: Fewer frames than this share with both markers: the tracks are not used.
MIN_SEEN_FRACTION = 0.5


@dataclass(frozen=True)
class MarkerLine:
    """The pelvis line of a clip, from its two marker tracks.

    Attributes
    ----------
    xy : ndarray, float64, shape (T, 2, 2)
        Marker centres (the runner's left, then right), levelled (camera roll
        removed) and short gaps filled, px; NaN in long gaps.
    tilt_deg : ndarray, float64, shape (T,)
        Tilt of the left-to-right marker line from horizontal, degrees,
        positive = the runner's right marker lower; NaN where unknown.
    seen : ndarray, bool, shape (T,)
        Both markers were measured in the frame (not filled).
    picture_xy : ndarray, float64, shape (T, 2, 2)
        The same in the picture's own pixels (the roll not removed), for drawing.
    filled : int
        Frames filled in short gaps.
    left_out : int
        Frames in gaps too long to fill.
    """

    xy: np.ndarray
    tilt_deg: np.ndarray
    seen: np.ndarray
    filled: int
    left_out: int
    picture_xy: np.ndarray | None = None

    @property
    def usable(self) -> bool:
        """Enough frames with both markers to measure from."""
        return bool(self.seen.size) and float(np.mean(self.seen)) >= MIN_SEEN_FRACTION

    def summary(self) -> dict:
        """What the report says about the tracks."""
        return {
            "frames_seen": int(self.seen.sum()),
            "frames_filled": self.filled,
            "frames_left_out": self.left_out,
            "max_fill_ms": MAX_FILL_MS,
        }


def marker_line(
    markers_xy: np.ndarray, t_ms: np.ndarray, *, roll_deg: float = 0.0, centre: tuple[float, float] = (0.0, 0.0)
) -> MarkerLine:
    """Level the marker tracks, fill their short gaps and measure the line's tilt.

    Parameters
    ----------
    markers_xy : ndarray, shape (T, 2, 2)
        Marker centres (the runner's left, then right), px, NaN where not seen.
    t_ms : ndarray, shape (T,)
        Frame times, ms, increasing.
    roll_deg, centre
        The camera roll removed from everything else, and the point it turns
        about (:func:`formcam.gait.roll.level_landmarks`).

    Returns
    -------
    MarkerLine
    """
    picture = np.asarray(markers_xy, dtype=np.float64)
    t_ms = np.asarray(t_ms, dtype=np.float64)
    seen = np.asarray(np.isfinite(picture).all(axis=(1, 2)))
    picture = fill_short_gaps(picture.reshape(len(picture), 4), t_ms, seen, MAX_FILL_MS).reshape(picture.shape)
    filled_xy = level_landmarks(picture, roll_deg, centre)
    known = np.isfinite(filled_xy).all(axis=(1, 2))
    d = filled_xy[:, 1] - filled_xy[:, 0]
    with np.errstate(invalid="ignore"):
        tilt = np.degrees(np.arctan2(d[:, 1], np.abs(d[:, 0])))
    return MarkerLine(
        xy=filled_xy,
        tilt_deg=np.where(known, tilt, np.nan),
        seen=seen,
        filled=int((known & ~seen).sum()),
        left_out=int((~known).sum()),
        picture_xy=picture,
    )


def fill_short_gaps(values: np.ndarray, t_ms: np.ndarray, seen: np.ndarray, max_gap_ms: float) -> np.ndarray:
    """Interpolation across the gaps of ``values`` no longer than ``max_gap_ms``.

    Parameters
    ----------
    values : ndarray, shape (T, K)
        Series, one per column, NaN where ``seen`` is False.
    t_ms : ndarray, shape (T,)
    seen : ndarray, bool, shape (T,)
        Where every column holds a measurement.
    max_gap_ms : float
        The longest gap filled: from the last measurement before it to the first after it.

    Returns
    -------
    ndarray, shape (T, K)
        Measured frames unchanged; frames in short gaps interpolated (a cubic spline); the
        rest (long gaps, before the first and after the last measurement) NaN.
    """
    out = np.full_like(values, np.nan, dtype=np.float64)
    index = np.flatnonzero(seen)
    if index.size < 2:
        out[seen] = values[seen]
        return out
    frames = np.arange(len(t_ms))
    # The measurement before and after each frame; frames outside the measured span have none.
    before = np.maximum.accumulate(np.where(seen, frames, -1))
    after = np.minimum.accumulate(np.where(seen, frames, len(frames))[::-1])[::-1]
    inside = (before >= 0) & (after < len(frames))
    gap_ms = np.where(inside, t_ms[np.minimum(after, len(frames) - 1)] - t_ms[np.maximum(before, 0)], np.inf)
    fill = seen | (inside & (gap_ms <= max_gap_ms))
    # Imported here: the command line starts without scipy and loads it in the background (formcam.pipeline).
    from scipy.interpolate import CubicSpline

    # A cubic spline through the measurements, not straight lines: an arm passing a sticker hides it around
    # midstance, where the pelvis tilts most, and a chord across that peak would cut it short.
    spline = CubicSpline(t_ms[index], values[index], axis=0)
    out[fill] = spline(t_ms[fill])
    out[seen] = values[seen]
    return out


def values_at(signal: np.ndarray, t_ms: np.ndarray, when_ms: np.ndarray, half_window_ms: float) -> np.ndarray:
    """The mean of ``signal`` over ``when_ms ± half_window_ms``, read at five evenly spaced times.

    ``signal`` (T,) is interpolated linearly between frames; a NaN next to
    any of the five times makes the value NaN (it is not read across a gap).
    Returns shape ``when_ms.shape``.
    """
    offsets = np.linspace(-half_window_ms, half_window_ms, 5)
    times = np.asarray(when_ms, dtype=np.float64)[:, None] + offsets[None, :]
    if len(t_ms) < 2:
        return np.full(np.shape(when_ms), np.nan)
    read = np.interp(times, t_ms, signal, left=np.nan, right=np.nan)
    return read.mean(axis=1)
