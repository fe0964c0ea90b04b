"""A real clip whose frame rate drops part-way (60 fps, then 15), true timestamps kept (issue 20; issue 22, point 19).

Before: 120 steps/min where the clip itself gives about 167, and the slower part's frames counted as gaps.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers.media import need_ffmpeg, slower_after

pytestmark = pytest.mark.e2e

CLIP = "treadmill_side_portrait_60fps.mp4"


def _cadence(video, out, model_path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "formcam", "analyze", str(video), "--out", str(out), "--format", "json", "--quiet"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads((out / "report.json").read_text())


def test_a_clip_whose_frame_rate_drops_keeps_its_cadence(shared_video, model_path, tmp_path):
    need_ffmpeg()
    source = shared_video(CLIP)
    dropped = slower_after(source, tmp_path / "vfr.mp4", seconds=4.0, keep_every=4)
    original = _cadence(source, tmp_path / "original", model_path)
    changed = _cadence(dropped, tmp_path / "changed", model_path)
    assert changed["cadence_spm"]["value"] == pytest.approx(original["cadence_spm"]["value"], rel=0.02)
    assert "variable_frame_rate" in {q["code"] for q in changed["quality"]}
    assert "variable_frame_rate" not in {q["code"] for q in original["quality"]}
    assert "slow_motion_suspected" not in {q["code"] for q in changed["quality"]}
