"""Per-step windows of per-frame signals, and their peaks: running means, windows, refined extrema.

A metric's per-step value is a peak or median of a per-frame signal over a
stance or a step; these gather the windows (NaN-padded matrices, one row per
step) and take the peaks without per-frame loops.
"""

from __future__ import annotations

import numpy as np

from formcam.gait.rhythm import median_frame_interval_ms
from formcam.gait.steps import StepValue, step_rows

#: Frontal peaks (pelvic drop, shoulder dip, side lean) are taken after a running mean over this long, ms.
PEAK_SMOOTHING_MS = 60.0


def peak_half_window(t_ms: np.ndarray) -> int:
    """Half-width in frames of the running mean taken before peaks (:data:`PEAK_SMOOTHING_MS`)."""
    dt_ms = median_frame_interval_ms(t_ms)
    return int(round(PEAK_SMOOTHING_MS / 2 / dt_ms)) if np.isfinite(dt_ms) else 0


def running_mean(values: np.ndarray, half: int) -> np.ndarray:
    """Centred mean over ``2 * half + 1`` samples, ignoring NaN (NaN where the sample itself is NaN).

    The peak of a noisy signal overestimates the peak of the signal by about
    one noise standard deviation; averaging the frames within
    +-:data:`PEAK_SMOOTHING_MS` / 2 of each first halves that bias, while a
    stride-long peak loses a few percent of its height, which
    :func:`running_mean_gain` gives back.
    """
    values = np.asarray(values, dtype=np.float64)
    if half < 1 or values.size == 0:
        return values.copy()
    finite = np.isfinite(values)
    kernel = np.ones(2 * half + 1)
    # 'full' then a centred slice: 'same' returns the kernel's length when the kernel is the longer.
    centred = slice(half, half + values.size)
    total = np.convolve(np.where(finite, values, 0.0), kernel, mode="full")[centred]
    count = np.convolve(finite.astype(float), kernel, mode="full")[centred]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(finite, total / count, np.nan)


def running_mean_gain(half: int, dt_ms: float, period_ms: float) -> float:
    """Gain of :func:`running_mean` (``2 * half + 1`` samples) on a sinusoid of the given period.

    The frontal tilts swing once per stride; dividing the averaged signal by
    this gain (at most a few percent below 1) gives their peaks back at full
    height.  1 when ``half`` is 0 or the period is unknown.
    """
    width = 2 * half + 1
    if half < 1 or not (np.isfinite(dt_ms) and np.isfinite(period_ms) and period_ms > 0):
        return 1.0
    phase = np.pi * dt_ms / period_ms
    gain = np.sin(width * phase) / (width * np.sin(phase))
    return float(gain) if 0.5 < gain <= 1.0 else 1.0


def window_matrix(values: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gather ``values[start:stop]`` for each window into a NaN-padded matrix.

    Returns
    -------
    frames : ndarray, int, shape (n, L)
        Frame of each cell (clipped into range for padding cells).
    window_values : ndarray, float64, shape (n, L)
        NaN beyond each window's end.
    """
    starts, stops = np.asarray(starts, dtype=int), np.asarray(stops, dtype=int)
    n_frames = len(values)
    stops = np.minimum(stops, n_frames)
    length = int(max((stops - starts).max(), 1)) if starts.size else 1
    frames = starts[:, None] + np.arange(length)[None, :]
    inside = frames < stops[:, None]
    frames = np.minimum(frames, n_frames - 1)
    return frames, np.where(inside, values[frames], np.nan)


def peak_rows(sides, frames_w, w, how: str) -> list[StepValue]:
    """Per window: (side, frame of the peak, peak value); 'max' or 'absmax' (signed value of largest magnitude)."""
    if not len(w):
        return []
    key = w if how == "max" else np.abs(w)
    finite = np.isfinite(key).any(axis=1)
    col = np.argmax(np.where(np.isfinite(key), key, -np.inf), axis=1)
    rows = np.arange(len(w))
    values = np.where(finite, w[rows, col], np.nan)
    return step_rows(sides, frames_w[rows, col], values)


def refined_extrema(y: np.ndarray) -> np.ndarray:
    """``y`` with each local extremum replaced by its parabola-interpolated value.

    Peak-to-trough travel from sampled frames underestimates the true travel
    by up to ``1 - cos(pi f / fps)`` of it (7 % for 2.8 Hz at 24 fps); the
    three-point parabola through each extremum removes most of that.
    """
    y = np.asarray(y, dtype=np.float64)
    out = y.copy()
    if len(y) < 3:
        return out
    a, b, c = y[:-2], y[1:-1], y[2:]
    with np.errstate(invalid="ignore", divide="ignore"):
        curvature = a - 2 * b + c
        extremum = ((b >= a) & (b >= c)) | ((b <= a) & (b <= c))
        vertex = b - (c - a) ** 2 / (8 * curvature)
        use = extremum & np.isfinite(vertex) & (curvature != 0)
    out[1:-1] = np.where(use, vertex, b)
    return out
