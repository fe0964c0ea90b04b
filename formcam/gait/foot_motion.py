"""Contacts and toe-offs in rear, front and oblique views, from the feet's image height and the hip's bounce.

Each foot is on the ground while it is in the lower half of its local range of
height and moving slower than a share of its fastest swing, which holds in
perspective too, where a stance foot sliding back with a treadmill's belt
drifts down (rear) or up (front) the image; each contact is then timed where
the foot's speed has settled to its stance's level (see
:func:`stance_from_foot_motion`).  In running the steps themselves come from
the hip's bounce, lowest once per step at midstance, with the lower foot there
on the ground, so that a misread foot can move a contact within its step but
not add or drop one (:func:`stances_around_midstances`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcam.gait.filters import find_peaks_robust
from formcam.gait.rhythm import bounce_confirms_rhythm, bounce_spm, median_frame_interval_ms
from formcam.gait.steps import SIDES

# scipy is imported inside the functions that use it: importing it takes about a second, which
# formcam spends while the pose model runs (pipeline.preload_analysis_libraries), not before.
from formcam.pose import landmarks as lm

#: Rear/front: a foot on the ground moves slower than this share of its fastest swing speed ...
STANCE_SPEED_SHARE = 0.3


#: ... and is lower in the image than this share of its swing height above its highest point.
STANCE_HEIGHT_SHARE = 0.5


#: Rear/front: a foot that rises less than this, px, is still (a pose model jitters by 1-2 px).
MIN_SWING_PX = 2.0


#: Rear/front: on-ground runs and gaps this short are threshold jitter, ms.
FLICKER_MS = 25.0


#: Rear/front: a contact is where the foot's speed above its stance's speed falls to this share of its swing speed.
SETTLED_SPEED_SHARE = 0.1


#: Rear/front: at the hip's lowest point the feet are at least this share of their swing height apart in a
#: running step (one foot down, the other high in its swing); the lower one is then the stance foot.
MIDSTANCE_FEET_APART_SHARE = 0.3


#: Rear/front: a stance's contact is searched at most this many steps before its midstance.
MIDSTANCE_SEARCH_STEPS = 1.5


def stance_from_foot_motion(
    foot_y: np.ndarray, t_ms: np.ndarray, window: int, min_gap: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Contacts and toe-offs of one foot from its image height (rear, front and oblique views).

    Parameters
    ----------
    foot_y : ndarray, shape (T,)
        The foot's image height (mean of ankle, heel and toe), px, low-passed;
        NaN where missing.
    t_ms : ndarray, shape (T,)
        Frame times, ms.
    window : int
        Frames over which the foot's range of height and its fastest swing are
        taken (about 2 s: at least one stride, short enough to follow a
        runner coming closer).
    min_gap : int
        Fewest frames between two contacts (or toe-offs) of this foot.

    Returns
    -------
    contacts, toe_offs : ndarray, int
        Frames: the contact's frame (at or before its time), and the first
        frame off the ground.
    contact_t_ms : ndarray, float
        Contact times between frames.

    Notes
    -----
    A foot on the ground is still in the world; on a treadmill it slides
    back with the belt, and in perspective that slide moves it down the
    image (towards a camera behind) or up it (away from a camera in front),
    by as much as a fifth of its swing height.  So the ground is not one
    image height: a foot is taken as on the ground while it is both in the
    lower half of its local range of height (:data:`STANCE_HEIGHT_SHARE`,
    which excludes the top of the swing, the other slow moment) and moving
    slower than :data:`STANCE_SPEED_SHARE` of its fastest local swing speed
    (the belt's slide is several times slower than the swing).  That
    threshold is crossed while the foot is still slowing down to land, so
    each contact is then moved to where the foot's speed has settled to
    within :data:`SETTLED_SPEED_SHARE` of the swing speed above its stance's
    median speed (the belt's slide), interpolated between frames.
    """
    t_ms = np.asarray(t_ms, dtype=np.float64)
    motion = _foot_motion(foot_y, t_ms, window)
    if motion is None:
        return (np.zeros(0, dtype=int), np.zeros(0, dtype=int), np.zeros(0))
    dt_ms = median_frame_interval_ms(t_ms)
    on_ground = _without_flicker(motion.on_ground, max(int(round(FLICKER_MS / dt_ms)), 1))
    change = np.diff(on_ground.astype(np.int8))
    contacts = np.flatnonzero(change == 1) + 1
    toe_offs = np.flatnonzero(change == -1) + 1
    # Edges next to missing data are not events.
    contacts = _thin(contacts[motion.valid_edge[contacts]], min_gap)
    toe_offs = _thin(toe_offs[motion.valid_edge[toe_offs]], min_gap)
    contact_t = _settled_ms(motion.speed, motion.fastest, on_ground, contacts, t_ms)
    return frame_at_or_before(t_ms, contact_t), toe_offs, contact_t


