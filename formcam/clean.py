"""Cleaning of raw landmark tracks: visibility gate, outliers, short gaps, zero-phase low-pass.

The pose model's landmarks jitter from frame to frame, sometimes jump, and go
missing.  :func:`clean_landmarks` turns them into tracks the kinematics can
differentiate and take peaks of:

1. **Visibility gate** - samples below ``min_visibility`` become NaN.
2. **Outlier rejection** (Hampel filter) - samples further from their ~50 ms
   running median than ``max(6 sigma, 8 % of the trunk length)`` (sigma from
   the median absolute deviation of that coordinate) become NaN: jumps of
   tens of pixels (left/right swaps, mis-detections) go, smooth motion stays.
3. **Gap filling** - runs of NaN no longer than ``max_gap_ms`` are filled by
   linear interpolation (Stenum et al. 2021 fill gaps under 120 ms); longer
   gaps stay NaN and split the track.
4. **Zero-phase Butterworth** (2nd order, forwards and backwards with
   ``scipy.signal.sosfiltfilt``) on each contiguous finite segment, never
   across a gap.  The double pass lowers the -3 dB point, so the design
   cut-off is the wanted one divided by 0.802 (Winter's correction, as in
   Stenum's code).  Cut-offs follow the research note (section 4): 6 Hz for
   the head, trunk and hips, whose signals (posture, pelvic tilt at stride
   frequency, hip bounce at step frequency, <= 3.5 Hz) are slow; 10 Hz for
   the arms and legs, whose events (contact, toe-off) are fast.  The design
   cut-off is capped at 0.9 x Nyquist; where it would exceed that the
   coordinate is left as is.  Segments shorter than the filter's padding are
   left unfiltered.

Timestamps may be irregular (variable frame rate); the filter uses the median
frame interval without resampling.  For phone VFR clips, whose intervals vary
by a few percent, the cut-off then varies by the same few percent, which does
not matter at these cut-offs.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage, signal

from . import landmarks as lm

#: Wanted -3 dB cut-offs (Hz) of the zero-phase filter, by landmark.
TRUNK_CUTOFF_HZ = 6.0
LIMB_CUTOFF_HZ = 10.0
_LIMB_LANDMARKS = tuple(range(lm.LEFT_ELBOW, lm.LEFT_HIP)) + tuple(range(lm.LEFT_KNEE, lm.N_LANDMARKS))

#: Correction of a 2nd-order Butterworth's cut-off for a forward-backward pass (Winter 2009).
_DOUBLE_PASS_CORRECTION = 0.802
_ORDER = 2


def default_cutoffs_hz() -> np.ndarray:
    """Wanted cut-off per landmark, float64 (33,): 10 Hz for arms and legs, 6 Hz elsewhere."""
    cutoffs = np.full(lm.N_LANDMARKS, TRUNK_CUTOFF_HZ)
    cutoffs[list(_LIMB_LANDMARKS)] = LIMB_CUTOFF_HZ
    return cutoffs


def median_frame_interval_ms(t_ms: np.ndarray) -> float:
    """Median interval between frames in ms, or NaN with fewer than two frames."""
    t_ms = np.asarray(t_ms, dtype=np.float64)
    if t_ms.size < 2:
        return float("nan")
    dt = np.diff(t_ms)
    dt = dt[np.isfinite(dt) & (dt > 0)]
    return float(np.median(dt)) if dt.size else float("nan")


def clean_landmarks(
    image_xy: np.ndarray,
    visibility: np.ndarray | None,
    t_ms: np.ndarray,
    *,
    min_visibility: float = 0.3,
    max_gap_ms: float = 120.0,
    cutoff_hz: float | np.ndarray | None = None,
    reject_outliers: bool = True,
) -> np.ndarray:
    """Gate, de-spike, gap-fill and low-pass landmark tracks.

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
        Whether to run the outlier pass.

    Returns
    -------
    ndarray, float64, shape (T, 33, 2)
        Cleaned pixels; NaN where the track is missing for longer than
        ``max_gap_ms``.  Never raises on empty, all-NaN or constant input.
    """
    xy = np.array(image_xy, dtype=np.float64, copy=True)
    if xy.ndim != 3 or xy.shape[1:] != (lm.N_LANDMARKS, 2) or xy.shape[0] == 0:
        return xy
    t_ms = np.asarray(t_ms, dtype=np.float64)
    n_frames = xy.shape[0]
    if visibility is not None:
        vis = np.asarray(visibility, dtype=np.float64)
        if vis.shape == (n_frames, lm.N_LANDMARKS):
            xy[~(vis >= min_visibility)] = np.nan  # NaN visibility fails the test as well
    xy[~np.isfinite(xy).all(axis=2)] = np.nan  # a landmark is either wholly present or absent
    if n_frames < 3:
        return xy

    dt_ms = median_frame_interval_ms(t_ms)
    if not np.isfinite(dt_ms):
        return xy
    fs = 1000.0 / dt_ms
    cutoffs = default_cutoffs_hz() if cutoff_hz is None else np.broadcast_to(np.asarray(cutoff_hz, float), (lm.N_LANDMARKS,))
    columns = xy.reshape(n_frames, -1)  # (T, 66): landmark-major, x then y
    column_cutoffs = np.repeat(cutoffs, 2)

    if reject_outliers:
        outliers = _outliers(columns, fs, _body_scale_px(xy))
        if outliers.any():
            columns = columns.copy()
            columns[outliers] = np.nan
            # x and y of a landmark go together.
            pair = columns.reshape(n_frames, lm.N_LANDMARKS, 2)
            pair[np.isnan(pair).any(axis=2)] = np.nan
    filled = fill_short_gaps(columns, t_ms, max_gap_ms=max_gap_ms, dt_ms=dt_ms)
    smooth = lowpass_segments(filled, fs, column_cutoffs)
    return smooth.reshape(n_frames, lm.N_LANDMARKS, 2)


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
    out = columns.copy()
    n = columns.shape[0]
    if n < 3:
        return out
    if dt_ms is None:
        dt_ms = median_frame_interval_ms(t_ms)
    finite = np.isfinite(columns)
    frames = np.arange(n)[:, None]
    prev_i = np.maximum.accumulate(np.where(finite, frames, -1), axis=0)
    next_i = np.minimum.accumulate(np.where(finite, frames, n)[::-1], axis=0)[::-1]
    inner = ~finite & (prev_i >= 0) & (next_i < n)
    if not inner.any():
        return out
    rows, cols = np.nonzero(inner)
    p, q = prev_i[rows, cols], next_i[rows, cols]
    t_prev, t_next = t_ms[p], t_ms[q]
    short = (t_next - t_prev - dt_ms) <= max_gap_ms + 1e-9
    rows, cols, p, q, t_prev, t_next = rows[short], cols[short], p[short], q[short], t_prev[short], t_next[short]
    weight = (t_ms[rows] - t_prev) / (t_next - t_prev)
    out[rows, cols] = columns[p, cols] + weight * (columns[q, cols] - columns[p, cols])
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
        if not (0 < cutoff < 0.9 * nyquist):
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


def _body_scale_px(xy: np.ndarray) -> float:
    """Median trunk length (mid-shoulder to mid-hip) in px, or NaN."""
    mid_sh = (xy[:, lm.LEFT_SHOULDER] + xy[:, lm.RIGHT_SHOULDER]) / 2
    mid_hip = (xy[:, lm.LEFT_HIP] + xy[:, lm.RIGHT_HIP]) / 2
    length = np.hypot(*(mid_sh - mid_hip).T)
    length = length[np.isfinite(length)]
    return float(np.median(length)) if length.size else float("nan")


def _outliers(columns: np.ndarray, fs: float, scale_px: float) -> np.ndarray:
    """bool (T, K): Hampel outliers, samples far from their running median.

    The running median spans about 50 ms (3 frames at 24-60 fps), short
    enough to follow a foot's peaks and long enough to ignore a one- or
    two-frame jump.  A sample is an outlier when its distance from the
    median exceeds 6 robust sigmas of that coordinate (1.4826 x the median
    absolute distance) and 8 % of the trunk length (so clean, smooth tracks
    lose nothing).
    """
    n, k = columns.shape
    finite = np.isfinite(columns)
    if finite.sum() == 0:
        return np.zeros(columns.shape, dtype=bool)
    half = max(int(round(0.025 * fs)), 1)
    # The median filter cannot skip NaN: bridge gaps with the nearest value for the reference only.
    frames = np.arange(n)
    last = np.maximum.accumulate(np.where(finite, frames[:, None], 0), axis=0)
    bridged = np.where(finite, columns, columns[last, np.arange(k)])
    # Filtering the transposed, contiguous copy is about 1.7x faster than along axis 0.
    reference = ndimage.median_filter(np.ascontiguousarray(np.nan_to_num(bridged).T), size=(1, 2 * half + 1), mode="nearest").T
    residual = np.where(finite, np.abs(columns - reference), np.nan)
    with np.errstate(invalid="ignore"):
        mad = np.median(np.where(finite, residual, 0.0), axis=0)
        floor = 0.08 * scale_px if np.isfinite(scale_px) else 5.0
        return finite & (residual > np.maximum(6 * 1.4826 * mad, floor))
