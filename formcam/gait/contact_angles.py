"""Values read at foot contact, at the contact's time between frames.

Every value "at contact" (overstride, knee flexion, shank angle) is read at
the same instant, each contact's time between frames
(:func:`formcam.gait.events.refine_contacts`), from the unfiltered, measured
samples around it (:func:`value_at_event`): a fit either side that lets the
signal turn sharply there (:func:`corner_fit`), kept within the range the
samples take within one frame of the instant.  The value is read where the
contact is, never moved to where a signal looks like a landing: a real knee
is straightest about 20 ms before the foot lands and already flexing at
contact (docs/metrics-research.md section 3.1), so a reading moved to the
straightest knee, or overstride read there, describes late swing, not the
contact.
"""

from __future__ import annotations

import numpy as np

from formcam.gait.rhythm import median_frame_interval_ms

#: The angles at contact are fitted over this long either side of the contact, ms ...
CONTACT_ANGLE_WINDOW_MS = 80.0


#: ... and over at least this many frame intervals either side (133 ms at 30 fps).
CONTACT_ANGLE_MIN_FRAMES = 4


def value_at_event(values: np.ndarray, t_ms: np.ndarray, at_ms: np.ndarray, half_width_ms: float) -> np.ndarray:
    """A signal's value at instants between frames, e.g. foot contacts.

    Parameters
    ----------
    values : ndarray, shape (T,)
        The signal (an angle, degrees, or a distance, px), not low-passed;
        NaN where not measured.
    t_ms : ndarray, shape (T,)
        Frame times, ms, increasing.
    at_ms : ndarray, shape (n,)
        The instants, ms.
    half_width_ms : float
        Half width of the fit either side (:func:`corner_fit`), ms.

    Returns
    -------
    ndarray, shape (n,)
        ``a`` of :func:`corner_fit` (NaN where it has too few samples), kept
        within the samples within one frame interval of the instant, widened
        by the range of those within two, where a sample lies within one
        frame interval on each side.

    Notes
    -----
    The fit follows a knee that turns sharply at landing better than linear
    interpolation does, but near the end of a clip or a gap, or where the
    signal turns back within the window, its curves can run past anything the
    signal does near the instant (a knee read below its straightest point).
    A value at an event must lie within what the signal does around it, so
    the fit is clipped to the samples either side, with the room a corner
    between them needs: a signal turning between two samples passes them
    by less than it changes over the two frames either side.
    """
    values = np.asarray(values, dtype=np.float64)
    t_ms = np.asarray(t_ms, dtype=np.float64)
    at_ms = np.asarray(at_ms, dtype=np.float64)
    out = np.full(at_ms.size, np.nan)
    dt_ms = median_frame_interval_ms(t_ms)
    if not at_ms.size or not np.isfinite(dt_ms):
        return out
    fitted = corner_fit(values, t_ms, at_ms, half_width_ms)[:, 0]
    after = np.searchsorted(t_ms, np.where(np.isfinite(at_ms), at_ms, t_ms[0]))
    frames = np.clip(after[:, None] + np.arange(-2, 2)[None, :], 0, len(t_ms) - 1)  # two frames either side
    y = values[frames]
    distance = np.abs(t_ms[frames] - at_ms[:, None])
    close = distance <= dt_ms * (1 + 1e-6)
    # Bounded where a sample lies within one frame on each side: next to a gap the fit knows more than they do.
    bounded = (close & np.isfinite(y))[:, 1:3].all(axis=1)
    low, high = _row_range(y, close & np.isfinite(y))
    near_low, near_high = _row_range(y, (distance <= 2 * dt_ms * (1 + 1e-6)) & np.isfinite(y))
    room = near_high - near_low  # a signal turning between two samples passes them by less than this
    low, high = low - room, high + room
    out[:] = fitted
    out[bounded] = np.clip(fitted[bounded], low[bounded], high[bounded])
    return out


