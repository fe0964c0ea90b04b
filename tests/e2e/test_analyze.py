"""End to end: real clips through the real MediaPipe model and the real command line.

Each clip is analysed once per session (module fixtures) and checked from the
outside: exit code, ffprobe on the annotated video, the report against its
schema, and the pose file re-analysed without the model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from formcam.pose.landmarks import LEFT_ANKLE, NOSE, RIGHT_ANKLE
from formcam.pose.posefile import load_pose
from formcam.report.annotated import video_size
from formcam.report.json_report import validate_report
from formcam.video.probe import probe_video
from tests.helpers.media import ffprobe_json, phone_portrait_clip, retime

pytestmark = pytest.mark.e2e

CLIPS = {
    "side_60fps": "treadmill_side_portrait_60fps.mp4",
    "two_people": "treadmill_sprint_side_two_people.mp4",
    "short_side": "outdoor_side_fixed_short.mp4",
    "rear": "outdoor_rear_two_runners.mp4",
}
#: Clips formcam refuses without --force: the rear clip shows the feet in only about a fifth of its frames;
#: the sprint is a slow-motion clip with normal-speed ends (see test_bad_inputs.py); the short side clip
#: has 2 regular steps, and nothing rests on fewer than 4.
FORCED = {"rear", "two_people", "short_side"}


def formcam(*args, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.run(
        [sys.executable, "-m", "formcam", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=900,
    )


@pytest.fixture(scope="module")
def analysed(shared_video, model_path, tmp_path_factory):
    """Run ``formcam analyze`` once per clip; return name -> (process, out_dir, input path)."""
    results = {}

    def get(key: str):
        if key not in results:
            video = shared_video(CLIPS[key])
            out = tmp_path_factory.mktemp(key) / "out"
            force = ["--force"] if key in FORCED else []
            results[key] = (formcam("analyze", video, "--out", out, "--quiet", *force), out, video)
        return results[key]

    return get


@pytest.mark.parametrize("key", list(CLIPS))
def test_clip_analyses_to_a_valid_report_and_a_playable_h264_video(analysed, key):
    proc, out, video = analysed(key)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    for name in ("report.json", "annotated.mp4", "pose.npz", "frames.csv", "steps.csv"):
        assert (out / name).is_file(), name
    assert not list(out.glob(".*.part"))

    report = json.loads((out / "report.json").read_text())
    validate_report(report)
    source = ffprobe_json(video)["streams"][0]
    annotated = ffprobe_json(out / "annotated.mp4")["streams"][0]
    assert annotated["codec_name"] == "h264" and annotated["pix_fmt"] == "yuv420p"
    assert int(annotated["nb_read_frames"]) == int(source["nb_read_frames"]) == report["video"]["frames"]
    assert float(annotated["duration"]) == pytest.approx(float(source["duration"]), abs=0.1)
    # 720p by default (--video-size): the longest side at most 1280 px, the short side at least 720 px
    # (a smaller input is enlarged), the input's shape.
    assert (annotated["width"], annotated["height"]) == video_size(probe_video(video), 1280)
    assert min(annotated["width"], annotated["height"]) >= 720
    assert annotated["width"] / annotated["height"] == pytest.approx(source["width"] / source["height"], rel=0.01)


def test_side_view_clip_gives_side_metrics_and_a_running_cadence(analysed):
    proc, out, _ = analysed("side_60fps")
    report = json.loads((out / "report.json").read_text())
    assert report["view"]["label"] == "side"
    assert report["view"]["direction"] == "right"  # CATALOG: runner faces right
    assert report["runner"]["is_running"]
    assert 140 <= report["cadence_spm"]["value"] <= 200
    assert report["metrics"]["head_forward_pct"]["value"] is not None
    assert report["metrics"]["pelvic_drop_deg"]["value"] is None
    assert not report["metrics"]["pelvic_drop_deg"]["valid_for_view"]


def test_the_runner_is_followed_not_the_coach_in_front(analysed):
    proc, out, _ = analysed("two_people")
    pose = load_pose(out / "pose.npz")
    # The coach stands at the right of the frame (x > 0.6 W); the treadmill runner is left of him.
    hip_x = np.nanmedian(pose.image_xy[:, 23:25, 0], axis=1) / pose.frame_size[0]
    seen = np.isfinite(hip_x)
    assert seen.mean() > 0.7
    assert np.median(hip_x[seen]) < 0.6
    assert (hip_x[seen] < 0.65).mean() > 0.9
    report = json.loads((out / "report.json").read_text())
    assert report["view"]["direction"] == "left"  # CATALOG: runner faces left


def test_pose_file_reanalysis_reproduces_the_report(analysed, tmp_path):
    proc, out, _ = analysed("side_60fps")
    again = tmp_path / "again"
    rerun = formcam("analyze", "--pose", out / "pose.npz", "--out", again, "--quiet", "--no-video")
    assert rerun.returncode == 0, rerun.stderr
    first = json.loads((out / "report.json").read_text())
    second = json.loads((again / "report.json").read_text())
    assert second == first


def test_rotated_phone_clip_comes_out_upright(shared_video, model_path, tmp_path):
    rotated = tmp_path / "rotated.mp4"
    phone_portrait_clip(shared_video(CLIPS["side_60fps"]), rotated)
    stored = ffprobe_json(rotated)["streams"][0]
    assert stored["width"] > stored["height"]  # stored sideways, as a phone does
    out = tmp_path / "out"
    proc = formcam("analyze", rotated, "--out", out, "--quiet")
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["video"]["rotation_deg"] == 90
    assert report["video"]["corrections"]
    assert (report["video"]["width"], report["video"]["height"]) == (stored["height"], stored["width"])
    annotated = ffprobe_json(out / "annotated.mp4")["streams"][0]
    assert annotated["height"] > annotated["width"]  # upright portrait
    assert annotated["height"] / annotated["width"] == pytest.approx(stored["width"] / stored["height"], rel=0.01)
    pose = load_pose(out / "pose.npz")
    head_above_feet = pose.image_xy[:, NOSE, 1] < np.nanmin(pose.image_xy[:, [LEFT_ANKLE, RIGHT_ANKLE], 1], axis=1)
    assert head_above_feet[pose.detected].mean() > 0.9
    assert report["view"]["label"] == "side" and report["runner"]["is_running"]


@pytest.fixture(scope="module")
def half_speed(shared_video, tmp_path_factory):
    slow = tmp_path_factory.mktemp("slow") / "half_speed.mp4"
    retime(shared_video(CLIPS["side_60fps"]), slow, 2.0)
    return slow


def test_half_speed_clip_is_refused_naming_its_factor_and_slowmo_restores_real_cadence(analysed, half_speed, tmp_path):
    _, out, _ = analysed("side_60fps")
    real = json.loads((out / "report.json").read_text())["cadence_spm"]["value"]

    # Half speed without metadata: refused, naming the factor (issue 20, point 6) ...
    plain = formcam("analyze", half_speed, "--out", tmp_path / "plain", "--quiet", "--no-video")
    assert plain.returncode == 4, plain.stderr
    assert "this looks like about 2x slow motion: run again with --slowmo 2" in plain.stderr
    # ... and with --force, analysed at the speed it plays, with the same advice as a warning.
    forced = formcam("analyze", half_speed, "--out", tmp_path / "plain", "--quiet", "--no-video", "--force")
    assert forced.returncode == 0, forced.stderr
    report = json.loads((tmp_path / "plain" / "report.json").read_text())
    assert report["cadence_spm"]["value"] == pytest.approx(real / 2, rel=0.05)
    assert "--slowmo 2" in next(q["message"] for q in report["quality"] if q["code"] == "slow_motion_suspected")

    fixed = formcam("analyze", half_speed, "--slowmo", "2", "--out", tmp_path / "fixed", "--quiet", "--no-video")
    assert fixed.returncode == 0, fixed.stderr
    report = json.loads((tmp_path / "fixed" / "report.json").read_text())
    assert report["cadence_spm"]["value"] == pytest.approx(real, rel=0.03)
    assert report["video"]["slow_motion_factor"] == 2.0 and report["video"]["slow_motion_source"] == "user"
    assert "slow_motion_suspected" not in {q["code"] for q in report["quality"]}


# --- errors: one sentence, the documented exit code, nothing written ------------------------------------------


def assert_clean_failure(proc, code, out: Path):
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    message = proc.stderr.strip()
    assert message.startswith("formcam:") and len(message.splitlines()) <= 2, message
    assert not out.exists() or not any(out.iterdir())


def test_missing_file_exits_3(tmp_path):
    assert_clean_failure(formcam("analyze", tmp_path / "nope.mp4", "--out", tmp_path / "o"), 3, tmp_path / "o")


def test_text_file_exits_3(tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 100)
    assert_clean_failure(formcam("analyze", text, "--out", tmp_path / "o"), 3, tmp_path / "o")


def test_corrupt_video_exits_3_and_writes_nothing(shared_video, tmp_path):
    bad = shared_video("bad/corrupt_truncated_no_moov.mp4")
    proc = formcam("analyze", bad, "--out", tmp_path / "o")
    assert_clean_failure(proc, 3, tmp_path / "o")
    assert "read" in proc.stderr.lower()


def test_no_person_exits_4(shared_video, model_path, tmp_path):
    proc = formcam("analyze", shared_video("bad/no_person_dino_game.mp4"), "--out", tmp_path / "o", "--quiet")
    assert_clean_failure(proc, 4, tmp_path / "o")
    assert "no runner" in proc.stderr.lower()


def test_existing_analysis_is_not_overwritten(analysed, tmp_path):
    _, out, video = analysed("short_side")
    before = (out / "report.json").read_bytes()
    proc = formcam("analyze", video, "--out", out, "--quiet", "--force")
    assert proc.returncode == 2 and "--overwrite" in proc.stderr
    assert (out / "report.json").read_bytes() == before
