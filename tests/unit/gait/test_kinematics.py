"""End-to-end kinematics on exact synthetic gaits: every known parameter is recovered, clean and noisy.

Targets (issue 3): on clean data cadence within 0.5 %, angles within 1 degree, percentages within 1 point;
with realistic noise (jitter, lost poses, skipped frames, left/right swap bursts, camera roll, visibility
noise) within 2 degrees / 2 points and cadence within 1 %; across views, directions and 24-240 fps.
Values read at foot contact are the exception documented in docs/accuracy.md: a frame at 24-30 fps lasts
33-42 ms, in which the knee flexes by several degrees, so on clean data they are held to 1 degree at 60 fps
and above and to 2.5 degrees below.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from formcam.gait.kinematics import Kinematics, analyse_pose
from formcam.pose import landmarks as lm
from formcam.synthetic.gait import make_gait
from formcam.synthetic.noise import REALISTIC_NOISE

FRONTAL = dict(
    pelvic_drop_deg=7.0,
    shoulder_dip_deg=4.0,
    trunk_lateral_lean_deg=3.0,
    vertical_oscillation_pct=8.0,
    arm_crossover_pct=5.0,
)
SAGITTAL = dict(
    head_forward_pct=12.0,
    trunk_forward_lean_deg=8.0,
    vertical_oscillation_pct=8.0,
    overstride_pct=10.0,
    knee_flexion_contact_deg=18.0,
)
FRONTAL_ANGLES = ["pelvic_drop_deg", "shoulder_dip_deg", "trunk_lateral_lean_deg"]
FRONTAL_PERCENTAGES = ["vertical_oscillation_pct", "arm_crossover_pct"]
SIDE_ANGLES = ["head_forward_deg", "trunk_forward_lean_deg"]
SIDE_PERCENTAGES = ["head_forward_pct", "vertical_oscillation_pct", "overstride_pct"]
AT_CONTACT = ["knee_flexion_contact_deg", "shank_angle_contact_deg"]


def _analyse(**params) -> tuple[Kinematics, dict]:
    # Frontal views come with the pelvis stickers' tracks: without them there is no pelvic drop.
    pose = make_gait(**{"markers": True, **params})
    assert pose.extras.truth is not None  # make_gait always gives its truth
    return analyse_pose(pose), pose.extras.truth


def _assert_close(kin: Kinematics, truth: dict, names, tol: float, side_tol: float | None = None) -> None:
    """``value`` within ``tol`` of the truth, and each side's median within ``side_tol`` (default ``tol``)."""
    side_tol = tol if side_tol is None else side_tol
    for name in names:
        result = kin.metrics[name]
        assert result.value is not None, (name, result.reason)
        assert result.value == pytest.approx(truth[name], abs=tol), name
        if result.left is not None or result.right is not None:
            assert result.left == pytest.approx(truth[name], abs=side_tol), name
            assert result.right == pytest.approx(truth[name], abs=side_tol), name


@pytest.mark.parametrize("fps", [24, 30, 60, 120, 240])
@pytest.mark.parametrize("view", ["rear", "front"])
def test_clean_frontal_views_recover_every_frontal_parameter(view, fps):
    kin, truth = _analyse(view=view, fps=fps, duration_s=10, **FRONTAL)
    assert kin.view.label == view and kin.is_running
    assert kin.cadence.value_spm == pytest.approx(170.0, rel=0.005)
    _assert_close(kin, truth, FRONTAL_ANGLES, 1.0)
    _assert_close(kin, truth, FRONTAL_PERCENTAGES, 1.0)
    assert kin.quality == [] or {q.code for q in kin.quality} == {"low_frame_rate"}


@pytest.mark.parametrize("fps", [24, 30, 60, 120, 240])
@pytest.mark.parametrize("direction", ["right", "left"])
def test_clean_side_view_recovers_every_sagittal_parameter_either_direction(direction, fps):
    kin, truth = _analyse(view="side", direction=direction, fps=fps, duration_s=10, **SAGITTAL)
    assert (kin.view.label, kin.view.direction) == ("side", direction) and kin.is_running
    assert kin.cadence.value_spm == pytest.approx(170.0, rel=0.005)
    _assert_close(kin, truth, SIDE_ANGLES, 1.0)
    _assert_close(kin, truth, SIDE_PERCENTAGES, 1.0)
    _assert_close(kin, truth, AT_CONTACT, 1.0 if fps >= 60 else 2.5)


