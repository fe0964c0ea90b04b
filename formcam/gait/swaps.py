"""Left/right label errors of the pose model: short swap bursts, and side views' legs labelled by position.

Steps 2 and 3 of :func:`formcam.gait.clean.clean_tracks` (see
:mod:`formcam.gait.clean` for the whole chain): :func:`undo_left_right_swaps`
compares each frame with the same phase one and two strides away;
:func:`undo_side_view_leg_swaps` makes the leading leg alternate step by step
in the side-view stretches of a clip, from the leading foot's reach
(:func:`leading_foot_contacts`), which does not depend on the labels.
"""

from __future__ import annotations

import numpy as np

from formcam.gait.filters import fill_short_gaps, interpolate_missing, runs
from formcam.gait.geometry import body_scale_px, forward_reach
from formcam.gait.rhythm import LEG_POINTS, median_frame_interval_ms, stride_frames
from formcam.gait.view import View, view_segments

# scipy is imported inside the functions that use it: importing it takes about a second, which
# formcam spends while the pose model runs (pipeline.preload_analysis_libraries), not before.
from formcam.pose import landmarks as lm

#: Longest left/right swap burst that is undone, ms; a longer one is left as it is (it may be real).
MAX_SWAP_BURST_MS = 300.0


#: A frame is reversed when its left-right vector points against (cosine below this) the same phase
#: one and two strides away, in three of the four comparisons or all of those available ...
_SWAP_MAX_COS = -0.5


#: ... judged only where the vectors are longer than this fraction of the trunk length per landmark
#: (shorter ones belong to limbs passing each other, where a swap is invisible and harmless).
_SWAP_MIN_SEPARATION = 0.1


#: Landmarks swapped together: legs, arms, and the trunk's and face's points (left index; right = its twin).
SWAP_GROUPS: dict[str, tuple[int, ...]] = {
    "legs": LEG_POINTS,
    "arms": (lm.LEFT_ELBOW, lm.LEFT_WRIST, 17, 19, 21),
    "trunk": (lm.LEFT_SHOULDER, lm.LEFT_HIP, lm.LEFT_EAR, 2, 9),
}


#: Side view: the leading foot's reach peaks closer together than this are one step, ms (half the
#: shortest time between two contacts of the same foot, 0.22 s).
MIN_STEP_MS = 110.0


#: Side view: a reach peak stands out by at least this share of the reach's 5-95 percentile range.
MIN_STEP_PROMINENCE = 0.3


#: Side view: half-width of the running median that removes one- and two-frame spikes from the
#: feet's reach before its peaks are taken, ms.
REACH_SPIKE_HALF_WIDTH_MS = 25.0


#: Side view: a leading-foot peak inside a gap in the tracks no longer than this still counts, ms.
MAX_STEP_GAP_MS = 70.0


#: Side view: a step is regular when it lasts within this share of the median of the steps around it.
SIDE_STEP_TOLERANCE = 0.25


#: Side view: legs are relabelled only in runs of at least this many regular steps in a row.
MIN_RELABEL_STEPS = 4


#: Side view: which label leads is judged only where the feet are at least this share of their
#: largest fore-aft separation apart: within a frame of the legs passing each other it cannot be told.
FEET_APART = 0.5