@dataclass(frozen=True)
class _FootMotion:
    """One foot's image height and speed, and where it looks on the ground (rear, front and oblique views).

    Attributes
    ----------
    speed, fastest : ndarray, shape (T,)
        The foot's vertical image speed and its fastest speed over the
        surrounding window (its swing), px/ms.
    swing_height : ndarray, shape (T,)
        The foot's range of image height over the surrounding window, px.
    on_ground : ndarray, bool, shape (T,)
        Frame by frame, before any smoothing: low in its local range and
        slow (see :func:`stance_from_foot_motion`).
    valid_edge : ndarray, bool, shape (T,)
        The foot is seen in this frame and the one before (an edge there can
        be an event).
    """

    speed: np.ndarray
    fastest: np.ndarray
    swing_height: np.ndarray
    on_ground: np.ndarray
    valid_edge: np.ndarray


def _foot_motion(foot_y: np.ndarray, t_ms: np.ndarray, window: int) -> _FootMotion | None:
    """Speed and on-ground frames of one foot from its image height (see :func:`stance_from_foot_motion`).

    Parameters
    ----------
    foot_y : ndarray, shape (T,)
        Image height, px, NaN where missing.
    t_ms : ndarray, shape (T,)
    window : int
        Frames over which the range of height and the fastest swing are taken.

    Returns
    -------
    _FootMotion or None
        None when the foot is seen in fewer than 5 frames or hardly rises
        (:data:`MIN_SWING_PX`).
    """
    from scipy import ndimage

    finite = np.isfinite(foot_y)
    dt_ms = median_frame_interval_ms(t_ms)
    if finite.sum() < 5 or not np.isfinite(dt_ms):
        return None
    frames = np.arange(len(foot_y))
    filled = np.interp(frames, frames[finite], foot_y[finite])
    speed = np.abs(np.gradient(filled)) / dt_ms  # per frame: repeated timestamps must not divide by zero
    fastest = ndimage.maximum_filter1d(speed, size=window, mode="nearest")
    lowest = ndimage.maximum_filter1d(filled, size=window, mode="nearest")
    highest = ndimage.minimum_filter1d(filled, size=window, mode="nearest")
    swing_height = lowest - highest
    if not np.median(swing_height) > MIN_SWING_PX:
        return None
    on_ground = (
        (filled >= highest + STANCE_HEIGHT_SHARE * swing_height)
        & (speed <= STANCE_SPEED_SHARE * fastest)
        & (swing_height > 0.3 * np.median(swing_height))
    )
    return _FootMotion(speed, fastest, swing_height, on_ground, finite & np.concatenate([[False], finite[:-1]]))


def frame_at_or_before(t_ms: np.ndarray, times_ms: np.ndarray) -> np.ndarray:
    """The last frame at or before each time (the first frame for earlier times), int, shape (n,)."""
    return np.maximum(np.searchsorted(t_ms, times_ms, side="right") - 1, 0)


