"""Decode stage: upright frames, true timestamps, slow motion, clear refusals."""

from __future__ import annotations

import gc
import os
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from formcam.errors import UnreadableInputError, UsageError
from formcam.video.decode import FrameStream, PrerollDecoder, _next_pts, iter_frames, scaled_size
from formcam.video.probe import probe_video
from tests.helpers.media import (
    make_cfr_clip,
    make_vfr_clip,
    need_ffmpeg,
    remux_with_rotation,
    retime,
    run_ffmpeg,
    truncate,
    with_capture_fps,
)

RUNNING_CLIPS = [
    "treadmill_side_portrait_60fps.mp4",
    "treadmill_sprint_side_two_people.mp4",
    "treadmill_oblique_portrait_24fps.mp4",
    "treadmill_side_portrait_tiktok_overlay.mp4",
    "outdoor_side_fixed_short.mp4",
    "outdoor_side_pan_1080p50.mp4",
    "outdoor_side_pass_through.mp4",
    "outdoor_front_portrait_pace_labels.mp4",
    "outdoor_rear_two_runners.mp4",
    "outdoor_portrait_tracking_oddfps.mp4",
    "outdoor_side_silhouette_letterbox.mp4",
]


def decode_all(path, **kwargs):
    with iter_frames(path, **kwargs) as stream:
        frames = list(stream)
    return stream, frames


@pytest.fixture(scope="module")
def cfr_clip(tmp_path_factory) -> Path:
    """30 pattern frames, 160x96 stored, 30 fps."""
    return make_cfr_clip(tmp_path_factory.mktemp("cfr") / "cfr.mp4", 30)


# --------------------------------------------------------------------------- #
# Plain decoding


def test_plain_clip_metadata_and_frames(cfr_clip):
    info = probe_video(cfr_clip)
    assert (info.codec, info.width, info.height) == ("h264", 160, 96)
    assert (info.stored_width, info.stored_height, info.rotation_deg) == (160, 96, 0)
    assert info.fps == pytest.approx(30.0)
    assert info.frames == 30
    assert info.duration_s == pytest.approx(1.0)
    assert (info.slow_motion_factor, info.slow_motion_source) == (1.0, None)
    # The MP4 muxer picks its own timescale (a multiple of 30 here).
    assert (info.time_base * 30).numerator == 1

    stream, frames = decode_all(cfr_clip)
    assert stream.decode_error is None and stream.repaired_timestamps == 0
    assert [f.index for f in frames] == list(range(30))
    assert [f.pts * info.time_base for f in frames] == [Fraction(i, 30) for i in range(30)]
    np.testing.assert_allclose([f.pts_s for f in frames], np.arange(30) / 30)
    np.testing.assert_allclose([f.t_ms for f in frames], np.arange(30) * 1000 / 30)
    assert all(f.rgb.shape == (96, 160, 3) and f.rgb.dtype == np.uint8 for f in frames)
    assert all(f.rgb.flags.c_contiguous for f in frames)


def test_frame_content_is_the_encoded_picture(cfr_clip):
    _, frames = decode_all(cfr_clip)
    rgb = frames[5].rgb.astype(int)
    assert rgb[:20, :35].min() > 230, "white block at the stored top-left"
    assert rgb[40, 150, 0] - rgb[40, 10, 0] > 180, "red ramps left to right"
    # The blue bar along the bottom is 8 px per frame index: 40 px in frame 5.
    bar = rgb[-4, :, 2] > 128
    assert 36 <= bar.sum() <= 44 and bar[:30].all()


def test_probe_accepts_pathlike_and_str(cfr_clip):
    assert probe_video(str(cfr_clip)) == probe_video(Path(cfr_clip))


