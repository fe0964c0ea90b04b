"""The synthetic gait generator: format, truth and the exactness of its known values."""

from __future__ import annotations

import numpy as np
import pytest

from formcam.pose import landmarks as lm
from formcam.pose.posefile import PoseSequence, load_pose, save_pose
from formcam.synthetic.gait import make_gait


def test_output_is_a_pose_sequence_with_truth():
    pose = make_gait(view="rear", fps=30, duration_s=4, frame_size=(720, 1280))
    assert isinstance(pose, PoseSequence)
    assert pose.image_xy.shape == (120, 33, 2) and pose.frame_size == (720, 1280)
    assert np.all(pose.visibility == 1) and np.isnan(pose.world_xyz).all()
    assert np.all(np.diff(pose.t_ms) == pytest.approx(1000 / 30))
    truth = pose.extras.truth
    assert truth["cadence_spm"] == 170.0 and truth["params"]["view"] == "rear"
    xy = pose.image_xy
    assert (
        (xy[..., 0] >= 0).all() and (xy[..., 0] < 720).all() and (xy[..., 1] >= 0).all() and (xy[..., 1] < 1280).all()
    )


def test_pose_file_round_trip_keeps_the_truth(tmp_path):
    pose = make_gait(view="side", duration_s=2)
    loaded = load_pose(save_pose(pose, tmp_path / "pose.npz"))
    assert loaded.extras.truth["contact_t_ms"] == pytest.approx(pose.extras.truth["contact_t_ms"])


def test_contacts_alternate_one_step_apart_and_toe_off_follows_at_the_duty_factor():
    truth = make_gait(cadence_spm=180, duration_s=5).extras.truth
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
    pose = make_gait(
        view="rear", fps=1000, duration_s=1.5, pelvic_drop_deg=7, shoulder_dip_deg=4, trunk_lateral_lean_deg=3
    )
    truth = pose.extras.truth
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
    truth = make_gait(
        view="side", knee_flexion_contact_deg=15, vertical_oscillation_pct=9, overstride_pct=12
    ).extras.truth
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
    assert pose.n_frames == 0 and pose.extras.truth["contact_t_ms"] == []


# ------------------------------------------------------------------ the noise model
from formcam.synthetic.noise import ARM_SWAP, LEG_SWAP, REALISTIC_NOISE, add_pose_noise  # noqa: E402


def test_swap_bursts_exchange_left_and_right_legs_or_arms_for_short_runs():
    clean = make_gait(view="rear", duration_s=20)
    noisy = make_gait(view="rear", duration_s=20, swap_rate_hz=1.0, swap_burst_ms=(50, 150), seed=3)
    changed = np.abs(noisy.image_xy - clean.image_xy).max(axis=2) > 1e-6  # (T, 33)
    assert not changed[:, [lm.LEFT_HIP, lm.RIGHT_HIP, lm.NOSE]].any()
    legs = np.r_[LEG_SWAP, np.asarray(LEG_SWAP) + 1]
    arms = np.r_[ARM_SWAP, np.asarray(ARM_SWAP) + 1]
    leg_frames, arm_frames = changed[:, legs].any(axis=1), changed[:, arms].any(axis=1)
    assert leg_frames.any() and arm_frames.any()
    swapped = noisy.image_xy[leg_frames][:, list(LEG_SWAP)]
    np.testing.assert_allclose(swapped, clean.image_xy[leg_frames][:, list(np.asarray(LEG_SWAP) + 1)])
    runs = np.diff(np.flatnonzero(np.diff(np.r_[0, leg_frames.astype(int), 0])))[::2]
    assert runs.max() <= 0.15 * 60 + 1  # at most 150 ms, merged neighbours aside
    assert 10 <= (leg_frames | arm_frames).sum() <= 0.2 * noisy.n_frames


