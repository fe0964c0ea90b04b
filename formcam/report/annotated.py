"""The annotated video: the input, upright, with the runner's skeleton and findings drawn on.

Same frames, timing and sound as the input (each frame keeps its presentation
time; the sound track is copied, or re-encoded to AAC where an MP4 would not
carry it well), encoded as H.264 so it plays in browsers and on phones, at
least 720 px on its short side and about twice the input's bit rate per pixel
at most (:data:`BIT_RATE_FACTOR`).

Decoding, drawing and encoding a frame take about as long as the pose model
does, so on several cores the clip is cut into segments rendered in parallel
threads (PyAV, OpenCV and x264 release the GIL), each into its own MP4 part;
the parts are then joined without re-encoding (:func:`formcam.video.encode.concat_mp4`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from formcam.pose.detector import prefetch
from formcam.report.annotations import FrameAnnotator, panel_rows
from formcam.report.overlay import OverlayPainter
from formcam.report.replay import append_replay
from formcam.threads import Progress, run_in_threads, usable_cores
from formcam.video.decode import iter_frames, scaled_size
from formcam.video.encode import H264Writer, add_audio, concat_mp4, video_bit_rate
from formcam.video.segments import WHOLE_CLIP, Segment, clip_span, plan_work_segments

#: ``--video-size``: the annotated video's longest side, px (None: the input's
#: size; a smaller input is not enlarged for it, only to :data:`VIDEO_MIN_SIDE`). 720p is the default: it plays
#: smoothly on any phone and in a browser, and a 1080 x 1920 clip's video is
#: decoded, drawn and encoded in about half the time of full size.
VIDEO_SIZES: dict[str, int | None] = {"720p": 1280, "1080p": 1920, "full": None}
VIDEO_MAX_SIDE = VIDEO_SIZES["720p"]
#: The annotated video's shortest side is at least this, px: a smaller input
#: is enlarged (and the drawing with it), because the video is for watching on
#: a phone, where a 360-p frame's labels would be some 7 px high.
VIDEO_MIN_SIDE = 720


#: The annotated video's bit rate is capped at this multiple of the source's
#: (per pixel, where the size differs): x264's "ultrafast" preset at CRF 23
#: gave 3.2 times a 1280x720 phone clip's rate (5.9 against 1.85 Mbit/s); a cap
#: of 1.6 times gives about twice (the VBV overshoots it by 15-25 %).
BIT_RATE_FACTOR = 1.6


def video_size(info, max_side: int | None = VIDEO_MAX_SIDE, min_side: int | None = VIDEO_MIN_SIDE) -> tuple[int, int]:
    """Upright ``(width, height)`` of the annotated video of a clip, px (even sides).

    The decoded size (:func:`~formcam.video.decode.scaled_size` with ``max_side``),
    enlarged with its aspect ratio kept until the short side is ``min_side``
    (None: never enlarged).
    """
    width, height = scaled_size(info, max_side)
    if min_side is None or min(width, height) >= min_side:
        return width, height
    k = min_side / min(width, height)
    return 2 * math.ceil(width * k / 2), 2 * math.ceil(height * k / 2)


def render_annotated_video(
    video_path: Path,
    out_path: Path,
    kinematics,
    report: dict,
    *,
    on_frame: Callable[[int], None] | None = None,
    replay: bool = False,
    t_ms: np.ndarray | None = None,
    workers: int | None = None,
    max_side: int | None = VIDEO_MAX_SIDE,
    min_side: int | None = VIDEO_MIN_SIDE,
    full_size_frames: Collection[int] = (),
    on_full_size_frame: Callable[[int, np.ndarray], None] | None = None,
) -> Path:
    """Decode ``video_path`` again, draw each frame's annotation, and write H.264 to ``out_path``.

    Parameters
    ----------
    video_path : Path
        The analysed video.
    out_path : Path
        Where the MP4 goes (written atomically).
    kinematics : formcam.gait.kinematics.Kinematics
        Cleaned landmarks ``xy`` (T, 33, 2), per-frame ``signals`` and ``events``.
    report : dict
        The report, for the panel's values.
    on_frame : callable, optional
        Progress callback, called with the running frame count.
    replay : bool
        Append a slow-motion replay of the worst step (:func:`formcam.report.replay.append_replay`).
    t_ms : ndarray, shape (T,), optional
        Real time of each analysed frame (the pose file's ``t_ms``): video
        frames are matched to analysed frames by time, which lets segments be
        rendered in parallel and frames the model skipped (``--max-fps``) show
        the nearest analysed frame. Without it, the n-th frame decoded is the
        n-th analysed one and rendering is sequential.
    workers : int, optional
        Threads; default all usable cores.
    max_side : int, optional
        Longest side of the video, px (a smaller input keeps its size); None:
        the input's size. The drawing is scaled with it.
    min_side : int, optional
        Shortest side of the video, px: a smaller input is enlarged to it
        (:data:`VIDEO_MIN_SIDE`); None never enlarges.
    full_size_frames : collection of int, optional
        Analysed frames (indices into ``t_ms``) to hand on undrawn, at the
        input's own size, as the pass decodes them: the HTML report's evidence
        frames, which would otherwise be decoded again.
    on_full_size_frame : callable, optional
        Called as ``on_full_size_frame(i, rgb)`` for each of those frames
        (from the rendering threads; ``rgb`` is valid only during the call).
    """
    slowmo = report.get("video", {}).get("slow_motion_factor") or None
    span = clip_span(video_path, slowmo)
    info = span.info
    workers = usable_cores() if workers is None else max(1, int(workers))
    segments = plan_work_segments(span, workers) if t_ms is not None else [WHOLE_CLIP]
    size = video_size(info, max_side, min_side)
    job = _RenderJob(
        video_path=Path(video_path),
        slowmo=slowmo,
        annotate=FrameAnnotator(kinematics, fps=info.fps or 30.0, scale=(size[0] / info.width, size[1] / info.height)),
        panel=panel_rows(report),
        frame_of=_FrameMatcher(t_ms) if t_ms is not None else None,
        fps=info.fps or 30.0,
        size=size,
        max_side=max_side,
        time_base=info.time_base,
        encoder_threads=1 if len(segments) > 1 else 0,
        max_bit_rate=bit_rate_cap(video_path, info, size),
        full_size_at=_exact_frames(t_ms, full_size_frames) if on_full_size_frame is not None else None,
        on_full_size_frame=on_full_size_frame,
    )
    out_path = Path(out_path)
    if len(segments) == 1:
        writer = job.writer(out_path, faststart=True)
        with writer:
            last_pts = job.render(WHOLE_CLIP, writer, Progress(on_frame))
            if replay and last_pts is not None:
                append_replay(writer, Path(video_path), kinematics, report, last_pts=last_pts, t_ms=t_ms)
        add_audio(out_path, video_path)
        return out_path
    parts = [out_path.with_name(f".{out_path.name}.{k:03d}.mp4") for k in range(len(segments) + 1)]
    try:
        last = run_in_threads(
            lambda item, progress: job.render_part(item[0], item[1], progress),
            list(zip(segments, parts)),
            workers,
            on_frame,
        )
        written = [part for part, last_pts in zip(parts, last) if last_pts is not None]
        last_pts = max((pts for pts in last if pts is not None), default=None)
        if replay and last_pts is not None:
            writer = job.writer(parts[-1], faststart=False)
            try:
                append_replay(writer, Path(video_path), kinematics, report, last_pts=last_pts, t_ms=t_ms)
            except BaseException:
                writer.abort()
                raise
            if writer.frames_written:
                writer.close()
                written.append(parts[-1])
            else:
                writer.abort()
        concat_mp4(written, out_path)
        add_audio(out_path, video_path)
        return out_path
    finally:
        for part in parts:
            part.unlink(missing_ok=True)


def bit_rate_cap(video_path: Path, info, size: tuple[int, int]) -> int | None:
    """:data:`BIT_RATE_FACTOR` times the source's video bit rate, per pixel of ``size``; None if unknown."""
    source = video_bit_rate(video_path)
    if not source:
        return None
    return round(BIT_RATE_FACTOR * source * (size[0] * size[1]) / (info.width * info.height))


def _exact_frames(t_ms: np.ndarray | None, frames: Collection[int]) -> Callable[[float], bool] | None:
    """Whether a video frame's time is that of one of the analysed ``frames`` (None: no frames)."""
    if not len(frames):
        return None
    if t_ms is None:
        raise ValueError("frames wanted at full size are found by time: give t_ms")
    wanted = np.asarray(t_ms, dtype=np.float64)[np.asarray(list(frames), dtype=np.int64)]
    return lambda time_ms: bool(np.any(np.abs(wanted - time_ms) < 1e-3))


class _FrameMatcher:
    """Index of the analysed frame nearest a video frame's time, or -1 when none is close."""

    def __init__(self, t_ms: np.ndarray):
        self.t_ms = np.asarray(t_ms, dtype=np.float64)
        spacing = np.diff(self.t_ms)
        # Half the usual spacing of the analysed frames: a frame the model skipped
        # shows its nearest neighbour, frames beyond the analysed ones show none.
        self.tolerance_ms = 0.5 * float(np.median(spacing)) + 1e-6 if len(spacing) else 1e-6

    def __call__(self, t_ms: float) -> int:
        i = int(np.searchsorted(self.t_ms, t_ms))
        candidates = [k for k in (i - 1, i) if 0 <= k < len(self.t_ms)]
        if not candidates:
            return -1
        nearest = min(candidates, key=lambda k: abs(self.t_ms[k] - t_ms))
        return nearest if abs(self.t_ms[nearest] - t_ms) <= self.tolerance_ms else -1


@dataclass
class _RenderJob:
    video_path: Path
    slowmo: float | None
    annotate: FrameAnnotator
    panel: list
    frame_of: _FrameMatcher | None
    fps: float
    size: tuple[int, int]
    max_side: int | None
    time_base: Fraction
    encoder_threads: int
    max_bit_rate: int | None = None
    full_size_at: Callable[[float], bool] | None = None
    on_full_size_frame: Callable[[int, np.ndarray], None] | None = None
    overlay: OverlayPainter = field(init=False)

    def __post_init__(self):
        # Shared by the segments' threads: sizes and the panel's layout are worked out once.
        self.overlay = OverlayPainter(*self.size, self.panel, track=self.annotate.xy)

    def writer(self, path: Path, *, faststart: bool) -> H264Writer:
        width, height = self.size
        return H264Writer(
            path,
            width=width,
            height=height,
            time_base=self.time_base,
            fps=self.fps,
            threads=self.encoder_threads,
            faststart=faststart,
            max_bit_rate=self.max_bit_rate,
        )

    def render_part(self, segment: Segment, part: Path, progress: Progress) -> int | None:
        """Render one segment into ``part``; return the last pts written (None: no frame)."""
        writer = self.writer(part, faststart=False)
        with writer:
            last_pts = self.render(segment, writer, progress)
            if last_pts is None:
                writer.abort()
        return last_pts

    def render(self, segment: Segment, writer: H264Writer, progress: Progress) -> int | None:
        """Decode, draw and encode the frames of ``segment``; return the last pts written."""
        n_frames = self.annotate.n_frames
        last_pts = None
        frames = iter_frames(
            self.video_path,
            slowmo=self.slowmo,
            start_s=segment.start_s,
            stop_s=segment.stop_s,
            max_side=self.max_side,
            full_size_at=self.full_size_at,
        )
        with frames:
            # Alone, the decoder gets a thread of its own.
            for frame in prefetch(frames) if segment is WHOLE_CLIP else frames:
                if progress.stopped:
                    break
                i = self.frame_of(frame.t_ms) if self.frame_of is not None else frame.index
                if frame.full_rgb is not None and 0 <= i < n_frames:
                    # Full-size frames are decoded only for it (full_size_at is set with it).
                    assert self.on_full_size_frame is not None
                    self.on_full_size_frame(i, frame.full_rgb)  # before drawing: it may be the frame drawn on
                # The decoded frame is this loop's own: drawn on in place, not copied.
                image = np.require(frame.rgb, requirements=("C", "W"))
                if image.shape[:2] != self.size[::-1]:  # a small input, enlarged
                    image = cv2.resize(image, self.size, interpolation=cv2.INTER_LINEAR)
                if 0 <= i < n_frames:
                    self.overlay.draw_on(image, self.annotate(i))
                writer.write(image, frame.pts)
                last_pts = frame.pts
                progress.add()
        return last_pts
