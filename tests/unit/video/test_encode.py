"""H.264 writer: browser-playable MP4, the input's timing kept, atomic output."""

from __future__ import annotations

from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from formcam.video.decode import iter_frames
from formcam.video.encode import H264Writer
from tests.helpers.media import ffprobe_json, need_ffmpeg, pattern_frame

TIME_BASE = Fraction(1, 15_360)


def irregular_pts(n: int, seed: int = 0) -> np.ndarray:
    """``n`` strictly increasing pts in TIME_BASE, 17-67 ms apart."""
    steps = np.random.default_rng(seed).integers(256, 1024, n - 1)
    return np.concatenate([[0], np.cumsum(steps)])


def write_frames(path, pts, *, width=160, height=96, fps=30.0, crf=18):
    frames = [pattern_frame(i, width, height) for i in range(len(pts))]
    with H264Writer(path, width=width, height=height, time_base=TIME_BASE, fps=fps, crf=crf) as writer:
        for rgb, p in zip(frames, pts):
            writer.write(rgb, None if p is None else int(p))
    return frames


def read_back(path):
    """Decode with PyAV: (pts in seconds, RGB frames)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        decoded = [(float(f.pts * stream.time_base), f.to_ndarray(format="rgb24")) for f in container.decode(stream)]
    return np.array([t for t, _ in decoded]), [rgb for _, rgb in decoded]


def video_stream(probe: dict) -> dict:
    (stream,) = [s for s in probe["streams"] if s["codec_type"] == "video"]
    return stream


def test_round_trip_keeps_codec_size_count_and_timing(tmp_path):
    need_ffmpeg()
    out = tmp_path / "annotated.mp4"
    pts = irregular_pts(40)
    write_frames(out, pts)

    stream = video_stream(ffprobe_json(out))
    assert stream["codec_name"] == "h264"
    assert stream["pix_fmt"] == "yuv420p"
    assert (stream["width"], stream["height"]) == (160, 96)
    assert int(stream["nb_frames"]) == int(stream["nb_read_frames"]) == 40
    # Tagged with the matrix the pixels were converted with (BT.601), limited range.
    assert stream["color_space"] == "smpte170m" and stream["color_range"] == "tv"
    # The last frame lasts one nominal interval (1/fps).
    assert float(stream["duration"]) == pytest.approx(float(pts[-1] * TIME_BASE) + 1 / 30, abs=0.002)

    times, _ = read_back(out)
    np.testing.assert_allclose(times, pts * float(TIME_BASE), atol=1e-9)


def test_pictures_survive_encoding(tmp_path):
    out = tmp_path / "pictures.mp4"
    frames = write_frames(out, irregular_pts(12), crf=12)
    _, decoded = read_back(out)
    assert len(decoded) == len(frames)
    for original, back in zip(frames, decoded):
        # A channel swap or wrong colour matrix would be off by tens of levels.
        assert np.abs(original.astype(int) - back.astype(int)).mean() < 3


def test_moov_atom_is_at_the_front_for_streaming(tmp_path):
    out = tmp_path / "fast.mp4"
    write_frames(out, range(10))
    head = out.read_bytes()
    assert 0 <= head.find(b"moov") < head.find(b"mdat")


def test_pts_none_means_evenly_spaced_at_fps(tmp_path):
    out = tmp_path / "cfr.mp4"
    write_frames(out, [None] * 25, fps=25.0)
    times, _ = read_back(out)
    # 1/25 s is 614.4 ticks: rounded per frame, never accumulated.
    np.testing.assert_allclose(times, np.arange(25) / 25, atol=1 / 15_360)


@pytest.mark.parametrize("width, height", [(161, 96), (160, 97), (101, 75)])
def test_odd_sizes_are_padded_to_even_by_repeating_the_edge(tmp_path, width, height):
    out = tmp_path / "odd.mp4"
    frames = write_frames(out, range(6), width=width, height=height, crf=10)
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (width + width % 2, height + height % 2)
    _, decoded = read_back(out)
    assert len(decoded) == 6
    back = decoded[3].astype(int)
    original = frames[3].astype(int)
    assert np.abs(back[:height, :width] - original).mean() < 3
    if width % 2:
        assert np.abs(back[:height, width] - original[:, -1]).mean() < 6
    if height % 2:
        assert np.abs(back[height, :width] - original[-1]).mean() < 6


@pytest.mark.parametrize("width, height", [(160, 96), (160, 98), (161, 97)])
def test_the_encoder_gets_exactly_the_i420_pixels(tmp_path, width, height):
    # Lossless (crf 0): what decodes is what the writer handed to x264, the frame built on the converted
    # pixels without a copy where PyAV can (height a multiple of 4) and by copying where it cannot.
    out = tmp_path / "lossless.mp4"
    frames = write_frames(out, range(4), width=width, height=height, crf=0)
    with av.open(str(out)) as container:
        decoded = list(container.decode(video=0))
    assert len(decoded) == len(frames)
    for rgb, frame in zip(frames, decoded):
        i420 = cv2.cvtColor(np.pad(rgb, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge"), cv2.COLOR_RGB2YUV_I420)
        expected = np.split(i420.reshape(-1), [frame.width * frame.height, frame.width * frame.height * 5 // 4])
        for plane, pixels in zip(frame.planes, expected):
            got = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[: plane.height, : plane.width]
            np.testing.assert_array_equal(got, pixels.reshape(plane.height, plane.width))


def test_output_appears_only_on_successful_close(tmp_path):
    out = tmp_path / "annotated.mp4"
    writer = H264Writer(out, width=64, height=64, time_base=TIME_BASE, fps=30)
    for i in range(60):  # more than x264 holds back, so some frames reach the file
        writer.write(np.full((64, 64, 3), i, np.uint8), i * 512)
    assert not out.exists()
    assert len(list(tmp_path.glob(".annotated.mp4.*.part"))) == 1
    writer.close()
    assert out.exists() and not list(tmp_path.glob(".annotated.mp4.*.part"))
    writer.close()  # a second close is harmless


def test_exception_inside_with_leaves_no_file(tmp_path):
    out = tmp_path / "annotated.mp4"
    with pytest.raises(RuntimeError, match="drawing failed"):
        with H264Writer(out, width=64, height=64, time_base=TIME_BASE, fps=30) as writer:
            for i in range(5):
                writer.write(np.full((64, 64, 3), i, np.uint8), i * 512)
            raise RuntimeError("drawing failed")
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_the_previous_output(tmp_path):
    out = tmp_path / "annotated.mp4"
    out.write_bytes(b"previous run")
    with pytest.raises(KeyboardInterrupt):
        with H264Writer(out, width=64, height=64, time_base=TIME_BASE, fps=30) as writer:
            writer.write(np.zeros((64, 64, 3), np.uint8), 0)
            raise KeyboardInterrupt
    assert out.read_bytes() == b"previous run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["annotated.mp4"]


def test_bad_input_is_refused(tmp_path):
    out = tmp_path / "bad.mp4"
    with H264Writer(out, width=64, height=48, time_base=TIME_BASE, fps=30) as writer:
        with pytest.raises(ValueError, match="48, 64, 3"):
            writer.write(np.zeros((64, 48, 3), np.uint8), 0)
        with pytest.raises(ValueError, match="uint8"):
            writer.write(np.zeros((48, 64, 3), np.float32), 0)
        writer.write(np.zeros((48, 64, 3), np.uint8), 100)
        with pytest.raises(ValueError, match="pts must increase"):
            writer.write(np.zeros((48, 64, 3), np.uint8), 100)
    assert out.exists()


def test_closing_without_frames_writes_nothing(tmp_path):
    out = tmp_path / "empty.mp4"
    writer = H264Writer(out, width=64, height=64, time_base=TIME_BASE, fps=30)
    with pytest.raises(ValueError, match="no frames"):
        writer.close()
    assert list(tmp_path.iterdir()) == []


def test_decode_then_write_a_real_clip_keeps_its_timing(shared_video, tmp_path):
    """The odd-rate phone clip (29.828 fps, first pts not 0) re-encoded frame for frame."""
    need_ffmpeg()
    source = shared_video("outdoor_portrait_tracking_oddfps.mp4")
    out = tmp_path / "annotated.mp4"
    with iter_frames(source) as frames:
        info = frames.info
        in_times = []
        with H264Writer(out, width=info.width, height=info.height, time_base=info.time_base, fps=info.fps) as writer:
            for frame in frames:
                writer.write(frame.rgb, frame.pts)
                in_times.append(frame.pts_s)

    stream = video_stream(ffprobe_json(out))
    assert int(stream["nb_read_frames"]) == len(in_times) == 175
    assert (stream["width"], stream["height"]) == (406, 720)
    out_times, _ = read_back(out)
    np.testing.assert_allclose(out_times, in_times, atol=1e-6)
    assert float(stream["duration"]) == pytest.approx(info.duration_s, abs=0.05)
