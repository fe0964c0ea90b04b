"""Slow motion without metadata: how many times slower than life a clip plays.

A phone or a lab camera can write a slow-motion clip whose timestamps are
those of playback, with nothing in the file saying so.  Every running cue the
kinematics core uses is a ratio of times or an angle, so such a clip still
looks like running, only with a cadence no runner has.  The factor is read in
two steps:

1. **The step period, unbounded** (:func:`leg_stride_ms`): the legs'
   right-minus-left difference repeats every stride
   (:mod:`formcam.gait.rhythm`), searched at any lag up to a third of the clip
   rather than in running's 0.4-2 s, which a clip ten times slow leaves far
   behind.  A stride slower than :data:`SLOW_STRIDE_SPM` steps/min is a
   candidate.
2. **The knee fold and the flight phase at the guessed speed**: the clip's
   times divided by the factor a typical cadence gives
   (:data:`TYPICAL_CADENCE`) are analysed again, and only when that says
   running (the swing knee folds like running's, a flight phase, regular
   alternating steps) at a running cadence (:data:`RUNNING_CADENCE`) is the
   clip slow motion.  Walking slowed down folds its knees too little and has
   no flight, at any speed.  The factor is then the typical cadence over the
   clip's own (the re-analysis's cadence, times the guess).

Runners' cadences lie within about 15 % of 170 steps/min (150-195: Heiderscheit
et al. 2011; Lieberman et al. 2015), so the factor is within about 15 % of
the truth, and rounded to a whole number for the advice.
"""

from __future__ import annotations

import numpy as np

from formcam.gait.rhythm import _autocorrelation, leg_difference, median_frame_interval_ms, refined_lag_ms

#: A typical running cadence, steps/min: the factor is this over the clip's cadence.
TYPICAL_CADENCE = 170.0
#: The legs' stride read slower than this (steps/min, two per stride) is a slow-motion candidate.
SLOW_STRIDE_SPM = 120.0
#: Cadences (steps/min) a runner has at the guessed speed: outside them the guess is not confirmed.
RUNNING_CADENCE = (130.0, 230.0)
#: From this estimated factor on, the clip is refused with the advice (1.5: at most 113 steps/min as
#: filmed, slower than anyone runs; between it and 120 steps/min only a warning says it).
MIN_REFUSED_FACTOR = 1.5
#: Shortest stride searched, ms (running's shortest: 0.4 s).
MIN_STRIDE_MS = 400.0


def leg_stride_ms(xy: np.ndarray, t_ms: np.ndarray) -> float:
    """The stride period from the legs' left-right autocorrelation, searched up to a third of the clip.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Cleaned landmark pixels.
    t_ms : ndarray, shape (T,)

    Returns
    -------
    float
        ms; NaN without a clear stride (its autocorrelation below a fifth of
        the signal's power, or no peak after the first negative lobe).

    Notes
    -----
    ``D = right - left`` turns into ``-D`` half a stride on and back after a
    whole one, so the highest autocorrelation after its first negative lobe
    is the stride, whatever its length: the search needs no upper bound but
    the clip's (three strides at least).
    """
    xy = np.asarray(xy, dtype=np.float64)
    n = xy.shape[0] if xy.ndim == 3 else 0
    dt_ms = median_frame_interval_ms(t_ms)
    if n < 30 or not np.isfinite(dt_ms):
        return float("nan")
    diff = leg_difference(xy)
    if np.isfinite(diff).all(axis=1).sum() < n // 2:
        return float("nan")
    hi = n // 3
    auto = _autocorrelation(diff, hi + 2)
    if not auto[0] > 0:
        return float("nan")
    negative = np.flatnonzero(auto[:hi] < 0)
    lo = max(int(np.ceil(MIN_STRIDE_MS / dt_ms)), int(negative[0]) if negative.size else hi)
    if lo >= hi:
        return float("nan")
    lag = lo + int(np.argmax(auto[lo : hi + 1]))
    if not (lo < lag < hi and auto[lag] > 0.2 * auto[0]):
        return float("nan")
    return refined_lag_ms(auto, lag, t_ms)


def slow_motion_guess(stride_ms: float) -> float | None:
    """The factor a typical cadence gives for this stride, or None when the stride is not slow."""
    if not (np.isfinite(stride_ms) and stride_ms > 0):
        return None
    spm = 120_000.0 / stride_ms
    return TYPICAL_CADENCE / spm if spm < SLOW_STRIDE_SPM else None


def confirmed_factor(guess: float, cadence_at_guess_spm: float, is_running_at_guess: bool) -> float | None:
    """The factor, when the clip re-timed by ``guess`` is running at a running cadence; else None.

    ``cadence_at_guess_spm`` is the re-analysis's cadence: the clip's own
    cadence is that over ``guess``, and the factor :data:`TYPICAL_CADENCE` over it.
    """
    low, high = RUNNING_CADENCE
    if not (is_running_at_guess and np.isfinite(cadence_at_guess_spm) and low <= cadence_at_guess_spm <= high):
        return None
    return float(guess * TYPICAL_CADENCE / cadence_at_guess_spm)


def advised_factor(estimate: float, applied: float = 1.0) -> int:
    """The whole ``--slowmo`` to give: the estimate times any factor the times were already divided by."""
    return max(2, int(round(estimate * applied)))
