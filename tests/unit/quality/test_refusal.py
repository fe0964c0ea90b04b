"""Refusal of a clip whose playback speed changes (slow motion in part of it), on synthetic side views."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from formcam.gait.kinematics import analyse_pose
from formcam.quality.refusal import presence, refusal, speed_change
from formcam.synthetic.gait import make_gait


def _ramped(slowdown: float, *, direction: str = "left"):
    """A 30 fps side-view clip: 3 s at normal speed, 6 s played ``slowdown`` times slower, 3 s normal again.

    Like a phone's slow-motion clip: the middle was captured at 30 x ``slowdown`` frames/s and every
    frame is shown for 1/30 s.
    """
    parts = [
        make_gait(
            view="side",
            direction=direction,
            fps=30 * factor,
            duration_s=seconds / factor,
            cadence_spm=180,
            overstride_pct=10,
            jitter_px=2.0,
            seed=i,
        )
        for i, (factor, seconds) in enumerate(((1, 3), (slowdown, 6), (1, 3)))
    ]
    xy = np.concatenate([p.image_xy for p in parts])
    return dataclasses.replace(
        parts[0],
        t_ms=np.arange(len(xy)) * 1000 / 30,
        image_xy=xy,
        visibility=np.concatenate([p.visibility for p in parts]),
        world_xyz=np.concatenate([p.world_xyz for p in parts]),
    )


@pytest.mark.parametrize("slowdown", [2, 4])
def test_a_clip_whose_speed_changes_is_refused_with_both_step_times(slowdown):
    pose = _ramped(slowdown)
    kin = analyse_pose(pose)
    why = speed_change(kin.xy_level, pose.t_ms, kin.view)
    assert why is not None
    fast, slow, factor = map(
        float, re.search(r"last ([\d.]+) s around .* but ([\d.]+) s around .*, ([\d.]+) times", why).groups()
    )
    assert fast == pytest.approx(60 / 180, abs=0.03) and slow == pytest.approx(slowdown * 60 / 180, rel=0.1)
    assert factor == pytest.approx(slowdown, rel=0.1)
    assert "slow motion" in why and "--slowmo" in why and not why.endswith(".")
    # The policy: a clip the kinematics core calls running is still refused for it.
    where = presence(np.ones(len(pose.t_ms), bool), pose.t_ms, np.ones(len(pose.t_ms), bool))
    assert refusal(kin, where, pose.t_ms) == why


@pytest.mark.parametrize("cadence", [150, 210])
def test_a_steady_run_keeps_its_speed(cadence):
    pose = make_gait(
        view="side",
        fps=30,
        duration_s=12,
        cadence_spm=cadence,
        overstride_pct=10,
        jitter_px=2.0,
        swap_rate_hz=0.5,
        seed=cadence,
    )
    kin = analyse_pose(pose)
    assert speed_change(kin.xy_level, pose.t_ms, kin.view) is None
    where = presence(np.ones(len(pose.t_ms), bool), pose.t_ms, np.ones(len(pose.t_ms), bool))
    assert refusal(kin, where, pose.t_ms) is None


def test_only_side_views_with_a_known_facing_are_judged():
    pose = _ramped(4)
    kin = analyse_pose(pose, view="rear")
    assert speed_change(kin.xy_level, pose.t_ms, kin.view) is None
    assert speed_change(None, pose.t_ms, analyse_pose(pose).view) is None


def _slowed(seconds: float, *, cadence: float, running: bool = True):
    """``seconds`` of a side-view gait captured at 120 frames/s and played at 30: four times slower."""
    pose = make_gait(
        view="side",
        direction="right",
        fps=120,
        duration_s=seconds,
        cadence_spm=cadence,
        overstride_pct=10,
        flight=running,
        jitter_px=2.0,
        seed=7,
    )
    return dataclasses.replace(pose, t_ms=np.arange(len(pose.t_ms)) * 1000 / 30)


@pytest.mark.parametrize("running", [True, False])
def test_too_few_steps_slower_than_a_walk_with_running_knees_are_called_slow_motion(running):
    # 1.1 s of a run (about 3 steps) or of a walk (2), in view for 4.4 s.
    pose = _slowed(1.1, cadence=180 if running else 110, running=running)
    kin = analyse_pose(pose)
    where = presence(np.ones(len(pose.t_ms), bool), pose.t_ms, np.ones(len(pose.t_ms), bool))
    why = refusal(kin, where, pose.t_ms)
    assert re.match(r"only \d regular alternating steps were found \(at least 4 are needed\)", why)
    if running:
        step_s = float(re.search(r"take about ([\d.]+) s each", why).group(1))
        assert step_s == pytest.approx(4 * 60 / 180, abs=0.15)
        assert "this looks like slow motion with too few steps in it" in why and "--slowmo" in why
    else:  # slow steps, but the knees of a walk: the kinematics core's reason stands
        assert why.endswith("(at least 4 are needed)")  # the warning under --force adds "does not look like running"


def test_the_not_running_warning_says_so_once():
    """Issue 23: the warning under --force said 'does not look like running' twice in one sentence."""
    kin = analyse_pose(_slowed(1.1, cadence=110, running=False))
    assert not kin.is_running and kin.not_running_reason.startswith("only")
    messages = [q.message for q in kin.quality if q.code == "not_running"]
    assert messages and all(m.lower().count("does not look like running") == 1 for m in messages), messages


def test_a_two_frame_clip_is_too_short_not_without_a_runner():
    """Before: "No runner was found in a.mp4 (a person was seen in 2 of 2 frames)" (issue 22, point 16)."""
    from formcam.errors import NothingToAnalyseError
    from formcam.quality.refusal import require_person

    with pytest.raises(NothingToAnalyseError) as refused:
        require_person(presence(np.ones(2, bool), np.array([0.0, 33.3])), "a.mp4")
    message = str(refused.value)
    assert message.startswith("a.mp4 is too short to analyse: it has only 2 frames (0.03 s)"), message
    assert "No runner" not in message and message.endswith(".")