def undo_left_right_swaps(
    xy: np.ndarray,
    t_ms: np.ndarray,
    *,
    scale_px: float | None = None,
    max_burst_ms: float = MAX_SWAP_BURST_MS,
    stride_ms: float | None = None,
) -> tuple[np.ndarray, int]:
    """Find and undo short bursts of left/right swapped legs, arms or trunk points.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Landmark pixels, NaN where missing (after the visibility gate).
    t_ms : ndarray, shape (T,)
        Frame times, ms.
    scale_px : float, optional
        Trunk length in px (default: measured); sets the smallest left-right
        separation at which a swap can be told.
    max_burst_ms : float
        Longest burst undone; longer runs of reversed labels are left alone.
    stride_ms : float, optional
        The stride period if already known (:func:`~formcam.gait.rhythm.stride_period_ms`).

    Returns
    -------
    xy : ndarray, float64, shape (T, 33, 2)
        A copy with the bursts swapped back.
    swapped_frames : int
        Frames changed (a frame counts once even if several groups were swapped).

    Notes
    -----
    Gait repeats every stride.  For each group of :data:`SWAP_GROUPS`,
    ``D_t`` is the stacked vector of ``right - left`` over the group's
    landmarks; a swap turns it into ``-D_t``.  Each frame is compared with
    the frames one and two strides before and after it: correctly labelled,
    ``D`` points the same way (cosine near +1); swapped, the opposite way
    (cosine below :data:`_SWAP_MAX_COS`).  A frame against its neighbours in
    three of the four comparisons (or in all of the two or three there are
    near the clip's ends) is reversed, and runs of reversed frames no longer
    than ``max_burst_ms`` are swapped back.  Since bursts are short and rare, the frames a stride away are
    almost always right, so a swap is found however it starts, even while the
    limbs pass each other (where frame-to-frame continuity cannot tell).
    Frames whose ``D`` is too short to judge (limbs overlapping: a swap there
    is harmless) follow their neighbours.  The stride is the lag of the
    highest autocorrelation of the legs' ``D`` between 0.4 and 2 s; with no
    clear stride (fewer than two strides, no gait) nothing is changed.
    """
    xy = np.array(xy, dtype=np.float64, copy=True)
    t_ms = np.asarray(t_ms, dtype=np.float64)
    n = xy.shape[0] if xy.ndim == 3 else 0
    if n < 3 or t_ms.shape != (n,):
        return xy, 0
    if scale_px is None:
        scale_px = body_scale_px(xy)
    dt_ms = median_frame_interval_ms(t_ms)
    if not (np.isfinite(scale_px) and scale_px > 0 and np.isfinite(dt_ms)):
        return xy, 0
    diffs = {
        name: (xy[:, np.asarray(left) + 1] - xy[:, np.asarray(left)]).reshape(n, -1)
        for name, left in SWAP_GROUPS.items()
    }
    if stride_ms is None:
        stride = stride_frames(diffs["legs"], dt_ms)
    else:
        stride = int(round(stride_ms / dt_ms)) if np.isfinite(stride_ms) else None
    if not stride:
        return xy, 0
    max_burst = int(max_burst_ms / dt_ms)
    changed = np.zeros(n, dtype=bool)
    for name, group in SWAP_GROUPS.items():
        left = np.asarray(group)
        reversed_ = _reversed_frames(diffs[name], stride, _SWAP_MIN_SEPARATION * scale_px * np.sqrt(len(left)))
        burst = _short_runs(reversed_, max_burst)
        if burst.any():
            xy[np.ix_(burst, np.r_[left, left + 1])] = xy[np.ix_(burst, np.r_[left + 1, left])]
            changed |= burst
    return xy, int(changed.sum())