@pytest.mark.parametrize("cadence", [150.0, 185.0])
@pytest.mark.parametrize("view", ["side", "rear"])
def test_cadence_of_other_speeds_to_half_a_percent(view, cadence):
    kin, _ = _analyse(view=view, cadence_spm=cadence, duration_s=10, **(SAGITTAL if view == "side" else FRONTAL))
    assert kin.cadence.value_spm == pytest.approx(cadence, rel=0.005)
    assert kin.cadence.source == "contacts"


def test_a_runner_going_left_and_one_going_right_give_the_same_signs_and_values():
    right, _ = _analyse(view="side", direction="right", **SAGITTAL)
    left, _ = _analyse(view="side", direction="left", **SAGITTAL)
    for name in SIDE_ANGLES + SIDE_PERCENTAGES + AT_CONTACT:
        assert right.metrics[name].value == pytest.approx(left.metrics[name].value, abs=0.05), name
    assert right.metrics["trunk_forward_lean_deg"].value > 0 and right.metrics["head_forward_pct"].value > 0
    assert right.metrics["overstride_pct"].value > 0


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("fps", [30, 60, 120])
@pytest.mark.parametrize("view", ["rear", "front"])
def test_realistic_noise_frontal_views_within_two_units(view, fps, seed):
    kin, truth = _analyse(view=view, fps=fps, duration_s=12, **FRONTAL, **REALISTIC_NOISE, seed=seed)
    assert kin.view.label == view
    assert kin.roll.applied and kin.roll.roll_deg == pytest.approx(REALISTIC_NOISE["camera_roll_deg"], abs=0.5)
    assert kin.cadence.value_spm == pytest.approx(170.0, rel=0.01)
    _assert_close(kin, truth, FRONTAL_ANGLES + FRONTAL_PERCENTAGES, 2.0, side_tol=2.5)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("fps", [30, 60, 120])
@pytest.mark.parametrize("direction", ["right", "left"])
def test_realistic_noise_side_view_within_two_units(direction, fps, seed):
    # A side view's roll is not removed automatically (it cannot be told from perspective): here the
    # camera is level, as the user would say with --level when it is not (see the --level test).
    noise = {**REALISTIC_NOISE, "camera_roll_deg": 0.0}
    kin, truth = _analyse(view="side", direction=direction, fps=fps, duration_s=12, **SAGITTAL, **noise, seed=seed)
    assert kin.view.direction == direction
    assert not kin.roll.applied and abs(kin.roll.roll_deg) < 1.5  # measured, reported, not applied
    assert kin.cadence.value_spm == pytest.approx(170.0, rel=0.01)
    _assert_close(kin, truth, SIDE_ANGLES + SIDE_PERCENTAGES + AT_CONTACT, 2.0, side_tol=2.5)


def test_swap_bursts_alone_change_nothing_measurable():
    clean, truth = _analyse(view="rear", **FRONTAL)
    swapped, _ = _analyse(view="rear", **FRONTAL, swap_rate_hz=1.0, seed=4)
    assert swapped.cleaning.swapped_frames > 10
    for name in FRONTAL_ANGLES + FRONTAL_PERCENTAGES:
        assert swapped.metrics[name].value == pytest.approx(clean.metrics[name].value, abs=0.3), name


def test_rear_and_front_views_of_the_same_gait_agree():
    rear, _ = _analyse(view="rear", **FRONTAL)
    front, _ = _analyse(view="front", **FRONTAL)
    for name in FRONTAL_ANGLES:
        assert rear.metrics[name].left == pytest.approx(front.metrics[name].left, abs=0.2)
        assert rear.metrics[name].right == pytest.approx(front.metrics[name].right, abs=0.2)


def test_metrics_of_the_other_view_are_null_and_marked_invalid():
    kin, _ = _analyse(view="side", **SAGITTAL)
    result = kin.metrics["pelvic_drop_deg"]
    assert result.value is None and result.valid_for_view is False
    assert "rear or front" in result.reason


