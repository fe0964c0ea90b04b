"""The developer's timing tools in bench/ still run against the code they time."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.e2e


def test_stages_times_every_stage_of_a_real_run(shared_video, model_path, tmp_path):
    out = tmp_path / "out"
    # --force, as make bench runs it: formcam refuses this clip's three steps, and every stage is to be timed.
    env = {**os.environ, "FORMCAM_MODEL_DIR": str(model_path.parent)}
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "stages.py"),
            str(shared_video("treadmill_oblique_portrait_24fps.mp4")),
            "--no-video",
            "--force",
            "--quiet",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    stages = [line.split()[0] for line in done.stdout.splitlines() if line and line[0].isalpha()]
    for stage in (
        "start-up",
        "look_at_keyframes",
        "run_in_threads",
        "estimate_pose",
        "analyse_pose",
        "write_report_html",
        "write_report",
        "whole",
    ):
        assert stage in stages, done.stdout
    assert "render_annotated_video" not in stages  # --no-video really went through
    assert (out / "report.json").is_file()
