"""Camera roll: estimated from the runner's balance axis (rear/front) or the ground line (side), and removed."""

from __future__ import annotations

import numpy as np
import pytest

from formcam.gait.clean import clean_tracks
from formcam.gait.roll import (
    MAX_AUTO_ROLL_DEG,
    RollEstimate,
    balance_axis_roll_deg,
    estimate_camera_roll,
    ground_line_roll_deg,
    level_landmarks,
)
from formcam.synthetic.gait import make_gait
from formcam.synthetic.noise import REALISTIC_NOISE

ASYMMETRIC = dict(pelvic_drop_deg=9.0, trunk_lateral_lean_deg=4.0, shoulder_dip_deg=5.0)


@pytest.mark.parametrize("roll", [-8.0, -2.5, 0.0, 4.0, 11.0])
@pytest.mark.parametrize("view", ["rear", "front"])
def test_balance_axis_gives_the_roll_of_frontal_views(view, roll):
    pose = make_gait(view=view, camera_roll_deg=roll, **ASYMMETRIC)
    assert balance_axis_roll_deg(pose.image_xy.astype(float)) == pytest.approx(roll, abs=0.05)
    noisy = make_gait(view=view, **ASYMMETRIC, **{**REALISTIC_NOISE, "camera_roll_deg": roll})
    cleaned = clean_tracks(noisy.image_xy, noisy.visibility, noisy.t_ms)
    assert estimate_camera_roll(cleaned.xy, noisy.t_ms, view).roll_deg == pytest.approx(roll, abs=0.3)


@pytest.mark.parametrize("fps", [24, 60, 240])
@pytest.mark.parametrize("direction", ["right", "left"])
def test_ground_line_gives_the_roll_of_side_views(direction, fps):
    for roll in (-5.0, 0.0, 7.0):
        pose = make_gait(
            view="side",
            direction=direction,
            fps=fps,
            camera_roll_deg=roll,
            overstride_pct=10,
            trunk_forward_lean_deg=10,
            vertical_oscillation_pct=8,
        )
        assert ground_line_roll_deg(pose.image_xy.astype(float), pose.t_ms) == pytest.approx(roll, abs=0.1)
        noisy = make_gait(
            view="side",
            direction=direction,
            fps=fps,
            overstride_pct=10,
            vertical_oscillation_pct=8,
            **{**REALISTIC_NOISE, "camera_roll_deg": roll},
            seed=fps,
        )
        cleaned = clean_tracks(noisy.image_xy, noisy.visibility, noisy.t_ms)
        estimate = estimate_camera_roll(cleaned.unfiltered, noisy.t_ms, "side")
        assert estimate.source == "ground_line" and estimate.roll_deg == pytest.approx(roll, abs=1.2)


def test_levelling_undoes_the_roll_about_the_frame_centre():
    level = make_gait(view="rear", frame_size=(1000, 800))
    rolled = make_gait(view="rear", frame_size=(1000, 800), camera_roll_deg=6.0)
    np.testing.assert_allclose(level_landmarks(rolled.image_xy, 6.0, (500, 400)), level.image_xy, atol=1e-3)
    np.testing.assert_array_equal(level_landmarks(level.image_xy, float("nan"), (0, 0)), level.image_xy)


def test_too_large_or_unmeasurable_rolls_are_not_applied():
    tilted = make_gait(view="rear", camera_roll_deg=MAX_AUTO_ROLL_DEG + 5)
    estimate = estimate_camera_roll(tilted.image_xy.astype(float), tilted.t_ms, "rear")
    assert estimate.roll_deg == pytest.approx(MAX_AUTO_ROLL_DEG + 5, abs=0.1) and not estimate.applied
    assert estimate_camera_roll(np.full((50, 33, 2), np.nan), np.arange(50.0), "rear") == RollEstimate()
    assert estimate_camera_roll(tilted.image_xy, tilted.t_ms, "unknown").applied is False
    assert RollEstimate().to_json() == {"roll_deg": None, "source": "none", "applied": False}
