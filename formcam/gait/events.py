"""Gait events: initial contacts and toe-offs of both feet.

Side view - Zeni et al. 2008, as adapted to pose tracks by Stenum et al. 2021:
a foot's contact is a peak of its heel's forward distance from the mid-hip,
``(x_heel - x_midhip) * facing``, and its toe-off a trough of the toe's,
``(x_toe - x_midhip) * facing``, moved back to the knee's peak extension
(Fellin et al. 2010) because in running the toe's rearmost point comes after
the foot has left the ground.  Zeni's method was the most accurate of seven
kinematic methods in a 588-subject comparison (docs/metrics-research.md section 3.1).

Rear, front and other views - each foot's image height, with the steps from
the hip's bounce in running (:mod:`formcam.gait.foot_motion`).

Quality gates: contacts of the same foot at least 0.22 s apart, and at least
:data:`MIN_STRIDE_SHARE` of the gait's stride apart when the stride is known
(:func:`formcam.gait.rhythm.stride_period_ms`, from the legs' own rhythm: a
shaky far leg in a side view otherwise gives a contact every few frames);
peaks must stand out by at least 30 % of the signal's range; events next to
missing data are dropped.

The events' data type, :class:`~formcam.gait.steps.GaitEvents`, and the
steps they make are in :mod:`formcam.gait.steps`; cadence is in
:mod:`formcam.gait.cadence`.
"""

from __future__ import annotations

import numpy as np

from formcam.gait.filters import find_peaks_robust
from formcam.gait.foot_motion import frame_at_or_before, stance_from_foot_motion, stances_around_midstances
from formcam.gait.geometry import forward_reach, knee_flexion_deg
from formcam.gait.rhythm import median_frame_interval_ms, stride_period_ms
from formcam.gait.steps import SIDES, GaitEvents
from formcam.gait.view import View, ViewEstimate, estimate_facing
from formcam.pose import landmarks as lm

#: Shortest time between two contacts of the same foot, s (zzzhushi uses fps * 0.22).
MIN_SAME_FOOT_INTERVAL_S = 0.22
#: Early stance fitted to time a side-view contact between frames, ms (:func:`refine_contacts`).
CONTACT_FIT_MS = 100.0
#: Largest shift of a refined contact from the low-passed peak, ms (the filter moves it by up to about 20 ms).
MAX_CONTACT_SHIFT_MS = 30.0
#: Same-foot contacts at least this share of the stride apart (a stride varies by a few percent).
MIN_STRIDE_SHARE = 0.6
#: Knee flexion gained from contact to midstance above which a stance is treated as running's.
RUNNING_STANCE_FLEXION_DEG = 15.0


