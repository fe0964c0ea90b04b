"""The pose model's ear bias is corrected (issue 20, point 8): a neutral head is not flagged as forward.

The runners here are synthetic with their ears moved as MediaPipe moves them on rendered runners
(docs/validation.md: an upright head read 8.0°, a head 27.6° forward 29.7°).
"""

from __future__ import annotations

import numpy as np
import pytest

from formcam.gait.calibration import EAR_GAIN, EAR_OFFSET_DEG
from formcam.gait.kinematics import analyse_pose
from formcam.pose import landmarks as lm
from formcam.report.json_report import ReportContent, build_report
from formcam.synthetic.gait import make_gait


def _as_the_pose_model_sees_it(head_forward_pct: float, *, direction: str = "right"):
    """A side-view runner whose ears sit where MediaPipe puts them, marked as read by the model."""
    pose = make_gait(view="side", direction=direction, head_forward_pct=head_forward_pct, jitter_px=1.0, seed=4)
    facing = 1 if direction == "right" else -1
    xy = pose.image_xy.copy()
    ears = [lm.LEFT_EAR, lm.RIGHT_EAR]
    mid_sh = xy[:, [lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER]].mean(axis=1)
    mid_ear = xy[:, ears].mean(axis=1)
    rise = mid_sh[:, 1] - mid_ear[:, 1]
    true_deg = np.degrees(np.arctan2((mid_ear[:, 0] - mid_sh[:, 0]) * facing, rise))
    seen_dx = rise * np.tan(np.radians(EAR_OFFSET_DEG + EAR_GAIN * true_deg)) * facing
    xy[:, ears, 0] += (mid_sh[:, 0] + seen_dx - mid_ear[:, 0])[:, None]
    pose.image_xy = xy
    pose.extras.synthetic = None
    pose.extras.model = "pose_landmarker_full.task"
    return pose


@pytest.mark.parametrize("direction", ["right", "left"])
@pytest.mark.parametrize("head_forward_pct", [0.0, 5.0, 8.0])
def test_a_head_inside_the_norms_is_not_flagged_and_reads_its_truth(head_forward_pct, direction):
    pose = _as_the_pose_model_sees_it(head_forward_pct, direction=direction)
    truth = make_gait(view="side", head_forward_pct=head_forward_pct).extras.truth
    kin = analyse_pose(pose)
    for name in ("head_forward_pct", "head_forward_deg"):
        metric = kin.metrics[name]
        assert metric.flag == "ok", (name, metric.value)
        assert metric.value == pytest.approx(truth[name], abs=1.0)
        assert "ear bias" in metric.calibration


def test_the_report_says_the_bias_was_corrected():
    pose = _as_the_pose_model_sees_it(5.0)
    from formcam.pipeline import _video_section_without_file

    report = build_report(ReportContent(_video_section_without_file(pose), pose.t_ms, analyse_pose(pose)))
    assert "ear bias" in report["metrics"]["head_forward_deg"]["calibration"]


def test_exact_landmarks_are_not_corrected():
    """A synthetic pose (no pose model) keeps its own values: nothing to correct, nothing said."""
    pose = make_gait(view="side", head_forward_pct=15.0)
    kin = analyse_pose(pose)
    assert kin.metrics["head_forward_pct"].value == pytest.approx(15.0, abs=0.5)
    assert kin.metrics["head_forward_pct"].calibration is None
