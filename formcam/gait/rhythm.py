"""The gait's clock: frame intervals, the legs' stride period and the hip's bounce frequency.

Every stage needs these, so they sit below all of them: the frame interval
turns windows given in ms into frames; the stride period
(:func:`stride_period_ms`, from the autocorrelation of the legs'
right-minus-left difference, which cannot mistake a stride for a step) gates
contacts and undoes swaps; the hip's bounce (:func:`bounce_spm`, once per
step) confirms it.
"""

from __future__ import annotations

import numpy as np

# scipy is imported inside the functions that use it: importing it takes about a second, which
# formcam spends while the pose model runs (pipeline.preload_analysis_libraries), not before.
from formcam.pose import landmarks as lm

#: The legs' landmarks (left index; right = its twin): their right-minus-left difference repeats every stride.
LEG_POINTS = (lm.LEFT_KNEE, lm.LEFT_ANKLE, lm.LEFT_HEEL, lm.LEFT_FOOT_INDEX)
#: The hip's bounce confirms the legs' rhythm within this fraction (see :func:`bounce_confirms_rhythm`).
CONFIRMED_RHYTHM_TOLERANCE = 0.015


#: Frame intervals below this (ms; 20,000 frames/s) are not real timing: the stages give up rather than
#: build filters and windows millions of frames long.
MIN_FRAME_INTERVAL_MS = 0.05


def median_frame_interval_ms(t_ms: np.ndarray) -> float:
    """Median positive interval between frames in ms; NaN with fewer than two frames or implausible timing."""
    t_ms = np.asarray(t_ms, dtype=np.float64)
    if t_ms.size < 2:
        return float("nan")
    dt = np.diff(t_ms)
    dt = dt[np.isfinite(dt) & (dt > 0)]
    median = float(np.median(dt)) if dt.size else float("nan")
    return median if median >= MIN_FRAME_INTERVAL_MS else float("nan")


def sample_interval_ms(t_ms: np.ndarray) -> float:
    """Mean time per sample in ms, to turn a lag or frequency counted in samples into time.

    Frames a phone skips lengthen the mean interval but not the median one, so a period counted in
    samples and scaled by the median is short by the skipped share (2 % skipped: cadence 2-3 % high).
    Falls back to :func:`median_frame_interval_ms` where the timestamps are implausible.
    """
    median = median_frame_interval_ms(t_ms)
    t_ms = np.asarray(t_ms, dtype=np.float64)
    mean = float((t_ms[-1] - t_ms[0]) / (t_ms.size - 1)) if np.isfinite(median) else float("nan")
    return mean if np.isfinite(mean) and 0.5 * median <= mean <= 2.0 * median else median


def stride_frames(diff: np.ndarray, dt_ms: float) -> int | None:
    """The gait's stride in frames, from the autocorrelation of the legs' left-right difference.

    Parameters
    ----------
    diff : ndarray, shape (T, K)
        ``right - left`` coordinates of the legs' landmarks (NaN where missing).
    dt_ms : float
        Frame interval, ms.

    Returns
    -------
    int or None
        The lag, between 0.4 and 2 s, of the highest autocorrelation; None
        when it holds less than a fifth of the signal's power (no gait) or
        the clip is shorter than two of the shortest strides.

    Notes
    -----
    The right leg repeats the left half a stride later, so ``D = right -
    left`` turns into ``-D`` after half a stride and back after a whole one:
    its autocorrelation peaks at the stride, never at a single step, and
    left/right swap bursts (rare and short) hardly move it.
    """
    return _stride_lag(diff, dt_ms)[0]


