"""Landmark cleaning: visibility gate, outliers, gap filling, zero-phase filtering."""

from __future__ import annotations

import numpy as np
import pytest

from formcam.clean import clean_landmarks, default_cutoffs_hz, fill_short_gaps, lowpass_segments
from formcam import landmarks as lm


def _track(n=300, fps=60.0, freq=1.5, amplitude=40.0):
    t_ms = np.arange(n) * 1000 / fps
    xy = np.zeros((n, 33, 2))
    xy[..., 0] = 300 + amplitude * np.sin(2 * np.pi * freq * t_ms / 1000)[:, None]
    xy[..., 1] = 200 + np.arange(33)[None, :] * 5.0
    return xy, t_ms


def test_slow_motion_passes_and_jitter_is_reduced():
    clean, t_ms = _track()
    noisy = clean + np.random.default_rng(0).normal(0, 2.0, clean.shape)
    out = clean_landmarks(noisy, np.ones((len(t_ms), 33)), t_ms)
    error = (out - clean)[20:-20]
    assert np.std(error) < 0.6 * 2.0
    assert np.abs(np.mean(error)) < 0.3


def test_filter_is_zero_phase():
    clean, t_ms = _track(freq=2.5)
    out = clean_landmarks(clean, None, t_ms)
    x_in, x_out = clean[30:-30, 0, 0] - 300, out[30:-30, 0, 0] - 300
    lags = np.arange(-5, 6)
    correlation = [np.dot(x_in, np.roll(x_out, lag)) for lag in lags]
    assert lags[int(np.argmax(correlation))] == 0


def test_low_visibility_becomes_missing_and_short_gaps_are_filled():
    xy, t_ms = _track(fps=30)
    vis = np.ones((len(t_ms), 33))
    vis[100:103, lm.LEFT_HIP] = 0.1  # 3 frames = 100 ms: filled
    vis[200:215, lm.LEFT_HIP] = 0.1  # 15 frames = 500 ms: left missing
    out = clean_landmarks(xy, vis, t_ms)
    assert np.isfinite(out[100:103, lm.LEFT_HIP]).all()
    assert out[100:103, lm.LEFT_HIP] == pytest.approx(xy[100:103, lm.LEFT_HIP], abs=3.0)  # linear over 133 ms
    assert np.isnan(out[200:215, lm.LEFT_HIP]).all()
    assert np.isfinite(out[199, lm.LEFT_HIP]).all() and np.isfinite(out[215, lm.LEFT_HIP]).all()


def test_outlier_spike_is_rejected():
    xy, t_ms = _track()
    spiked = xy.copy()
    spiked[150, lm.LEFT_ANKLE] += 120.0  # a left/right swap-sized jump
    out = clean_landmarks(spiked, None, t_ms)
    assert np.abs(out[140:160, lm.LEFT_ANKLE] - xy[140:160, lm.LEFT_ANKLE]).max() < 3.0


def test_fill_short_gaps_is_linear_in_time_and_leaves_edges():
    t_ms = np.array([0.0, 10, 20, 30, 40, 50])
    col = np.array([[np.nan], [1.0], [np.nan], [np.nan], [4.0], [np.nan]])
    out = fill_short_gaps(col, t_ms, max_gap_ms=30)
    np.testing.assert_allclose(out[:, 0], [np.nan, 1, 2, 3, 4, np.nan])
    assert np.isnan(fill_short_gaps(col, t_ms, max_gap_ms=10)[2:4]).all()


def test_lowpass_does_not_cross_gaps_and_skips_short_segments():
    t = np.arange(200) / 60
    col = np.sin(2 * np.pi * 1.0 * t)[:, None] + 5
    col[100:120] = np.nan
    col[120:124] = 50.0  # a 4-sample segment: too short to filter, left as is
    col[124:130] = np.nan
    out = lowpass_segments(col, 60.0, np.array([6.0]))
    assert np.isnan(out[100:120]).all()
    np.testing.assert_array_equal(out[120:124], 50.0)
    assert out[:100, 0] == pytest.approx(col[:100, 0], abs=0.05)


def test_cutoff_is_capped_below_nyquist_at_low_frame_rates():
    xy, t_ms = _track(fps=12)
    out = clean_landmarks(xy, None, t_ms, reject_outliers=False)  # 10 Hz limbs exceed 0.9 x Nyquist: unfiltered
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out[:, lm.LEFT_ANKLE], xy[:, lm.LEFT_ANKLE])
    assert default_cutoffs_hz()[lm.LEFT_ANKLE] == 10.0 and default_cutoffs_hz()[lm.LEFT_HIP] == 6.0


def test_irregular_timestamps_are_accepted():
    xy, t_ms = _track()
    jittered = t_ms + np.random.default_rng(1).uniform(-3, 3, len(t_ms))
    jittered.sort()
    out = clean_landmarks(xy, None, jittered)
    assert np.isfinite(out).all()


@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_tiny_and_empty_inputs_do_not_raise(n):
    xy = np.full((n, 33, 2), 3.0)
    out = clean_landmarks(xy, np.ones((n, 33)), np.arange(n, dtype=float))
    assert out.shape == (n, 33, 2)


def test_all_missing_stays_missing():
    out = clean_landmarks(np.full((50, 33, 2), np.nan), np.full((50, 33), np.nan), np.arange(50.0) * 33)
    assert np.isnan(out).all()
