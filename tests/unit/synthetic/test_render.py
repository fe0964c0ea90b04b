"""The renderer without the pose model: camera conventions, the figure, clips, truth files and phone containers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from formcam.gait.kinematics import analyse_pose
from formcam.pose import landmarks as lm
from formcam.synthetic.gait import gait_body_points, make_gait
from formcam.synthetic.render import ClipSpec, Gait, build_scene, read_truth, render_clip, truth_path
from formcam.synthetic.render.camera import view_camera
from formcam.synthetic.render.clip import clip_truth, frame_times
from formcam.synthetic.render.container import stored_frame
from formcam.synthetic.render.scene import belt_speed, place_body, standing_body_points
from formcam.synthetic.validate import (
    angle_response,
    drawn_pose,
    landmark_errors,
    markdown_report,
    metric_errors,
    metrics_with_true_events,
)
from formcam.video.decode import iter_frames
from formcam.video.probe import probe_video

SMALL = (320, 240)
GAIT = dict(
    pelvic_drop_deg=8.0,
    shoulder_dip_deg=4.0,
    trunk_forward_lean_deg=6.0,
    head_forward_pct=12.0,
    trunk_lateral_lean_deg=3.0,
    vertical_oscillation_pct=8.0,
    overstride_pct=5.0,
)


@pytest.mark.parametrize(
    "view, direction", [("side", "right"), ("side", "left"), ("rear", "right"), ("front", "right")]
)
def test_orthographic_camera_draws_the_synthetic_gait_of_the_same_view(view, direction):
    """The rendered landmarks are make_gait's landmarks up to scale and offset: the truth applies to the render."""
    t = np.arange(60) / 60.0
    body = gait_body_points(t, runner_height=1.75, **GAIT)
    camera = view_camera(view, direction=direction, projection="orthographic")
    drawn = camera.project(body)
    synth = make_gait(view=view, direction=direction, fps=60, duration_s=1.0, **GAIT).image_xy
    for axis in (0, 1):
        scale, offset = np.polyfit(synth[..., axis].ravel(), drawn[..., axis].ravel(), 1)
        assert scale > 0  # no mirror: left is left
        np.testing.assert_allclose(drawn[..., axis], scale * synth[..., axis] + offset, atol=1e-6)


def test_perspective_keeps_angles_in_planes_parallel_to_the_image():
    t = np.arange(120) / 60.0
    body = gait_body_points(t, runner_height=1.75, pelvic_drop_deg=10.0)
    for projection in ("perspective", "orthographic"):
        xy = view_camera("rear", projection=projection, distance_m=3.0).project(body)
        hips = xy[:, lm.RIGHT_HIP] - xy[:, lm.LEFT_HIP]
        tilt = np.degrees(np.arctan2(hips[:, 1], hips[:, 0]))
        assert np.max(np.abs(tilt)) == pytest.approx(10.0, abs=0.05)


def test_camera_frames_the_runner_standing_on_the_ground_line():
    camera = view_camera("side", frame_size=(1280, 720), runner_height_frac=0.6, ground_frac=0.9)
    feet = camera.project(np.array([0.0, 0.0, 0.0]))
    head = camera.project(np.array([0.0, 0.0, 1.75]))
    assert feet[1] == pytest.approx(0.9 * 720)
    assert feet[1] - head[1] == pytest.approx(0.6 * 720)
    assert feet[0] == pytest.approx(640)


def test_each_frame_shows_a_figure_covering_its_joints():
    spec = ClipSpec(view="side", duration_s=0.5, fps=30, frame_size=(640, 360))
    scene = build_scene(spec)
    frame = scene.frame(5)
    changed = np.abs(frame.astype(int) - scene.backdrop.astype(int)).sum(axis=-1) > 30
    for index in (lm.NOSE, lm.RIGHT_SHOULDER, lm.RIGHT_HIP, lm.RIGHT_KNEE, lm.RIGHT_ANKLE, lm.RIGHT_WRIST):
        x, y = np.round(scene.runner.landmarks_xy[5, index]).astype(int)
        assert changed[y, x], lm.NAMES[index]
    # Nothing drawn far from the runner (no stray polygons): the top-left corner is untouched.
    assert not changed[:40, :40].any()


