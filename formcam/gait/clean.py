"""Cleaning of raw landmark tracks: visibility gate, swaps, outliers, short gaps, zero-phase low-pass.

The pose model's landmarks jitter from frame to frame, sometimes jump, swap
left for right, and go missing.  :func:`clean_tracks` (and its short form
:func:`clean_landmarks`) turns them into tracks the kinematics can
differentiate and take peaks of:

1. **Visibility gate** - samples below ``min_visibility`` become NaN.
2. **Left/right swaps** (:func:`undo_left_right_swaps`) - short bursts in
   which the pose model labels the left leg (or arm, or the trunk's points)
   as the right one are found and swapped back: gait repeats every stride,
   so a frame whose left-to-right difference vector ``D = right - left``
   points against the same phase's one and two strides away is swapped, and
   runs of such frames up to :data:`MAX_SWAP_BURST_MS` long are undone.
   Stenum et al. (2021) fixed these by hand; no tool we know of does it
   automatically.
3. **Legs labelled by position** (:func:`undo_side_view_leg_swaps`) - seen
   from the side, the pose model often names the legs by where they are
   (the front one "right") rather than which they are, for many steps on
   end; a burst detector cannot see that.  The leading foot lands once per
   step, and the leading leg alternates step by step, so in the side-view
   stretches of a clip each regular step's leading leg is given the label
   that alternation asks for.
4. **Hampel filter** (:func:`hampel_outliers`, on the landmarks formcam
   measures, :data:`MEASURED_LANDMARKS`) - a sample further from the
   running median of its coordinate (window +-:data:`HAMPEL_HALF_WINDOW_MS`)
   than :data:`HAMPEL_SIGMAS` local robust standard deviations (1.4826 x the
   running median absolute deviation in the same window), and than
   :data:`HAMPEL_MIN_DEVIATION` of the trunk length, becomes NaN (and is then
   filled like any short gap): one- to three-frame jumps (mis-detections,
   single-frame swaps) go, fast but smooth motion (a foot at 24 fps) stays,
   because its local deviation is large too.
5. **Gap filling** - runs of NaN no longer than ``max_gap_ms`` are filled by
   linear interpolation (Stenum et al. 2021 fill gaps under 120 ms); longer
   gaps stay NaN, split the track, and are reported (:func:`long_gaps`).
6. **Zero-phase Butterworth** (2nd order, forwards and backwards with
   ``scipy.signal.sosfiltfilt``) on each contiguous finite segment, never
   across a gap.  The double pass lowers the -3 dB point, so the design
   cut-off is the wanted one divided by 0.802 (Winter's correction, as in
   Stenum's code).  **Cut-offs** follow the research note
   (``metrics-research.md`` section 4: Stenum et al. 2021 used 5 Hz for
   walking; 6-10 Hz is suggested for MediaPipe landmarks; running feet are
   faster than walking ones, so about 8-10 Hz for the feet and 6 Hz for the
   trunk and head): 6 Hz for the head, trunk and hips, whose signals
   (posture, pelvic tilt at stride frequency, hip bounce at step frequency,
   <= 3.5 Hz) are slow; 10 Hz for the arms and legs, whose events (contact,
   toe-off) are fast.  The design cut-off is capped at 0.9 x Nyquist; where
   it would exceed that the coordinate is left as is.  Segments shorter than
   the filter's padding are left unfiltered.

Camera roll is removed after cleaning, by :mod:`formcam.gait.roll`.

Timestamps may be irregular (variable frame rate); the filter uses the median
frame interval without resampling.  For phone VFR clips, whose intervals vary
by a few percent, the cut-off then varies by the same few percent, which does
not matter at these cut-offs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# scipy is imported inside the functions that use it: importing it takes about a second, which
# formcam spends while the pose model runs (pipeline.preload_analysis_libraries), not before.

from formcam.pose import landmarks as lm
from formcam.gait.view import view_segments

#: Wanted -3 dB cut-offs (Hz) of the zero-phase filter, by landmark.
TRUNK_CUTOFF_HZ = 6.0
LIMB_CUTOFF_HZ = 10.0
_LIMB_LANDMARKS = tuple(range(lm.LEFT_ELBOW, lm.LEFT_HIP)) + tuple(range(lm.LEFT_KNEE, lm.N_LANDMARKS))

#: Hampel filter: half-width of the running window (ms; 3 frames at 60 fps, 1 at 24 fps, 12 at 240 fps).
HAMPEL_HALF_WINDOW_MS = 50.0
#: Hampel filter: the window never spans more than this many frames either side (1000 fps and above).
MAX_HAMPEL_HALF_WINDOW = 50
#: Hampel filter: threshold in local robust standard deviations (Hampel's customary 3).
HAMPEL_SIGMAS = 3.0
#: Hampel filter: smallest deviation treated as an outlier, as a fraction of the trunk length
#: (about 14 px on a 600 px runner), so that jitter on a still landmark is never cut.
HAMPEL_MIN_DEVIATION = 0.08
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
    "legs": (lm.LEFT_KNEE, lm.LEFT_ANKLE, lm.LEFT_HEEL, lm.LEFT_FOOT_INDEX),
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
#: Landmarks formcam measures or draws: the Hampel filter runs on these (the eyes, mouth and fingers are
#: only low-passed, which halves its cost).
MEASURED_LANDMARKS = (lm.NOSE, lm.LEFT_EAR, lm.RIGHT_EAR, lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER, lm.LEFT_ELBOW,
                      lm.RIGHT_ELBOW, lm.LEFT_WRIST, lm.RIGHT_WRIST, lm.LEFT_HIP, lm.RIGHT_HIP, lm.LEFT_KNEE,
                      lm.RIGHT_KNEE, lm.LEFT_ANKLE, lm.RIGHT_ANKLE, lm.LEFT_HEEL, lm.RIGHT_HEEL, lm.LEFT_FOOT_INDEX,
                      lm.RIGHT_FOOT_INDEX)
#: Landmarks whose absence makes a frame unmeasurable, for the long-gap report.
KEY_LANDMARKS = (lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER, lm.LEFT_HIP, lm.RIGHT_HIP, lm.LEFT_ANKLE, lm.RIGHT_ANKLE)

#: Correction of a 2nd-order Butterworth's cut-off for a forward-backward pass (Winter 2009).
_DOUBLE_PASS_CORRECTION = 0.802
_ORDER = 2


def default_cutoffs_hz() -> np.ndarray:
    """Wanted cut-off per landmark, float64 (33,): 10 Hz for arms and legs, 6 Hz elsewhere."""
    cutoffs = np.full(lm.N_LANDMARKS, TRUNK_CUTOFF_HZ)
    cutoffs[list(_LIMB_LANDMARKS)] = LIMB_CUTOFF_HZ
    return cutoffs


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


@dataclass
class CleanedTracks:
    """The result of :func:`clean_tracks`.

    Attributes
    ----------
    xy : ndarray, float64, shape (T, 33, 2)
        Cleaned pixels; NaN where a track is missing for longer than the
        longest filled gap.
    swapped_frames : int
        Frames in which a left/right swap (of any group) was undone, or a
        side view's legs were relabelled (a frame may count twice).
    outlier_samples : int
        Landmark samples the Hampel filter rejected.
    long_gaps : list of (int, int)
        ``(first, stop)`` frame ranges inside the clip where a key landmark
        stays missing for longer than the longest filled gap (not filled).
    unfiltered : ndarray, float64, shape (T, 33, 2) or None
        The tracks before the low-pass (gated, de-swapped, de-spiked,
        gap-filled): sharp features such as a foot's landing keep their
        corners, for estimates that average over many frames instead.
    stride_ms : float
        The gait's stride period (:func:`stride_period_ms`), NaN if unclear.
    measured : ndarray, bool, shape (T, 33) or None
        Where ``unfiltered`` holds a measurement (present after the gate and
        not rejected as an outlier) rather than an interpolated value; a fit
        through a sharp corner must not use the straight line a filled gap
        cuts across it.
    """

    xy: np.ndarray
    swapped_frames: int = 0
    outlier_samples: int = 0
    long_gaps: list[tuple[int, int]] = field(default_factory=list)
    unfiltered: np.ndarray | None = None
    stride_ms: float = float("nan")
    measured: np.ndarray | None = None


def clean_landmarks(image_xy, visibility, t_ms, **options) -> np.ndarray:
    """Gate, de-swap, de-spike, gap-fill and low-pass landmark tracks; the cleaned ``(T, 33, 2)`` pixels.

    The same as ``clean_tracks(...).xy``; see :func:`clean_tracks` for the parameters.
    """
    return clean_tracks(image_xy, visibility, t_ms, **options).xy


def clean_tracks(
    image_xy: np.ndarray,
    visibility: np.ndarray | None,
    t_ms: np.ndarray,
    *,
    min_visibility: float = 0.3,
    max_gap_ms: float = 120.0,
    cutoff_hz: float | np.ndarray | None = None,
    reject_outliers: bool = True,
    undo_swaps: bool = True,
) -> CleanedTracks:
    """Gate, de-swap, de-spike, gap-fill and low-pass landmark tracks.

    Parameters
    ----------
    image_xy : array_like, shape (T, 33, 2)
        Landmark pixels, x right, y down; NaN where missing.
    visibility : array_like, shape (T, 33), optional
        Visibility 0-1; NaN where missing.  None: every sample is kept.
    t_ms : array_like, shape (T,)
        Frame times in ms, increasing (may be irregular).
    min_visibility : float
        Samples with a lower visibility become NaN.
    max_gap_ms : float
        Longest run of missing time (ms) that is filled by interpolation.
    cutoff_hz : float or array_like of shape (33,), optional
        Wanted -3 dB cut-off of the zero-phase filter, one for all landmarks
        or one per landmark; default :func:`default_cutoffs_hz`.
    reject_outliers : bool
        Whether to run the Hampel filter.
    undo_swaps : bool
        Whether to undo short left/right swap bursts, and legs labelled by
        position in side views.

    Returns
    -------
    CleanedTracks
        Never raises on empty, all-NaN or constant input, nor on timestamps
        that do not increase (then nothing is filtered).
    """
    xy = np.array(image_xy, dtype=np.float64, copy=True)
    if xy.ndim != 3 or xy.shape[1:] != (lm.N_LANDMARKS, 2) or xy.shape[0] == 0:
        return CleanedTracks(xy)
    t_ms = np.asarray(t_ms, dtype=np.float64)
    n_frames = xy.shape[0]
    if visibility is not None:
        vis = np.asarray(visibility, dtype=np.float64)
        if vis.shape == (n_frames, lm.N_LANDMARKS):
            xy[~(vis >= min_visibility)] = np.nan  # NaN visibility fails the test as well
    xy[~_present(xy)] = np.nan  # a landmark is either wholly present or absent
    if n_frames < 3 or t_ms.shape != (n_frames,):
        return CleanedTracks(xy)

    dt_ms = median_frame_interval_ms(t_ms)
    if not np.isfinite(dt_ms):
        return CleanedTracks(xy)
    fs = 1000.0 / dt_ms
    scale_px = body_scale_px(xy)
    swapped = 0
    if undo_swaps:
        xy, swapped = undo_left_right_swaps(xy, t_ms, scale_px=scale_px)
        # After the bursts: a burst inside a step must not outvote the rest of that step.
        xy, relabelled = undo_side_view_leg_swaps(xy, t_ms)
        swapped += relabelled
    cutoffs = default_cutoffs_hz() if cutoff_hz is None else np.broadcast_to(np.asarray(cutoff_hz, float), (lm.N_LANDMARKS,))
    columns = xy.reshape(n_frames, -1)  # (T, 66): landmark-major, x then y
    column_cutoffs = np.repeat(cutoffs, 2)

    n_outliers = 0
    if reject_outliers:
        half_window = int(np.clip(round(HAMPEL_HALF_WINDOW_MS / dt_ms), 1, min(MAX_HAMPEL_HALF_WINDOW, n_frames // 2)))
        floor = HAMPEL_MIN_DEVIATION * scale_px if np.isfinite(scale_px) else 5.0
        measured = xy[:, list(MEASURED_LANDMARKS)].reshape(n_frames, -1)
        outliers = hampel_outliers(measured, half_window, n_sigmas=HAMPEL_SIGMAS, min_deviation=floor)
        if outliers.any():
            columns = columns.copy()
            # x and y of a landmark go together.
            landmark_out = outliers.reshape(n_frames, len(MEASURED_LANDMARKS), 2)
            landmark_out = landmark_out[..., 0] | landmark_out[..., 1]
            as_landmarks = columns.reshape(n_frames, lm.N_LANDMARKS, 2)
            for k, index in enumerate(MEASURED_LANDMARKS):  # loop over landmarks, not frames
                as_landmarks[landmark_out[:, k], index] = np.nan
            n_outliers = int(landmark_out.sum())
    is_measured = np.isfinite(columns).reshape(n_frames, lm.N_LANDMARKS, 2).all(axis=2)
    filled = fill_short_gaps(columns, t_ms, max_gap_ms=max_gap_ms, dt_ms=dt_ms)
    gaps = long_gaps(filled.reshape(n_frames, lm.N_LANDMARKS, 2))
    smooth = lowpass_segments(filled, fs, column_cutoffs)
    smooth = smooth.reshape(n_frames, lm.N_LANDMARKS, 2)
    return CleanedTracks(smooth, swapped, n_outliers, gaps, filled.reshape(n_frames, lm.N_LANDMARKS, 2),
                         stride_period_ms(smooth, t_ms), is_measured)


def long_gaps(xy: np.ndarray, landmarks: tuple[int, ...] = KEY_LANDMARKS) -> list[tuple[int, int]]:
    """Frame ranges inside the clip where any of ``landmarks`` is missing.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Landmarks after gap filling (so what is still missing is a long gap).
    landmarks : tuple of int
        The landmarks that must be present.

    Returns
    -------
    list of (int, int)
        ``(first, stop)`` of each run of frames missing one of them, between
        two frames that have all of them (the clip's ends, where the runner
        enters or leaves, are not gaps).
    """
    xy = np.asarray(xy, dtype=np.float64)
    if xy.ndim != 3 or xy.shape[0] < 3:
        return []
    present = _present(xy[:, list(landmarks)]).all(axis=1)
    if not present.any():
        return []
    first, last = np.flatnonzero(present)[[0, -1]]
    return [(start + first, stop + first) for start, stop in _runs(~present[first:last + 1])]


def undo_left_right_swaps(xy: np.ndarray, t_ms: np.ndarray, *, scale_px: float | None = None,
                          max_burst_ms: float = MAX_SWAP_BURST_MS, stride_ms: float | None = None) -> tuple[np.ndarray, int]:
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
        The stride period if already known (:func:`stride_period_ms`).

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
    diffs = {name: (xy[:, np.asarray(left) + 1] - xy[:, np.asarray(left)]).reshape(n, -1)
             for name, left in SWAP_GROUPS.items()}
    if stride_ms is None:
        stride = stride_frames(diffs["legs"], dt_ms)
    else:
        stride = int(round(stride_ms / dt_ms)) if np.isfinite(stride_ms) else None
    if not stride:
        return xy, 0
    max_burst = int(max_burst_ms / dt_ms)
    changed = np.zeros(n, dtype=bool)
    for name, left in SWAP_GROUPS.items():
        left = np.asarray(left)
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
        if segment.label == "side" and facing:
            part = slice(segment.start_frame, segment.stop_frame)
            swap[part] = _mislabelled_frames(xy[part], t_ms[part], facing)
    left = np.asarray(SWAP_GROUPS["legs"])
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


def forward_reach(xy: np.ndarray, points, fallbacks, facing: int, *, hips: np.ndarray | None = None) -> np.ndarray:
    """Forward distance of foot points from the mid-hip, px (Zeni et al. 2008's contact signal).

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Landmark pixels, NaN where missing.
    points, fallbacks : sequence of int, length k
        Landmarks to measure, and the ones taken where each is missing (e.g. heel, then ankle).
    facing : int
        +1 the runner faces image-right, -1 image-left.
    hips : ndarray, shape (T, 33, 2), optional
        Landmarks to take the mid-hip from instead of ``xy``.

    Returns
    -------
    ndarray, shape (T, k)
        Positive ahead of the mid-hip; NaN where neither point nor the mid-hip is seen.
    """
    hips = xy if hips is None else hips
    points, fallbacks = list(points), list(fallbacks)
    with np.errstate(invalid="ignore"):
        mid_hip_x = (hips[:, lm.LEFT_HIP, 0] + hips[:, lm.RIGHT_HIP, 0]) / 2
        x = np.where(np.isfinite(xy[:, points, 0]), xy[:, points, 0], xy[:, fallbacks, 0])
        return (x - mid_hip_x[:, None]) * facing


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
    filled = _interpolate_missing(reach, t_ms, fill_ends=True)
    size = 2 * max(int(round(REACH_SPIKE_HALF_WIDTH_MS / dt_ms)), 1) + 1
    lead = ndimage.median_filter(filled.max(axis=1), size=size, mode="nearest")
    ahead = filled[:, 0] - filled[:, 1]  # unfiltered: a label may be wrong for a single frame
    low, high = np.percentile(lead[seen], [5, 95])
    if not high > low:
        return nothing
    peaks, _ = signal.find_peaks(lead, distance=max(int(np.ceil(MIN_STEP_MS / dt_ms)), 1),
                                 prominence=MIN_STEP_PROMINENCE * (high - low))
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
    lag = lo + int(np.argmax(auto[lo:hi + 1]))
    return (lag if auto[lag] > 0.2 * auto[0] else None), auto


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
    left = np.asarray(SWAP_GROUPS["legs"])
    diff = (xy[:, left + 1] - xy[:, left]).reshape(n, -1)
    lag, auto = _stride_lag(diff, dt_ms)
    if lag is None:
        return float("nan")
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
    for start, stop in _runs(mask):  # loop over runs, not frames
        if stop - start <= max_length:
            out[start:stop] = True
    return out


def hampel_outliers(columns: np.ndarray, half_window: int, *, n_sigmas: float = HAMPEL_SIGMAS,
                    min_deviation: float = 0.0) -> np.ndarray:
    """Hampel filter: which samples lie too far from their running median.

    Parameters
    ----------
    columns : ndarray, shape (T, K)
        Independent signals along axis 0; NaN where missing.
    half_window : int
        The running window spans ``2 * half_window + 1`` samples.
    n_sigmas : float
        Threshold in local robust standard deviations, ``1.4826 x`` the
        running median of the absolute deviations from the running median.
    min_deviation : float
        Deviations up to this (same unit as ``columns``) are never outliers.

    Returns
    -------
    ndarray, bool, shape (T, K)
        True for outliers (never for missing samples).

    Notes
    -----
    The running medians cannot skip NaN, so missing samples are bridged by
    linear interpolation (nearest value at the ends) for the reference only.
    Pearson et al. (2016) review the filter and its window/threshold choices.
    """
    from scipy import ndimage
    columns = np.asarray(columns, dtype=np.float64)
    n, k = columns.shape
    finite = np.isfinite(columns)
    if not finite.any() or n < 3:
        return np.zeros(columns.shape, dtype=bool)
    bridged = columns if finite.all() else np.nan_to_num(_interpolate_missing(columns, np.arange(n, dtype=float),
                                                                              fill_ends=True))
    width = 2 * half_window + 1
    # Filtering the transposed, contiguous copy is about 1.7x faster than along axis 0.
    rows = np.ascontiguousarray(bridged.T)
    reference = ndimage.median_filter(rows, size=(1, width), mode="nearest")
    deviation = np.abs(rows - reference)
    # Only a sample beyond the floor can be an outlier, so the local scale (a second running
    # median) is needed only there: gather those samples' windows instead of filtering everything.
    candidate_k, candidate_t = np.nonzero((deviation > min_deviation) & finite.T)
    outliers = np.zeros(columns.shape, dtype=bool)
    if candidate_k.size:
        window = np.clip(candidate_t[:, None] + np.arange(-half_window, half_window + 1)[None, :], 0, n - 1)
        scale = 1.4826 * np.median(deviation[candidate_k[:, None], window], axis=1)
        hit = deviation[candidate_k, candidate_t] > n_sigmas * scale
        outliers[candidate_t[hit], candidate_k[hit]] = True
    return outliers


def fill_short_gaps(columns: np.ndarray, t_ms: np.ndarray, *, max_gap_ms: float, dt_ms: float | None = None) -> np.ndarray:
    """Linearly interpolate runs of NaN spanning at most ``max_gap_ms`` of missing time.

    Parameters
    ----------
    columns : ndarray, shape (T, K)
        Independent signals along axis 0.
    t_ms : ndarray, shape (T,)
        Sample times, ms.
    max_gap_ms : float
        A gap is filled when the time between the samples around it, minus
        one frame interval, is at most this (so at 30 fps, 120 ms fills up to
        3 missing frames).
    dt_ms : float, optional
        Frame interval; default the median interval.

    Returns
    -------
    ndarray, shape (T, K)
        A copy with the short inner gaps filled; leading, trailing and long
        gaps stay NaN.
    """
    columns = np.asarray(columns, dtype=np.float64)
    if columns.shape[0] < 3:
        return columns.copy()
    if dt_ms is None:
        dt_ms = median_frame_interval_ms(t_ms)
    return _interpolate_missing(columns, np.asarray(t_ms, dtype=np.float64), max_span=max_gap_ms + dt_ms + 1e-9)


def _interpolate_missing(columns: np.ndarray, t: np.ndarray, *, max_span: float = np.inf,
                         fill_ends: bool = False) -> np.ndarray:
    """Linear interpolation in ``t`` over runs of NaN whose neighbours are at most ``max_span`` apart.

    ``fill_ends``: leading and trailing NaN take the nearest value.  Columns
    sharing a missing-data pattern (usually all of a frame's: the pose is
    found or not as a whole) are done together, so the cost is one pass per
    pattern, not per column.
    """
    out = columns.copy()
    n = columns.shape[0]
    finite = np.isfinite(columns)
    if finite.all() or not finite.any():
        return out
    frames = np.arange(n)
    for cols in _same_pattern_groups(finite, np.arange(columns.shape[1])):  # loop over patterns (few)
        present = finite[:, cols[0]]
        if present.all() or not present.any():
            continue
        prev_i = np.maximum.accumulate(np.where(present, frames, -1))
        next_i = np.minimum.accumulate(np.where(present, frames, n)[::-1])[::-1]
        if fill_ends:
            prev_i = np.where(prev_i < 0, next_i, prev_i)
            next_i = np.where(next_i >= n, prev_i, next_i)
        rows = np.flatnonzero(~present & (prev_i >= 0) & (next_i < n))
        p, q = prev_i[rows], next_i[rows]
        span = t[q] - t[p]
        keep = span <= max_span
        rows, p, q, span = rows[keep], p[keep], q[keep], span[keep]
        weight = np.divide(t[rows] - t[p], span, out=np.zeros(len(rows)), where=span > 0)[:, None]
        before, after = columns[np.ix_(p, cols)], columns[np.ix_(q, cols)]
        out[np.ix_(rows, cols)] = before + weight * (after - before)
    return out


def lowpass_segments(columns: np.ndarray, fs: float, cutoffs_hz: np.ndarray) -> np.ndarray:
    """Zero-phase 2nd-order Butterworth low-pass of each contiguous finite segment.

    Parameters
    ----------
    columns : ndarray, shape (T, K)
        Signals along axis 0; NaN splits a signal into segments.
    fs : float
        Sampling rate, Hz.
    cutoffs_hz : ndarray, shape (K,)
        Wanted -3 dB cut-off of each column after the double pass.

    Returns
    -------
    ndarray, shape (T, K)
        Filtered copy.  Columns whose design cut-off would reach 0.9 x Nyquist,
        and segments shorter than the filter's padding, are returned unfiltered.

    Notes
    -----
    Columns sharing a cut-off and a missing-data pattern (usually all of
    them: the pose is found or not as a whole) are filtered together, one
    ``sosfiltfilt`` call per segment.
    """
    from scipy import signal
    out = np.array(columns, dtype=np.float64, copy=True)
    n = out.shape[0]
    if n < 2 or not np.isfinite(fs) or fs <= 0:
        return out
    design = np.asarray(cutoffs_hz, dtype=np.float64) / _DOUBLE_PASS_CORRECTION
    nyquist = fs / 2.0
    finite = np.isfinite(out)
    for cutoff in np.unique(design):
        # Below 1e-4 of Nyquist (timestamps microseconds apart) the filter is numerically singular.
        if not (1e-4 * nyquist < cutoff < 0.9 * nyquist):
            continue
        sos = signal.butter(_ORDER, cutoff, btype="low", fs=fs, output="sos")
        padlen = 3 * (2 * len(sos) + 1)
        cols = np.flatnonzero(design == cutoff)
        for group_cols in _same_pattern_groups(finite, cols):
            for start, stop in _runs(finite[:, group_cols[0]]):
                if stop - start <= padlen:
                    continue
                out[start:stop, group_cols] = signal.sosfiltfilt(sos, out[start:stop, group_cols], axis=0, padlen=padlen)
    return out


def _same_pattern_groups(finite: np.ndarray, cols: np.ndarray) -> list[np.ndarray]:
    """Split ``cols`` into groups whose missing-data patterns (columns of ``finite``) are identical."""
    packed = np.packbits(finite[:, cols], axis=0)
    groups: dict[bytes, list[int]] = {}
    for col, bits in zip(cols.tolist(), packed.T):  # loop over columns (at most 66), not frames
        groups.setdefault(bits.tobytes(), []).append(col)
    return [np.asarray(group) for group in groups.values()]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of True in a 1-D bool array."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _present(xy: np.ndarray) -> np.ndarray:
    """bool (..., L): both coordinates finite (faster than ``isfinite(xy).all(axis=-1)`` over a length-2 axis)."""
    return np.isfinite(xy[..., 0]) & np.isfinite(xy[..., 1])


def body_scale_px(xy: np.ndarray) -> float:
    """Median trunk length (mid-shoulder to mid-hip) in px over the frames that show it, or NaN."""
    mid_sh = (xy[:, lm.LEFT_SHOULDER] + xy[:, lm.RIGHT_SHOULDER]) / 2
    mid_hip = (xy[:, lm.LEFT_HIP] + xy[:, lm.RIGHT_HIP]) / 2
    length = np.hypot(*(mid_sh - mid_hip).T)
    length = length[np.isfinite(length)]
    return float(np.median(length)) if length.size else float("nan")
