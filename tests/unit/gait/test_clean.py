"""Landmark cleaning: visibility gate, outliers, gap filling, zero-phase filtering."""

from __future__ import annotations

import numpy as np
import pytest

from formcam.gait.clean import clean_landmarks, default_cutoffs_hz
from formcam.gait.filters import fill_short_gaps, lowpass_segments
from formcam.pose import landmarks as lm


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


# ------------------------------------------------------------------ Hampel filter, swaps, long gaps
from formcam.gait.clean import CleanedTracks, clean_tracks, long_gaps  # noqa: E402
from formcam.gait.filters import hampel_outliers  # noqa: E402
from formcam.gait.rhythm import stride_period_ms  # noqa: E402
from formcam.gait.swaps import undo_left_right_swaps  # noqa: E402
from formcam.synthetic.gait import make_gait  # noqa: E402
from formcam.synthetic.noise import LEG_SWAP  # noqa: E402


def test_hampel_flags_spikes_against_the_local_spread_only():
    t = np.arange(400) / 24.0
    fast = 100 * np.sin(2 * np.pi * 1.4 * t)  # a foot at 24 fps: 37 px between frames
    still = 5 + np.random.default_rng(0).normal(0, 1.0, t.size)
    columns = np.stack([fast, still], axis=1)
    assert not hampel_outliers(columns, 1, min_deviation=14.0).any()  # smooth motion is never cut
    spiked = columns.copy()
    spiked[200, 1] += 40.0
    spiked[300:302, 1] += 150.0  # a two-frame jump needs a wider window
    found = hampel_outliers(spiked, 2, min_deviation=14.0)
    assert found[200, 1] and found[300:302, 1].all()
    assert found.sum() == 3
    spiked[50, 1] = np.nan
    assert not hampel_outliers(spiked, 2, min_deviation=14.0)[50, 1]


@pytest.mark.parametrize("fps", [24, 60, 240])
@pytest.mark.parametrize("view", ["side", "rear", "front"])
def test_left_right_swap_bursts_are_undone(view, fps):
    clean = make_gait(view=view, fps=fps, duration_s=12, overstride_pct=10, vertical_oscillation_pct=8)
    noisy = make_gait(
        view=view, fps=fps, duration_s=12, overstride_pct=10, vertical_oscillation_pct=8, swap_rate_hz=1.0, seed=fps
    )
    swapped = (np.abs(noisy.image_xy - clean.image_xy) > 1).any(axis=(1, 2))
    assert swapped.sum() >= 10
    fixed, n_fixed = undo_left_right_swaps(noisy.image_xy.astype(float), noisy.t_ms)
    wrong = (np.abs(fixed - clean.image_xy) > 15).any(axis=(1, 2))
    assert wrong.sum() <= 0.1 * swapped.sum()  # a swap that starts while the legs pass each other may stay
    assert n_fixed >= 0.8 * swapped.sum()


@pytest.mark.parametrize("view", ["side", "rear"])
def test_clean_gaits_are_never_swapped(view):
    for fps in (24, 30, 60, 120):
        pose = make_gait(view=view, fps=fps, jitter_px=2.0, overstride_pct=15, seed=fps)
        assert undo_left_right_swaps(pose.image_xy.astype(float), pose.t_ms)[1] == 0


def test_a_long_swap_is_left_alone():
    pose = make_gait(view="rear", duration_s=8)
    xy = pose.image_xy.astype(float)
    left = np.asarray(LEG_SWAP)
    xy[100:160][:, np.r_[left, left + 1]] = xy[100:160][:, np.r_[left + 1, left]]  # 1 s: not a burst
    assert undo_left_right_swaps(xy, pose.t_ms)[1] == 0


def test_stride_period_comes_from_the_legs_rhythm():
    for cadence in (150.0, 180.0):
        pose = make_gait(view="side", cadence_spm=cadence, fps=30, jitter_px=2.0, swap_rate_hz=0.5, seed=1)
        assert stride_period_ms(pose.image_xy, pose.t_ms) == pytest.approx(120000 / cadence, rel=0.01)
    assert np.isnan(stride_period_ms(np.full((100, 33, 2), 5.0), np.arange(100) * 33.3))


def test_long_gaps_are_reported_and_not_filled():
    pose = make_gait(view="rear", fps=30, duration_s=6)
    pose.image_xy[60:75] = np.nan  # 0.5 s
    pose.image_xy[100:102] = np.nan  # 67 ms: filled
    pose.image_xy[:5] = np.nan  # the runner enters: not a gap
    result = clean_tracks(pose.image_xy, None, pose.t_ms)
    assert isinstance(result, CleanedTracks)
    assert result.long_gaps == [(60, 75)]
    assert np.isnan(result.xy[60:75]).all() and np.isfinite(result.xy[100:102]).all()
    assert long_gaps(np.full((10, 33, 2), np.nan)) == []


