"""Slow motion with nothing in the file saying so (issue 20, point 6): the factor is estimated and named.

Each clip is a synthetic run captured at 30 x factor frames/s and shown at 30 frames/s, its
timestamps those of playback, as a phone or a lab camera writes slow motion without metadata.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from formcam.gait.kinematics import analyse_pose
from formcam.gait.slowmo import leg_stride_ms
from formcam.quality.refusal import presence, refusal
from formcam.synthetic.gait import make_gait

ADVICE = re.compile(r"this looks like about (\d+)x slow motion(?: \(.*\))?: run again with --slowmo (\d+)$")


def _slow(view: str, factor: float, *, cadence: float = 170.0, real_s: float = 4.0, seed: int = 0):
    pose = make_gait(
        view=view,
        fps=30 * factor,
        duration_s=real_s,
        cadence_spm=cadence,
        overstride_pct=8.0,
        vertical_oscillation_pct=8.0,
        jitter_px=2.0,
        seed=seed,
    )
    return dataclasses.replace(pose, t_ms=pose.t_ms * factor)


def _refusal(pose, kin=None):
    kin = kin or analyse_pose(pose)
    seen = np.ones(len(pose.t_ms), bool)
    return refusal(kin, presence(seen, pose.t_ms, seen), pose.t_ms)


@pytest.mark.parametrize(
    "view, factor, cadence",
    [("side", 2, 150.0), ("side", 4, 190.0), ("side", 8, 170.0), ("side", 10, 160.0), ("rear", 10, 175.0)]
    + [("front", 8, 165.0), ("rear", 4, 180.0)],
)
def test_uniform_slow_motion_is_named_within_20_percent_and_analysed_right_with_it(view, factor, cadence):
    pose = _slow(view, factor, cadence=cadence)
    why = _refusal(pose)
    assert why is not None and "speed changes" not in why
    match = ADVICE.search(why)
    assert match, why
    advised = int(match.group(2))
    assert advised == int(match.group(1)) and advised == pytest.approx(factor, rel=0.2)
    # Analysed with the advice (the times divided by it, as --slowmo does): running, at the right cadence.
    corrected = dataclasses.replace(pose, t_ms=pose.t_ms / advised)
    corrected.extras.video = {"slow_motion_factor": float(advised)}
    kin = analyse_pose(corrected)
    assert _refusal(corrected, kin) is None and kin.is_running
    # The cadence is right for the factor given (a runner at 160 steps/min 10x slow reads 176 at --slowmo 11).
    assert kin.cadence.value_spm == pytest.approx(cadence * advised / factor, rel=0.03)
    assert "slow_motion_suspected" not in [w.code for w in kin.quality]


def test_a_slowmo_already_given_counts_in_the_advice():
    """A clip 10 times slow analysed with --slowmo 4: the advice is the whole 10, and says 4 was given."""
    pose = _slow("side", 10)
    pose = dataclasses.replace(pose, t_ms=pose.t_ms / 4)
    pose.extras.video = {"slow_motion_factor": 4.0}
    why = _refusal(pose)
    assert why is not None and why.endswith("--slowmo 10") and "divided by only 4" in why


@pytest.mark.parametrize("view", ["side", "rear"])
@pytest.mark.parametrize("factor", [1, 2, 4])
def test_walking_slowed_down_is_not_called_slow_motion(view, factor):
    """Its knees fold too little and it has no flight at any speed: still refused as walking."""
    pose = make_gait(view=view, fps=30 * factor, duration_s=8, cadence_spm=110, flight=False, jitter_px=2.0)
    pose = dataclasses.replace(pose, t_ms=pose.t_ms * factor)
    kin = analyse_pose(pose)
    assert kin.slow_motion_estimate is None
    assert "walking" in _refusal(pose, kin)


@pytest.mark.parametrize("cadence", [150.0, 200.0])
def test_a_run_at_normal_speed_gets_no_estimate(cadence):
    pose = make_gait(view="side", fps=60, duration_s=8, cadence_spm=cadence, jitter_px=2.0)
    kin = analyse_pose(pose)
    assert kin.slow_motion_estimate is None and _refusal(pose, kin) is None


@pytest.mark.parametrize("factor", [1, 10])
def test_the_legs_stride_is_found_at_any_length(factor):
    pose = _slow("side", factor, cadence=170.0)
    assert leg_stride_ms(pose.image_xy, pose.t_ms) == pytest.approx(factor * 120_000 / 170.0, rel=0.02)
