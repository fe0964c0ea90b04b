"""The synthetic gait generator: format, truth and the exactness of its known values."""

from __future__ import annotations

import numpy as np
import pytest

from formcam import landmarks as lm
from formcam.posefile import PoseSequence, load_pose, save_pose
from formcam.synth import make_gait


def test_output_is_a_pose_sequence_with_truth():
    pose = make_gait(view="rear", fps=30, duration_s=4, frame_size=(720, 1280))
    assert isinstance(pose, PoseSequence)
    assert pose.image_xy.shape == (120, 33, 2) and pose.frame_size == (720, 1280)
    assert np.all(pose.visibility == 1) and np.isnan(pose.world_xyz).all()
    assert np.all(np.diff(pose.t_ms) == pytest.approx(1000 / 30))
    truth = pose.extras["truth"]
    assert truth["cadence_spm"] == 170.0 and truth["params"]["view"] == "rear"
    xy = pose.image_xy
    assert (xy[..., 0] >= 0).all() and (xy[..., 0] < 720).all() and (xy[..., 1] >= 0).all() and (xy[..., 1] < 1280).all()


def test_pose_file_round_trip_keeps_the_truth(tmp_path):
    pose = make_gait(view="side", duration_s=2)
    loaded = load_pose(save_pose(pose, tmp_path / "pose.npz"))
    assert loaded.extras["truth"]["contact_t_ms"] == pytest.approx(pose.extras["truth"]["contact_t_ms"])


def test_contacts_alternate_one_step_apart_and_toe_off_follows_at_the_duty_factor():
    truth = make_gait(cadence_spm=180, duration_s=5).extras["truth"]
    contacts = np.array(truth["contact_t_ms"])
    assert np.diff(contacts) == pytest.approx(60000 / 180)
    sides = truth["contact_sides"]
    assert all(a != b for a, b in zip(sides, sides[1:]))
    toe_offs = np.array(truth["toe_off_t_ms"])
    stance = truth["duty_factor"] * 120000 / 180
    assert set(np.round(contacts + stance, 6)) & set(np.round(toe_offs, 6))


def _frame_at(pose, t_ms):
    return int(np.argmin(np.abs(pose.t_ms - t_ms)))


def test_frontal_angles_are_exact_at_midstance():
    pose = make_gait(view="rear", fps=1000, duration_s=1.5, pelvic_drop_deg=7, shoulder_dip_deg=4, trunk_lateral_lean_deg=3)
    truth = pose.extras["truth"]
    # Left stance: the right (swing) hip lowest, the left shoulder lowest, trunk leaning left (image left).
    mid = _frame_at(pose, truth["contact_t_ms"][0] + truth["duty_factor"] * 60000 / 170)
    assert truth["contact_sides"][0] == "left"
    xy = pose.image_xy[mid].astype(float)
    hip = xy[lm.RIGHT_HIP] - xy[lm.LEFT_HIP]
    assert np.degrees(np.arctan2(hip[1], abs(hip[0]))) == pytest.approx(7.0, abs=0.01)
    shoulder = xy[lm.LEFT_SHOULDER] - xy[lm.RIGHT_SHOULDER]
    assert np.degrees(np.arctan2(shoulder[1], abs(shoulder[0]))) == pytest.approx(4.0, abs=0.01)
    trunk = (xy[lm.LEFT_SHOULDER] + xy[lm.RIGHT_SHOULDER]) / 2 - (xy[lm.LEFT_HIP] + xy[lm.RIGHT_HIP]) / 2
    assert np.degrees(np.arctan2(-trunk[0], -trunk[1])) == pytest.approx(3.0, abs=0.01)


def test_side_view_head_and_trunk_are_exact_in_every_frame():
    pose = make_gait(view="side", direction="left", head_forward_pct=15, trunk_forward_lean_deg=9)
    xy = pose.image_xy.astype(float)
    mid_sh = (xy[:, lm.LEFT_SHOULDER] + xy[:, lm.RIGHT_SHOULDER]) / 2
    mid_hip = (xy[:, lm.LEFT_HIP] + xy[:, lm.RIGHT_HIP]) / 2
    mid_ear = (xy[:, lm.LEFT_EAR] + xy[:, lm.RIGHT_EAR]) / 2
    trunk = np.hypot(*(mid_sh - mid_hip).T)
    facing = -1
    assert 100 * (mid_ear[:, 0] - mid_sh[:, 0]) * facing / trunk == pytest.approx(15.0, abs=1e-3)
    lean = np.degrees(np.arctan2((mid_sh[:, 0] - mid_hip[:, 0]) * facing, mid_hip[:, 1] - mid_sh[:, 1]))
    assert lean == pytest.approx(9.0, abs=1e-3)


def test_left_and_right_running_are_mirror_images():
    right = make_gait(view="side", direction="right", frame_size=(1000, 700))
    left = make_gait(view="side", direction="left", frame_size=(1000, 700))
    assert left.image_xy[..., 0] == pytest.approx(1000 - right.image_xy[..., 0], abs=1e-3)
    assert left.image_xy[..., 1] == pytest.approx(right.image_xy[..., 1])


def test_knee_flexion_at_contact_and_oscillation_match_their_parameters():
    truth = make_gait(view="side", knee_flexion_contact_deg=15, vertical_oscillation_pct=9, overstride_pct=12).extras["truth"]
    assert truth["knee_flexion_contact_deg"] == pytest.approx(15.0, abs=1e-6)
    assert truth["vertical_oscillation_pct"] == pytest.approx(9.0, abs=1e-6)
    assert truth["overstride_pct"] == pytest.approx(12.0, abs=1e-6)


def test_noise_is_seeded_and_dropouts_remove_whole_frames():
    a = make_gait(jitter_px=2, dropout_fraction=0.2, seed=5)
    b = make_gait(jitter_px=2, dropout_fraction=0.2, seed=5)
    np.testing.assert_array_equal(a.image_xy, b.image_xy)
    missing = np.isnan(a.image_xy).all(axis=(1, 2))
    assert missing.mean() == pytest.approx(0.2, abs=0.05)
    assert np.isnan(a.visibility[missing]).all()
    assert not np.isnan(a.image_xy[~missing]).any()


def test_bad_view_is_refused():
    with pytest.raises(ValueError):
        make_gait(view="top")


def test_zero_duration_gives_an_empty_sequence():
    pose = make_gait(duration_s=0)
    assert pose.n_frames == 0 and pose.extras["truth"]["contact_t_ms"] == []