def test_a_clip_that_turns_from_behind_to_the_side_measures_each_metric_on_its_own_part():
    from formcam.pose.posefile import PoseSequence

    rear = make_gait(view="rear", duration_s=16, **FRONTAL, markers=True)
    side = make_gait(view="side", duration_s=16, **SAGITTAL)
    n = rear.n_frames + side.n_frames
    pose = PoseSequence(
        np.arange(n) * 1000 / 60,
        np.concatenate([rear.image_xy, side.image_xy]),
        np.concatenate([rear.visibility, side.visibility]),
        np.full((n, 33, 3), np.nan),
        rear.frame_size,
    )
    kin = analyse_pose(pose)
    assert [s.label for s in kin.segments] == ["rear", "side"]
    boundary = kin.segments[1].start_frame
    assert abs(boundary - rear.n_frames) <= 0.1 * n
    measured = kin.metrics["vertical_oscillation_pct"] if kin.view.label in ("rear", "side") else None
    assert measured is not None and measured.value is not None
    label = kin.view.label
    wrong = "head_forward_pct" if label == "rear" else "pelvic_drop_deg"
    right_name = "pelvic_drop_deg" if label == "rear" else "head_forward_pct"
    assert kin.metrics[wrong].value is None
    steps = kin.metrics[right_name].per_step
    assert steps and all((s["frame"] < boundary) == (label == "rear") for s in steps)
    assert "left out" in (kin.metrics[right_name].reason or "left out") or kin.metrics[right_name].value is not None


def test_walking_is_not_running_and_says_why():
    kin, _ = _analyse(view="side", flight=False, vertical_oscillation_pct=4.0)
    assert kin.phase_fractions["flight"] == 0.0
    assert kin.phase_fractions["double_support"] > 0.1
    assert not kin.is_running and "walking" in kin.not_running_reason
    assert "not_running" in [q.code for q in kin.quality]
    rear, _ = _analyse(view="rear", flight=False, vertical_oscillation_pct=4.0)
    assert not rear.is_running and "walking" in rear.not_running_reason


def _straighter_knees(pose, share: float):
    """The pose with each knee drawn ``share`` of its way out from the hip-ankle line (feet untouched), as a
    pose model draws a folded leg it cannot see well (a dark or noisy clip) straighter than it is."""
    xy = pose.image_xy.copy()
    for hip, knee, ankle in ((lm.LEFT_HIP, lm.LEFT_KNEE, lm.LEFT_ANKLE), (lm.RIGHT_HIP, lm.RIGHT_KNEE, lm.RIGHT_ANKLE)):
        middle = (xy[:, hip] + xy[:, ankle]) / 2
        xy[:, knee] = middle + share * (xy[:, knee] - middle)
    return dataclasses.replace(pose, image_xy=xy)


def test_a_run_whose_swing_knee_the_pose_model_draws_straighter_is_still_running():
    """Issue 20: a darkened real treadmill run was refused as walking (swing knee 68°) at 168 steps/min.

    The knee's fold is the cue a dark or noisy picture spoils; the steps' rhythm survives it.  A shallow
    knee at a running rhythm is left to the flight cue, while walking (slow steps, or both feet down) is
    still refused.
    """
    from formcam.gait.kinematics import MIN_RUNNING_SWING_KNEE_DEG, swing_knee_flexion_deg

    run = make_gait(view="side", vertical_oscillation_pct=8.0, duration_s=8, seed=1)
    dim = analyse_pose(_straighter_knees(run, 0.6))
    assert swing_knee_flexion_deg(dim.xy_level) < MIN_RUNNING_SWING_KNEE_DEG
    assert dim.is_running, dim.not_running_reason
    assert dim.cadence.value_spm == pytest.approx(170.0, rel=0.02)
    # Walking keeps its refusal: at a walking rhythm on the knee's word, at a running one on both feet down.
    for cadence in (110.0, 170.0):
        walk = analyse_pose(make_gait(view="side", flight=False, vertical_oscillation_pct=4.0, cadence_spm=cadence))
        assert not walk.is_running and "walking" in walk.not_running_reason
    slow = analyse_pose(make_gait(view="side", flight=False, vertical_oscillation_pct=4.0, cadence_spm=110.0))
    assert "knees bend to only" in slow.not_running_reason