def undo_side_view_leg_swaps(xy: np.ndarray, t_ms: np.ndarray) -> tuple[np.ndarray, int]:
    """Relabel the legs in the side-view stretches of a clip so that the leading leg alternates.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Landmark pixels, NaN where missing.
    t_ms : ndarray, shape (T,)
        Frame times, ms.

    Returns
    -------
    xy : ndarray, float64, shape (T, 33, 2)
        A copy with the knee, ankle, heel and toe of the two legs exchanged
        in the steps whose leading leg had the wrong label.
    relabelled_frames : int
        Frames changed.

    Notes
    -----
    Seen from the side, the two legs look alike, and BlazePose often labels
    them by position for several steps on end: the leg in front is "right"
    whichever it is, so each label's foot reaches forward every step instead
    of every stride, and the contact detector, which keeps a foot's contacts
    most of a stride apart, lost every other one (2.4 s of a real 30 fps
    treadmill sprint: 4 regular steps of 10, 9 after relabelling; a 25 fps
    treadmill clip: 46 of 59, then 58).  A burst detector
    (:func:`undo_left_right_swaps`) cannot see it: it compares a frame with
    the same phase a stride away, which is labelled the same wrong way.

    What does not depend on the labels: the leading foot's forward reach
    from the mid-hip (the larger of the two) peaks once per step, at
    contact (:func:`leading_foot_contacts`), and the legs pass each other
    where the two reaches are closest.  From one passing to the next the
    same leg leads, and the leading leg alternates from step to step.  Each
    stretch that :func:`formcam.gait.view.view_segments` calls a side view is
    cut into such steps; in each run of more than :data:`MIN_RELABEL_STEPS`
    regular steps (each within :data:`SIDE_STEP_TOLERANCE` of the median of
    the five steps around it: a missed or an extra peak ends a run), the
    leading label should alternate in the phase most of the run's frames
    already have.  It is judged frame by frame where the feet are at least
    :data:`FEET_APART` of their largest separation apart (the model may
    switch labels in mid-step), a frame's verdict is the majority of those
    within +-:data:`REACH_SPIKE_HALF_WIDTH_MS` (a wrong label for a frame
    or two is a glitch, left to the Hampel filter), and frames near a
    passing follow the nearest judged frame of their step.  Correctly
    labelled gaits are left as they are: on the accuracy study's 67
    synthetic side views with its noise (correct labels, swap bursts; no
    skipped frames, so that each frame can be checked against the truth)
    62 frames changed for the better and 3 for the worse.
    """
    xy = np.array(xy, dtype=np.float64, copy=True)
    t_ms = np.asarray(t_ms, dtype=np.float64)
    n = xy.shape[0] if xy.ndim == 3 else 0
    if n < 10 or t_ms.shape != (n,) or xy.shape[1:] != (lm.N_LANDMARKS, 2):
        return xy, 0
    swap = np.zeros(n, dtype=bool)
    for segment in view_segments(xy, t_ms):  # loop over view segments (a few)
        facing = {"right": 1, "left": -1}.get(segment.direction or "", 0)
        if segment.label == View.SIDE and facing:
            part = slice(segment.start_frame, segment.stop_frame)
            swap[part] = _mislabelled_frames(xy[part], t_ms[part], facing)
    left = np.asarray(LEG_POINTS)
    xy[np.ix_(swap, np.r_[left, left + 1])] = xy[np.ix_(swap, np.r_[left + 1, left])]
    return xy, int(swap.sum())


def leading_foot_contacts(xy: np.ndarray, t_ms: np.ndarray, facing: int) -> np.ndarray:
    """Side view: the frames at which the leading foot reaches furthest forward, one per step.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Landmark pixels (raw or cleaned), NaN where missing.
    t_ms : ndarray, shape (T,)
        Frame times, ms.
    facing : int
        +1 the runner faces image-right, -1 image-left.

    Returns
    -------
    ndarray, int, shape (n,)
        Peak frames of the larger of the two heels' forward distances from
        the mid-hip (the ankle where a heel is missing), after a running
        median over +-:data:`REACH_SPIKE_HALF_WIDTH_MS`; peaks at least
        :data:`MIN_STEP_MS` apart and standing out by
        :data:`MIN_STEP_PROMINENCE` of the range.  These are the foot
        contacts (Zeni et al. 2008) whichever label the pose model gave the
        foot, so their spacing is the step time even where the legs'
        labels are wrong.
    """
    return _leading_reach(xy, t_ms, facing)[0]


