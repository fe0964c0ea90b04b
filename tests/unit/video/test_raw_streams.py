"""A bare H.264 stream (a Raspberry Pi camera's ``.h264``) keeps the camera's frame rate (issue 22, point 10).

It has no timestamps: FFmpeg's average rate is its 25 fps default, so a 60 fps stream was timed 2.4 times too
slow (cadence and every speed with it). The stream's own timing (the SPS) says 60.
"""

from __future__ import annotations

import numpy as np
import pytest

from formcam.video.decode import iter_frames
from formcam.video.probe import probe_video
from tests.helpers.media import need_ffmpeg, run_ffmpeg


@pytest.mark.parametrize("fps", [60, 30])
def test_a_bare_h264_stream_is_timed_at_its_own_rate(tmp_path, fps):
    need_ffmpeg()
    mp4, raw = tmp_path / "run.mp4", tmp_path / "run.h264"
    run_ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=160x120:rate={fps}:duration=1", "-c:v", "libx264",
               "-pix_fmt", "yuv420p", str(mp4))  # fmt: skip
    run_ffmpeg("-i", str(mp4), "-c", "copy", "-bsf:v", "h264_mp4toannexb", "-f", "h264", str(raw))
    assert probe_video(raw).fps == pytest.approx(fps)
    with iter_frames(raw) as frames:
        t_ms = np.array([frame.t_ms for frame in frames])
    assert np.median(np.diff(t_ms)) == pytest.approx(1000.0 / fps, rel=0.01)