def test_cleaning_reports_what_it_did():
    pose = make_gait(view="rear", fps=60, swap_rate_hz=1.0, visibility_noise=0.03, jitter_px=2.0, seed=2)
    result = clean_tracks(pose.image_xy, pose.visibility, pose.t_ms)
    assert result.swapped_frames > 0 and result.unfiltered.shape == result.xy.shape
    assert np.isfinite(result.xy[10:-10]).all()


# ------------------------------------------------------------------ side view: legs named by position
from formcam.gait.kinematics import analyse_pose  # noqa: E402
from formcam.gait.steps import regular_steps  # noqa: E402
from formcam.gait.swaps import leading_foot_contacts, undo_side_view_leg_swaps  # noqa: E402


def _labelled_by_position(pose, facing: int) -> np.ndarray:
    """The gait's landmarks with the leg in front always called 'left', as BlazePose often does side-on."""
    xy = pose.image_xy.astype(float)
    left = np.asarray(LEG_SWAP)
    behind = (xy[:, lm.LEFT_HEEL, 0] - xy[:, lm.RIGHT_HEEL, 0]) * facing < 0
    xy[np.ix_(behind, np.r_[left, left + 1])] = xy[np.ix_(behind, np.r_[left + 1, left])]
    return xy


def _legs_match(xy: np.ndarray, truth: np.ndarray) -> float:
    """Share of frames whose leg landmarks are within 15 px of the truth's, where the heels are 30 px apart.

    In the frame where the legs pass each other either label is as good as the other.
    """
    legs = np.r_[np.asarray(LEG_SWAP), np.asarray(LEG_SWAP) + 1]
    apart = np.abs(truth[:, lm.LEFT_HEEL, 0] - truth[:, lm.RIGHT_HEEL, 0]) > 30
    return float(np.mean((np.abs(xy[apart][:, legs] - truth[apart][:, legs]) <= 15).all(axis=(1, 2))))


@pytest.mark.parametrize("fps, direction", [(30, "left"), (60, "right"), (240, "left")])
def test_side_view_legs_named_by_position_get_their_own_labels_back(fps, direction):
    pose = make_gait(view="side", direction=direction, fps=fps, duration_s=6, cadence_spm=180, jitter_px=2.0, seed=fps)
    facing = 1 if direction == "right" else -1
    by_position = _labelled_by_position(pose, facing)
    assert _legs_match(by_position, pose.image_xy) < 0.6  # half the time the wrong leg
    fixed, n_fixed = undo_side_view_leg_swaps(by_position, pose.t_ms)
    # Which leg is "left" cannot be told from labels that never say; each leg keeping one label can.
    swapped_truth = pose.image_xy.copy()
    left = np.asarray(LEG_SWAP)
    swapped_truth[:, np.r_[left, left + 1]] = pose.image_xy[:, np.r_[left + 1, left]]
    assert max(_legs_match(fixed, pose.image_xy), _legs_match(fixed, swapped_truth)) > 0.97
    assert n_fixed > 0.3 * len(pose.t_ms)
    # The leading foot lands once per step whatever the labels: 18 steps in 6 s at 180 steps/min.
    assert abs(len(leading_foot_contacts(by_position, pose.t_ms, facing)) - 18) <= 1


@pytest.mark.parametrize("view", ["side", "rear", "front"])
def test_correctly_labelled_legs_are_not_relabelled(view):
    for fps in (24, 30, 60, 120):
        pose = make_gait(view=view, fps=fps, jitter_px=2.0, overstride_pct=15, seed=fps)
        assert undo_side_view_leg_swaps(pose.image_xy.astype(float), pose.t_ms)[1] == 0, fps


def test_a_side_view_with_legs_named_by_position_keeps_every_step():
    # A 30 fps treadmill sprint filmed side-on: each label's foot reached forward every step, and the
    # contacts of a label (kept at least 0.6 strides apart) lost every other one.
    pose = make_gait(
        view="side", direction="left", fps=30, duration_s=8, cadence_spm=200, overstride_pct=10, jitter_px=2.0, seed=3
    )
    pose.image_xy[:] = _labelled_by_position(pose, -1)
    kin = analyse_pose(pose)
    assert kin.is_running and kin.cadence.value_spm == pytest.approx(200, rel=0.01)
    assert len(regular_steps(kin.events, pose.t_ms)) >= 24  # of the 26 steps in 8 s
