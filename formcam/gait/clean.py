"""Cleaning of raw landmark tracks: visibility gate, swaps, outliers, short gaps, zero-phase low-pass.

The pose model's landmarks jitter from frame to frame, sometimes jump, swap
left for right, and go missing.  :func:`clean_tracks` (and its short form
:func:`clean_landmarks`) turns them into tracks the kinematics can
differentiate and take peaks of:

1. **Visibility gate** - samples below ``min_visibility`` become NaN.
2. **Left/right swaps** (:func:`~formcam.gait.swaps.undo_left_right_swaps`) - short bursts in
   which the pose model labels the left leg (or arm, or the trunk's points)
   as the right one are found and swapped back: gait repeats every stride,
   so a frame whose left-to-right difference vector ``D = right - left``
   points against the same phase's one and two strides away is swapped, and
   runs of such frames up to :data:`~formcam.gait.swaps.MAX_SWAP_BURST_MS` long are undone.
   Stenum et al. (2021) fixed these by hand; no tool we know of does it
   automatically.
3. **Legs labelled by position** (:func:`~formcam.gait.swaps.undo_side_view_leg_swaps`) - seen
   from the side, the pose model often names the legs by where they are
   (the front one "right") rather than which they are, for many steps on
   end; a burst detector cannot see that.  The leading foot lands once per
   step, and the leading leg alternates step by step, so in the side-view
   stretches of a clip each regular step's leading leg is given the label
   that alternation asks for.
4. **Hampel filter** (:func:`~formcam.gait.filters.hampel_outliers`, on the landmarks formcam
   measures, :data:`MEASURED_LANDMARKS`) - a sample further from the
   running median of its coordinate (window +-:data:`HAMPEL_HALF_WINDOW_MS`)
   than :data:`~formcam.gait.filters.HAMPEL_SIGMAS` local robust standard deviations (1.4826 x the
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
   Stenum's code).  **Cut-offs** follow
   ``docs/metrics-research.md`` (section 4: Stenum et al. 2021 used 5 Hz for
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
from typing import cast

import numpy as np

from formcam.gait.filters import HAMPEL_SIGMAS, fill_short_gaps, hampel_outliers, lowpass_segments, runs
from formcam.gait.geometry import body_scale_px
from formcam.gait.rhythm import median_frame_interval_ms, stride_period_ms
from formcam.gait.swaps import undo_left_right_swaps, undo_side_view_leg_swaps
from formcam.pose import landmarks as lm

#: Wanted -3 dB cut-offs (Hz) of the zero-phase filter, by landmark.
TRUNK_CUTOFF_HZ = 6.0
LIMB_CUTOFF_HZ = 10.0
_LIMB_LANDMARKS = tuple(range(lm.LEFT_ELBOW, lm.LEFT_HIP)) + tuple(range(lm.LEFT_KNEE, lm.N_LANDMARKS))

#: Hampel filter: half-width of the running window (ms; 3 frames at 60 fps, 1 at 24 fps, 12 at 240 fps).
HAMPEL_HALF_WINDOW_MS = 50.0
#: Hampel filter: the window never spans more than this many frames either side (1000 fps and above).
MAX_HAMPEL_HALF_WINDOW = 50
#: Hampel filter: smallest deviation treated as an outlier, as a fraction of the trunk length
#: (about 14 px on a 600 px runner), so that jitter on a still landmark is never cut.
HAMPEL_MIN_DEVIATION = 0.08
#: Landmarks formcam measures or draws: the Hampel filter runs on these (the eyes, mouth and fingers are
#: only low-passed, which halves its cost).
MEASURED_LANDMARKS = (
    lm.NOSE,
    lm.LEFT_EAR,
    lm.RIGHT_EAR,
    lm.LEFT_SHOULDER,
    lm.RIGHT_SHOULDER,
    lm.LEFT_ELBOW,
    lm.RIGHT_ELBOW,
    lm.LEFT_WRIST,
    lm.RIGHT_WRIST,
    lm.LEFT_HIP,
    lm.RIGHT_HIP,
    lm.LEFT_KNEE,
    lm.RIGHT_KNEE,
    lm.LEFT_ANKLE,
    lm.RIGHT_ANKLE,
    lm.LEFT_HEEL,
    lm.RIGHT_HEEL,
    lm.LEFT_FOOT_INDEX,
    lm.RIGHT_FOOT_INDEX,
)
#: Landmarks whose absence makes a frame unmeasurable, for the long-gap report.
KEY_LANDMARKS = (lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER, lm.LEFT_HIP, lm.RIGHT_HIP, lm.LEFT_ANKLE, lm.RIGHT_ANKLE)


def default_cutoffs_hz() -> np.ndarray:
    """Wanted cut-off per landmark, float64 (33,): 10 Hz for arms and legs, 6 Hz elsewhere."""
    cutoffs = np.full(lm.N_LANDMARKS, TRUNK_CUTOFF_HZ)
    cutoffs[list(_LIMB_LANDMARKS)] = LIMB_CUTOFF_HZ
    return cutoffs


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
        The gait's stride period (:func:`~formcam.gait.rhythm.stride_period_ms`), NaN if unclear.
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
    cutoffs = (
        default_cutoffs_hz() if cutoff_hz is None else np.broadcast_to(np.asarray(cutoff_hz, float), (lm.N_LANDMARKS,))
    )
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
    # (T, 33): numpy's stub cannot tell that a 3-d array reduced along one axis is still an array.
    is_measured = cast(np.ndarray, np.isfinite(columns).reshape(n_frames, lm.N_LANDMARKS, 2).all(axis=2))
    filled = fill_short_gaps(columns, t_ms, max_gap_ms=max_gap_ms, dt_ms=dt_ms)
    gaps = long_gaps(filled.reshape(n_frames, lm.N_LANDMARKS, 2))
    smooth = lowpass_segments(filled, fs, column_cutoffs)
    smooth = smooth.reshape(n_frames, lm.N_LANDMARKS, 2)
    return CleanedTracks(
        smooth,
        swapped,
        n_outliers,
        gaps,
        filled.reshape(n_frames, lm.N_LANDMARKS, 2),
        stride_period_ms(smooth, t_ms),
        is_measured,
    )


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
    present = cast(np.ndarray, _present(xy[:, list(landmarks)]).all(axis=1))  # (T,), as above
    if not present.any():
        return []
    first, last = np.flatnonzero(present)[[0, -1]]
    return [(start + first, stop + first) for start, stop in runs(~present[first : last + 1])]


def _present(xy: np.ndarray) -> np.ndarray:
    """bool (..., L): both coordinates finite (faster than ``isfinite(xy).all(axis=-1)`` over a length-2 axis)."""
    return np.isfinite(xy[..., 0]) & np.isfinite(xy[..., 1])