def _leading_reach(xy: np.ndarray, t_ms: np.ndarray, facing: int) -> tuple[np.ndarray, np.ndarray]:
    """(leading-foot reach peaks (n,), left minus right forward reach (T,) in px, gaps filled)."""
    from scipy import ndimage, signal

    n = xy.shape[0]
    dt_ms = median_frame_interval_ms(t_ms)
    nothing = (np.zeros(0, dtype=int), np.full(n, np.nan))
    if not np.isfinite(dt_ms) or not facing:
        return nothing
    reach = forward_reach(xy, [lm.LEFT_HEEL, lm.RIGHT_HEEL], [lm.LEFT_ANKLE, lm.RIGHT_ANKLE], facing)  # left, right
    seen = np.isfinite(reach).all(axis=1)
    if seen.sum() < 10:
        return nothing
    reach = np.where(seen[:, None], reach, np.nan)
    # A peak inside a short gap (a lost frame or two) still marks its step; one inside a long gap does not.
    seen = np.isfinite(fill_short_gaps(reach, t_ms, max_gap_ms=MAX_STEP_GAP_MS, dt_ms=dt_ms)[:, 0])
    filled = interpolate_missing(reach, t_ms, fill_ends=True)
    size = 2 * max(int(round(REACH_SPIKE_HALF_WIDTH_MS / dt_ms)), 1) + 1
    lead = ndimage.median_filter(filled.max(axis=1), size=size, mode="nearest")
    ahead = filled[:, 0] - filled[:, 1]  # unfiltered: a label may be wrong for a single frame
    low, high = np.percentile(lead[seen], [5, 95])
    if not high > low:
        return nothing
    peaks, _ = signal.find_peaks(
        lead, distance=max(int(np.ceil(MIN_STEP_MS / dt_ms)), 1), prominence=MIN_STEP_PROMINENCE * (high - low)
    )
    return peaks[seen[peaks]], ahead


def _mislabelled_frames(xy: np.ndarray, t_ms: np.ndarray, facing: int) -> np.ndarray:
    """bool (T,): frames in which the leading leg has the wrong label (see :func:`undo_side_view_leg_swaps`)."""
    from scipy import ndimage

    n = xy.shape[0]
    none = np.zeros(n, dtype=bool)
    peaks, ahead = _leading_reach(xy, t_ms, facing)
    if len(peaks) <= MIN_RELABEL_STEPS:
        return none
    # Runs of regular steps (a missed or an extra peak ends one); within a run the leading leg alternates.
    steps = np.diff(t_ms[peaks])
    # The median of five steps, mirrored at the ends: repeating the last step would let a missed
    # contact there vouch for itself.
    typical = ndimage.median_filter(steps, size=5, mode="mirror")
    regular = np.abs(steps - typical) <= SIDE_STEP_TOLERANCE * typical

    # Each step runs from the passing before its contact to the passing after it (where the feet are
    # closest fore and aft between two contacts; a one-frame glitch cannot be it), and no further than
    # half a step from its contact: next to a missed contact the passing found is after the next step.
    between = np.repeat(np.arange(len(peaks) - 1), np.diff(peaks))
    frames = np.arange(peaks[0], peaks[-1])
    closeness = ndimage.median_filter(np.abs(ahead), size=3, mode="nearest")
    order = np.lexsort((closeness[frames], between))
    passings = frames[order[np.concatenate([[0], np.flatnonzero(np.diff(between[order])) + 1])]]
    half = np.ceil(0.5 * np.r_[typical, typical[-1]] / median_frame_interval_ms(t_ms)).astype(int)
    # Before the first contact and after the last, the passing is looked for within half a step.
    early = np.arange(max(peaks[0] - half[0], 0), peaks[0] + 1)
    late = np.arange(peaks[-1], min(peaks[-1] + half[-1] + 1, n))
    starts = np.maximum(np.r_[early[np.argmin(closeness[early])], passings], peaks - half)
    stops = np.minimum(np.r_[passings, late[np.argmin(closeness[late])] if late.size > 1 else n], peaks + half + 1)
    run = np.concatenate([[0], np.cumsum(~regular)])
    position = np.arange(len(peaks)) - np.flatnonzero(np.r_[True, ~regular])[run]
    parity = np.where(position % 2 == 0, 1.0, -1.0)
    long_run = np.bincount(run)[run] > MIN_RELABEL_STEPS

    # Frame by frame: which label leads (the sign of left-minus-right reach) where the feet are well
    # apart; near a passing it cannot be told.  The model may switch labels anywhere in a step.
    step_of = np.searchsorted(starts, np.arange(n), side="right") - 1
    step_of = np.clip(step_of, 0, len(peaks) - 1)
    inside = (np.arange(n) >= starts[step_of]) & (np.arange(n) < stops[step_of])
    judged = inside & long_run[step_of] & (np.abs(ahead) >= FEET_APART * np.nanpercentile(np.abs(ahead), 95))
    said = np.sign(ahead) * parity[step_of]  # +1 where the frame agrees with "left leads the run's first step"
    votes = np.bincount(run[step_of[judged]], weights=said[judged], minlength=run.max() + 1)
    # A tie (labels by position all through a run) keeps the run's first judged frame as it is.
    first = np.full(run.max() + 1, n)
    np.minimum.at(first, run[step_of[judged]], np.flatnonzero(judged))
    phase = np.sign(votes + 0.5 * np.where(first < n, said[np.minimum(first, n - 1)], 1.0))
    wrong = judged & (said == -phase[run[step_of]])
    # A label wrong for a frame or two is a glitch, the Hampel filter's business: judged frames vote
    # over +-REACH_SPIKE_HALF_WIDTH_MS, so that one cannot carry the frames next to it.
    size = 2 * max(int(round(REACH_SPIKE_HALF_WIDTH_MS / median_frame_interval_ms(t_ms))), 1) + 1
    wrong[judged] = ndimage.median_filter(wrong[judged], size=size, mode="nearest")
    # Frames near a passing follow the nearest judged frame of their own step.
    index = np.arange(n)
    before = np.maximum.accumulate(np.where(judged, index, -1))
    after = np.minimum.accumulate(np.where(judged, index, n)[::-1])[::-1]
    before_ok = (before >= 0) & (step_of[np.maximum(before, 0)] == step_of)
    after_ok = (after < n) & (step_of[np.minimum(after, n - 1)] == step_of)
    nearest = np.where(before_ok & (~after_ok | (index - before <= after - index)), before, after)
    return inside & long_run[step_of] & (before_ok | after_ok) & wrong[np.clip(nearest, 0, n - 1)]