def test_the_far_limbs_are_darker_than_the_near_ones():
    spec = ClipSpec(view="side", duration_s=1.0, fps=30, frame_size=(640, 360))
    scene = build_scene(spec)
    xy = scene.runner.landmarks_xy
    # A frame where the two shanks are well apart, so neither pixel is covered by the other leg.
    gap = np.abs(xy[:, lm.LEFT_KNEE, 0] - xy[:, lm.RIGHT_KNEE, 0])
    index = int(np.argmax(gap))
    frame = scene.frame(index).astype(int)

    def shank_brightness(knee, ankle):
        x, y = np.round((xy[index, knee] + xy[index, ankle]) / 2).astype(int)
        return frame[y - 1 : y + 2, x - 1 : x + 2].mean()

    assert shank_brightness(lm.LEFT_KNEE, lm.LEFT_ANKLE) < 0.9 * shank_brightness(lm.RIGHT_KNEE, lm.RIGHT_ANKLE)


def test_belt_speed_is_the_stance_foot_speed():
    t = np.arange(0, 2, 1 / 240)
    body = gait_body_points(t, runner_height=1.75)
    speed = belt_speed(body, t)
    assert 0.5 < speed < 5.0
    across = body + (speed * t)[:, None, None] * np.array([1.0, 0.0, 0.0])
    heel = across[:, lm.LEFT_HEEL]
    on_ground = heel[:, 2] < 1e-6
    # Running over the ground at that speed, a foot on the ground stays put (no sliding).
    assert np.ptp(heel[on_ground & (t < 0.5), 0]) < 0.01


def test_bystanders_stand_and_face_where_they_are_put():
    body = standing_body_points(np.arange(30) / 30.0, height_m=1.7)
    assert body[:, lm.NOSE, 2].min() > 1.4 and np.abs(body[:, lm.LEFT_ANKLE, 2] - 0.066).max() < 0.01
    placed = place_body(body, origin=np.array([1.0, 2.0, 0.0]), facing=np.array([0.0, -1.0, 0.0]))
    # Facing -lateral: the nose is on that side of the ears, and the body stands at the origin.
    assert (placed[:, lm.NOSE, 1] < placed[:, [lm.LEFT_EAR, lm.RIGHT_EAR], 1].mean(axis=1)).all()
    mid_hip = placed[:, [lm.LEFT_HIP, lm.RIGHT_HIP]].mean(axis=1)
    assert np.abs(mid_hip[:, :2] - [1.0, 2.0]).max() < 0.05


def test_spec_refuses_what_it_cannot_render():
    with pytest.raises(ValueError, match="side"):
        ClipSpec(view="rear", motion="across")
    with pytest.raises(ValueError, match="rotation"):
        ClipSpec(rotation_deg=45)
    with pytest.raises(ValueError, match="second_person"):
        ClipSpec(second_person="crowd")


def test_variable_frame_times_are_irregular_increasing_and_on_the_file_grid():
    spec = ClipSpec(fps=30.0, vfr=0.3, duration_s=4.0)
    t = frame_times(spec)
    dt = np.diff(t)
    assert (dt > 0).all() and dt.std() > 0.003 and dt.max() > 1.9 / 30  # jitter and dropped frames
    ticks = t * 90_000
    np.testing.assert_allclose(ticks, np.round(ticks), atol=1e-6)


@pytest.fixture(scope="module")
def side_clip(tmp_path_factory):
    spec = ClipSpec(view="side", duration_s=1.0, fps=30.0, frame_size=SMALL, gait=Gait(head_forward_pct=10.0))
    return render_clip(spec, tmp_path_factory.mktemp("clip") / "side.mp4")


