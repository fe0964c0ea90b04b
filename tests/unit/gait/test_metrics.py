"""Metric table, aggregation, flags, view validity and the report.json form."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from formcam.gait.clean import clean_landmarks
from formcam.gait.events import detect_events
from formcam.gait.metrics import compute_metrics, flag_for, summarise
from formcam.gait.pelvis import marker_line
from formcam.gait.registry import METRICS, MetricSpec
from formcam.gait.signals import frame_signals
from formcam.gait.steps import GaitEvents, StepValue
from formcam.gait.view import ViewEstimate, detect_view
from formcam.synthetic.gait import make_gait

DESIGN_NAMES = {
    "pelvic_drop_deg",
    "shoulder_dip_deg",
    "trunk_lateral_lean_deg",
    "head_forward_pct",
    "head_forward_deg",
    "trunk_forward_lean_deg",
    "vertical_oscillation_pct",
    "overstride_pct",
    "knee_flexion_contact_deg",
    "arm_crossover_pct",
}
REPORT_KEYS = {
    "value",
    "unit",
    "left",
    "right",
    "n",
    "valid_for_view",
    "flag",
    "reference",
    "reason",
    "expected_error",
    "per_step",
}


def _analysed(**params):
    pose = make_gait(**params)
    xy = clean_landmarks(pose.image_xy, pose.visibility, pose.t_ms)
    view = detect_view(xy)
    events = detect_events(xy, pose.t_ms, view)
    return xy, pose.t_ms, view, events, pose.extras.truth


def test_every_design_metric_is_in_the_table_and_in_the_results():
    assert DESIGN_NAMES <= set(METRICS)
    xy, t_ms, view, events, _ = _analysed(view="rear")
    results = compute_metrics(xy, t_ms, view, events)
    assert set(results) == set(METRICS)
    for name, result in results.items():
        payload = result.to_json()
        assert REPORT_KEYS <= set(payload), name
        json.dumps(payload, allow_nan=False)
        assert payload["value"] is not None or payload["reason"], name


def test_metric_of_the_wrong_view_is_null_and_says_which_view_it_needs():
    xy, t_ms, view, events, _ = _analysed(view="rear", head_forward_pct=10)
    result = compute_metrics(xy, t_ms, view, events)["head_forward_pct"]
    assert result.value is None and result.valid_for_view is False and result.flag is None
    assert "side view" in result.reason and "rear" in result.reason


def test_per_step_values_carry_side_frame_and_time():
    xy, t_ms, view, events, truth = _analysed(view="rear", shoulder_dip_deg=6)
    result = compute_metrics(xy, t_ms, view, events)["shoulder_dip_deg"]
    assert result.n == len(result.per_step) >= 2 * 7
    step = result.per_step[0]
    assert set(step) == {"side", "frame", "t_ms", "value"}
    assert step["t_ms"] == pytest.approx(t_ms[step["frame"]])
    lefts = [s["value"] for s in result.per_step if s["side"] == "left"]
    assert result.left == pytest.approx(np.median(lefts))
    assert result.confidence == "normal"


def test_signals_have_the_same_sign_for_both_running_directions():
    signals = {}
    for direction in ("right", "left"):
        xy, _, view, _, _ = _analysed(view="side", direction=direction, head_forward_pct=10, trunk_forward_lean_deg=6)
        signals[direction] = frame_signals(xy, view)
    for name in ("head_forward_pct", "head_forward_deg", "trunk_forward_lean_deg"):
        assert signals["right"][name] == pytest.approx(signals["left"][name], abs=1e-6)
        assert np.nanmedian(signals["right"][name]) > 0
    assert np.isnan(signals["right"]["hip_tilt_deg"]).all()  # frontal signals are not drawn in a side view


def test_frontal_signals_use_the_runners_right_in_rear_and_front_views():
    # Left stance at midstance: the right hip drops (positive hip tilt), the trunk leans left (negative).
    for label in ("rear", "front"):
        xy, t_ms, view, events, truth = _analysed(view=label, pelvic_drop_deg=6, trunk_lateral_lean_deg=4)
        signals = frame_signals(xy, view)
        mid = int(round((truth["contact_t_ms"][2] + truth["duty_factor"] * 60000 / 170) * 60 / 1000))
        assert truth["contact_sides"][2] == "left"
        assert signals["hip_tilt_deg"][mid] == pytest.approx(6, abs=0.5)
        assert signals["trunk_lateral_lean_deg"][mid] == pytest.approx(-4, abs=0.5)


def test_too_few_steps_per_side_gives_null_with_a_reason_and_low_confidence_below_seven():
    t_ms = np.arange(100) * 10.0
    steps = [StepValue("left", 10, 5.0), StepValue("right", 20, 6.0), StepValue("left", 30, 5.5)]
    result = summarise("shoulder_dip_deg", steps, t_ms)
    assert result.value is None and "per side" in result.reason and result.n == 3
    steps = [StepValue(side, 10 * i, 5.0) for i, side in enumerate(["left", "right"] * 4)]
    result = summarise("shoulder_dip_deg", steps, t_ms)
    assert result.value == 5.0 and result.confidence == "low" and result.flag == "ok"


def test_pelvic_drop_without_markers_is_null_saying_how_to_get_it():
    xy, t_ms, view, events, _ = _analysed(view="rear", pelvic_drop_deg=8)
    results = compute_metrics(xy, t_ms, view, events)
    for name in ("pelvic_drop_deg", "pelvic_drop_peak_deg"):
        result = results[name]
        assert result.value is None and result.valid_for_view and result.method is None
        assert "hip points do not follow the pelvis" in result.reason and "stickers" in result.reason


def test_pelvic_drop_from_markers_at_midstance_and_its_peak_per_side():
    pose = make_gait(view="rear", pelvic_drop_deg=8, pelvic_drop_right_deg=3, markers=True, marker_jitter_px=0.2)
    xy = clean_landmarks(pose.image_xy, pose.visibility, pose.t_ms)
    view = detect_view(xy)
    events = detect_events(xy, pose.t_ms, view)
    line = marker_line(pose.markers_xy, pose.t_ms)
    results = compute_metrics(xy, pose.t_ms, view, events, markers=line)
    for name in ("pelvic_drop_deg", "pelvic_drop_peak_deg"):
        result = results[name]
        assert result.method.startswith("measured from markers (both stickers seen in ")
        assert result.to_json()["method"] == result.method
        # Left stance drops the right side by 8 degrees, right stance the left by 3.
        assert result.left == pytest.approx(8, abs=0.4) and result.right == pytest.approx(3, abs=0.4), name
        assert result.value == pytest.approx(5.5, abs=0.4) and result.flag == "watch"  # L-R 5 > 3
    assert results["pelvic_drop_peak_deg"].left >= results["pelvic_drop_deg"].left - 0.1
    hidden = pose.markers_xy.copy()
    hidden[: int(0.6 * len(hidden))] = np.nan  # a shirt over the stickers for most of the clip
    rare = compute_metrics(xy, pose.t_ms, view, events, markers=marker_line(hidden, pose.t_ms))["pelvic_drop_deg"]
    assert rare.value is None and rare.method is None
    assert "stickers were seen together in only" in rare.reason and "uncovered" in rare.reason


@pytest.mark.parametrize(
    "name", ["pelvic_drop_deg", "trunk_lateral_lean_deg", "shank_angle_contact_deg", "knee_flexion_contact_deg"]
)
def test_angles_studied_by_dingenen_need_seven_steps_per_side_and_say_so(name):
    t_ms = np.arange(200) * 10.0
    six = [StepValue(side, 10 * i, 5.0) for i, side in enumerate(["left", "right"] * 6)]
    result = summarise(name, six, t_ms)
    assert result.value is None and result.left is None
    assert "at least 7 per side" in result.reason and "Dingenen" in result.reason
    seven = [StepValue(side, 10 * i, 5.0) for i, side in enumerate(["left", "right"] * 7)]
    assert summarise(name, seven, t_ms).value == 5.0


def test_every_metric_states_its_minimum_and_its_source():
    for name, spec in METRICS.items():
        assert spec.min_steps_per_side >= 3 and spec.min_steps_source, name
    unsided = summarise("head_forward_pct", [StepValue("left", 10 * i, 5.0) for i in range(5)], np.arange(100) * 10.0)
    assert unsided.value is None and "at least 6 are needed" in unsided.reason and "formcam" in unsided.reason


def test_flag_tiers_and_asymmetry():
    spec = METRICS["pelvic_drop_deg"]
    assert flag_for(spec, 6.0, 6.0, 6.0) == "ok"
    assert flag_for(spec, 9.0, 9.0, 9.0) == "watch"
    assert flag_for(spec, 11.0, 11.0, 11.0) == "high"
    assert flag_for(spec, 6.0, 4.0, 8.0) == "watch"  # left-right difference above 3 degrees
    lean = METRICS["trunk_forward_lean_deg"]
    assert flag_for(lean, 2.0, None, None) == "watch" and flag_for(lean, 7.0, None, None) == "ok"
    assert flag_for(MetricSpec("x", "X", "x", ("side",), True, "", 0.0, ""), 100.0, None, None) is None


def test_no_events_nulls_every_metric_with_a_reason():
    xy, t_ms, view, _, _ = _analysed(view="side")
    results = compute_metrics(xy, t_ms, view, GaitEvents())
    assert all(r.value is None and r.reason for r in results.values())
    assert results["head_forward_pct"].valid_for_view is True
    assert results["pelvic_drop_deg"].valid_for_view is False


def test_empty_input():
    results = compute_metrics(np.zeros((0, 33, 2)), np.zeros(0), ViewEstimate(), GaitEvents())
    assert all(r.value is None for r in results.values())
    assert all(len(v) == 0 for v in frame_signals(np.zeros((0, 33, 2)), ViewEstimate()).values())


def test_steps_in_parts_of_the_clip_seen_from_another_view_are_left_out():
    xy, t_ms, view, events, _ = _analysed(view="rear", pelvic_drop_deg=6, duration_s=12)
    everything = compute_metrics(xy, t_ms, view, events)["shoulder_dip_deg"]
    frame_views = np.full(len(t_ms), "rear", dtype="<U7")
    frame_views[: len(t_ms) // 2] = "side"
    half = compute_metrics(xy, t_ms, view, events, frame_views=frame_views)["shoulder_dip_deg"]
    assert 0 < half.n < everything.n
    assert all(step["frame"] >= len(t_ms) // 2 for step in half.per_step)
    frame_views[:] = "oblique"
    none = compute_metrics(xy, t_ms, view, events, frame_views=frame_views)["shoulder_dip_deg"]
    assert none.value is None and "oblique-view parts of the clip were left out" in none.reason


def test_expected_error_comes_from_the_noise_study():
    from formcam.compare import expected_error_value
    from formcam.gait.registry import accuracy_study, expected_error_text

    study = accuracy_study()["metrics"]
    for name, spec in METRICS.items():
        text = expected_error_text(spec)
        assert text == spec.expected_error
        if name in study:
            assert text.startswith(f"±{study[name]['noisy']['p95']:.1f}") and "formcam.synthetic.accuracy" in text
            synthetic = round(study[name]["noisy"]["p95"], 1)
            landmarks = expected_error_value(spec.landmark_error_text, 10.0)
            assert expected_error_value(text, 10.0) == pytest.approx(math.hypot(synthetic, landmarks))


def test_values_read_at_contact_state_the_error_for_their_frame_rate():
    from formcam.gait.registry import accuracy_study

    by_rate = accuracy_study()["contact_timed_by_frame_rate"]
    for fps, key in ((30, "below 50 fps"), (120, "50 fps and above")):
        xy, t_ms, view, events, _ = _analysed(view="side", fps=fps, overstride_pct=10, vertical_oscillation_pct=8)
        knee = compute_metrics(xy, t_ms, view, events)["knee_flexion_contact_deg"]
        assert knee.expected_error.startswith(f"±{by_rate[key]['knee_flexion_contact_deg']['noisy']['p95']:.1f}°")
        assert f"({key})" in knee.expected_error