def detect_events(
    xy: np.ndarray,
    t_ms: np.ndarray,
    view: ViewEstimate,
    *,
    stride_ms: float | None = None,
    xy_unfiltered: np.ndarray | None = None,
) -> GaitEvents:
    """Find initial contacts and toe-offs of both feet.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Cleaned landmark pixels (see :func:`formcam.gait.clean.clean_landmarks`).
    t_ms : ndarray, shape (T,)
        Frame times, ms.
    view : ViewEstimate
        Side views use Zeni's method with ``view.facing``; other views the
        feet's vertical positions.
    stride_ms : float, optional
        The gait's stride period, ms; default measured
        (:func:`formcam.gait.rhythm.stride_period_ms`); NaN: unknown.
    xy_unfiltered : ndarray, shape (T, 33, 2), optional
        The landmarks before the low-pass; side-view contacts are then
        refined between frames (:func:`refine_contacts`).

    Returns
    -------
    GaitEvents
        Empty when the input is too short or has no usable feet.
    """
    xy = np.asarray(xy, dtype=np.float64)
    t_ms = np.asarray(t_ms, dtype=np.float64)
    if xy.ndim != 3 or xy.shape[0] < 5 or xy.shape[1:] != (lm.N_LANDMARKS, 2) or len(t_ms) != xy.shape[0]:
        return GaitEvents()
    dt_ms = median_frame_interval_ms(t_ms)
    if not np.isfinite(dt_ms):
        return GaitEvents()
    if stride_ms is None:
        stride_ms = stride_period_ms(xy, t_ms)
    shortest_ms = max(
        MIN_SAME_FOOT_INTERVAL_S * 1000.0, MIN_STRIDE_SHARE * stride_ms if np.isfinite(stride_ms) else 0.0
    )
    min_gap = int(np.clip(np.ceil(shortest_ms / dt_ms), 1, len(t_ms)))

    per_side: dict[str, tuple[np.ndarray, ...]] = {}
    if view.label == View.SIDE:
        facing = view.facing or estimate_facing(xy)[0]
        if facing == 0:
            return GaitEvents()
        raw = xy if xy_unfiltered is None or np.shape(xy_unfiltered) != xy.shape else np.asarray(xy_unfiltered, float)
        for side, heel, ankle, toe in (
            ("left", lm.LEFT_HEEL, lm.LEFT_ANKLE, lm.LEFT_FOOT_INDEX),
            ("right", lm.RIGHT_HEEL, lm.RIGHT_ANKLE, lm.RIGHT_FOOT_INDEX),
        ):
            reach = _reach(xy, heel, ankle, facing)
            contacts = find_peaks_robust(reach, min_gap)
            toe_offs = find_peaks_robust(-_reach(xy, toe, ankle, facing), min_gap)
            toe_offs = _toe_off_at_knee_extension(knee_flexion_deg(xy, side), contacts, toe_offs)
            # The mid-hip moves smoothly through a landing, so its low-passed track only sheds jitter.
            contact_t = refine_contacts(reach, _reach(raw, heel, ankle, facing, hips=xy), contacts, t_ms)
            contacts = frame_at_or_before(t_ms, contact_t)
            per_side[side] = (contacts, toe_offs, contact_t)
        method = "zeni"
    else:
        window = min(max(int(round(2000.0 / dt_ms)), 3), len(t_ms))
        feet_y = {
            side: _nanmean_rows(xy[:, points, 1])
            for side, points in (
                ("left", (lm.LEFT_ANKLE, lm.LEFT_HEEL, lm.LEFT_FOOT_INDEX)),
                ("right", (lm.RIGHT_ANKLE, lm.RIGHT_HEEL, lm.RIGHT_FOOT_INDEX)),
            )
        }
        around_midstances = stances_around_midstances(xy, feet_y, t_ms, stride_ms, window, min_gap)
        method = "midstance"
        if around_midstances is not None:
            per_side = around_midstances
        else:  # no clear running bounce: each foot on its own
            per_side = {side: stance_from_foot_motion(feet_y[side], t_ms, window, min_gap) for side in SIDES}
            method = "foot_motion"

    def merge(index: int) -> tuple[np.ndarray, np.ndarray]:
        frames = np.concatenate([per_side[s][index] for s in SIDES]).astype(int)
        sides = np.concatenate([np.full(len(per_side[s][index]), s, dtype="<U5") for s in SIDES])
        order = np.argsort(frames, kind="stable")
        return frames[order], sides[order]

    contact_frames, contact_sides = merge(0)
    toe_off_frames, toe_off_sides = merge(1)
    contact_t_ms = None
    if all(len(per_side[s]) > 2 for s in SIDES):
        times = np.concatenate([per_side[s][2] for s in SIDES])
        frames = np.concatenate([per_side[s][0] for s in SIDES]).astype(int)
        contact_t_ms = times[np.argsort(frames, kind="stable")]
    return GaitEvents(contact_frames, contact_sides, toe_off_frames, toe_off_sides, method, contact_t_ms)


def _reach(xy: np.ndarray, point: int, fallback: int, facing: int, *, hips: np.ndarray | None = None) -> np.ndarray:
    """One foot point's :func:`formcam.gait.geometry.forward_reach` (the ankle where it is missing), px, shape (T,)."""
    return forward_reach(xy, [point], [fallback], facing, hips=hips)[:, 0]