def test_clip_decodes_with_the_truth_timestamps_and_a_complete_truth_file(side_clip):
    truth = read_truth(side_clip.video)
    assert side_clip.truth == truth_path(side_clip.video)
    info = probe_video(side_clip.video)
    assert (info.codec, info.width, info.height, info.rotation_deg) == ("h264", *SMALL, 0)
    with iter_frames(side_clip.video) as frames:
        t_ms = np.array([f.t_ms for f in frames])
    np.testing.assert_allclose(t_ms, truth["frames"]["t_ms"], atol=0.01)
    assert truth["frames"]["landmarks_xy"].shape == (30, 33, 2)
    assert len(truth["frames"]["runner_height_px"]) == 30
    assert truth["truth"]["head_forward_pct"] == pytest.approx(10.0)
    assert truth["spec"]["gait"]["head_forward_pct"] == 10.0 and truth["video"]["frames"] == 30
    json.loads(side_clip.truth.read_text())  # plain JSON (no NaN)


def test_rotated_container_decodes_upright_to_the_drawn_frame(tmp_path):
    spec = ClipSpec(view="side", duration_s=0.2, fps=30.0, frame_size=(240, 320), rotation_deg=90)
    files = render_clip(spec, tmp_path / "portrait.mp4")
    info = probe_video(files.video)
    assert info.rotation_deg == 90
    assert (info.stored_width, info.stored_height) == (320, 240) and (info.width, info.height) == (240, 320)
    expected = build_scene(spec).frame(3)
    with iter_frames(files.video) as frames:
        decoded = next(f.rgb for f in frames if f.index == 3)
    assert np.abs(decoded.astype(int) - expected.astype(int)).mean() < 4  # upright, not turned or mirrored


def test_stored_frame_turns_counter_clockwise():
    upright = np.zeros((4, 6, 3), np.uint8)
    upright[0, 0] = 255  # top-left
    assert stored_frame(upright, 90).shape == (6, 4, 3)
    assert stored_frame(upright, 90)[-1, 0, 0] == 255  # turned counter-clockwise: top-left goes bottom-left


@pytest.mark.parametrize("metadata", [True, False])
def test_slow_motion_clip_with_and_without_androids_capture_rate(tmp_path, metadata):
    spec = ClipSpec(view="side", duration_s=0.25, fps=240.0, slowmo=8.0, slowmo_metadata=metadata, frame_size=SMALL)
    files = render_clip(spec, tmp_path / "slowmo.mp4")
    info = probe_video(files.video)
    assert info.fps == pytest.approx(30.0)
    assert info.slow_motion_factor == (8.0 if metadata else 1.0)
    truth = read_truth(files.truth)
    with iter_frames(files.video) as frames:
        t_ms = np.array([f.t_ms for f in frames])
    factor = 1.0 if metadata else 8.0  # without the tag the file's own (slow) time is all a reader sees
    np.testing.assert_allclose(t_ms, factor * truth["frames"]["t_ms"], atol=0.01)


def test_variable_frame_rate_clip_keeps_every_frame_time(tmp_path):
    spec = ClipSpec(view="rear", duration_s=1.0, fps=30.0, vfr=0.4, frame_size=SMALL, seed=7)
    files = render_clip(spec, tmp_path / "vfr.mp4")
    with iter_frames(files.video) as frames:
        t_ms = np.array([f.t_ms for f in frames])
    np.testing.assert_allclose(t_ms, read_truth(files.truth)["frames"]["t_ms"], atol=0.01)
    assert np.diff(t_ms).std() > 3


def test_high_frame_rate_clip(tmp_path):
    files = render_clip(ClipSpec(view="side", duration_s=0.25, fps=120.0, frame_size=SMALL), tmp_path / "hfr.mp4")
    info = probe_video(files.video)
    assert info.fps == pytest.approx(120.0) and info.slow_motion_factor == 1.0


def test_runner_crossing_the_frame_has_off_frame_landmarks_as_null(tmp_path):
    spec = ClipSpec(view="side", motion="across", duration_s=8.0, fps=5.0, frame_size=SMALL, runner_height_frac=0.7)
    files = render_clip(spec, tmp_path / "across.mp4")
    xy = read_truth(files.truth)["frames"]["landmarks_xy"]
    hip_x = xy[:, lm.LEFT_HIP, 0]
    assert np.isnan(hip_x[0]) and np.isnan(hip_x[-1])  # enters and leaves the frame
    assert np.nanmax(hip_x) - np.nanmin(hip_x) > 0.5 * SMALL[0]