def midstance_frames(xy: np.ndarray, t_ms: np.ndarray, step_ms: float) -> np.ndarray:
    """Frames where the mid-hip is lowest in the image, once per running step (midstances).

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Cleaned landmark pixels (y down).
    t_ms : ndarray, shape (T,)
        Frame times, ms.
    step_ms : float
        The step period, ms (half the stride, :func:`formcam.gait.rhythm.stride_period_ms`).

    Returns
    -------
    ndarray, int, shape (m,)
        Sorted frames: peaks of the mid-hip's image height less its running
        mean over one step (which takes out a runner coming closer or a
        drifting camera, not the bounce), at least 0.6 of a step apart and
        standing out as :func:`find_peaks_robust` requires; empty without a
        step period.

    Notes
    -----
    A running body bounces on its stance leg like a spring: it is lowest at
    midstance, with the stance leg most compressed under it, and highest in
    flight, once per step.  The hip moves little and smoothly, and a pose
    model tracks it far better than the feet (docs/validation.md), so this
    clock does not suffer from the feet's errors.
    """
    from scipy import ndimage

    xy = np.asarray(xy, dtype=np.float64)
    dt_ms = median_frame_interval_ms(t_ms)
    if xy.ndim != 3 or not (np.isfinite(step_ms) and step_ms > 0 and np.isfinite(dt_ms)):
        return np.zeros(0, dtype=int)
    with np.errstate(invalid="ignore"):
        hip_y = (xy[:, lm.LEFT_HIP, 1] + xy[:, lm.RIGHT_HIP, 1]) / 2
    finite = np.isfinite(hip_y)
    if finite.sum() < 5:
        return np.zeros(0, dtype=int)
    step = max(int(round(step_ms / dt_ms)), 1)
    frames = np.arange(len(hip_y))
    trend = ndimage.uniform_filter1d(np.interp(frames, frames[finite], hip_y[finite]), size=step, mode="nearest")
    return find_peaks_robust(hip_y - trend, max(int(0.6 * step), 1))