def refine_contacts(
    reach: np.ndarray,
    reach_unfiltered: np.ndarray,
    contacts: np.ndarray,
    t_ms: np.ndarray,
    *,
    fit_ms: float = CONTACT_FIT_MS,
) -> np.ndarray:
    """Zeni contacts timed between frames, where the foot starts moving back with the ground.

    Parameters
    ----------
    reach : ndarray, shape (T,)
        The heel's forward distance from the mid-hip, low-passed (its peaks
        are the coarse contacts).
    reach_unfiltered : ndarray, shape (T,)
        The same with the heel before the low-pass (the mid-hip may be
        low-passed: it has no corner at landing, only jitter).
    contacts : ndarray, int, shape (n,)
        Coarse contact frames (peaks of ``reach``).
    t_ms : ndarray, shape (T,)
        Frame times, ms.
    fit_ms : float
        Length of early stance fitted, ms (at least three frames).

    Returns
    -------
    ndarray, float, shape (n,)
        Contact times, ms; the coarse frame's time where no refinement is
        possible.

    Notes
    -----
    The low-pass rounds the corner where the foot, having reached forward,
    lands and starts sliding back, which moves the peak a few frames early
    (18 ms at 240 fps), and the knee is still extending there.  The foot's
    backward slide in early stance is straight, so a line fitted to the
    unfiltered reach over the first :data:`CONTACT_FIT_MS` of stance, and
    extended back to the peak's height, crosses it at the corner: the fit is
    done twice, the second time starting at the first estimate.  The shift
    is limited to two frames or :data:`MAX_CONTACT_SHIFT_MS`, whichever is
    longer, either way.
    """
    t_ms = np.asarray(t_ms, dtype=np.float64)
    contacts = np.asarray(contacts, dtype=int)
    times = t_ms[contacts] if contacts.size else np.zeros(0)
    n = len(reach)
    dt_ms = median_frame_interval_ms(t_ms)
    if not contacts.size or not np.isfinite(dt_ms):
        return times
    length = max(int(np.ceil(fit_ms / dt_ms)), 3)
    max_shift = max(2 * dt_ms, MAX_CONTACT_SHIFT_MS)
    top = reach[contacts]
    start = contacts.copy()
    refined = times.copy()
    for _ in range(2):  # two passes over all contacts at once
        frames = np.clip(start[:, None] + 1 + np.arange(length)[None, :], 0, n - 1)
        x, y = t_ms[frames], reach_unfiltered[frames]
        ok = np.isfinite(x) & np.isfinite(y) & (frames > start[:, None])
        count = ok.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_x = np.where(ok, x, 0).sum(axis=1) / count
            mean_y = np.where(ok, y, 0).sum(axis=1) / count
            dx, dy = np.where(ok, x - mean_x[:, None], 0), np.where(ok, y - mean_y[:, None], 0)
            slope = (dx * dy).sum(axis=1) / (dx * dx).sum(axis=1)
            crossing = mean_x + (top - mean_y) / slope
        usable = (count >= 3) & (slope < 0) & np.isfinite(crossing) & np.isfinite(top)
        crossing = np.clip(crossing, times - max_shift, times + max_shift)
        refined = np.where(usable, crossing, refined)
        start = np.maximum(np.searchsorted(t_ms, refined, side="right") - 1, 0)
    return refined


def _toe_off_at_knee_extension(flexion: np.ndarray, contacts: np.ndarray, troughs: np.ndarray) -> np.ndarray:
    """Move each Zeni toe-off back to the knee's peak extension after midstance (Fellin et al. 2010).

    In running the foot keeps moving backwards for a few frames after it
    leaves the ground, so the toe's rearmost point (Zeni) comes late; on a
    real treadmill clip it fell after the other foot's contact and hid every
    flight phase.  Fellin's best running toe-off is peak knee extension (error
    about 5 ms): here the least flexion between midstance (the largest
    flexion in the first half of the stance) and the Zeni trough.

    Only stances whose knee flexes by at least
    :data:`RUNNING_STANCE_FLEXION_DEG` from contact to midstance are moved:
    running stances do (2D norms 13° at contact, 45° peak; Matsuzaki et al.),
    walking stances flex far less and their knee extends in mid-stance, long
    before toe-off, where peak extension would invent a flight phase.
    """
    refined = np.asarray(troughs, dtype=int).copy()
    contacts = np.sort(np.asarray(contacts, dtype=int))
    flexion = np.asarray(flexion, dtype=np.float64)
    if not refined.size or not contacts.size:
        return refined
    previous = np.searchsorted(contacts, refined, side="left") - 1  # the last contact before each trough
    has = previous >= 0
    contact = contacts[np.maximum(previous, 0)]
    # All stances at once: windows from each contact to its trough, NaN-padded (see _gather).
    first_half = _gather(flexion, contact, contact + (refined - contact) // 2 + 1)
    usable = has & np.isfinite(first_half).any(axis=1)
    midstance = contact + np.argmax(np.where(np.isfinite(first_half), first_half, -np.inf), axis=1)
    rows = np.arange(len(refined))
    with np.errstate(invalid="ignore"):
        loading = first_half[rows, np.minimum(midstance - contact, first_half.shape[1] - 1)] - flexion[contact]
    # Walking-like stances (little loading flexion) keep Zeni's toe-off: their knee extends in mid-stance.
    running = usable & (loading >= RUNNING_STANCE_FLEXION_DEG)
    late = _gather(flexion, midstance, refined + 1)
    found = running & np.isfinite(late).any(axis=1)
    least = midstance + np.argmin(np.where(np.isfinite(late), late, np.inf), axis=1)
    return np.where(found, least, refined)


def _gather(values: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """``values[start:stop]`` for each pair as rows of a NaN-padded (n, longest) matrix."""
    length = int(max((stops - starts).max(), 1)) if len(starts) else 1
    frames = starts[:, None] + np.arange(length)[None, :]
    inside = (frames < stops[:, None]) & (frames >= 0) & (frames < len(values))
    return np.where(inside, values[np.clip(frames, 0, len(values) - 1)], np.nan)


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    """Mean over axis 1 ignoring NaN; NaN (without a warning) where a row has no finite value."""
    finite = np.isfinite(values)
    count = finite.sum(axis=1)
    total = np.where(finite, values, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)
