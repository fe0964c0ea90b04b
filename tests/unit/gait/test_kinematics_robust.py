"""analyse_pose never raises, whatever the landmark array: property-based tests (hypothesis).

Degenerate inputs (no frames, one frame, all missing, constant positions, timestamps that repeat or go
backwards, huge or tiny coordinates) give empty results with reasons, never an exception, and every
number that comes out is finite.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from formcam.gait.kinematics import analyse_pose
from formcam.pose.posefile import PoseSequence
from formcam.synthetic.gait import make_gait

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _pose(xy: np.ndarray, t_ms: np.ndarray | None = None, visibility: np.ndarray | None = None) -> PoseSequence:
    n = len(xy)
    t_ms = np.arange(n) * (1000 / 30) if t_ms is None else t_ms
    if visibility is None:
        visibility = np.where(np.isfinite(xy).all(axis=2), 1.0, np.nan)
    return PoseSequence(t_ms, xy, visibility, np.full((n, 33, 3), np.nan), (640, 480))


def _check(kin) -> None:
    """Every reported number is finite, and a missing value has a reason."""
    for result in kin.metrics.values():
        payload = result.to_json()
        json.dumps(payload, allow_nan=False)
        assert payload["value"] is None or np.isfinite(payload["value"])
        assert payload["value"] is not None or payload["reason"]
    assert isinstance(kin.is_running, bool)
    assert kin.is_running or kin.not_running_reason
    for warning in kin.quality:
        assert set(warning.to_json()) == {"code", "message"}


@pytest.mark.parametrize(
    "xy",
    [
        np.zeros((0, 33, 2)),
        np.ones((1, 33, 2)),
        np.full((40, 33, 2), np.nan),
        np.full((90, 33, 2), 7.0),
    ],
    ids=["no frames", "one frame", "all missing", "constant"],
)
def test_degenerate_input_gives_empty_results_without_raising(xy):
    kin = analyse_pose(_pose(xy))
    _check(kin)
    assert np.isnan(kin.cadence.value_spm)
    assert not kin.is_running
    assert all(result.value is None and result.reason for result in kin.metrics.values())
    assert kin.events.n_contacts == 0


@SETTINGS
@given(
    xy=hnp.arrays(
        np.float64,
        st.tuples(st.integers(0, 40), st.just(33), st.just(2)),
        elements=st.one_of(st.just(np.nan), st.floats(-1e4, 1e4)),
    ),
    forced=st.sampled_from([None, "side", "rear", "front"]),
    level=st.sampled_from([None, 0.0, 12.5, -40.0]),
)
def test_any_landmark_array_is_analysed_without_raising(xy, forced, level):
    _check(analyse_pose(_pose(xy), view=forced, level_deg=level))


@SETTINGS
@given(
    n=st.integers(0, 120),
    steps=st.lists(st.floats(-50.0, 50.0, allow_nan=False), min_size=1, max_size=5),
    nan_times=st.booleans(),
)
def test_timestamps_that_repeat_go_backwards_or_are_missing_do_not_raise(n, steps, nan_times):
    pose = make_gait(view="rear", duration_s=n / 60, pelvic_drop_deg=6)
    t_ms = np.cumsum(np.resize(np.asarray(steps), pose.n_frames)) if pose.n_frames else np.zeros(0)
    if nan_times and pose.n_frames:
        t_ms[:: max(pose.n_frames // 3, 1)] = np.nan
    xy, vis = pose.image_xy, pose.visibility
    _check(analyse_pose(_pose(xy, t_ms, vis)))


@SETTINGS
@given(
    scale=st.sampled_from([1e-6, 1e-3, 1.0, 1e3, 1e6]),
    view=st.sampled_from(["side", "rear", "front"]),
    missing=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**16),
)
def test_real_gaits_at_any_scale_with_any_share_missing_do_not_raise(scale, view, missing, seed):
    pose = make_gait(
        view=view,
        duration_s=4,
        overstride_pct=8,
        vertical_oscillation_pct=8,
        seed=seed,
        dropout_fraction=missing,
        jitter_px=1.0,
    )
    rng = np.random.default_rng(seed)
    xy = pose.image_xy * scale
    holes = rng.random(xy.shape[:2]) < missing / 2  # single landmarks missing too
    xy[holes] = np.nan
    vis = np.where(holes, np.nan, pose.visibility)
    _check(analyse_pose(_pose(xy, pose.t_ms, vis)))


@SETTINGS
@given(value=st.floats(-1e6, 1e6, allow_nan=False), n=st.integers(0, 300))
def test_every_landmark_at_one_point_does_not_raise(value, n):
    _check(analyse_pose(_pose(np.full((n, 33, 2), value))))