def _reversed_frames(diff: np.ndarray, stride: int, min_length: float) -> np.ndarray:
    """bool (T,): frames whose left-right vector points against the same phase one and two strides away."""
    n = diff.shape[0]
    length = np.linalg.norm(diff, axis=1)
    judged = np.isfinite(length) & (length > min_length)
    unit = np.where(judged[:, None], diff / np.where(judged, length, 1.0)[:, None], 0.0)
    against = np.zeros(n, dtype=int)
    count = np.zeros(n, dtype=int)
    for shift in (-2 * stride, -stride, stride, 2 * stride):  # four shifted copies, not a frame loop
        if abs(shift) >= n:
            continue
        here = slice(max(0, -shift), n - max(0, shift))
        there = slice(max(0, shift), n - max(0, -shift))
        both = judged[here] & judged[there]
        against[here] += both & (np.sum(unit[here] * unit[there], axis=1) < _SWAP_MAX_COS)
        count[here] += both
    # Three of four against, or all of at least two (near the clip's ends): another burst a stride
    # away outvotes nothing, and the frames next to a long real swap are not dragged along.
    reversed_ = (against >= 3) | ((count >= 2) & (against == count))
    # Unjudged frames between two reversed ones (limbs overlapping mid-burst) belong to the burst.
    known = count >= 2
    frames = np.arange(n)
    prev_i = np.maximum.accumulate(np.where(known, frames, -1))
    next_i = np.minimum.accumulate(np.where(known, frames, n)[::-1])[::-1]
    inside = (prev_i >= 0) & (next_i < n)
    fill = ~known & inside
    fill[fill] = reversed_[prev_i[fill]] & reversed_[np.minimum(next_i[fill], n - 1)]
    return reversed_ | fill


def _short_runs(mask: np.ndarray, max_length: int) -> np.ndarray:
    """``mask`` keeping only its runs of True no longer than ``max_length`` samples."""
    out = np.zeros_like(mask)
    for start, stop in runs(mask):  # loop over runs, not frames
        if stop - start <= max_length:
            out[start:stop] = True
    return out
