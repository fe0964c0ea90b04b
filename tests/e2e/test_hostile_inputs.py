"""Hostile and unlucky inputs from the outside (issue 22): each ends, in one sentence, with a documented code.

The doctored clips are made here with ffmpeg under ``tmp_path``; those that
reach the pose model are ffmpeg's test pattern (nobody in view: exit 4 once
the pose stage has run over every frame).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO
from tests.e2e.test_bad_inputs import formcam, nothing_written, refused, trim
from tests.helpers.media import (
    clip_with_timestamp_jump,
    ffmpeg_pattern_clip,
    mkv_declaring_duration,
    need_ffmpeg,
    run_ffmpeg,
)

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


@pytest.mark.e2e
def test_sigterm_stops_like_ctrl_c(shared_video, model_path, tmp_path):
    """Before: exit 143, no message, a half-written .part beside complete CSVs and no report.json."""
    env = {**os.environ, "FORMCAM_MODEL_DIR": str(model_path.parent), "PYTHONPATH": str(REPO)}
    out = tmp_path / "o"
    clip = shared_video("bad/walking_side.mp4")
    proc = subprocess.Popen(
        [sys.executable, "-m", "formcam", "analyze", str(clip), "--out", str(out), "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    time.sleep(5)  # past start-up and the model load, inside the pose stage
    assert proc.poll() is None, "the analysis ended before it could be stopped"
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert stderr.strip() == "formcam: Interrupted; no half-written output was left behind."
    assert "Traceback" not in stdout + stderr
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize(
    "command",
    [
        ("analyze", "{fifo}.mp4"),
        ("analyze", "--pose", "{fifo}.npz"),
        ("compare", "{fifo}.json", "{fifo}.json"),
    ],
)
def test_a_fifo_is_refused_without_being_opened(command, tmp_path):
    """Before: open() blocked for ever, and Ctrl-C did nothing."""
    args = []
    for arg in command:
        if "{fifo}" in arg:
            fifo = tmp_path / arg.format(fifo="pipe")
            if not fifo.exists():
                os.mkfifo(fifo)
            args.append(fifo)
        else:
            args.append(arg)
    message = refused(formcam(*args, "--out", tmp_path / "o", timeout=60), 3)
    if command[0] == "analyze":  # compare's own check (formcam/compare.py) says "no file" for anything not a file
        assert "FIFO" in message and "not a regular file" in message
    assert not (tmp_path / "o").exists()


@pytest.mark.e2e
def test_a_raw_h264_stream_is_analysed_without_its_video(shared_video, model_path, tmp_path):
    """A Raspberry Pi camera's raw .h264 cannot seek. Before: exit 5, "Cannot write the outputs ...:
    operation not permitted", every time (the evidence frames' seek raised)."""
    raw = tmp_path / "run.h264"
    trim(shared_video("treadmill_side_portrait_60fps.mp4"), tmp_path / "run.mp4", 0, 4, scale="540:960")
    run_ffmpeg("-i", str(tmp_path / "run.mp4"), "-c", "copy", "-bsf:v", "h264_mp4toannexb", "-f", "h264", str(raw))
    out = tmp_path / "o"
    proc = formcam("analyze", raw, "--out", out, "--no-video", "-q", "--force", model_path=model_path)
    assert proc.returncode == 0, proc.stderr
    assert {"report.json", "report.html", "pose.npz"} <= set(os.listdir(out))