def test_kinematics_on_the_drawn_joints_recover_the_truth(tmp_path):
    """The validation's reference path: formcam's kinematics on the exactly drawn landmarks (no pose model)."""
    spec = ClipSpec(
        view="rear",
        duration_s=8.0,
        fps=30.0,
        frame_size=(640, 360),
        projection="orthographic",
        gait=Gait(pelvic_drop_deg=8.0, shoulder_dip_deg=5.0),
        markers="orange",
    )
    truth = read_truth(render_clip(spec, tmp_path / "rear.mp4").truth)
    kin = analyse_pose(drawn_pose(truth))
    rows = {row.name: row for row in metric_errors(kin, truth["truth"], "rear", kin)}
    assert "head_forward_pct" not in rows  # a side-view metric is not compared on a rear clip
    assert abs(rows["cadence_spm"].error) < 1.0
    assert abs(rows["pelvic_drop_deg"].drawn_error) < 1.0
    assert abs(rows["shoulder_dip_deg"].drawn_error) < 1.0


@pytest.mark.parametrize("view", ["rear", "front"])
@pytest.mark.parametrize("fps", [24.0, 60.0, 240.0])
def test_kinematics_find_the_steps_of_a_rear_or_front_view_in_perspective(view, fps):
    """The stance foot drifts down (rear) or up (front) the image as the belt carries it; contacts still found."""
    spec = ClipSpec(view=view, duration_s=8.0, fps=fps, frame_size=(640, 360))
    scene = build_scene(spec)
    truth = clip_truth(scene, f"{view}.mp4")
    truth["frames"]["landmarks_xy"], truth["frames"]["t_ms"] = scene.runner.landmarks_xy, scene.t_s * 1000.0
    kin = analyse_pose(drawn_pose(truth))
    assert kin.cadence.n_steps >= 20
    found = kin.events.contact_times(truth["frames"]["t_ms"])
    true = np.asarray(truth["truth"]["contact_t_ms"])
    nearest = np.abs(found[:, None] - true[None, :]).min(axis=1)
    assert len(found) == len(true) and nearest.max() <= max(25.0, 500.0 / fps)  # within half a frame, or 25 ms


def test_true_events_give_the_frontal_metrics_where_event_detection_fails():
    """With the clip's true contacts, the metrics come from the landmarks alone (here: exactly drawn ones).

    Orthographic: in perspective the counter-rotating shoulders are at different depths, and a camera
    below them sees the shoulder line tilt about 0.5° less than the model's 5° (docs/validation.md).
    """
    spec = ClipSpec(
        view="rear",
        duration_s=8.0,
        fps=30.0,
        frame_size=(640, 360),
        projection="orthographic",
        gait=Gait(pelvic_drop_deg=8.0, shoulder_dip_deg=5.0, trunk_lateral_lean_deg=3.0),
        markers="orange",
    )
    scene = build_scene(spec)
    truth = clip_truth(scene, "rear.mp4")
    truth["frames"]["landmarks_xy"], truth["frames"]["t_ms"] = scene.runner.landmarks_xy, scene.t_s * 1000.0
    kin = analyse_pose(drawn_pose(truth))
    values = metrics_with_true_events(kin, truth["frames"]["t_ms"], truth["truth"])
    assert values["pelvic_drop_deg"] == pytest.approx(8.0, abs=0.5)
    assert values["shoulder_dip_deg"] == pytest.approx(5.0, abs=0.5)
    assert values["trunk_lateral_lean_deg"] == pytest.approx(3.0, abs=0.5)


def test_landmark_errors_are_in_percent_of_height():
    drawn = np.zeros((10, 33, 2))
    pose = drawn.copy()
    pose[:, lm.LEFT_HIP, 0] += 8.0  # 8 px off on one hip, 0 on the other
    pose[:5] = np.nan  # no pose in half the frames
    median, p90 = landmark_errors(pose, drawn, np.full(10, 400.0))
    assert median["hips"] == pytest.approx(1.0)  # median of 0 % and 2 %
    assert p90["hips"] == pytest.approx(2.0) and median["knees"] == 0.0


