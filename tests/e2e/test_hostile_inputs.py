"""Hostile and unlucky inputs from the outside (issue 22): each ends, in one sentence, with a documented code.

The doctored clips are made here with ffmpeg under ``tmp_path``; those that
reach the pose model are ffmpeg's test pattern (nobody in view: exit 4 once
the pose stage has run over every frame).
"""

from __future__ import annotations

import pytest

from tests.e2e.test_bad_inputs import formcam, nothing_written, refused
from tests.helpers.media import clip_with_timestamp_jump, ffmpeg_pattern_clip, mkv_declaring_duration, need_ffmpeg

DAY_S = 86_400.0


@pytest.mark.e2e
@pytest.mark.parametrize("doctored", ["header_claims_116_days", "timestamps_jump_11_days"])
def test_a_clip_that_claims_days_ends_as_soon_as_its_frames_do(doctored, model_path, tmp_path):
    """Before: about 670,000 pose segments, each opening the file and seeking; it ran for ever."""
    need_ffmpeg()
    if doctored == "header_claims_116_days":
        clip = mkv_declaring_duration(ffmpeg_pattern_clip(tmp_path / "plain.mp4"), tmp_path / "x.mkv", 116 * DAY_S)
    else:
        clip = clip_with_timestamp_jump(tmp_path / "x.mkv", after_frames=120, jump_s=11 * DAY_S)
    out = tmp_path / "o"
    message = refused(formcam("analyze", clip, "--out", out, "-q", model_path=model_path, timeout=120), 4)
    assert "No runner was found" in message
    assert nothing_written(out)
