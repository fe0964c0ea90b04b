"""The command line over synthetic pose files: exit codes, messages, outputs (no model needed)."""

import json

import pytest
from typer.testing import CliRunner

from formcam.cli import app
from formcam.pose.posefile import save_pose
from formcam.report.json_report import validate_report
from formcam.synthetic.gait import make_gait

runner = CliRunner()


@pytest.fixture(scope="module")
def rear_pose(tmp_path_factory):
    path = tmp_path_factory.mktemp("pose") / "rear.npz"
    save_pose(
        make_gait(
            view="rear", cadence_spm=172, pelvic_drop_deg=7, shoulder_dip_deg=4, duration_s=8, seed=2, markers=True
        ),
        path,
    )
    return path


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_pose_file_analysis_writes_a_valid_report_and_tables(rear_pose, tmp_path):
    result = invoke("analyze", "--pose", rear_pose, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    validate_report(report)
    assert report["view"]["label"] == "rear"
    assert report["cadence_spm"]["value"] == pytest.approx(172, rel=0.01)
    assert report["metrics"]["pelvic_drop_deg"]["value"] == pytest.approx(7, abs=1)
    assert report["metrics"]["shoulder_dip_deg"]["value"] == pytest.approx(4, abs=1)
    assert "Pelvic drop" in result.output and "Cadence" in result.output
    frames = (tmp_path / "out" / "frames.csv").read_text().splitlines()
    assert frames[0].startswith("frame,t_ms [ms],detected") and len(frames) == 8 * 60 + 1
    steps = (tmp_path / "out" / "steps.csv").read_text().splitlines()
    assert "pelvic_drop_deg [deg]" in steps[0] and any(",left," in line for line in steps[1:])
    assert not (tmp_path / "out" / "pose.npz").exists()  # the input is not copied over itself
    assert not list((tmp_path / "out").glob(".*part"))


def test_marker_tracks_in_the_pose_file_are_reused_unless_markers_off(rear_pose, tmp_path):
    assert invoke("analyze", "--pose", rear_pose, "--out", tmp_path / "on", "-q", "--format", "json").exit_code == 0
    pelvic = json.loads((tmp_path / "on" / "report.json").read_text())["metrics"]["pelvic_drop_deg"]
    assert pelvic["value"] == pytest.approx(7, abs=1) and pelvic["method"].startswith("measured from markers")
    result = invoke(
        "analyze", "--pose", rear_pose, "--out", tmp_path / "off", "-q", "--format", "json", "--markers", "off"
    )
    assert result.exit_code == 0, result.output
    pelvic = json.loads((tmp_path / "off" / "report.json").read_text())["metrics"]["pelvic_drop_deg"]
    assert pelvic["value"] is None and "stickers on the pelvis dimples" in pelvic["reason"] and "method" not in pelvic
    result = invoke("analyze", "--pose", rear_pose, "--out", tmp_path / "bad", "-q", "--markers", "purple")
    assert result.exit_code == 2 and "--markers must be one of auto, off" in result.output


def test_npz_given_as_the_video_argument_is_read_as_a_pose_file(rear_pose, tmp_path):
    result = invoke("analyze", rear_pose, "--out", tmp_path / "out", "--quiet")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "report.json").exists()


def test_same_pose_file_gives_the_same_report(rear_pose, tmp_path):
    for name in ("a", "b"):
        assert invoke("analyze", "--pose", rear_pose, "--out", tmp_path / name, "--quiet").exit_code == 0
    assert (tmp_path / "a" / "report.json").read_text() == (tmp_path / "b" / "report.json").read_text()


def test_view_override_and_height(rear_pose, tmp_path):
    # Rear data forced to 'side' shows no side-view steps, so it is refused as not running unless --force.
    result = invoke(
        "analyze", "--pose", rear_pose, "--out", tmp_path / "o", "--view", "side", "--height-cm", "180", "-q", "--force"
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["view"] == {**report["view"], "label": "side", "source": "user"}
    assert report["runner"]["height_cm"] == 180
    assert report["metrics"]["pelvic_drop_deg"]["value"] is None


def test_existing_analysis_needs_overwrite(rear_pose, tmp_path):
    out = tmp_path / "out"
    assert invoke("analyze", "--pose", rear_pose, "--out", out, "-q").exit_code == 0
    (out / "report.json").write_text("mine")
    refused = invoke("analyze", "--pose", rear_pose, "--out", out, "-q")
    assert refused.exit_code == 2 and "--overwrite" in refused.output
    assert (out / "report.json").read_text() == "mine"
    assert invoke("analyze", "--pose", rear_pose, "--out", out, "-q", "--overwrite").exit_code == 0
    assert json.loads((out / "report.json").read_text())["schema_version"] == 1


@pytest.mark.parametrize(
    "args, code, words",
    [
        (["analyze"], 2, "Give a video"),
        (["analyze", "a.mp4", "--pose", "b.npz"], 2, "not both"),
        (["analyze", "POSE", "--view", "diagonal"], 2, "--view"),
        (["analyze", "POSE", "--slowmo", "0.5"], 2, "--slowmo"),
        (["analyze", "POSE", "--height-cm", "17"], 2, "--height-cm"),
        (["analyze", "missing.mp4"], 3, "no file"),
    ],
)
def test_errors_are_one_sentence_with_the_documented_exit_code(rear_pose, tmp_path, args, code, words):
    args = [str(rear_pose) if a == "POSE" else a for a in args]
    result = invoke(*args, "--out", tmp_path / "out")
    assert result.exit_code == code, result.output
    assert words in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_newer_pose_format_is_refused(tmp_path):
    import numpy as np

    np.savez(tmp_path / "future.npz", format="formcam-pose/9")
    result = invoke("analyze", "--pose", tmp_path / "future.npz", "--out", tmp_path / "out")
    assert result.exit_code == 3 and "does not support" in result.output


def test_a_pose_file_with_nobody_in_it_exits_4(tmp_path):
    pose = make_gait(view="side", duration_s=3)
    pose.image_xy[:] = float("nan")
    save_pose(pose, tmp_path / "empty.npz")
    result = invoke("analyze", "--pose", tmp_path / "empty.npz", "--out", tmp_path / "out")
    assert result.exit_code == 4 and "No runner" in result.output
