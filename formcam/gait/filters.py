"""Signal filters for landmark tracks with gaps: Hampel outliers, gap filling, zero-phase low-pass, robust peaks.

Pure functions over ``(T, K)`` columns (samples along axis 0, NaN where
missing); the choices of windows and cut-offs for landmarks are
:mod:`formcam.gait.clean`'s.
"""

from __future__ import annotations

import numpy as np

# scipy is imported inside the functions that use it: importing it takes about a second, which
# formcam spends while the pose model runs (pipeline.preload_analysis_libraries), not before.
from formcam.gait.rhythm import median_frame_interval_ms

#: A peak must stand out by this fraction of the signal's 5-95 percentile range.
MIN_RELATIVE_PROMINENCE = 0.3


#: Hampel filter: threshold in local robust standard deviations (Hampel's customary 3).
HAMPEL_SIGMAS = 3.0


#: Correction of a 2nd-order Butterworth's cut-off for a forward-backward pass (Winter 2009).
_DOUBLE_PASS_CORRECTION = 0.802


_ORDER = 2


def hampel_outliers(
    columns: np.ndarray, half_window: int, *, n_sigmas: float = HAMPEL_SIGMAS, min_deviation: float = 0.0
) -> np.ndarray:
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
    bridged = (
        columns
        if finite.all()
        else np.nan_to_num(interpolate_missing(columns, np.arange(n, dtype=float), fill_ends=True))
    )
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


def fill_short_gaps(
    columns: np.ndarray, t_ms: np.ndarray, *, max_gap_ms: float, dt_ms: float | None = None
) -> np.ndarray:
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
    return interpolate_missing(columns, np.asarray(t_ms, dtype=np.float64), max_span=max_gap_ms + dt_ms + 1e-9)


def interpolate_missing(
    columns: np.ndarray, t: np.ndarray, *, max_span: float = np.inf, fill_ends: bool = False
) -> np.ndarray:
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
            for start, stop in runs(finite[:, group_cols[0]]):
                if stop - start <= padlen:
                    continue
                out[start:stop, group_cols] = signal.sosfiltfilt(
                    sos, out[start:stop, group_cols], axis=0, padlen=padlen
                )
    return out


def _same_pattern_groups(finite: np.ndarray, cols: np.ndarray) -> list[np.ndarray]:
    """Split ``cols`` into groups whose missing-data patterns (columns of ``finite``) are identical."""
    packed = np.packbits(finite[:, cols], axis=0)
    groups: dict[bytes, list[int]] = {}
    for col, bits in zip(cols.tolist(), packed.T):  # loop over columns (at most 66), not frames
        groups.setdefault(bits.tobytes(), []).append(col)
    return [np.asarray(group) for group in groups.values()]


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of True in a 1-D bool array."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def find_peaks_robust(values: np.ndarray, min_distance: int) -> np.ndarray:
    """Frames of clear local maxima of a 1-D signal with gaps.

    Parameters
    ----------
    values : ndarray, shape (T,)
        NaN where missing.
    min_distance : int
        Smallest distance between peaks, frames.

    Returns
    -------
    ndarray, int
        Peak frames whose prominence is at least
        :data:`MIN_RELATIVE_PROMINENCE` of the 5-95 percentile range, and
        whose neighbours are not missing.
    """
    from scipy import signal

    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    if finite.sum() < 5:
        return np.zeros(0, dtype=int)
    low, high = np.percentile(values[finite], [5, 95])
    if not high > low:
        return np.zeros(0, dtype=int)
    frames = np.arange(len(values))
    filled = np.interp(frames, frames[finite], values[finite])
    peaks, _ = signal.find_peaks(filled, distance=min_distance, prominence=MIN_RELATIVE_PROMINENCE * (high - low))
    near_gap = ~finite | ~np.concatenate([[True], finite[:-1]]) | ~np.concatenate([finite[1:], [True]])
    return peaks[~near_gap[peaks]]