def stances_around_midstances(
    xy: np.ndarray, feet_y: dict[str, np.ndarray], t_ms: np.ndarray, stride_ms: float, window: int, min_gap: int
) -> dict[str, tuple[np.ndarray, ...]] | None:
    """Contacts and toe-offs of both feet, one stance per bounce of the hip (rear, front and oblique views).

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Cleaned landmark pixels.
    feet_y : dict
        ``'left'`` and ``'right'``: each foot's image height (mean of ankle,
        heel and toe), px, shape (T,), NaN where missing.
    t_ms : ndarray, shape (T,)
        Frame times, ms.
    stride_ms : float
        The legs' stride period, ms (NaN: unknown).
    window : int
        Frames over which each foot's range of height and fastest swing are
        taken (:func:`_foot_motion`).
    min_gap : int
        Fewest frames between two contacts (or toe-offs) of one foot.

    Returns
    -------
    dict or None
        Side -> (contact frames, toe-off frames, contact times in ms), as
        :func:`stance_from_foot_motion` gives them.  None when the hip does
        not bounce once per step with one foot high at its lowest point
        (walking, no clear stride, hips or feet missing): then each foot is
        taken on its own.

    Notes
    -----
    Each foot's own motion (:func:`stance_from_foot_motion`) is exact on
    exact tracks, but one misread foot there adds or moves a step.  In a
    portrait rear render from a low, close camera, MediaPipe swaps the feet
    for about 80 ms after each landing (the landed foot jumps to the
    swinging one's place and back), so a stance looks broken in two and the
    second part's start was read as a contact 130 ms late.

    Here the steps come from the mid-hip's bounce instead
    (:func:`midstance_frames`), used only where it confirms the legs' rhythm
    (within :data:`~formcam.gait.rhythm.CONFIRMED_RHYTHM_TOLERANCE`, as in
    :func:`~formcam.gait.cadence.estimate_cadence`).  At each midstance the stance foot is on the
    ground and the other high in its swing, so the lower foot in the image is
    the stance foot (a camera in front or behind sees the raised foot higher
    in both cases) where the two are at least
    :data:`MIDSTANCE_FEET_APART_SHARE` of the swing height apart.  As the
    feet alternate, every other midstance of a run of them about a step
    apart is the same foot's, and the run's clear midstances vote which, so
    feet misread at a few midstances change no side.  The stance foot's
    contact is then the first frame it lands (its on-ground flag rises,
    :func:`_foot_motion`) after the previous midstance (at most
    :data:`MIDSTANCE_SEARCH_STEPS` steps back), timed where its speed settles
    (:func:`_settled_ms`); its toe-off is the first frame it lifts after this
    midstance, before the next one.  A misread foot can then move a contact
    within its own step, but cannot add or drop a step.

    Walking is lowest in double support, with both feet down: it fails the
    feet-apart test (most midstances must pass it) and is left to each
    foot's own motion.
    """
    if not (np.isfinite(stride_ms) and stride_ms > 0):
        return None
    if not bounce_confirms_rhythm(bounce_spm(xy, t_ms), 120000.0 / stride_ms):
        return None
    found_motions = {side: _foot_motion(feet_y[side], t_ms, window) for side in SIDES}
    midstances = midstance_frames(xy, t_ms, stride_ms / 2.0)
    motions = {side: motion for side, motion in found_motions.items() if motion is not None}
    if len(motions) < len(SIDES) or midstances.size < 3:
        return None
    swing_px = float(np.median(np.concatenate([motions[side].swing_height for side in SIDES])))
    with np.errstate(invalid="ignore"):
        left_lower_px = feet_y["left"][midstances] - feet_y["right"][midstances]  # y grows downwards
        clear = np.abs(left_lower_px) >= MIDSTANCE_FEET_APART_SHARE * swing_px
    if not clear.mean() > 0.5:
        return None
    n = len(t_ms)
    step = int(round(stride_ms / 2.0 / median_frame_interval_ms(t_ms)))
    reach = int(round(MIDSTANCE_SEARCH_STEPS * step))
    # A step cut by the clip's start or end has its midstance outside the clip (or too near its edge to
    # be a peak): the step before the first and the one after the last are searched too.
    midstances = np.concatenate([[midstances[0] - step], midstances, [min(midstances[-1] + step, n - 1)]])
    votes = np.concatenate([[0.0], np.where(clear, np.sign(left_lower_px), 0.0), [0.0]])
    # The feet alternate: along each run of midstances about a step apart, every other one is the left
    # foot's, and the run's clear midstances vote which, so feet misread at one midstance change nothing.
    run = np.concatenate([[0], np.cumsum(np.diff(midstances) > reach)])
    parity = np.where(np.arange(len(midstances)) % 2 == 0, 1.0, -1.0)
    left_at_even = np.bincount(run, weights=votes * parity)[run]
    left_stance = left_at_even * parity > 0
    search_from = np.maximum(np.concatenate([[-1], midstances[:-1]]), midstances - reach)
    search_to = np.minimum(np.concatenate([midstances[1:], [n - 1]]), midstances + reach)
    per_side: dict[str, tuple[np.ndarray, ...]] = {}
    for side in SIDES:  # the two feet, each over all its stances at once
        motion = motions[side]
        mine = (left_at_even != 0) & (left_stance == (side == "left"))
        midstance = midstances[mine]
        on = motion.on_ground
        landings = np.flatnonzero(on[1:] & ~on[:-1]) + 1
        lifts = np.flatnonzero(~on[1:] & on[:-1]) + 1
        contacts = _first_edge_within(landings, search_from[mine], midstance)
        toe_offs = _first_edge_within(lifts, midstance, search_to[mine])
        found = (contacts >= 0) & motion.valid_edge[np.maximum(contacts, 0)]
        ends = np.where(toe_offs >= 0, toe_offs, midstance + 1)[found]
        contacts = contacts[found]
        kept = np.isin(contacts, _thin(contacts, min_gap))
        contacts, ends = contacts[kept], ends[kept]
        stance = np.cumsum(np.bincount(contacts, minlength=n + 1) - np.bincount(ends, minlength=n + 1))[:n] > 0
        contact_t = _settled_ms(motion.speed, motion.fastest, stance, contacts, t_ms)
        toe_offs = _thin(toe_offs[(toe_offs >= 0) & motion.valid_edge[np.maximum(toe_offs, 0)]], min_gap)
        per_side[side] = (frame_at_or_before(t_ms, contact_t), toe_offs, contact_t)
    return per_side