def _row_range(values: np.ndarray, use: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest of each row's used values, shape (n,) each; NaN for rows without one."""
    low = np.where(use, values, np.inf).min(axis=1)
    high = np.where(use, values, -np.inf).max(axis=1)
    return np.where(use.any(axis=1), low, np.nan), np.where(use.any(axis=1), high, np.nan)


def corner_fit(values: np.ndarray, t_ms: np.ndarray, at_ms: np.ndarray, half_width_ms: float) -> np.ndarray:
    """Two parabolas meeting at each instant, fitted to the samples either side (a signal's value at a corner).

    Parameters
    ----------
    values : ndarray, shape (T,)
        The signal (e.g. a joint angle, degrees), not low-passed; NaN where
        not measured.
    t_ms : ndarray, shape (T,)
        Frame times, ms, increasing.
    at_ms : ndarray, shape (n,)
        The instants (between frames), ms, e.g. refined foot contacts.
    half_width_ms : float
        The fit uses the samples within this long either side, ms.

    Returns
    -------
    ndarray, shape (n, 5)
        ``a, b1, c1, b2, c2`` of the least-squares fit, with
        ``d = (t - at) / half_width_ms``, ``a + b1 d + c1 d**2`` before and
        ``a + b2 d + c2 d**2`` after the instant (two parabolas that meet
        there, each with its own slope and curvature; ``a`` is the value
        there); NaN rows where fewer than five samples, or fewer than two on
        one side, are available.

    Notes
    -----
    At a foot's landing the leg's angles turn sharply: the knee, extending
    in late swing, flexes fast from contact on (docs/metrics-research.md section 3.1:
    Zeni's and Fellin's contacts are corners of the foot's own path).  The
    value at the corner is therefore read from neither a single frame nor a
    smoothed curve: the nearest frame lies up to half a frame along the
    steep side (at 60 fps up to 4-7° of knee flexion in one step), linear
    interpolation between the frames either side cuts the corner by as
    much, and the low-pass rounds it (+3° on the synthetic gaits; research
    note section 4 on filtering fast foot events).  A fit either side that meets at the
    corner (a quadratic regression spline whose knot lets the slope jump)
    uses every sample near it; the curvature terms follow a knee whose
    extension slows before landing as well as a sharp corner, over windows
    long enough (:data:`CONTACT_ANGLE_WINDOW_MS`) to average the jitter.
    Filled gaps and replaced outliers must be NaN here: their straight lines
    cut the very corner (the Hampel filter takes the knee's landing turn for
    a spike).
    """
    values = np.asarray(values, dtype=np.float64)
    t_ms = np.asarray(t_ms, dtype=np.float64)
    at_ms = np.asarray(at_ms, dtype=np.float64)
    out = np.full((at_ms.size, 5), np.nan)
    dt_ms = median_frame_interval_ms(t_ms)
    if not at_ms.size or not np.isfinite(dt_ms) or not np.isfinite(half_width_ms):
        return out
    reach = int(np.ceil(half_width_ms / dt_ms)) + 2  # frames either side to look at (skipped frames only shorten it)
    centre = np.searchsorted(t_ms, np.where(np.isfinite(at_ms), at_ms, t_ms[0]))
    frames = centre[:, None] + np.arange(-reach, reach + 1)[None, :]  # (n, 2 reach + 1)
    inside = (frames >= 0) & (frames < len(t_ms))
    frames = np.clip(frames, 0, len(t_ms) - 1)
    offset = (t_ms[frames] - at_ms[:, None]) / half_width_ms  # scaled to -1..1 for a well-conditioned fit
    y = values[frames]
    use = inside & np.isfinite(y) & (np.abs(offset) <= 1.0) & np.isfinite(at_ms)[:, None]
    design = _two_parabolas(offset) * use[..., None]
    normal = np.einsum("nkp,nkq->npq", design, design)
    right = np.einsum("nkp,nk->np", design, np.where(use, y, 0.0))
    solvable = (
        (use.sum(axis=1) >= 5) & ((use & (offset < 0)).sum(axis=1) >= 2) & ((use & (offset > 0)).sum(axis=1) >= 2)
    )
    normal[~solvable] = np.eye(5)  # placeholders; their rows stay NaN
    eigenvalues = np.linalg.eigvalsh(normal)  # ascending; repeated timestamps can leave too few distinct times
    solvable &= eigenvalues[:, 0] > 1e-10 * eigenvalues[:, -1]
    normal[~solvable] = np.eye(5)
    out[solvable] = np.linalg.solve(normal[solvable], right[solvable][..., None])[..., 0]
    return out


def _two_parabolas(d: np.ndarray) -> np.ndarray:
    """The terms ``1, d, d**2`` before and ``d, d**2`` after ``d = 0`` of :func:`corner_fit`'s curve.

    Shape ``d.shape + (5,)``.
    """
    before, after = np.minimum(d, 0.0), np.maximum(d, 0.0)
    return np.stack([np.ones_like(d), before, before**2, after, after**2], axis=-1)
