"""Work is bounded by the frames a file holds, never by the length its container declares (issue 22, point 1).

A 4-s clip whose Matroska header claims 116 days, or whose timestamps jump
forward 11 days once, was planned into hundreds of thousands of segments,
each opening the file and seeking: the analysis ran for ever.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from formcam.gait.view import view_segments
from formcam.pose.parallel import plan_pose_segments
from formcam.video.segments import clip_span, plan_work_segments
from tests.helpers.media import clip_with_timestamp_jump, ffmpeg_pattern_clip, mkv_declaring_duration, need_ffmpeg

DAY_S = 86_400.0


@pytest.fixture(scope="module")
def hostile_clips(tmp_path_factory) -> dict:
    need_ffmpeg()
    folder = tmp_path_factory.mktemp("hostile")
    plain = ffmpeg_pattern_clip(folder / "plain.mp4", 4.0)
    return {
        "plain": plain,
        "long_header": mkv_declaring_duration(plain, folder / "long_header.mkv", 116 * DAY_S),
        "jump": clip_with_timestamp_jump(folder / "jump.mkv", after_frames=120, jump_s=11 * DAY_S),
    }


@pytest.mark.parametrize("name", ["long_header", "jump"])
def test_segments_are_planned_from_the_frames_the_file_holds(hostile_clips, name):
    started = time.monotonic()
    span = clip_span(hostile_clips[name])
    assert time.monotonic() - started < 5
    assert span.frames <= 240
    assert len(plan_pose_segments(span)) <= 2
    assert len(plan_work_segments(span, workers=16)) <= 2


def test_a_header_that_claims_too_much_is_cut_to_the_last_packet(hostile_clips):
    span = clip_span(hostile_clips["long_header"])
    assert span.end_s is not None and span.end_s == pytest.approx(4.0, abs=0.1)


def test_an_honest_clip_keeps_its_declared_span(hostile_clips):
    span = clip_span(hostile_clips["plain"])
    assert span.frames == pytest.approx(120, abs=1)
    assert span.end_s == pytest.approx(4.0, abs=0.05)


def test_view_windows_are_bounded_by_the_frames_not_the_clip_duration():
    n = 240
    t_ms = np.arange(n) * 33.3
    t_ms[120:] += 1e12  # absurd, but finite: 30 years in one step
    xy = np.random.default_rng(0).uniform(0, 100, (n, 33, 2))
    started = time.monotonic()
    segments = view_segments(xy, t_ms)
    assert time.monotonic() - started < 5
    assert segments[0].start_frame == 0 and segments[-1].stop_frame == n


@pytest.mark.parametrize("declared_s", [0.0, -5.0, float("nan"), float("inf"), 1e300, 1e-9, 2.0, 116 * DAY_S])
def test_any_declared_duration_gives_a_bounded_plan_and_no_negative_length(hostile_clips, tmp_path, declared_s):
    """A fuzz generator over the Segment Duration a Matroska header may declare."""
    clip = mkv_declaring_duration(hostile_clips["plain"], tmp_path / "declared.mkv", declared_s)
    span = clip_span(clip)
    assert span.info.duration_s is None or span.info.duration_s > 0
    assert span.frames <= 240 and len(plan_pose_segments(span)) <= 2


@pytest.mark.parametrize("jump_s", [60.0, 3600.0, 11 * DAY_S, 1000 * DAY_S])
def test_any_forward_timestamp_jump_gives_a_bounded_plan(tmp_path, jump_s):
    """A fuzz generator over one forward jump of the timestamps, after 120 of 240 frames."""
    need_ffmpeg()
    span = clip_span(clip_with_timestamp_jump(tmp_path / "jump.mkv", after_frames=120, jump_s=jump_s))
    assert span.frames <= 240 and len(plan_pose_segments(span)) <= 2
    assert len(plan_work_segments(span, workers=16)) <= 2
