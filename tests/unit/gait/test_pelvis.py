"""The pelvis line from two stickers: gaps, roll, sign and midstance (formcam.gait.pelvis, step_values)."""

from __future__ import annotations

import numpy as np
import pytest

from formcam.gait.pelvis import MAX_FILL_MS, fill_short_gaps, marker_line, values_at
from formcam.gait.step_values import lowest_pelvis_ms


def _tracks(tilt_deg: np.ndarray, separation: float = 40.0) -> np.ndarray:
    """Marker tracks (T, 2, 2) of a line through (500, 400) at ``tilt_deg`` (+ = the runner's right lower)."""
    angle = np.radians(tilt_deg)
    half = separation / 2 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    centre = np.array([500.0, 400.0])
    return np.stack([centre - half, centre + half], axis=1)


def test_tilt_is_positive_with_the_runners_right_marker_lower_and_roll_is_removed():
    t_ms = np.arange(100) * 1000 / 60
    tilt = 6 * np.sin(2 * np.pi * t_ms / 700)
    line = marker_line(_tracks(tilt), t_ms)
    assert line.tilt_deg == pytest.approx(tilt, abs=1e-9) and line.usable and line.filled == 0
    # A camera rolled by 3 degrees (a level line slopes down to the right): removed as for the landmarks.
    rolled = marker_line(_tracks(tilt + 3.0), t_ms, roll_deg=3.0, centre=(640.0, 360.0))
    assert rolled.tilt_deg == pytest.approx(tilt, abs=1e-9)


def test_short_gaps_are_filled_along_the_curve_and_long_ones_left_out():
    t_ms = np.arange(300) * 1000 / 60
    tilt = 8 * np.cos(2 * np.pi * t_ms / 700)
    xy = _tracks(tilt)
    peak = int(np.argmin(np.abs(t_ms - 700)))
    xy[peak - 3 : peak + 3] = np.nan  # 100 ms hidden by an arm, at the peak
    xy[200:230] = np.nan  # half a second out of the picture
    line = marker_line(xy, t_ms)
    assert line.filled == 6 and line.left_out == 30
    assert np.isnan(line.tilt_deg[200:230]).all() and not line.seen[peak]
    # A spline, not a chord: the hidden peak comes back within a tenth of a degree.
    assert line.tilt_deg[peak] == pytest.approx(tilt[peak], abs=0.1)
    assert line.summary()["frames_filled"] == 6 and line.summary()["max_fill_ms"] == MAX_FILL_MS


def test_fill_leaves_the_ends_and_keeps_measurements():
    t_ms = np.arange(10) * 10.0
    values = np.arange(10, dtype=float)[:, None] * np.ones((1, 2))
    seen = np.ones(10, bool)
    seen[[0, 4, 9]] = False
    values[~seen] = np.nan
    out = fill_short_gaps(values, t_ms, seen, 30.0)
    assert np.isnan(out[[0, 9]]).all() and out[4] == pytest.approx([4.0, 4.0]) and (out[seen] == values[seen]).all()


def test_tracks_seen_too_rarely_are_not_used():
    t_ms = np.arange(100) * 10.0
    xy = _tracks(np.zeros(100))
    xy[::2] = np.nan
    xy[1::4] = np.nan
    assert not marker_line(xy, t_ms).usable


def test_values_at_average_around_a_time_and_never_read_across_a_gap():
    t_ms = np.arange(10) * 10.0
    signal = t_ms.copy()
    assert values_at(signal, t_ms, np.array([45.0]), 10.0) == pytest.approx([45.0])
    signal[5] = np.nan
    assert np.isnan(values_at(signal, t_ms, np.array([45.0]), 10.0)).all()


def test_midstance_is_where_the_pelvis_is_lowest_whatever_the_stance_window():
    t_ms = np.arange(200) * 1000 / 60
    y = 400 + 10 * np.cos(2 * np.pi * (t_ms - 500) / 353)  # lowest (largest y) at 500 ms, every step
    start = np.array([np.searchsorted(t_ms, 400.0)])
    stop = np.array([np.searchsorted(t_ms, 640.0)])  # a window off-centre by 20 ms
    assert lowest_pelvis_ms(y, t_ms, start, stop) == pytest.approx([500.0], abs=3.0)
    flat = np.full(200, 400.0)
    middle = (t_ms[start] + t_ms[stop - 1]) / 2
    assert lowest_pelvis_ms(flat, t_ms, start, stop, min_depth_px=1.0) == pytest.approx(middle)
