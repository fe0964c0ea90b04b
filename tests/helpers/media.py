"""Make test videos in a temporary folder: rotation, slow motion, re-timing, VFR.

Clips that need only encoding are written with PyAV (always installed).
Re-muxing with metadata and re-timing use the ``ffmpeg``/``ffprobe`` programs
(Debian package ``ffmpeg``); a helper that needs them raises
:class:`FFmpegNotFoundError` when they are missing. Tests call
:func:`need_ffmpeg` first: it skips the test on a developer machine without
ffmpeg, and fails it when the ``CI`` environment variable is set, so CI can
never pass by skipping.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest


class FFmpegNotFoundError(RuntimeError):
    """The ffmpeg or ffprobe program is not installed."""


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise FFmpegNotFoundError(
            f"the {name} program is not installed; these test videos are made with it "
            "(Debian/Ubuntu: apt-get install ffmpeg)"
        )
    return found


def need_ffmpeg() -> None:
    """Skip the calling test without ffmpeg/ffprobe, or fail it when ``CI`` is set."""
    try:
        _program("ffmpeg")
        _program("ffprobe")
    except FFmpegNotFoundError as error:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {error}")
        pytest.skip(str(error))


def run_ffmpeg(*args: str) -> None:
    """Run ``ffmpeg -y -v error ARGS``; raise with ffmpeg's message on failure."""
    result = subprocess.run(
        [_program("ffmpeg"), "-nostdin", "-y", "-v", "error", *args], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg {' '.join(args)} failed: {result.stderr.strip()}")


def ffprobe_json(path: str | os.PathLike, *, count_frames: bool = True) -> dict:
    """``ffprobe -show_streams -show_format`` as a dict (``-count_frames`` decodes every frame)."""
    args = [_program("ffprobe"), "-v", "error", "-show_streams", "-show_format", "-of", "json"]
    if count_frames:
        args.append("-count_frames")
    result = subprocess.run([*args, os.fspath(path)], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


# --------------------------------------------------------------------------- #
# Clips made with PyAV


def pattern_frame(index: int, width: int, height: int) -> np.ndarray:
    """An RGB frame, shape ``(height, width, 3)`` uint8, that is asymmetric and tells its index.

    A white block marks the top-left corner (so any rotation or flip shows),
    the red channel ramps left to right, the green one top to bottom, and a
    blue bar along the bottom edge is ``index`` blocks of 8 px long (mod width),
    so frames can be told apart after lossy encoding.
    """
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[..., 0] = x
    rgb[..., 1] = y
    rgb[: height // 4, : width // 4] = 255
    bar = (8 * index) % width
    rgb[-8:, :bar, 2] = 255
    return rgb


def write_clip(
    dst: str | os.PathLike,
    pts: Iterable[int],
    *,
    time_base: Fraction = Fraction(1, 90_000),
    width: int = 160,
    height: int = 96,
    fps: float = 30.0,
    faststart: bool = False,
    keyframe_every: int | None = None,
) -> Path:
    """Encode ``pattern_frame(i)`` at ``pts[i]`` (in ``time_base``) to an H.264 MP4.

    ``keyframe_every``: frames between key frames (default x264's 250).
    """
    dst = Path(dst)
    options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(dst), mode="w", format="mp4", options=options) as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(10_000))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = stream.codec_context.time_base = time_base
        stream.options = {"crf": "18", **({"g": str(keyframe_every)} if keyframe_every else {})}
        for index, frame_pts in enumerate(pts):
            frame = av.VideoFrame.from_ndarray(pattern_frame(index, width, height), format="rgb24")
            frame.pts = int(frame_pts)
            frame.time_base = time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return dst


def make_cfr_clip(dst: str | os.PathLike, n_frames: int = 30, *, fps: int = 30, **kwargs) -> Path:
    """A constant-frame-rate clip of ``n_frames`` pattern frames (time base ``1/fps``)."""
    return write_clip(dst, range(n_frames), time_base=Fraction(1, fps), fps=fps, **kwargs)


def make_vfr_clip(
    dst: str | os.PathLike,
    frame_times_s: Sequence[float] | np.ndarray | None = None,
    *,
    time_base: Fraction = Fraction(1, 90_000),
    **kwargs,
) -> tuple[Path, np.ndarray]:
    """A variable-frame-rate clip; returns ``(path, pts)`` with pts in ``time_base``.

    By default 40 frames whose intervals cycle through 20, 33, 50 and 41 ms.
    """
    if frame_times_s is None:
        intervals = np.resize([0.020, 0.033, 0.050, 0.041], 39)
        frame_times_s = np.concatenate([[0.0], np.cumsum(intervals)])
    pts = np.round(np.asarray(frame_times_s) / float(time_base)).astype(np.int64)
    return write_clip(dst, pts, time_base=time_base, **kwargs), pts


# --------------------------------------------------------------------------- #
# Clips re-muxed or re-timed with ffmpeg


def remux_with_rotation(src: str | os.PathLike, dst: str | os.PathLike, degrees: int) -> Path:
    """Copy ``src`` to ``dst`` (no re-encode) with a display rotation.

    ``degrees`` (0, 90, 180, 270) is the **clockwise** turn a player applies to
    show the video upright, the convention of
    :attr:`formcam.video.probe.VideoInfo.rotation_deg`: a landscape-stored clip
    with ``degrees=90`` plays as portrait, its stored top-left corner at the
    top-right.

    ffmpeg has changed how it writes rotation (the ``rotate`` tag in 5.x,
    ``-display_rotation`` from 6.0, with signs that differ), so each way is
    tried and the one that gives the wanted rotation, as PyAV reads it back,
    is kept.
    """
    if degrees % 90:
        raise ValueError(f"degrees must be a multiple of 90, got {degrees}")
    counter_clockwise = (-degrees) % 360
    attempts = [
        ["-i", os.fspath(src), "-c", "copy", "-metadata:s:v:0", f"rotate={counter_clockwise}"],
        ["-i", os.fspath(src), "-c", "copy", "-metadata:s:v:0", f"rotate={degrees % 360}"],
        ["-display_rotation:v:0", str(counter_clockwise), "-i", os.fspath(src), "-c", "copy"],
        ["-display_rotation:v:0", str(degrees % 360), "-i", os.fspath(src), "-c", "copy"],
    ]
    for args in attempts:
        try:
            run_ffmpeg(*args, os.fspath(dst))
        except RuntimeError:
            continue
        if _pyav_rotation_clockwise(dst) == degrees % 360:
            return Path(dst)
    raise RuntimeError(f"this ffmpeg could not write a {degrees} degree rotation into {dst}")


def _pyav_rotation_clockwise(path) -> int:
    with av.open(os.fspath(path)) as container:
        frame = next(container.decode(video=0))
        return int(round(-frame.rotation)) % 360


def with_capture_fps(src: str | os.PathLike, dst: str | os.PathLike, capture_fps: float) -> Path:
    """Copy ``src`` to ``dst`` with Android's slow-motion tag ``com.android.capture.fps``."""
    run_ffmpeg(
        "-i", os.fspath(src), "-c", "copy", "-map_metadata", "0",
        "-movflags", "use_metadata_tags",
        "-metadata", f"com.android.capture.fps={capture_fps:.6f}",
        os.fspath(dst),
    )  # fmt: skip
    return Path(dst)


def retime(src: str | os.PathLike, dst: str | os.PathLike, factor: float) -> Path:
    """Re-encode ``src`` playing ``factor`` times slower (every timestamp times ``factor``).

    Frames are passed through one for one (no frames dropped or duplicated to
    keep a constant rate) and audio is dropped: what a phone's slow-motion
    export does.
    """
    common = ["-i", os.fspath(src), "-vf", f"setpts={factor}*PTS", "-an",
              "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p"]  # fmt: skip
    try:
        run_ffmpeg(*common, "-fps_mode", "passthrough", os.fspath(dst))
    except RuntimeError:  # ffmpeg < 5.1 spells it -vsync
        run_ffmpeg(*common, "-vsync", "passthrough", os.fspath(dst))
    return Path(dst)


def truncate(src: str | os.PathLike, dst: str | os.PathLike, fraction: float) -> Path:
    """Copy the first ``fraction`` of the bytes of ``src``: a broken download."""
    data = Path(src).read_bytes()
    Path(dst).write_bytes(data[: int(len(data) * fraction)])
    return Path(dst)


def slower_after(src: str | os.PathLike, dst: str | os.PathLike, seconds: float, keep_every: int) -> Path:
    """Re-encode ``src`` keeping every frame for ``seconds``, then every ``keep_every``-th, true timestamps kept.

    What a phone does when the light drops: 60 fps, then 15, in one file (variable frame rate).
    """
    common = ["-i", os.fspath(src), "-vf", f"select='lt(t\\,{seconds})+not(mod(n\\,{keep_every}))'", "-an",
              "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p"]  # fmt: skip
    try:
        run_ffmpeg(*common, "-fps_mode", "vfr", os.fspath(dst))
    except RuntimeError:  # ffmpeg < 5.1 spells it -vsync
        run_ffmpeg(*common, "-vsync", "vfr", os.fspath(dst))
    return Path(dst)


def phone_portrait_clip(src: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """Store ``src``'s frames turned 90° counter-clockwise, with metadata turning them back.

    That is how a phone records portrait video: the sensor's landscape frames
    plus a display rotation, so only a reader that applies the rotation sees
    the runner upright.
    """
    sideways = Path(dst).with_name(f"{Path(dst).stem}_sideways.mp4")
    run_ffmpeg(
        "-i",
        os.fspath(src),
        "-vf",
        "transpose=2",
        "-an",
        "-c:v",
        "libx264",
        "-crf",
        "18",
        "-pix_fmt",
        "yuv420p",
        os.fspath(sideways),
    )
    remux_with_rotation(sideways, dst, 90)
    sideways.unlink()
    return Path(dst)


# --------------------------------------------------------------------------- #
# Hostile containers: what a damaged or doctored file declares, against what it holds


def ffmpeg_pattern_clip(
    dst: str | os.PathLike, seconds: float = 4.0, *, fps: int = 30, extra: Sequence[str] = ()
) -> Path:
    """An H.264 clip of ffmpeg's test pattern, 320 x 240, made by ffmpeg (``extra``: more output options)."""
    run_ffmpeg(
        "-f", "lavfi", "-i", f"testsrc=size=320x240:rate={fps}", "-t", str(seconds),
        "-c:v", "libx264", "-pix_fmt", "yuv420p", *extra, os.fspath(dst),
    )  # fmt: skip
    return Path(dst)


def mkv_declaring_duration(src: str | os.PathLike, dst: str | os.PathLike, declared_s: float) -> Path:
    """Copy ``src`` into Matroska (no re-encode) and overwrite the Segment Duration it declares.

    The Duration element (id ``0x4489``) holds an 8-byte big-endian float in
    TimecodeScale units (ms, as ffmpeg writes it): a 4-s clip can claim 116 days.
    """
    remuxed = Path(dst).with_name(f"{Path(dst).stem}_remuxed.mkv")
    run_ffmpeg("-i", os.fspath(src), "-c", "copy", os.fspath(remuxed))
    data = bytearray(remuxed.read_bytes())
    remuxed.unlink()
    at = data.find(b"\x44\x89\x88")
    if at < 0:
        raise RuntimeError("this ffmpeg wrote no 8-byte Segment Duration")
    data[at + 3 : at + 11] = struct.pack(">d", declared_s * 1000.0)
    Path(dst).write_bytes(data)
    return Path(dst)


def clip_with_timestamp_jump(dst: str | os.PathLike, after_frames: int, jump_s: float, seconds: float = 8.0) -> Path:
    """An all-intra Matroska clip whose timestamps jump forward ``jump_s`` after ``after_frames`` frames."""
    jump_ms = int(jump_s * 1000)  # Matroska's time base is 1 ms
    return ffmpeg_pattern_clip(
        dst, seconds, extra=("-g", "1", "-bsf:v", f"setts=ts=if(lt(N\\,{after_frames})\\,TS\\,TS+{jump_ms})")
    )