def test_angle_response_measures_how_much_of_a_drawn_tilt_the_model_sees():
    t = np.arange(200) / 60.0
    tilt = np.radians(10.0) * np.cos(2 * np.pi * 1.4 * t)
    drawn = np.zeros((200, 33, 2))
    drawn[:, lm.RIGHT_HIP] = np.stack([50 * np.cos(tilt), 50 * np.sin(tilt)], axis=1)
    drawn[:, lm.LEFT_SHOULDER] = [0.0, -150.0]
    drawn[:, lm.RIGHT_SHOULDER] = [50.0, -150.0]
    pose = drawn.copy()
    seen = 0.3 * np.roll(tilt, 4)  # sees 30 % of the tilt, 4 frames late
    pose[:, lm.RIGHT_HIP] = np.stack([50 * np.cos(seen), 50 * np.sin(seen)], axis=1)
    response = angle_response(pose, drawn, "rear", max_lag_frames=8)
    assert response["hip line tilt"][0] == pytest.approx(0.3, abs=0.02)
    assert np.isnan(response["shoulder line tilt"][0]) and response["shoulder line tilt"][1] == pytest.approx(0.0)
    assert "head angle" not in response


def test_markdown_report_has_the_three_tables():
    from formcam.synthetic.validate import ClipResult, MetricError

    result = ClipResult(
        name="rear_clean",
        condition="clean",
        view="rear",
        detected_view="rear",
        detected_fraction=0.98,
        metrics=[MetricError("pelvic_drop_deg", 8.0, 3.0, -5.0, 0.1, -4.5)],
        landmarks={"hips": 1.2},
        response={"hip line tilt": (0.2, 0.5)},
    )
    text = markdown_report([result])
    assert "| rear_clean | clean | rear | pelvic_drop_deg | 8.0 | 3.0 | -5.0 ° | -4.5 ° | +0.1 ° |" in text
    assert "| rear_clean | clean | 98 |" in text and "| rear_clean | hip line tilt | 0.20 | +0.5 |" in text


def test_render_command_writes_a_clip_and_refuses_bad_options_in_one_line(tmp_path):
    from formcam.cli import app

    runner = CliRunner()
    out = tmp_path / "cli.mp4"
    result = runner.invoke(
        app,
        [
            "render",
            str(out),
            "--view",
            "rear",
            "--duration",
            "0.3",
            "--fps",
            "30",
            "--size",
            "320x240",
            "--pelvic-drop",
            "9",
            "--rotation",
            "90",
        ],
    )
    assert result.exit_code == 0, result.output
    assert probe_video(out).rotation_deg == 90
    assert read_truth(out)["truth"]["pelvic_drop_deg"] == 9.0
    bad = runner.invoke(app, ["render", str(tmp_path / "bad.mp4"), "--view", "top"])
    assert bad.exit_code == 2 and "view" in bad.output and "Traceback" not in bad.output
    stickers = tmp_path / "stickers.mp4"
    options = ["--view", "rear", "--duration", "0.3", "--fps", "30", "--size", "320x240", "--pelvic-drop", "8"]
    extra = ["--pelvic-drop-right", "3", "--markers", "pink", "--marker-size", "4", "--pattern", "--blur", "0.5"]
    result = runner.invoke(app, ["render", str(stickers), *options, *extra])
    assert result.exit_code == 0, result.output
    truth = read_truth(stickers)
    assert (truth["spec"]["markers"], truth["spec"]["marker_diameter_m"], truth["spec"]["blur"]) == ("pink", 0.04, 0.5)
    assert truth["spec"]["outfit"]["pattern"] is True and truth["truth"]["pelvic_drop_right_deg"] == pytest.approx(3.0)
    assert len(truth["frames"]["markers_xy"]) == truth["video"]["frames"]
    bad = runner.invoke(app, ["render", str(tmp_path / "bad.mp4"), "--view", "rear", "--markers", "purple"])
    assert bad.exit_code == 2 and "markers must be one of" in bad.output
