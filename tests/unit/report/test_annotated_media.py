"""The annotated video as a file: its size, the size of its labels, its sound and its bit rate (by ffprobe).

The sources are real clips cut by ffmpeg, with a sine tone for a sound track; the
landmarks are a synthetic runner's (the pose model is not needed to draw them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from formcam.pipeline import AnalysisOptions, analyze, video_section
from formcam.pose.posefile import save_pose, video_fingerprint
from formcam.report.overlay import OverlayPainter
from formcam.report.panel import PanelRow
from formcam.synthetic.gait import make_gait
from formcam.video.probe import probe_video
from tests.helpers.media import ffprobe_json, need_ffmpeg, run_ffmpeg

CLIP = "treadmill_sprint_side_two_people.mp4"  # h264 1280 x 720, 30 fps
SECONDS = "2.5"


def source(shared_video, folder: Path, name: str, *, scale: str | None, audio: list[str]) -> Path:
    need_ffmpeg()
    dst = folder / name
    video = (
        ["-vf", f"scale={scale}", "-c:v", "libx264", "-preset", "medium", "-crf", "26"] if scale else ["-c:v", "copy"]
    )
    run_ffmpeg(
        "-i", str(shared_video(CLIP)), "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        "-map", "0:v", "-map", "1:a", *video, *audio, "-t", SECONDS, str(dst),
    )  # fmt: skip
    return dst


def annotated(clip: Path) -> Path:
    """annotated.mp4 of ``clip`` with a synthetic side-view runner's landmarks."""
    info = probe_video(clip)
    assert info.duration_s is not None
    n_frames = round(info.duration_s * info.fps)
    pose = make_gait(
        view="side", fps=info.fps, duration_s=n_frames / info.fps, frame_size=(info.width, info.height),
        runner_height_px=0.6 * info.height, seed=1,
    )  # fmt: skip
    pose.extras.video = video_section(info, n_frames=pose.n_frames)
    pose.extras.video_fingerprint = video_fingerprint(clip)  # drawn on this clip only, as after a video analysis
    out = clip.parent / f"{clip.stem}-out"
    options = AnalysisOptions(progress=False, force=True, outputs=frozenset({"annotated.mp4"}))
    analyze(save_pose(pose, clip.with_suffix(".npz")), out_dir=out, options=options)
    return out / "annotated.mp4"


def streams(path: Path, kind: str) -> list[dict]:
    return [s for s in ffprobe_json(path, count_frames=False)["streams"] if s["codec_type"] == kind]


@pytest.fixture(scope="module")
def small(shared_video, tmp_path_factory):
    clip = source(shared_video, tmp_path_factory.mktemp("small"), "small.mp4", scale="640:360", audio=["-c:a", "aac"])
    return clip, annotated(clip)


def test_a_360p_source_gives_a_720p_video(small):
    _, video = small
    picture = streams(video, "video")[0]
    assert (picture["width"], picture["height"]) == (1280, 720)


def text_rows(img: np.ndarray) -> list[int]:
    """Heights of the bands of rows holding light text, px."""
    lit = np.any(img > 120, axis=(1, 2))
    edges = np.flatnonzero(np.diff(np.r_[0, lit.astype(int), 0]))
    return list(edges[1::2] - edges[::2])


def test_the_panel_labels_of_the_video_are_readable_on_a_phone(small):
    # The panel as drawn on the video's frames (size by ffprobe), on black: its text lines are
    # 14 px high or more, at least 2 % of the short side (a 360-p frame drawn at its own size had 6-9 px).
    _, video = small
    picture = streams(video, "video")[0]
    width, height = picture["width"], picture["height"]
    rows = [
        PanelRow("Cadence", "172 steps/min", None),
        PanelRow("Overstride", "8.1 %", "watch"),
        PanelRow("Head forward", "n/a (not in side view)", None),
    ]
    img = np.zeros((height, width, 3), np.uint8)
    OverlayPainter(width, height, rows).draw_on(img, _nowhere())
    heights = text_rows(img)
    assert len(heights) >= 4  # title, rows and legend
    assert min(heights) >= 14 and np.median(heights) >= 0.02 * min(width, height)


def _nowhere():
    from formcam.report.overlay import FrameAnnotation

    return FrameAnnotation(
        xy=np.full((33, 2), np.nan), view="side", shoulder_tilt_deg=0.0, hip_tilt_deg=0.0, head_forward_deg=0.0
    )


def test_the_video_keeps_the_sound_and_about_twice_the_bit_rate_per_pixel(small):
    clip, video = small
    sound, src_sound = streams(video, "audio"), streams(clip, "audio")
    assert len(sound) == 1 and sound[0]["codec_name"] == "aac"
    assert float(sound[0]["duration"]) == pytest.approx(float(src_sound[0]["duration"]), abs=0.1)
    src, out = streams(clip, "video")[0], streams(video, "video")[0]
    per_pixel = int(out["bit_rate"]) / (out["width"] * out["height"])
    src_per_pixel = int(src["bit_rate"]) / (src["width"] * src["height"])
    assert per_pixel <= 2.3 * src_per_pixel


def test_a_video_of_the_same_size_stays_within_about_twice_the_sources_bit_rate(shared_video, tmp_path):
    clip = source(shared_video, tmp_path, "same.mp4", scale=None, audio=["-c:a", "aac"])
    video = annotated(clip)
    src, out = streams(clip, "video")[0], streams(video, "video")[0]
    assert (out["width"], out["height"]) == (src["width"], src["height"])
    assert int(out["bit_rate"]) <= 2.2 * int(src["bit_rate"])
    sound = streams(video, "audio")
    assert len(sound) == 1 and sound[0]["codec_name"] == "aac"
    assert int(sound[0]["bit_rate"]) == pytest.approx(int(streams(clip, "audio")[0]["bit_rate"]), rel=0.05)  # copied


def test_sound_an_mp4_does_not_carry_well_is_re_encoded_to_aac(shared_video, tmp_path):
    clip = source(shared_video, tmp_path, "opus.mkv", scale="640:360", audio=["-c:a", "libopus"])
    sound = streams(annotated(clip), "audio")
    assert len(sound) == 1 and sound[0]["codec_name"] == "aac"
    assert float(sound[0]["duration"]) == pytest.approx(float(SECONDS), abs=0.15)
