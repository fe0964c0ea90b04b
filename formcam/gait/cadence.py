"""Cadence (steps per minute) and the gait's phase fractions (flight, double support), from the events.

Cadence is the number of steps per minute from contact times, cross-checked
against the legs' rhythm and the hip's bounce; see :func:`estimate_cadence`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcam.gait.rhythm import CONFIRMED_RHYTHM_TOLERANCE, bounce_confirms_rhythm, bounce_spm, stride_period_ms
from formcam.gait.steps import MIN_REGULAR_STEPS, STEP_TIME_TOLERANCE, GaitEvents, regular_steps, stances

#: Contacts whose cadence differs from the legs' rhythm by more than this fraction are not trusted.
RHYTHM_TOLERANCE = 0.08


@dataclass(frozen=True)
class Cadence:
    """Steps per minute.

    Attributes
    ----------
    value_spm : float
        Steps (both feet) per minute; NaN when fewer than :data:`MIN_REGULAR_STEPS`
        regular steps were found.
    n_steps : int
        Step intervals used.
    confidence : float
        0-1: share of regular, alternating steps, agreement with the hip's
        bounce frequency, and number of steps.
    spectral_spm : float
        The mid-hip's vertical oscillation frequency in per minute (one
        oscillation per step), a cross-check; NaN if it has no clear peak.
    rhythm_spm : float
        Twice the legs' stride frequency in per minute
        (:func:`formcam.gait.rhythm.stride_period_ms`), the main cross-check; NaN
        without a clear stride.
    source : {'contacts', 'rhythm', 'none'}
        Where ``value_spm`` came from: the contact times, or the legs'
        rhythm when the contacts disagree with it.
    """

    value_spm: float = float("nan")
    n_steps: int = 0
    confidence: float = 0.0
    spectral_spm: float = float("nan")
    rhythm_spm: float = float("nan")
    source: str = "none"


def estimate_cadence(
    events: GaitEvents, t_ms: np.ndarray, xy: np.ndarray | None = None, *, stride_ms: float | None = None
) -> Cadence:
    """Steps per minute from contact times, cross-checked with the legs' rhythm and the hip's bounce.

    Parameters
    ----------
    events : GaitEvents
    t_ms : ndarray, shape (T,)
        Frame times, ms (real time).
    xy : ndarray, shape (T, 33, 2), optional
        Cleaned landmarks, for the cross-checks.
    stride_ms : float, optional
        The stride period (default measured from ``xy``).

    Returns
    -------
    Cadence

    Notes
    -----
    The step time is the slope of a least-squares line through the contact
    times against their step numbers, the step numbers counted in units of
    the median step time (so a missed contact does not halve a step, and the
    estimate is not limited to whole frames as a median of frame-quantised
    intervals would be: at 24 fps a 170 steps/min step is 8.5 frames).
    If the contacts do not alternate (one foot missed) while the mid-hip
    bounces at twice their rate, strides were taken for steps and the value
    is doubled.  The legs' rhythm (twice the stride frequency of the
    right-minus-left autocorrelation) is the stronger check, as it cannot
    mistake a stride for a step: contacts whose cadence is within
    :data:`RHYTHM_TOLERANCE` of it, or of half or twice it (a foot missed,
    or extra contacts), are corrected to it; contacts that match none give
    way to the rhythm itself, with half the confidence (``source:
    'rhythm'``).  Where the hip's bounce confirms the rhythm (within
    :data:`CONFIRMED_RHYTHM_TOLERANCE`), contacts more than twice that away
    from both give way too: two independent whole-body signals outvote
    contacts of which a few are misplaced.
    """
    t_ms = np.asarray(t_ms, dtype=np.float64)
    spectral = bounce_spm(xy, t_ms) if xy is not None else float("nan")
    if stride_ms is None:
        stride_ms = stride_period_ms(xy, t_ms) if xy is not None else float("nan")
    rhythm = 120000.0 / stride_ms if np.isfinite(stride_ms) and stride_ms > 0 else float("nan")
    from_contacts = _contact_cadence(events, t_ms, spectral)
    value, n_steps, confidence = from_contacts
    if n_steps < MIN_REGULAR_STEPS:
        return Cadence(n_steps=n_steps, spectral_spm=spectral, rhythm_spm=float(rhythm), source="none")
    source = "contacts" if np.isfinite(value) else "none"
    if np.isfinite(rhythm):
        ratio = value / rhythm if np.isfinite(value) else float("nan")
        rhythm_confirmed = bounce_confirms_rhythm(spectral, rhythm)
        if np.isfinite(ratio) and abs(ratio - 1) > 2 * CONFIRMED_RHYTHM_TOLERANCE and rhythm_confirmed:
            value, confidence, source = rhythm, 0.7 * confidence, "rhythm"
        elif np.isfinite(ratio) and abs(ratio - 1) <= RHYTHM_TOLERANCE:
            pass
        elif np.isfinite(ratio) and min(abs(ratio - 0.5), abs(ratio - 2.0)) <= 2 * RHYTHM_TOLERANCE:
            value, confidence = rhythm, 0.7 * confidence
        else:
            value, confidence, source = rhythm, 0.5 * max(confidence, min(1.0, np.sqrt(n_steps / 14.0))), "rhythm"
    return Cadence(
        value_spm=float(value),
        n_steps=n_steps,
        confidence=float(confidence),
        spectral_spm=spectral,
        rhythm_spm=float(rhythm),
        source=source,
    )


def _contact_cadence(events: GaitEvents, t_ms: np.ndarray, spectral: float) -> tuple[float, int, float]:
    """Cadence from the contact times alone: (steps/min, regular steps, confidence); NaN when too few."""
    nothing = (float("nan"), 0, 0.0)
    frames = np.asarray(events.contact_frames, dtype=int)
    if len(frames) < 3:
        return nothing
    times = t_ms[frames]
    intervals = np.diff(times)
    if not (intervals > 0).any():
        return nothing
    sides = np.asarray(events.contact_sides)
    alternation = float(np.mean(sides[1:] != sides[:-1]))
    step = float(np.median(intervals[intervals > 0]))
    # Number each contact's step by rounding each interval on its own (no drift from a
    # frame-quantised median); a contact within half a step of the previous one is a duplicate.
    increments = np.round(intervals / step)
    keep = np.concatenate([[True], increments > 0])
    times = times[keep]
    step_index = np.concatenate([[0.0], np.cumsum(increments[increments > 0])])
    if len(times) < 3:
        return nothing
    for _ in range(2):  # fit, drop contacts far off the line, refit
        slope, intercept = np.polyfit(step_index, times, 1) if np.ptp(step_index) > 0 else (step, times[0])
        residual = np.abs(times - (intercept + slope * step_index))
        keep = residual <= 0.25 * slope
        if keep.sum() < 3 or keep.all():
            break
        times, step_index = times[keep], step_index[keep]
    step = float(slope)
    value = 60000.0 / step if step > 0 else float("nan")
    regular = intervals[np.abs(intervals - step) <= STEP_TIME_TOLERANCE * step]
    n_steps = int(len(regular))

    if alternation < 0.5 and np.isfinite(spectral) and abs(2 * value - spectral) <= 0.1 * spectral:
        value, alternation = 2 * value, 0.5
    if np.isfinite(spectral):
        agreement = 1.0 if abs(value - spectral) <= 0.05 * spectral else 0.6
    else:
        agreement = 0.8
    regularity = n_steps / max(len(intervals), 1)
    amount = min(1.0, np.sqrt(n_steps / 14.0))
    confidence = float(np.clip(regularity * alternation * agreement * amount, 0.0, 1.0))
    return float(value), n_steps, confidence


def gait_phase_fractions(xy: np.ndarray | None, t_ms: np.ndarray, events: GaitEvents) -> dict:
    """Share of the gait with no foot on the ground (flight) and with both (double support).

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2) or None
        Unused for now (kept for foot-height based refinements).
    t_ms : ndarray, shape (T,)
        Frame times, ms.
    events : GaitEvents

    Returns
    -------
    dict
        ``flight``, ``double_support``, ``single_support`` (fractions of the
        time of the regular steps used, NaN when none) and ``n_steps``.

    Notes
    -----
    Per regular step from contact ``c_i`` to the other foot's contact
    ``c_i+1``: flight is ``max(0, c_i+1 - toe_off_i)`` and double support
    ``max(0, toe_off_i-1 - c_i)`` (the previous foot still down after this
    contact).  Running has flight and no double support; walking the reverse.
    """
    t_ms = np.asarray(t_ms, dtype=np.float64)
    nan = {"flight": float("nan"), "double_support": float("nan"), "single_support": float("nan"), "n_steps": 0}
    steps = regular_steps(events, t_ms)
    if not steps.size:
        return nan
    st = stances(events)
    steps = steps[(steps >= 1) & (steps + 1 < len(st.contact_frames))]
    steps = steps[st.complete[steps] & st.complete[steps - 1] & (st.sides[steps - 1] != st.sides[steps])]
    if not steps.size:
        return nan
    contact = t_ms[st.contact_frames[steps]]
    next_contact = t_ms[st.contact_frames[steps + 1]]
    toe_off = t_ms[st.toe_off_frames[steps]]
    previous_toe_off = t_ms[st.toe_off_frames[steps - 1]]
    duration = next_contact - contact
    flight = np.clip(next_contact - toe_off, 0, duration)
    double = np.clip(previous_toe_off - contact, 0, duration)
    total = duration.sum()
    if not total > 0:
        return nan
    flight_f, double_f = float(flight.sum() / total), float(double.sum() / total)
    return {
        "flight": flight_f,
        "double_support": double_f,
        "single_support": float(max(0.0, 1 - flight_f - double_f)),
        "n_steps": int(steps.size),
    }