def _stride_lag(diff: np.ndarray, dt_ms: float) -> tuple[int | None, np.ndarray]:
    """(stride in frames or None, the autocorrelation it was read from)."""
    n = diff.shape[0]
    lo, hi = int(np.ceil(400.0 / dt_ms)), int(2000.0 / dt_ms)
    finite = np.isfinite(diff).all(axis=1)
    if finite.sum() < 2 * lo or n <= 2 * lo:
        return None, np.zeros(0)
    hi = min(hi, n // 2)
    auto = _autocorrelation(diff, hi + 2)
    if hi <= lo or not auto[0] > 0:
        return None, auto
    lag = lo + int(np.argmax(auto[lo : hi + 1]))
    # The largest value at either end of the search is no peak: the stride lies outside it (a clip in slow
    # motion, say), and a lag there would overrule the contacts with a rhythm the legs do not have.
    peak = lo < lag < hi and auto[lag] >= max(auto[lag - 1], auto[lag + 1])
    return (lag if peak and auto[lag] > 0.2 * auto[0] else None), auto


def stride_period_ms(xy: np.ndarray, t_ms: np.ndarray) -> float:
    """The gait's stride period in ms from the legs' left-right autocorrelation (:func:`stride_frames`).

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Cleaned landmark pixels.
    t_ms : ndarray, shape (T,)

    Returns
    -------
    float
        The peak lag refined between frames by a parabola through its
        neighbours, times the median frame interval; NaN without a clear
        stride.
    """
    xy = np.asarray(xy, dtype=np.float64)
    n = xy.shape[0] if xy.ndim == 3 else 0
    dt_ms = median_frame_interval_ms(t_ms)
    if n < 10 or not np.isfinite(dt_ms):
        return float("nan")
    lag, auto = _stride_lag(leg_difference(xy), dt_ms)
    if lag is None:
        return float("nan")
    return refined_lag_ms(auto, lag, t_ms)


def leg_difference(xy: np.ndarray) -> np.ndarray:
    """``right - left`` coordinates of the legs' landmarks (:data:`LEG_POINTS`), shape (T, K); NaN where missing."""
    left = np.asarray(LEG_POINTS)
    return (xy[:, left + 1] - xy[:, left]).reshape(xy.shape[0], -1)


def refined_lag_ms(auto: np.ndarray, lag: int, t_ms: np.ndarray) -> float:
    """An autocorrelation peak's lag refined between frames by a parabola through its neighbours, in ms."""
    a, b, c = auto[lag - 1], auto[lag], auto[min(lag + 1, len(auto) - 1)]
    curvature = a - 2 * b + c
    offset = 0.5 * (a - c) / curvature if curvature < 0 else 0.0
    return float((lag + np.clip(offset, -0.5, 0.5)) * sample_interval_ms(t_ms))


def _autocorrelation(diff: np.ndarray, max_lag: int) -> np.ndarray:
    """Summed autocorrelation of the columns of ``diff`` (NaN rows as zeros, means removed), lags 0..max_lag-1."""
    n = diff.shape[0]
    finite = np.isfinite(diff).all(axis=1)
    if not finite.any():
        return np.zeros(max_lag)
    centred = np.where(finite[:, None], diff - np.nanmean(diff[finite], axis=0), 0.0)
    n_fft = int(2 ** np.ceil(np.log2(2 * n)))
    spectrum = np.fft.rfft(centred, n_fft, axis=0)
    return np.fft.irfft(np.sum(np.abs(spectrum) ** 2, axis=1), n_fft)[:max_lag]


def bounce_confirms_rhythm(spectral_spm: float, rhythm_spm: float) -> bool:
    """Whether the hip's bounce (:func:`bounce_spm`) and the legs' rhythm agree within
    :data:`CONFIRMED_RHYTHM_TOLERANCE`, both in steps/min (NaN: they do not)."""
    return bool(abs(spectral_spm / rhythm_spm - 1.0) <= CONFIRMED_RHYTHM_TOLERANCE)


def bounce_spm(xy: np.ndarray, t_ms: np.ndarray) -> float:
    """Dominant frequency of the mid-hip's vertical motion in 0.7-4.5 Hz, per minute; NaN if unclear."""
    from scipy import signal

    xy = np.asarray(xy, dtype=np.float64)
    if xy.ndim != 3 or xy.shape[0] < 16:
        return float("nan")
    dt_ms = median_frame_interval_ms(t_ms)
    if not np.isfinite(dt_ms):
        return float("nan")
    with np.errstate(invalid="ignore"):
        y = (xy[:, lm.LEFT_HIP, 1] + xy[:, lm.RIGHT_HIP, 1]) / 2
    finite = np.isfinite(y)
    if finite.sum() < 16:
        return float("nan")
    frames = np.arange(len(y))
    y = np.interp(frames, frames[finite], y[finite])
    y = signal.detrend(y)
    if not np.any(y):
        return float("nan")
    n_fft = int(2 ** np.ceil(np.log2(len(y) * 8)))
    power = np.abs(np.fft.rfft(y * np.hanning(len(y)), n_fft)) ** 2
    freq = np.fft.rfftfreq(n_fft, sample_interval_ms(t_ms) / 1000.0)
    band = (freq >= 0.7) & (freq <= 4.5)
    if not band.any() or not power[band].any():
        return float("nan")
    peak = np.flatnonzero(band)[np.argmax(power[band])]
    # A clear peak holds a fair share of the band's power.
    if power[peak] < 5 * np.median(power[band]):
        return float("nan")
    return float(freq[peak] * 60.0)
