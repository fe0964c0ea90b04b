"""Choosing outputs (--format, --no-video) and the list of files printed after an analysis."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from formcam.cli import app
from formcam.cli.formats import outputs_for
from formcam.errors import UsageError
from formcam.pipeline import ALL_OUTPUTS
from formcam.pose.posefile import save_pose
from formcam.synthetic.gait import make_gait

runner = CliRunner()


def test_default_is_everything_and_kinds_map_to_files():
    assert outputs_for(None) == ALL_OUTPUTS == outputs_for("all")
    assert "report.html" in ALL_OUTPUTS
    assert outputs_for("json, HTML") == {"report.json", "report.html"}
    assert outputs_for("csv") == {"frames.csv", "steps.csv"}
    assert outputs_for("video,json", no_video=True) == {"report.json"}
    assert outputs_for(None, no_video=True) == ALL_OUTPUTS - {"annotated.mp4"}


@pytest.mark.parametrize("bad", ["pdf", "json,xml", "", "video"])
def test_unknown_or_empty_choice_is_a_usage_error(bad):
    with pytest.raises(UsageError):
        outputs_for(bad, no_video=(bad == "video"))


@pytest.fixture(scope="module")
def pose_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("pose") / "side.npz"
    save_pose(make_gait(view="side", cadence_spm=170, head_forward_pct=15, duration_s=8, seed=4), path)
    return path


def test_format_writes_only_what_was_asked_and_lists_it(pose_file, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["analyze", "--pose", str(pose_file), "--out", str(out), "--format", "json,html"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.json"]
    lines = result.output.splitlines()
    assert lines[lines.index("Wrote to") + 1] == str(out)  # the folder once, whole on its own line
    for name in ("report.html", "report.json"):
        assert any(line.startswith(name) for line in lines)
    assert "the report to read" in result.output


def test_the_files_written_read_at_80_columns(pose_file, tmp_path):
    # A long output folder, on a terminal 80 columns wide: the folder is never broken up, nor a file name.
    out = tmp_path / "a-rather-long-folder-name-for-the-runs-of-this-week" / "thursday-interval-session-2"
    result = runner.invoke(
        app, ["analyze", "--pose", str(pose_file), "--out", str(out), "--format", "json,html"], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert str(out) in lines
    listed = lines[lines.index(str(out)) + 1 :]
    assert [line.split()[0] for line in listed] == ["report.html", "report.json"]
    assert all(len(line.rstrip()) <= 80 for line in listed)


def test_bad_format_exits_2_before_anything_is_written(pose_file, tmp_path):
    result = runner.invoke(app, ["analyze", "--pose", str(pose_file), "--out", str(tmp_path / "o"), "--format", "pdf"])
    assert result.exit_code == 2 and "--format" in result.output
    assert not (tmp_path / "o").exists()