def test_running_on_the_spot_is_not_running():
    kin, _ = _analyse(view="side", running_in_place=True, vertical_oscillation_pct=8.0)
    assert not kin.is_running and "on the spot" in kin.not_running_reason


def test_standing_still_is_not_running():
    pose = make_gait(view="front", duration_s=6)
    pose.image_xy[:] = pose.image_xy[:1]  # frozen in one pose
    kin = analyse_pose(pose)
    assert not kin.is_running and "steps" in kin.not_running_reason


def test_running_at_half_cadence_suggests_slow_motion():
    kin, _ = _analyse(view="side", cadence_spm=85.0, duration_s=12, vertical_oscillation_pct=8.0)
    assert kin.is_running and kin.not_running_reason is None
    assert kin.cadence.value_spm == pytest.approx(85.0, rel=0.01)
    warning = [q for q in kin.quality if q.code == "slow_motion_suspected"]
    assert warning and "--slowmo 2" in warning[0].message


def test_a_runner_seen_in_few_frames_is_reported():
    kin, _ = _analyse(view="rear", dropout_fraction=0.6, seed=1)
    assert kin.detected_fraction == pytest.approx(0.4, abs=0.06)
    assert "low_detection" in [q.code for q in kin.quality]


def test_short_clip_warns_of_few_steps_and_nulls_metrics_naming_the_minimum():
    kin, _ = _analyse(view="rear", duration_s=3, **FRONTAL)
    assert "few_steps" in [q.code for q in kin.quality]
    result = kin.metrics["pelvic_drop_deg"]
    assert result.value is None and "at least 7 per side" in result.reason and "Dingenen" in result.reason
    assert kin.metrics["shoulder_dip_deg"].value is not None  # formcam's own minimum, 3 per side


def test_forced_view_overrides_detection():
    pose = make_gait(view="rear", **FRONTAL, markers=True)
    kin = analyse_pose(pose, view="side")
    assert kin.view.label == "side" and kin.view.confidence == 1.0
    assert kin.metrics["pelvic_drop_deg"].valid_for_view is False


def test_height_gives_vertical_oscillation_in_cm():
    pose = make_gait(view="side", vertical_oscillation_pct=8.0)
    truth = pose.extras.truth
    kin = analyse_pose(pose, height_cm=180.0)
    expected_cm = truth["vertical_oscillation_px"] * 180.0 / truth["runner_height_px"]
    assert kin.metrics["vertical_oscillation_cm"].value == pytest.approx(expected_cm, rel=0.03)


def test_level_hint_replaces_the_estimate():
    pose = make_gait(view="rear", camera_roll_deg=5.0, **FRONTAL, markers=True)
    truth = pose.extras.truth
    hinted = analyse_pose(pose, level_deg=5.0)
    assert (hinted.roll.source, hinted.roll.roll_deg) == ("user", 5.0)
    assert hinted.metrics["pelvic_drop_deg"].left == pytest.approx(truth["pelvic_drop_deg"], abs=0.3)
    ignored = analyse_pose(pose, level_deg=0.0)  # "the camera was level": 5 degrees land on the sides
    assert abs(ignored.metrics["pelvic_drop_deg"].left - ignored.metrics["pelvic_drop_deg"].right) > 8
    assert "camera_rolled" not in [q.code for q in hinted.quality + ignored.quality]


def test_a_rolled_side_view_is_measured_as_filmed_unless_level_is_given():
    pose = make_gait(view="side", camera_roll_deg=5.0, **SAGITTAL)
    truth = pose.extras.truth
    as_filmed = analyse_pose(pose)
    assert as_filmed.roll.source == "ground_line" and not as_filmed.roll.applied
    assert as_filmed.roll.roll_deg == pytest.approx(5.0, abs=0.3)
    warning = next(q for q in as_filmed.quality if q.code == "camera_tilted")
    assert "--level" in warning.message and "5.0°" in warning.message
    # Facing right, a clockwise roll tips everything forward: five degrees more lean.
    assert as_filmed.metrics["trunk_forward_lean_deg"].value == pytest.approx(
        truth["trunk_forward_lean_deg"] + 5, abs=0.5
    )
    levelled = analyse_pose(pose, level_deg=5.0)
    _assert_close(levelled, truth, SIDE_ANGLES + SIDE_PERCENTAGES, 1.0)


