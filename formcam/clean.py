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
3. **Hampel filter** (:func:`hampel_outliers`, on the landmarks formcam
   measures, :data:`MEASURED_LANDMARKS`) - a sample further from the
   running median of its coordinate (window +-:data:`HAMPEL_HALF_WINDOW_MS`)
   than :data:`HAMPEL_SIGMAS` local robust standard deviations (1.4826 x the
   running median absolute deviation in the same window), and than
   :data:`HAMPEL_MIN_DEVIATION` of the trunk length, becomes NaN (and is then
   filled like any short gap): one- to three-frame jumps (mis-detections,
   single-frame swaps) go, fast but smooth motion (a foot at 24 fps) stays,
   because its local deviation is large too.
4. **Gap filling** - runs of NaN no longer than ``max_gap_ms`` are filled by
   linear interpolation (Stenum et al. 2021 fill gaps under 120 ms); longer
   gaps stay NaN, split the track, and are reported (:func:`long_gaps`).
5. **Zero-phase Butterworth** (2nd order, forwards and backwards with
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

Camera roll is removed after cleaning, by :mod:`formcam.roll`.

Timestamps may be irregular (variable frame rate); the filter uses the median
frame interval without resampling.  For phone VFR clips, whose intervals vary
by a few percent, the cut-off then varies by the same few percent, which does
not matter at these cut-offs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage, signal

from . import landmarks as lm

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
        Frames in which a left/right swap (of any group) was undone.
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
        Whether to undo short left/right swap bursts.

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
