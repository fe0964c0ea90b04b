"""Frames read by seeking are the very frames a full decode gives, upright, at the right times."""

from __future__ import annotations

import numpy as np
import pytest

from formcam.video import seek as seek_module
from formcam.video.decode import iter_frames
from formcam.video.seek import frames_at, frames_between
from tests.helpers.media import make_cfr_clip, need_ffmpeg, remux_with_rotation


def all_frames(path):
    with iter_frames(path) as frames:
        return [(f.t_ms, f.rgb) for f in frames]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    # 120 frames at 30 fps with a key frame every 250 (x264's default): seeking lands on the first.
    path = make_cfr_clip(tmp_path_factory.mktemp("seek") / "clip.mp4", n_frames=120, fps=30)
    return path, all_frames(path)


def test_frames_at_gives_the_decoded_frames_in_the_order_asked(clip):
    path, decoded = clip
    wanted = [100, 3, 57, 57, 0, 119]
    got = frames_at(path, [decoded[i][0] for i in wanted])
    for index, image in zip(wanted, got):
        np.testing.assert_array_equal(image, decoded[index][1])


def test_a_time_between_frames_gives_the_nearest_and_outside_the_clip_none(clip):
    path, decoded = clip
    t10 = decoded[10][0]
    got = frames_at(path, [t10 + 10.0, decoded[-1][0] + 1000.0, -500.0])
    np.testing.assert_array_equal(got[0], decoded[10][1])
    assert got[1] is None and got[2] is None


def test_frames_between_gives_every_frame_of_the_stretch_with_its_time(clip):
    path, decoded = clip
    got = frames_between(path, decoded[50][0], decoded[57][0])
    assert [t for t, _ in got] == pytest.approx([decoded[i][0] for i in range(50, 58)])
    for (_, image), i in zip(got, range(50, 58)):
        np.testing.assert_array_equal(image, decoded[i][1])
    edge = frames_between(path, -200.0, decoded[1][0])
    assert len(edge) == 2 and np.array_equal(edge[0][1], decoded[0][1])
    assert frames_between(path, decoded[-1][0] + 500, decoded[-1][0] + 900) == []


def test_slow_motion_times_are_scaled_to_file_time(clip):
    path, decoded = clip
    real_time = decoded[40][0] / 4  # as if the clip were 4x slow motion
    np.testing.assert_array_equal(frames_at(path, [real_time], slow_motion_factor=4)[0], decoded[40][1])


def test_rotated_clip_frames_come_out_upright(clip, tmp_path):
    need_ffmpeg()
    path, _ = clip
    rotated = remux_with_rotation(path, tmp_path / "rotated.mp4", 90)
    decoded = all_frames(rotated)
    assert decoded[0][1].shape[0] > decoded[0][1].shape[1]  # portrait once upright
    np.testing.assert_array_equal(frames_at(rotated, [decoded[30][0]])[0], decoded[30][1])


@pytest.mark.parametrize(
    "keyframe_every, wanted, seeks",
    [
        (None, [3, 110], 1),  # one key frame: decoding on beats seeking back to it, however far ahead
        (30, [3, 20], 1),  # no key frame between: decode on
        (30, [3, 40], 2),  # a key frame (30) between: seek to it, a second and a third sooner
    ],
)
def test_seeks_only_where_a_key_frame_lies_ahead(tmp_path, monkeypatch, keyframe_every, wanted, seeks):
    path = make_cfr_clip(tmp_path / "clip.mp4", n_frames=120, fps=30, keyframe_every=keyframe_every)
    decoded = all_frames(path)
    made = []
    original = seek_module._Reader.seek
    monkeypatch.setattr(
        seek_module._Reader, "seek", lambda reader, time_s: made.append(time_s) or original(reader, time_s)
    )
    for index, image in zip(wanted, frames_at(path, [decoded[i][0] for i in wanted])):
        np.testing.assert_array_equal(image, decoded[index][1])
    assert len(made) == seeks


def test_skipping_unreferenced_frames_on_the_way_changes_no_frame_returned(shared_video):
    # A phone clip with one keyframe and B-frames: each wanted frame is reached by decoding on from the
    # start, skipping the frames nothing refers to (PrerollDecoder); what comes back must be what a
    # full decode gives.
    path = shared_video("treadmill_side_portrait_60fps.mp4")
    decoded = all_frames(path)
    wanted = [371, 5, 200, 201, 96, 330]
    for index, image in zip(wanted, frames_at(path, [decoded[i][0] for i in wanted])):
        np.testing.assert_array_equal(image, decoded[index][1])
    stretch = frames_between(path, decoded[250][0], decoded[262][0])
    assert [t for t, _ in stretch] == pytest.approx([decoded[i][0] for i in range(250, 263)])
    for (_, image), i in zip(stretch, range(250, 263)):
        np.testing.assert_array_equal(image, decoded[i][1])
