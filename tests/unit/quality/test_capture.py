"""Image-based capture quality: dark, motion-blurred, panning, letterboxed clips (made here, no model)."""

from __future__ import annotations

from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from formcam.gait.metrics import MetricResult
from formcam.quality.capture import (
    CaptureQuality,
    assess_capture,
    blur_effect,
    global_shift,
    letterbox_bars,
    measure_capture,
    null_affected_metrics,
    runner_boxes,
)
from formcam.quality.warnings import QualityWarning
from formcam.video.decode import iter_frames
from formcam.video.sampling import PairSampler, sample_frame_pairs, sample_moments_s
from tests.helpers.media import make_cfr_clip

WIDTH, HEIGHT, FPS = 320, 240, 30


def texture(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A grey scene with detail at every scale (smoothed noise), shape (height, width), uint8."""
    rng = np.random.default_rng(seed)
    image = np.zeros((height, width), np.float32)
    for scale in (2, 8, 32):
        small = rng.uniform(0, 1, (height // scale + 1, width // scale + 1)).astype(np.float32)
        image += cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    image -= image.min()
    return (255 * image / image.max()).astype(np.uint8)


def write_frames(path, frames) -> None:
    """Encode grey ``frames`` (list of (H, W) uint8) as H.264 at :data:`FPS`."""
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        stream.options = {"crf": "12"}
        for i, grey in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.dstack([grey] * 3), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def scene_clip(
    tmp_path, name: str, *, pan_px: float = 0.0, gain: float = 1.0, blur_px: int = 0, bars_px: int = 0, n: int = 45
):
    """A still (or panning) textured scene, optionally darkened, smeared sideways, or letterboxed."""
    world = texture(WIDTH + int(abs(pan_px) * n) + 2, HEIGHT)
    frames = []
    for i in range(n):
        x = int(round(abs(pan_px) * i))
        grey: np.ndarray = world[:, x : x + WIDTH].astype(np.float32)
        if blur_px:
            grey = cv2.blur(grey, (blur_px, 1))
        grey = np.clip(grey * gain, 0, 255).astype(np.uint8)
        if bars_px:
            grey[:bars_px] = 0
            grey[-bars_px:] = 0
        frames.append(grey)
    path = tmp_path / f"{name}.mp4"
    write_frames(path, frames)
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("capture")
    return {
        "plain": scene_clip(folder, "plain"),
        "dark": scene_clip(folder, "dark", gain=0.12),
        "blurred": scene_clip(folder, "blurred", blur_px=25),
        "panning": scene_clip(folder, "panning", pan_px=6),
        "letterbox": scene_clip(folder, "letterbox", bars_px=30),
    }


def test_plain_still_clip_has_no_warnings(clips):
    quality = assess_capture(clips["plain"])
    assert quality.n_samples >= 10  # 45 frames, about half of them B-frames that are not decoded
    assert quality.warnings == []
    assert quality.camera_speed < 0.02
    assert quality.blur < 0.5
    assert quality.bars == {"top": 0, "bottom": 0, "left": 0, "right": 0}


def test_dark_clip(clips):
    quality = assess_capture(clips["dark"])
    assert quality.codes == {"dark_video"}
    assert quality.brightness < 40
    assert "very dark" in quality.warnings[0].message
    assert quality.hints() and "very dark" in quality.hints()[0]


def test_motion_blurred_clip(clips):
    quality = assess_capture(clips["blurred"])
    assert "motion_blur" in quality.codes
    assert quality.blur > 0.5


def test_panning_clip(clips):
    quality = assess_capture(clips["panning"])
    assert "camera_moving" in quality.codes
    # 6 px a frame at 30 frames/s over a 320 px frame: 0.56 frame widths a second.
    assert quality.camera_speed == pytest.approx(6 * FPS / WIDTH, rel=0.15)


def test_letterbox_bars_are_found_and_kept_out_of_the_brightness(clips):
    quality = assess_capture(clips["letterbox"])
    assert "letterbox" in quality.codes
    assert quality.bars["top"] == pytest.approx(30, abs=3) and quality.bars["bottom"] == pytest.approx(30, abs=3)
    assert quality.bars["left"] == quality.bars["right"] == 0
    plain = assess_capture(clips["plain"])
    assert quality.brightness == pytest.approx(plain.brightness, abs=8)


def pairs_as_frames_pass(path, stretches: int = 1) -> list:
    """Pairs kept by one PairSampler per stretch of the clip, as the pose stage's segments keep them."""
    with iter_frames(path) as stream:
        frames = list(stream)
    moments = sample_moments_s(frames[0].pts_s, frames[-1].pts_s + 1 / FPS, FPS)
    bounds = np.linspace(frames[0].pts_s, frames[-1].pts_s + 1, stretches + 1)
    pairs = []
    for start, stop in zip(bounds[:-1], bounds[1:]):
        sampler = PairSampler(moments[(moments >= start) & (moments < stop)])
        for frame in frames:
            if start <= frame.pts_s < stop:
                sampler.offer(frame.pts_s, frame.t_ms, frame.rgb)
        pairs += sampler.pairs
    return pairs


@pytest.mark.parametrize("name", ["plain", "dark", "blurred", "panning", "letterbox"])
def test_pairs_kept_as_frames_pass_measure_like_pairs_found_by_seeking(clips, name):
    seeking = assess_capture(clips[name])
    passing = measure_capture(pairs_as_frames_pass(clips[name], stretches=2))
    assert passing.codes == seeking.codes
    assert passing.brightness == pytest.approx(seeking.brightness, abs=3)
    assert passing.blur == pytest.approx(seeking.blur, abs=0.05)
    assert passing.camera_speed == pytest.approx(seeking.camera_speed, rel=0.15, abs=0.01)
    assert passing.bars == seeking.bars


def test_pair_sampler_takes_neighbouring_frames_once_per_moment(clips):
    pairs = pairs_as_frames_pass(clips["plain"])
    # 32 moments over 45 frames: a frame ends one pair or starts one, never both.
    assert 20 <= len(pairs) < 32
    assert all(p.dt_s == pytest.approx(1 / FPS) for p in pairs)
    assert np.all(np.diff([p.t_ms for p in pairs]) >= 2000 / FPS - 1e-6)
    assert pairs[0].first.shape == (240, 320)


def test_blur_effect_orders_sharp_and_blurred():
    sharp = texture(200, 150)
    assert blur_effect(sharp) < blur_effect(cv2.blur(sharp, (5, 5))) < blur_effect(cv2.blur(sharp, (15, 15)))
    assert np.isnan(blur_effect(np.zeros((5, 5))))


def test_global_shift_ignores_the_runner_box():
    scene = texture(400, 240)
    first, second = scene[:, :320].copy(), scene[:, 5:325].copy()  # background moves 5 px left
    dx, dy, response = global_shift(first, second)
    assert dx == pytest.approx(-5, abs=0.3) and dy == pytest.approx(0, abs=0.3) and response > 0.3
    still = scene[:, :320].copy()
    moved = still.copy()
    moved[60:200, 120:200] = np.roll(still[60:200, 120:200], 9, axis=1)  # only the "runner" moves
    dx, dy, _ = global_shift(still, moved, exclude=(110, 50, 210, 210))
    assert abs(dx) < 0.3 and abs(dy) < 0.3


def test_letterbox_ignores_a_watermark_on_the_bar():
    pictures = []
    for seed in range(5):
        grey = texture(320, 200, seed)
        grey[:20] = 0
        grey[-20:] = 0
        grey[3:15, 250:310] = 255  # a watermark on the top bar
        pictures.append(grey)
    assert letterbox_bars(pictures) == {"top": 20, "bottom": 20, "left": 0, "right": 0}
    assert letterbox_bars([np.zeros((200, 320), np.uint8)] * 3)["top"] == 0  # all black: no bars, just dark


def test_sampling_rotated_and_slow_motion_clip(tmp_path):
    clip = make_cfr_clip(tmp_path / "c.mp4", 40, width=160, height=96)
    pairs = sample_frame_pairs(clip, n_samples=8, width=48, rotation_deg=90, slow_motion_factor=4.0)
    assert len(pairs) == 8
    assert pairs[0].first.shape == (80, 48)  # upright portrait: width 48, height 48 * 160 / 96
    assert all(p.dt_s > 0 for p in pairs)
    assert np.all(np.diff([p.t_ms for p in pairs]) > 0)
    assert pairs[-1].t_ms <= 40 / 30 * 1000 / 4.0


def test_damaged_or_missing_video_gives_no_samples_not_an_error(tmp_path):
    (tmp_path / "junk.mp4").write_bytes(b"\x00" * 1000)
    assert assess_capture(tmp_path / "junk.mp4") == CaptureQuality(n_samples=0)
    assert assess_capture(tmp_path / "missing.mp4").warnings == []


def test_runner_boxes_follow_the_landmarks_and_are_nan_where_unseen():
    t_ms = np.arange(10) * 33.3
    xy = np.full((10, 33, 2), np.nan)
    xy[2:5, :, 0] = np.linspace(100, 200, 33)
    xy[2:5, :, 1] = np.linspace(50, 450, 33)
    boxes = runner_boxes(xy, t_ms, np.array([0.0, 100.0, 130.0, 1000.0]), margin=0.0)
    assert np.isnan(boxes[0]).all() and np.isnan(boxes[3]).all()
    np.testing.assert_allclose(boxes[1], [100, 50, 200, 450])
    np.testing.assert_allclose(boxes[2], [100, 50, 200, 450])


def metric(value, unit="%"):
    return MetricResult(
        value=value,
        unit=unit,
        left=value,
        right=value,
        n=8,
        flag="ok",
        per_step=[{"side": "left", "frame": 3, "t_ms": 50.0, "value": value}],
    )


def test_blur_and_camera_motion_null_the_metrics_they_invalidate():
    metrics = {
        "overstride_pct": metric(12.0),
        "vertical_oscillation_pct": metric(9.0),
        "pelvic_drop_deg": metric(6.0, "deg"),
        "arm_crossover_pct": metric(None),
    }
    blurred = CaptureQuality(n_samples=30, warnings=[QualityWarning("motion_blur", ".")])
    out = null_affected_metrics(metrics, blurred)
    assert out["overstride_pct"].value is None and out["overstride_pct"].left is None
    assert "motion-blurred" in out["overstride_pct"].reason
    assert out["overstride_pct"].per_step[0]["value"] is None
    assert out["pelvic_drop_deg"] is metrics["pelvic_drop_deg"]  # trunk and pelvis lines stay usable
    assert out["vertical_oscillation_pct"] is metrics["vertical_oscillation_pct"]
    assert out["arm_crossover_pct"] is metrics["arm_crossover_pct"]  # already null: its own reason is kept
    assert metrics["overstride_pct"].value == 12.0  # the input is not changed

    panning = CaptureQuality(n_samples=30, warnings=[QualityWarning("camera_moving", ".")])
    out = null_affected_metrics(metrics, panning)
    assert out["vertical_oscillation_pct"].value is None and "camera moved" in out["vertical_oscillation_pct"].reason
    assert out["overstride_pct"] is metrics["overstride_pct"]


def test_json_round_trip():
    quality = CaptureQuality(
        n_samples=3,
        brightness=20.0,
        blur=0.7,
        bars={"top": 5, "bottom": 5, "left": 0, "right": 0},
        warnings=[QualityWarning("dark_video", "m")],
    )
    assert CaptureQuality.from_json(quality.to_json()) == quality