def test_a_rolled_camera_is_corrected_and_reported():
    kin, truth = _analyse(view="front", camera_roll_deg=-7.0, **FRONTAL)
    assert kin.roll.applied and kin.roll.roll_deg == pytest.approx(-7.0, abs=0.2)
    _assert_close(kin, truth, FRONTAL_ANGLES, 1.0)
    warning = next(q for q in kin.quality if q.code == "camera_rolled")
    assert "-7.0°" in warning.message and "--level" in warning.message
    # kin.xy stays in the picture's coordinates (it is drawn on the video); measurements use xy_level.
    assert not np.allclose(kin.xy, kin.xy_level, equal_nan=True)


def test_capture_quality_warnings_from_the_landmarks():
    small, _ = _analyse(view="rear", runner_height_px=150, frame_size=(1280, 720), fps=25, **FRONTAL)
    codes = {q.code for q in small.quality}
    assert {"subject_small", "low_frame_rate"} <= codes
    pose = make_gait(view="rear", **FRONTAL, markers=True)
    pose.image_xy[200:260] = np.nan  # one second without the runner
    pose.visibility[200:260] = np.nan
    kin = analyse_pose(pose)
    gap = next(q for q in kin.quality if q.code == "long_gaps")
    assert "1.0 s" in gap.message
    assert kin.cleaning.long_gaps == [(200, 260)]
    big, _ = _analyse(view="rear", **FRONTAL)
    assert not {"subject_small", "low_frame_rate", "long_gaps"} & {q.code for q in big.quality}


def test_ten_minutes_at_60_fps_are_analysed_without_drift():
    kin, _ = _analyse(view="rear", duration_s=600, fps=60, **FRONTAL, jitter_px=2.0, dropout_fraction=0.05, seed=3)
    assert kin.cadence.value_spm == pytest.approx(170.0, rel=0.005)
    assert kin.metrics["pelvic_drop_deg"].n > 1500


def test_report_json_carries_view_segments_roll_and_the_not_running_reason():
    from formcam.pipeline import _video_section_without_file
    from formcam.report.json_report import ReportContent, build_report, validate_report

    pose = make_gait(view="rear", camera_roll_deg=3.0, **FRONTAL, markers=True)
    report = build_report(ReportContent(_video_section_without_file(pose), pose.t_ms, analyse_pose(pose)))
    validate_report(report)
    assert [s["label"] for s in report["view"]["segments"]] == ["rear"]
    assert report["view"]["segments"][0]["stop_frame"] == pose.n_frames
    assert report["view"]["camera_roll"]["source"] == "balance_axis"
    assert report["view"]["camera_roll"]["roll_deg"] == pytest.approx(3.0, abs=0.1)
    assert report["runner"]["is_running"] and report["runner"]["not_running_reason"] is None
    walk = make_gait(view="side", flight=False)
    walking = build_report(ReportContent(_video_section_without_file(walk), walk.t_ms, analyse_pose(walk)))
    validate_report(walking)
    assert "walking" in walking["runner"]["not_running_reason"]


@pytest.mark.parametrize("applied, left_over", [(1.0, 4.0), (4.0, 2.5)])
def test_slow_motion_advice_names_the_whole_factor_not_what_is_left(applied, left_over):
    """A clip 10 times slower than life: analysed with --slowmo 4 it is still 2.5 times slow; the advice is 10."""
    pose = make_gait(view="side", fps=240, duration_s=12, cadence_spm=170.0)
    pose = dataclasses.replace(pose, t_ms=pose.t_ms * left_over)
    pose.extras.video = {"slow_motion_factor": applied}
    kin = analyse_pose(pose)
    advice = next(w.message for w in kin.quality if w.code == "slow_motion_suspected")
    factor = float(re.search(r"--slowmo (\d+)", advice).group(1))
    assert factor == pytest.approx(applied * left_over, rel=0.2)