def _first_edge_within(edges: np.ndarray, after: np.ndarray, until: np.ndarray) -> np.ndarray:
    """For each window ``(after, until]``, the first of the sorted frames ``edges`` in it, or -1; int, shape (n,)."""
    index = np.searchsorted(edges, after, side="right")
    first = edges[np.minimum(index, len(edges) - 1)] if len(edges) else np.full(len(after), -1)
    return np.where((index < len(edges)) & (first <= until), first, -1)


def _settled_ms(
    speed: np.ndarray, fastest: np.ndarray, on_ground: np.ndarray, starts: np.ndarray, t_ms: np.ndarray
) -> np.ndarray:
    """When the foot's speed settles to its stance's level after each stance start, ms (see above).

    Parameters
    ----------
    speed, fastest : ndarray, shape (T,)
        The foot's image speed and its fastest local swing speed, px/ms.
    on_ground : ndarray, bool, shape (T,)
    starts : ndarray, int, shape (n,)
        First frames of stances.
    t_ms : ndarray, shape (T,)

    Returns
    -------
    ndarray, float, shape (n,)
        Interpolated between the last unsettled and the first settled
        frame; the start's own time where the speed never settles.
    """
    from scipy import ndimage

    starts = np.asarray(starts, dtype=int)
    if not starts.size:
        return np.zeros(0)
    labels, n_stances = ndimage.label(on_ground)
    stance_speed = np.zeros(n_stances + 1)
    stance_speed[1:] = ndimage.median(speed, labels, np.arange(1, n_stances + 1))
    level = stance_speed[labels]
    excess = speed - level - SETTLED_SPEED_SHARE * (fastest - level)
    settled = np.flatnonzero((excess <= 0) & (labels > 0))
    if not settled.size:
        return t_ms[starts].astype(np.float64)
    first = settled[np.minimum(np.searchsorted(settled, starts), len(settled) - 1)]
    frame = np.where(labels[first] == labels[starts], first, starts)
    before = np.maximum(frame - 1, 0)
    falls = (frame > 0) & (excess[before] > 0) & (excess[frame] <= 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        crossing = t_ms[before] + excess[before] / (excess[before] - excess[frame]) * (t_ms[frame] - t_ms[before])
    return np.where(falls & np.isfinite(crossing), crossing, t_ms[frame].astype(np.float64))


def _without_flicker(flags: np.ndarray, frames: int) -> np.ndarray:
    """A boolean series with runs and gaps of at most ``frames`` removed (jitter at a threshold)."""
    from scipy import ndimage

    structure = np.ones(2 * frames + 1, dtype=bool)
    pad = len(structure)
    padded = np.pad(flags, pad, mode="edge")  # so the clip's ends do not look like edges
    padded = ndimage.binary_opening(ndimage.binary_closing(padded, structure), structure)
    return padded[pad:-pad]


def _thin(frames: np.ndarray, min_gap: int) -> np.ndarray:
    """Drop events closer than ``min_gap`` frames to the previous kept one."""
    kept: list[int] = []
    for frame in frames.tolist():  # loop over events, not frames
        if not kept or frame - kept[-1] >= min_gap:
            kept.append(frame)
    return np.asarray(kept, dtype=int)