def test_camera_roll_turns_the_picture_clockwise_about_its_centre():
    level = make_gait(view="rear", frame_size=(1000, 800))
    rolled = make_gait(view="rear", frame_size=(1000, 800), camera_roll_deg=10.0)
    hips = rolled.image_xy[:, lm.RIGHT_HIP] - rolled.image_xy[:, lm.LEFT_HIP]
    flat = level.image_xy[:, lm.RIGHT_HIP] - level.image_xy[:, lm.LEFT_HIP]
    turn = np.degrees(np.arctan2(hips[:, 1], hips[:, 0]) - np.arctan2(flat[:, 1], flat[:, 0]))
    assert turn == pytest.approx(10.0, abs=1e-4)  # y points down: +10 slopes down to the right
    assert np.linalg.norm(rolled.image_xy - [500, 400], axis=2) == pytest.approx(
        np.linalg.norm(level.image_xy - [500, 400], axis=2), abs=1e-3
    )  # float32 storage


def test_skipped_frames_make_timestamps_irregular_but_keep_the_truth():
    pose = make_gait(fps=60, duration_s=10, skipped_frame_fraction=0.1, seed=2)
    assert pose.n_frames == pytest.approx(540, abs=40)
    steps = np.diff(pose.t_ms)
    assert steps.min() == pytest.approx(1000 / 60) and steps.max() >= 2 * 1000 / 60
    assert pose.world_xyz.shape[0] == pose.n_frames
    assert pose.extras.truth["contact_t_ms"] == make_gait(fps=60, duration_s=10).extras.truth["contact_t_ms"]


def test_visibility_noise_marks_some_landmarks_unsure_and_moves_them():
    pose = make_gait(view="side", visibility_noise=0.05, jitter_px=1.0, seed=4)
    clean = make_gait(view="side")
    unsure = pose.visibility < 0.3
    assert unsure.mean() == pytest.approx(0.05, abs=0.01)
    assert (pose.visibility[~unsure] > 0.5).all() and (pose.visibility < 1).any()
    error = np.linalg.norm(pose.image_xy - clean.image_xy, axis=2)
    assert np.median(error[unsure]) > 3 * np.median(error[~unsure])


def test_realistic_noise_is_documented_and_complete():
    keys = {
        "jitter_px",
        "dropout_fraction",
        "skipped_frame_fraction",
        "swap_rate_hz",
        "swap_burst_ms",
        "camera_roll_deg",
        "visibility_noise",
    }
    assert set(REALISTIC_NOISE) == keys
    import formcam.synthetic.gait as synth

    for key in keys:
        assert key in synth.__doc__ and key in synth.add_pose_noise.__doc__
    pose = make_gait(**REALISTIC_NOISE)
    assert pose.extras.truth["params"]["camera_roll_deg"] == REALISTIC_NOISE["camera_roll_deg"]


def test_add_pose_noise_on_empty_input():
    t, xy, vis = add_pose_noise(np.zeros(0), np.zeros((0, 33, 2)), frame_size=(10, 10), **REALISTIC_NOISE)
    assert xy.shape == (0, 33, 2) and vis.shape == (0, 33)


def test_running_in_place_keeps_the_feet_under_the_hips():
    pose = make_gait(view="side", running_in_place=True)
    xy = pose.image_xy
    reach = xy[:, lm.LEFT_HEEL, 0] - (xy[:, lm.LEFT_HIP, 0] + xy[:, lm.RIGHT_HIP, 0]) / 2
    assert np.ptp(reach) < 0.1 * pose.extras.truth["leg_length_px"]


def test_knee_is_still_just_before_contact_and_flexes_after_it():
    from formcam.gait.geometry import knee_flexion_deg

    pose = make_gait(view="side", fps=1000, duration_s=2, vertical_oscillation_pct=8, overstride_pct=10)
    truth = pose.extras.truth
    contact = int(round(truth["contact_t_ms"][1]))
    flexion = knee_flexion_deg(pose.image_xy.astype(float), truth["contact_sides"][1])
    before = (flexion[contact] - flexion[contact - 10]) / 10  # deg per ms, last 10 ms before
    after = (flexion[contact + 10] - flexion[contact]) / 10
    assert abs(before) < 0.1 < after  # a hockey stick, not a V
    ankle, knee = (
        (lm.LEFT_ANKLE, lm.LEFT_KNEE) if truth["contact_sides"][1] == "left" else (lm.RIGHT_ANKLE, lm.RIGHT_KNEE)
    )
    shank = pose.image_xy[contact, ankle] - pose.image_xy[contact, knee]  # facing right: x forward, y down
    assert truth["shank_angle_contact_deg"] == pytest.approx(np.degrees(np.arctan2(shank[0], shank[1])), abs=0.2)
