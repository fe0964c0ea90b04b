"""Values read at foot contact: the frame to read overstride at, and angles at the contact's corner between frames.

Values "at contact" are taken at each contact's time between frames
(:func:`formcam.gait.events.refine_contacts`): overstride at the straightest
stance knee just before it (:func:`landing_frames`), the knee and shin angles
from a fit either side of it to the unfiltered, measured samples
(:func:`value_at_corner`), since they turn sharply there, moved to the
knee's own landing where the knee shows the contact a little late or early
(:func:`knee_landing_times`).
"""

from __future__ import annotations

import numpy as np

from formcam.gait.geometry import knee_flexion_deg
from formcam.gait.rhythm import median_frame_interval_ms

#: Overstride is read at the straightest stance knee within this long before the contact, ms.
LANDING_WINDOW_MS = 40.0


#: The angles at contact are fitted over this long either side of the contact, ms ...
CONTACT_ANGLE_WINDOW_MS = 80.0


#: ... and over at least this many frame intervals either side (133 ms at 30 fps).
CONTACT_ANGLE_MIN_FRAMES = 4


#: The knee's own landing (its straightest point) is looked for within this long either side of the contact, ms.
KNEE_LANDING_REACH_MS = 40.0


def landing_frames(
    xy: np.ndarray, t_ms: np.ndarray, frames: np.ndarray, sides: np.ndarray, contact_t_ms: np.ndarray | None = None
) -> np.ndarray:
    """The frame at which to read each contact's overstride: the straightest stance knee just before contact.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
    t_ms : ndarray, shape (T,)
    frames : ndarray, int, shape (n,)
        Contact frames (the last frame at or before each contact).
    sides : ndarray, str, shape (n,)
        Stance side of each contact.
    contact_t_ms : ndarray, shape (n,), optional
        Contact times between frames.

    Returns
    -------
    ndarray, int, shape (n,)
        Of the frames within :data:`LANDING_WINDOW_MS` (at least one frame)
        before each contact, the one where the stance knee is straightest.

    Notes
    -----
    The knee is still (slightly extending) just before landing and flexes
    fast after it, so a contact timed a little late reads several degrees
    too much flexion, one timed early hardly any.  Within the timing
    uncertainty of a frame or two the straightest knee marks the landing.
    """
    frames = np.asarray(frames, dtype=int)
    if not frames.size:
        return frames
    t_ms = np.asarray(t_ms, dtype=np.float64)
    dt_ms = median_frame_interval_ms(t_ms)
    reach = max(int(np.ceil(LANDING_WINDOW_MS / dt_ms)), 1) if np.isfinite(dt_ms) else 1
    candidates = np.clip(frames[:, None] - np.arange(reach + 1)[None, :], 0, len(t_ms) - 1)  # (n, reach+1)
    anchor = t_ms[frames] if contact_t_ms is None else np.where(np.isfinite(contact_t_ms), contact_t_ms, t_ms[frames])
    inside = t_ms[candidates] >= anchor[:, None] - max(LANDING_WINDOW_MS, dt_ms if np.isfinite(dt_ms) else 0) - 1e-6
    inside[:, 0] = True
    flex = np.where(
        np.asarray(sides)[:, None] == "left",
        knee_flexion_deg(xy[candidates.ravel()], "left").reshape(candidates.shape),
        knee_flexion_deg(xy[candidates.ravel()], "right").reshape(candidates.shape),
    )
    flex = np.where(inside & np.isfinite(flex), flex, np.inf)
    best = np.argmin(flex, axis=1)
    return np.where(np.isfinite(flex[np.arange(len(frames)), best]), candidates[np.arange(len(frames)), best], frames)


def value_at_corner(values: np.ndarray, t_ms: np.ndarray, at_ms: np.ndarray, half_width_ms: float) -> np.ndarray:
    """The value of a signal at instants where its rate changes abruptly, from a curve fitted either side.

    ``a`` of :func:`corner_fit` (see there).
    """
    return corner_fit(values, t_ms, at_ms, half_width_ms)[:, 0]


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


def knee_landing_times(
    knee_flexion: np.ndarray,
    t_ms: np.ndarray,
    contact_t_ms: np.ndarray,
    half_width_ms: float,
    reach_ms: float = KNEE_LANDING_REACH_MS,
) -> np.ndarray:
    """The knee's own landing near each contact: the straightest point of the corner fit there.

    Parameters
    ----------
    knee_flexion : ndarray, shape (T,)
        Knee flexion of the stance leg, degrees, not low-passed; NaN where
        not measured.
    t_ms : ndarray, shape (T,)
        Frame times, ms, increasing.
    contact_t_ms : ndarray, shape (n,)
        The detected contacts, ms.
    half_width_ms : float
        The corner fit's half width (:func:`corner_fit`), ms.
    reach_ms : float
        How far either side of a contact the landing may lie, ms.

    Returns
    -------
    ndarray, shape (n,)
        Per contact, ms: the contact itself where the knee is straightest
        there; where the fit at the contact (:func:`corner_fit`) still
        flexes before it (the contact looks late) or still extends after it
        (early), the lowest point of that side's parabola within
        ``reach_ms``, if a fit there has a value.

    Notes
    -----
    The knee extends until the foot lands and flexes from then on, so its
    straightest point marks the landing as well as the foot's path does
    (:func:`landing_frames` reads overstride there for the same reason), and
    the angles at contact must not depend on the contact's timing: on
    MediaPipe's landmarks of rendered runners one leg's contacts came a
    median 9-28 ms late (up to 40 ms) and the other's 4-9 ms early, and read
    at the contacts found the knee was 1.3-2.1° more flexed than at the true
    ones (docs/validation.md).  Where the contact is right, as on exact
    landmarks, nothing moves.  MediaPipe's knee, though, is straightest
    12-38 ms before the true landing, so there it reads 1.0-2.4° less flexed
    than its value at the true contact.
    """
    contact_t_ms = np.asarray(contact_t_ms, dtype=np.float64)
    a, b1, c1, b2, c2 = np.moveaxis(corner_fit(knee_flexion, t_ms, contact_t_ms, half_width_ms), -1, 0)
    reach = min(reach_ms / half_width_ms, 1.0) if half_width_ms > 0 else 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        vertex_before = np.clip(np.where(c1 != 0, -b1 / (2 * c1), 0.0), -reach, 0.0)
        vertex_after = np.clip(np.where(c2 != 0, -b2 / (2 * c2), 0.0), 0.0, reach)
    # Scaled times to try: the contact (first, so that it wins ties), each parabola's far end and lowest point;
    # a side only where the knee still turns the wrong way at the contact.
    candidates = np.stack(
        [np.zeros_like(a), np.full_like(a, -reach), vertex_before, np.full_like(a, reach), vertex_after], axis=-1
    )
    curve = np.einsum("nkp,np->nk", _two_parabolas(candidates), np.stack([a, b1, c1, b2, c2], axis=-1))
    wrong_way = np.stack([np.ones_like(a, dtype=bool), b1 > 0, b1 > 0, b2 < 0, b2 < 0], axis=-1)
    best = np.argmin(np.where(wrong_way & np.isfinite(curve), curve, np.inf), axis=1)
    landing = contact_t_ms + candidates[np.arange(len(contact_t_ms)), best] * half_width_ms
    moved = np.isfinite(landing) & (landing != contact_t_ms)
    landing[moved] = np.where(
        np.isfinite(value_at_corner(knee_flexion, t_ms, landing[moved], half_width_ms)),
        landing[moved],
        contact_t_ms[moved],
    )
    return np.where(np.isfinite(landing), landing, contact_t_ms)