# --------------------------------------------------------------------------- #
# Rotation


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_rotated_clip_comes_out_upright(cfr_clip, tmp_path, degrees):
    need_ffmpeg()
    rotated = remux_with_rotation(cfr_clip, tmp_path / f"r{degrees}.mp4", degrees)
    info = probe_video(rotated)
    assert info.rotation_deg == degrees
    assert (info.stored_width, info.stored_height) == (160, 96)
    assert (info.width, info.height) == ((96, 160) if degrees in (90, 270) else (160, 96))

    _, stored = decode_all(cfr_clip)
    _, upright = decode_all(rotated)
    assert len(upright) == len(stored)
    for original, turned in zip(stored, upright):
        # rotation_deg is clockwise; np.rot90 with k > 0 turns counter-clockwise.
        np.testing.assert_array_equal(turned.rgb, np.rot90(original.rgb, -degrees // 90))
        assert turned.t_ms == original.t_ms


def test_rotation_direction_on_an_asymmetric_frame(cfr_clip, tmp_path):
    """A 90 degree clockwise turn takes the stored top-left corner to the top-right."""
    need_ffmpeg()
    rotated = remux_with_rotation(cfr_clip, tmp_path / "r90.mp4", 90)
    _, frames = decode_all(rotated)
    rgb = frames[0].rgb.astype(int)
    assert rgb.shape == (160, 96, 3)
    assert rgb[:30, -18:].min() > 230, "white block now top-right"
    assert (rgb[:30, :18].min(axis=-1) > 230).mean() < 0.05, "and no longer top-left"


@pytest.mark.parametrize("degrees", [90, 270])
def test_rotation_agrees_with_opencv(cfr_clip, tmp_path, degrees):
    """OpenCV 5 applies the display matrix by default: an independent check of the direction."""
    need_ffmpeg()
    rotated = remux_with_rotation(cfr_clip, tmp_path / f"r{degrees}.mp4", degrees)
    capture = cv2.VideoCapture(str(rotated))
    try:
        assert capture.get(cv2.CAP_PROP_ORIENTATION_AUTO) == 1
        assert capture.get(cv2.CAP_PROP_ORIENTATION_META) == degrees
        ok, bgr = capture.read()
    finally:
        capture.release()
    assert ok
    _, frames = decode_all(rotated)
    ours = frames[0].rgb.astype(int)
    theirs = bgr[..., ::-1].astype(int)
    assert theirs.shape == ours.shape
    assert np.abs(ours - theirs).mean() < 3
    # The opposite turn would be far off: the check can tell directions apart.
    assert np.abs(np.rot90(ours, 2) - theirs).mean() > 30


# --------------------------------------------------------------------------- #
# Timestamps


def test_variable_frame_rate_keeps_true_timestamps(tmp_path):
    clip, pts = make_vfr_clip(tmp_path / "vfr.mp4")
    stream, frames = decode_all(clip)
    assert stream.info.time_base == Fraction(1, 90_000)
    assert [f.pts for f in frames] == pts.tolist()
    expected_ms = pts / 90.0
    np.testing.assert_allclose([f.t_ms for f in frames], expected_ms, atol=1e-9)
    np.testing.assert_allclose([f.pts_s for f in frames], expected_ms / 1000, atol=1e-12)
    intervals = np.diff([f.t_ms for f in frames])
    assert intervals.min() > 0
    # Irregular: index / fps would be wrong by up to several frames.
    assert intervals.max() - intervals.min() > 25


def test_preroll_skips_only_unreferenced_frames_before_the_moment_wanted(shared_video):
    # The 1080p treadmill clip has one keyframe and 288 B-frames: reaching 4 s means decoding on from 0 s.
    path = shared_video("treadmill_side_portrait_60fps.mp4")

    def frames_from_start(full_from_s):
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            return [
                (float(f.pts * stream.time_base), f.to_ndarray(format="gray")[::40, ::40])
                for f in PrerollDecoder(container, stream, full_from_s)
            ]

    full, skipping = frames_from_start(0.0), frames_from_start(4.0)
    from_4s = [(time_s, image) for time_s, image in full if time_s >= 4.0]
    assert len(skipping) < len(full) - 100  # most frames before 4 s were never decoded
    assert [t for t, _ in skipping[-len(from_4s) :]] == [t for t, _ in from_4s]
    for (_, a), (_, b) in zip(skipping[-len(from_4s) :], from_4s):
        np.testing.assert_array_equal(a, b)
    starting_late = list(iter_frames(path, start_s=4.0, fast=True))
    assert [f.pts_s for f in starting_late] == pytest.approx([t for t, _ in from_4s])


def test_real_odd_fps_clip(shared_video):
    path = shared_video("outdoor_portrait_tracking_oddfps.mp4")
    stream, frames = decode_all(path)
    info = stream.info
    assert info.fps == pytest.approx(7457 / 250)
    assert (info.width, info.height, info.rotation_deg) == (406, 720, 0)
    assert len(frames) == 175 and stream.decode_error is None
    # 406 px rows are padded in FFmpeg's buffers; frames must still be compact.
    assert all(f.rgb.shape == (720, 406, 3) and f.rgb.flags.c_contiguous for f in frames)
    t_ms = np.array([f.t_ms for f in frames])
    assert np.all(np.diff(t_ms) > 0)
    # The file's timeline starts at its first pts (not 0) and is kept.
    assert t_ms[0] == pytest.approx(500 * 1000 / 14914)
    np.testing.assert_allclose(t_ms, [f.pts * 1000 / 14914 for f in frames])
    np.testing.assert_allclose(np.diff(t_ms), 1000 / info.fps, rtol=0.01)
    assert t_ms[-1] / 1000 + 1 / info.fps == pytest.approx(t_ms[0] / 1000 + info.duration_s, abs=0.01)


@pytest.mark.parametrize(
    "raw, expected, n_repaired",
    [
        ([0, 10, 20, 30], [0, 10, 20, 30], 0),
        ([0, 10, 10, 20], [0, 10, 20, 30], 1),  # repeated pts: later frames keep their spacing
        ([0, 10, 20, 0, 10], [0, 10, 20, 30, 40], 1),  # reset (spliced clips)
        ([0, 10, 5, 30], [0, 10, 20, 45], 1),
        ([None, None, 20], [0, 10, 20], 2),  # missing pts: one nominal interval
    ],
)
def test_repaired_timestamps_are_strictly_increasing(raw, expected, n_repaired):
    last, offset, repaired, out = None, 0, 0, []
    for pts in raw:
        last, offset, fixed = _next_pts(pts, last, offset, frame_ticks=10)
        repaired += fixed
        out.append(last)
    assert out == expected
    assert repaired == n_repaired


# --------------------------------------------------------------------------- #
# Slow motion


def test_android_capture_fps_metadata_makes_real_time(cfr_clip, tmp_path):
    need_ffmpeg()
    slow = with_capture_fps(cfr_clip, tmp_path / "slow.mp4", 240)
    info = probe_video(slow)
    assert info.slow_motion_factor == pytest.approx(8.0)
    assert info.slow_motion_source == "metadata"
    _, frames = decode_all(slow)
    np.testing.assert_allclose([f.pts_s for f in frames], np.arange(30) / 30)
    np.testing.assert_allclose([f.t_ms for f in frames], np.arange(30) * 1000 / 240)


def test_capture_fps_equal_to_playback_is_normal_speed(cfr_clip, tmp_path):
    need_ffmpeg()
    normal = with_capture_fps(cfr_clip, tmp_path / "normal.mp4", 30)
    info = probe_video(normal)
    assert (info.slow_motion_factor, info.slow_motion_source) == (1.0, None)


def test_user_slowmo_overrides_metadata(cfr_clip, tmp_path):
    need_ffmpeg()
    slow = with_capture_fps(cfr_clip, tmp_path / "slow.mp4", 240)
    info = probe_video(slow, slowmo=4)
    assert (info.slow_motion_factor, info.slow_motion_source) == (4.0, "user")
    assert probe_video(slow, slowmo=1).slow_motion_factor == 1.0
    _, frames = decode_all(cfr_clip, slowmo=2.5)
    np.testing.assert_allclose([f.t_ms for f in frames], np.arange(30) * 1000 / 30 / 2.5)


@pytest.mark.parametrize("bad", [0.5, 0, -2, float("nan"), float("inf"), "fast"])
def test_bad_slowmo_is_a_usage_error(cfr_clip, bad):
    with pytest.raises(UsageError, match="--slowmo"):
        probe_video(cfr_clip, slowmo=bad)


def test_half_speed_retime_with_slowmo_matches_original(shared_video, tmp_path):
    need_ffmpeg()
    original = shared_video("outdoor_side_fixed_short.mp4")
    slowed = retime(original, tmp_path / "half_speed.mp4", 2)
    _, before = decode_all(original)
    slow_stream, after = decode_all(slowed, slowmo=2)
    assert slow_stream.info.slow_motion_source == "user"
    assert len(after) == len(before) == 47
    t_before = np.array([f.t_ms for f in before])
    t_after = np.array([f.t_ms for f in after])
    np.testing.assert_allclose(t_after - t_after[0], t_before - t_before[0], atol=1.0)
    # Without the factor the same file would be twice as long.
    _, unscaled = decode_all(slowed)
    assert unscaled[-1].t_ms - unscaled[0].t_ms == pytest.approx(2 * (t_before[-1] - t_before[0]), abs=2)


# --------------------------------------------------------------------------- #
# Refusals and broken files


def assert_one_sentence(error: Exception, name: str) -> None:
    message = str(error)
    assert message.startswith(f"Cannot read {name}:"), message
    assert message.endswith(".") and "\n" not in message and "Traceback" not in message


def test_missing_file(tmp_path):
    with pytest.raises(UnreadableInputError) as caught:
        probe_video(tmp_path / "nope.mp4")
    assert_one_sentence(caught.value, "nope.mp4")
    assert "no such file" in str(caught.value)


def test_directory(tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    with pytest.raises(UnreadableInputError, match="folder") as caught:
        iter_frames(folder)
    assert_one_sentence(caught.value, "clips")


def test_permission_denied(cfr_clip, tmp_path, monkeypatch):
    locked = tmp_path / "locked.mp4"
    locked.write_bytes(cfr_clip.read_bytes())
    locked.chmod(0)
    if os.access(locked, os.R_OK):  # root reads anything: pretend it cannot
        monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    with pytest.raises(UnreadableInputError, match="permission denied") as caught:
        probe_video(locked)
    assert_one_sentence(caught.value, "locked.mp4")


def test_text_file(tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video at all\n" * 50)
    with pytest.raises(UnreadableInputError, match="not a video file") as caught:
        probe_video(text)
    assert_one_sentence(caught.value, "notes.mp4")


@pytest.mark.parametrize("suffix", ["png", "jpg"])
def test_still_image(tmp_path, suffix):
    image = tmp_path / f"photo.{suffix}"
    cv2.imwrite(str(image), np.full((64, 48, 3), 128, np.uint8))
    with pytest.raises(UnreadableInputError, match="still") as caught:
        probe_video(image)
    assert_one_sentence(caught.value, f"photo.{suffix}")


def test_single_frame_video_is_not_a_video(tmp_path):
    one = make_cfr_clip(tmp_path / "one.mp4", 1)
    with pytest.raises(UnreadableInputError, match="single still picture"):
        probe_video(one)


def test_audio_only(tmp_path):
    need_ffmpeg()
    audio = tmp_path / "song.m4a"
    run_ffmpeg("-f", "lavfi", "-i", "sine=duration=1", str(audio))
    with pytest.raises(UnreadableInputError, match="no video stream") as caught:
        probe_video(audio)
    assert_one_sentence(caught.value, "song.m4a")


def test_corrupt_real_file_says_why(shared_video):
    path = shared_video("bad/corrupt_truncated_no_moov.mp4")
    with pytest.raises(UnreadableInputError) as caught:
        iter_frames(path)
    assert str(caught.value) == (
        "Cannot read corrupt_truncated_no_moov.mp4: it is not a video file formcam can decode "
        "(it is an HTML web page, not a video: the download probably failed)."
    )


def test_stream_broken_midway_stops_cleanly_and_says_so(tmp_path):
    whole = make_cfr_clip(tmp_path / "whole.mp4", 120, width=320, height=240, faststart=True)
    broken = truncate(whole, tmp_path / "broken.mp4", 0.6)
    assert probe_video(broken).frames == 120  # the index still promises all of them
    stream, frames = decode_all(broken)
    assert 2 <= len(frames) < 100
    assert stream.frames_decoded == len(frames)
    assert stream.decode_error is not None and "broken.mp4 ended early" in stream.decode_error
    assert np.all(np.diff([f.t_ms for f in frames]) > 0)


# --------------------------------------------------------------------------- #
# Streaming and resource handling


def open_descriptors_to(path: Path) -> int:
    target = str(path.resolve())
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}") == target
        except OSError:
            pass
    return count


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to count open files")
def test_file_closed_on_close_and_on_garbage_collection(cfr_clip):
    stream = iter_frames(cfr_clip)
    next(stream)
    assert open_descriptors_to(cfr_clip) == 1
    stream.close()
    assert open_descriptors_to(cfr_clip) == 0

    stream = iter_frames(cfr_clip)
    next(stream)
    del stream
    gc.collect()
    assert open_descriptors_to(cfr_clip) == 0

    with iter_frames(cfr_clip) as stream:
        for frame in stream:
            if frame.index == 3:
                break
    assert open_descriptors_to(cfr_clip) == 0

    assert open_descriptors_to(cfr_clip) == 0 and probe_video(cfr_clip).frames == 30
    assert open_descriptors_to(cfr_clip) == 0


def test_iter_frames_is_a_lazy_stream(cfr_clip):
    stream = iter_frames(cfr_clip)
    assert isinstance(stream, FrameStream)
    assert stream.frames_decoded == 0
    first, second = next(stream), next(stream)
    assert (first.index, second.index, stream.frames_decoded) == (0, 1, 2)
    assert sum(1 for _ in stream) == 28
    assert stream.decode_error is None


# --------------------------------------------------------------------------- #
# Real clips


@pytest.mark.parametrize("name", RUNNING_CLIPS)
def test_real_running_clips_probe(shared_video, name):
    info = probe_video(shared_video(name))
    assert info.codec == "h264"
    assert info.rotation_deg == 0 and info.slow_motion_factor == 1.0
    assert 20 <= info.fps <= 60
    assert info.width >= 226 and info.height >= 226
    assert info.duration_s is not None and 1.0 < info.duration_s < 25


@pytest.mark.parametrize(
    "name, codec",
    [("bad/black_frames_dot_mpeg4.mp4", "mpeg4"), ("bad/two_people_walk_jump_vp9.mp4", "vp9")],
)
def test_other_codecs_decode(shared_video, name, codec):
    with iter_frames(shared_video(name)) as stream:
        frame = next(stream)
        assert stream.info.codec == codec
        assert frame.rgb.shape == (stream.info.height, stream.info.width, 3)


@pytest.mark.parametrize("width, height", [(426, 226), (640, 360), (427, 227)])
def test_scaled_yuv_conversion_handles_heights_not_divisible_by_four(width, height):
    from formcam.video.decode import _scaled_rgb_from_yuv420p

    grey = np.full((height, width, 3), 128, np.uint8)
    frame = av.VideoFrame.from_ndarray(grey, format="rgb24").reformat(format="yuv420p")
    rgb = _scaled_rgb_from_yuv420p(frame, (width // 2, height // 2))
    assert rgb.shape == (height // 2 // 2 * 2, width // 2 // 2 * 2, 3)
    assert abs(int(rgb.mean()) - 128) <= 2


def test_scaled_frames_have_the_even_size_scaled_size_promises(tmp_path):
    # 160 x 94 fitted into 100 px is 100 x 58.75: an odd 59 rows would not match the 4:2:0 planes or the encoder.
    clip = make_cfr_clip(tmp_path / "clip.mp4", n_frames=3, width=160, height=94)
    with iter_frames(clip, max_side=100) as frames:
        frame = next(frames)
        assert (frame.rgb.shape[1], frame.rgb.shape[0]) == scaled_size(frames.info, 100) == (100, 58)
