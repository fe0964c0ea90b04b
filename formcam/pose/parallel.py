"""Use every core: the pose model on stretches of the clip in parallel, then join them.

MediaPipe's PoseLandmarker uses about one core per instance and releases the
GIL while it infers, so several instances in several threads of one process
use several cores (one copy of the model's code in memory, nothing pickled).
The clip is cut by time into segments; each thread decodes a segment from the
keyframe before it, tracks the people in it with its own landmarker, and the
segments' landmarks are joined in time order. Tracks are linked across the
joins afterwards, on the joined landmarks, by :func:`formcam.pose.detector.link_tracks`,
exactly as within a segment.

A tracker started in the middle of a clip needs a few frames to settle (its
first frame runs the person detector, later ones refine the region of interest
from frame to frame: its landmarks are about 15 px off the uninterrupted
tracker's on its first frame, 1 to 2 px after 15 to 20), so each segment's
tracker starts :data:`WARMUP_FRAMES` early (at least :data:`WARMUP_S`), on
frames whose landmarks are thrown away.

**The segments depend on the clip only, never on the number of cores**
(:func:`plan_pose_segments`), so the same video gives the same pose file and
the same report on a laptop with 2 cores, a desktop with 16, or with
``workers=1``. A tracker that restarts is not less accurate than one that
runs on, but it is not identical either: MediaPipe's tracking and smoothing
carry state from frame to frame, and a restart (like starting the clip one
frame later) moves landmarks by a pixel or two from then on, and per-step
metrics by up to about a degree or a point; tying the cut to the number of
cores would make results depend on the machine.

Looking for two people in every frame costs about twice the inference of
looking for one, so by default a few keyframes spread over the clip are looked
at first (:func:`look_at_keyframes`), and the second slot is used only when a
second person is seen there; the same look tells how large a picture the
model needs (:func:`pose_picture_side`).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from formcam.pose.detector import (
    Detections,
    DetectionsBuilder,
    PeopleSeen,
    PoseDetector,
    concatenate_detections,
    look_for_people,
)
from formcam.threads import (
    Progress,
    opencv_on_one_thread,
    release_free_memory,
    run_in_threads,
    usable_cores,
    uses_threads,
)  # fmt: skip
from formcam.video.decode import FrameStream, iter_frames, keyframes_near, scaled_size
from formcam.video.probe import VideoInfo
from formcam.video.sampling import FramePair, PairSampler, sample_moments_s
from formcam.video.segments import (
    MIN_SEGMENT_FRAMES,
    TARGET_SEGMENT_FRAMES,
    WHOLE_CLIP,
    ClipSpan,
    Segment,
    clip_span,
    split_evenly,
)  # fmt: skip

#: Frames a segment's tracker runs before the frames it keeps (and at least WARMUP_S).
WARMUP_FRAMES = 20
#: ... and at least this much real time, for high-frame-rate clips.
WARMUP_S = 0.33
#: Keyframes looked at before the pose pass (:func:`look_at_keyframes`): one
#: per this many seconds of clip, within PROBE_MIN..PROBE_MAX.
PROBE_EVERY_S = 2.0
PROBE_MIN, PROBE_MAX = 4, 12
#: Longest side of those keyframes: the person detector looks at 224 x 224.
PROBE_MAX_SIDE = 640
#: Longest sides the pose model's pictures may be scaled to in the decoder
#: (:func:`pose_picture_side`). MediaPipe crops the person and resizes the crop
#: to 256 x 256 pixels, so a picture in which the person is already that large
#: gives the model everything it can use, for less decoding, converting and
#: resizing.
POSE_SIDES = (640, 800, 960, 1120, 1280)
#: Height of the smallest person seen (their landmarks' extent, eyes to heels)
#: kept in the model's picture. On the rendered validation clips the landmark
#: error against the drawn truth did not grow until the runner was about 220 px
#: tall, but a real sprinter's blurred legs need more: the two-person sprint
#: clip (runner 475 px at 1280 x 720) gave 9 / 7 / 5 steps at 1280 / 1120 / 960 px.
MIN_PERSON_PX = 480


def plan_pose_segments(span: ClipSpan) -> list[Segment]:
    """Where the pose stage cuts a clip: a function of the clip alone (see the module notes).

    Returns
    -------
    list of Segment
        ``[WHOLE_CLIP]`` for a clip shorter than ``2 * MIN_SEGMENT_FRAMES``
        or of unknown length; else an even number of segments of about
        :data:`TARGET_SEGMENT_FRAMES` (at most), each with its warm-up.
    """
    frames = span.frames
    if frames < 2 * MIN_SEGMENT_FRAMES:
        return [WHOLE_CLIP]
    count = 2 * math.ceil(frames / (2 * TARGET_SEGMENT_FRAMES))
    info = span.info
    warmup_s = max(WARMUP_FRAMES / info.fps, WARMUP_S * info.slow_motion_factor)
    return split_evenly(span, count, warmup_s)


def look_at_keyframes(span: ClipSpan, model_path: Path, workers: int | None = None) -> PeopleSeen:
    """Look for people on a few keyframes spread over the clip, before the pose pass.

    Costs about one inference per keyframe looked at (4 to 12), shared
    among ``workers`` threads (default :func:`usable_cores`; the result does
    not depend on it). It decides how many people to track (two only where a
    second person is seen: that costs about twice the inference, over the
    whole clip) and how large a picture the model needs
    (:func:`pose_picture_side`). A person who appears only between the
    keyframes looked at is missed: the runner is then tracked alone, which is
    what MediaPipe's tracker does anyway once it has found them (``--people 2``
    forces the second slot).
    """
    duration_s = span.frames / span.info.fps if span.frames else 0.0
    samples = int(np.clip(round(duration_s / PROBE_EVERY_S), PROBE_MIN, PROBE_MAX))
    # Moments in the middle of equal slices of the clip, never its very end.
    times = span.first_s + duration_s * (np.arange(samples) + 0.5) / samples
    shares = np.array_split(times, min(usable_cores() if workers is None else max(1, workers), samples))

    def look(share: np.ndarray) -> PeopleSeen:
        return look_for_people(keyframes_near(span.info, share, max_side=PROBE_MAX_SIDE), model_path)

    with ThreadPoolExecutor(len(shares), thread_name_prefix="formcam-keyframes") as pool:
        seen = PeopleSeen.together(pool.map(look, shares))
    release_free_memory()
    return seen


def pose_picture_side(info: VideoInfo, seen: PeopleSeen) -> int:
    """Longest side, px, of the pictures given to the pose model: the smallest of :data:`POSE_SIDES`
    in which the smallest person seen is at least :data:`MIN_PERSON_PX` tall (the largest when nobody was seen).

    A function of the clip alone (its keyframes), so every core count gives the same landmarks.
    """
    if not seen.smallest_height > 0:
        return POSE_SIDES[-1]
    needed = MIN_PERSON_PX * max(info.width, info.height) / (seen.smallest_height * info.height)
    return next((side for side in POSE_SIDES if side >= needed), POSE_SIDES[-1])


@dataclass
class PoseRun:
    """The pose stage's result: every person's landmarks and what decoding found.

    Attributes
    ----------
    detections : Detections
    info : VideoInfo
    num_poses : int
        People looked for per frame.
    picture_max_side : int
        Longest side of the pictures the model was given, px.
    segments : int
        Segments the clip was cut into (1: one tracker over the whole clip).
    frames_decoded : int
        Frames decoded, analysed or not (see ``max_fps``).
    repaired_timestamps : int
        As :attr:`formcam.video.decode.FrameStream.repaired_timestamps`.
    decode_error : str or None
        As :attr:`formcam.video.decode.FrameStream.decode_error`.
    frame_pairs : list of FramePair
        Neighbouring frames at moments spread over the clip, kept as they
        passed for :func:`formcam.quality.capture.measure_capture` (so that
        capture quality costs no decoding of its own).
    """

    detections: Detections
    info: VideoInfo
    num_poses: int
    picture_max_side: int
    segments: int
    frames_decoded: int
    repaired_timestamps: int
    decode_error: str | None
    frame_pairs: list[FramePair]


@dataclass
class _SegmentResult:
    detections: Detections
    stream: FrameStream
    frames: int  # frames of the segment decoded (analysed or skipped by the frame-rate cap)
    frame_pairs: list[FramePair]


def detect_people_parallel(
    path: Path,
    model_path: Path,
    *,
    slowmo: float | None = None,
    num_poses: int | None = None,
    workers: int | None = None,
    max_side: int | Literal["auto"] | None = "auto",
    max_fps: float | None = None,
    on_frame: Callable[[int], None] | None = None,
    segments: list[Segment] | None = None,
) -> PoseRun:
    """Run the pose model over a whole video, on ``workers`` cores.

    Parameters
    ----------
    path : Path
        The video.
    model_path : Path
        A ``pose_landmarker_*.task`` file.
    slowmo : float, optional
        As in :func:`formcam.video.decode.iter_frames`.
    num_poses : int, optional
        People to look for in each frame; None decides from a few keyframes
        (:func:`look_at_keyframes`).
    workers : int, optional
        Threads, each with its own landmarker; default :func:`usable_cores`.
        The result does not depend on it.
    max_side : int, "auto" or None
        Longest side of the pictures given to the model, px (landmarks are
        still in full-frame pixels); "auto": from the people seen on a few
        keyframes (:func:`pose_picture_side`); None: the frames as they are.
    max_fps : float, optional
        Give the model at most this many frames per second of real time
        (:func:`frame_rate_cap`); the others are decoded but not analysed.
    on_frame : callable, optional
        Called with the number of frames done so far (progress bars), from this thread.
    segments : list of Segment, optional
        Where to restart the tracker; default :func:`plan_pose_segments`
        (``[WHOLE_CLIP]``: one tracker over the whole clip).

    Returns
    -------
    PoseRun
        Frames in presentation order, each once.
    """
    workers = usable_cores() if workers is None else max(1, int(workers))
    span = clip_span(path, slowmo)
    if num_poses is None or max_side == "auto":
        seen = look_at_keyframes(span, model_path, workers)
        if num_poses is None:
            num_poses = 2 if seen.most >= 2 else 1
        if max_side == "auto":
            max_side = pose_picture_side(span.info, seen)
    if segments is None:
        segments = plan_pose_segments(span)
    # A clip has frames only where its end is known.
    moments_s = (
        sample_moments_s(span.first_s, span.end_s, span.info.fps)
        if span.frames and span.end_s is not None
        else np.empty(0)
    )
    job = _PoseJob(path, model_path, slowmo, num_poses, max_side, max_fps, moments_s)
    with opencv_on_one_thread() if uses_threads(workers, segments) else contextlib.nullcontext():
        results = run_in_threads(job.run, segments, workers, on_frame)
    if len(segments) > 1 and not _seams_are_sound(segments, results):
        # Repaired timestamps, a broken stream or an imprecise seek: only one
        # pass from the start gives the right frames.
        segments = [WHOLE_CLIP]
        results = run_in_threads(job.run, segments, workers, on_frame)
    detections = concatenate_detections([result.detections for result in results])
    last = results[-1].stream
    decoded = sum(result.frames for result in results)
    decode_error = last.decode_error if len(results) == 1 else last.early_end_message(decoded)
    return PoseRun(
        detections=detections,
        info=span.info,
        num_poses=num_poses,
        picture_max_side=max(scaled_size(span.info, max_side)),
        segments=len(segments),
        frames_decoded=decoded,
        repaired_timestamps=sum(result.stream.repaired_timestamps for result in results),
        decode_error=decode_error,
        frame_pairs=[pair for result in results for pair in result.frame_pairs],
    )


def _seams_are_sound(segments: list[Segment], results: list[_SegmentResult]) -> bool:
    """Whether the segments' frames are exactly those one pass from the start would give."""
    for segment, result in zip(segments, results):
        stream = result.stream
        if stream.repaired_timestamps or stream.decode_error:
            return False
        if segment.start_s is not None and (stream.first_decoded_s is None or stream.first_decoded_s > segment.start_s):
            return False  # the seek landed after the segment's first frame
    return True


def frame_rate_cap(info: VideoInfo, max_fps: float | None) -> Callable[[float], bool] | None:
    """A test ``keep(t_ms)`` that passes at most ``max_fps`` frames per second of real time.

    Real time is cut into slots of ``1 / max_fps`` s and the first frame in
    each slot is kept: the rule depends on each frame's own time only, so it
    picks the same frames however the clip is cut into segments, and the kept
    frames keep their true timestamps. None when every frame is kept anyway.
    """
    if max_fps is None:
        return None
    real_fps = info.fps * info.slow_motion_factor
    if real_fps <= max_fps:
        return None
    slot_ms = 1000.0 / max_fps
    # A quarter of a frame interval in: a frame exactly on a slot boundary
    # must not fall on either side by rounding.
    nudge_ms = 250.0 / real_fps
    last_slot = [-math.inf]

    def keep(t_ms: float) -> bool:
        slot = math.floor((t_ms + nudge_ms) / slot_ms)
        if slot <= last_slot[0]:
            return False
        last_slot[0] = slot
        return True

    return keep


@dataclass
class _PoseJob:
    """The pose stage's work on one segment (see :func:`detect_people_parallel`)."""

    path: Path
    model_path: Path
    slowmo: float | None
    num_poses: int
    max_side: int | None
    max_fps: float | None
    moments_s: np.ndarray  # where capture quality samples the clip (file time, s)

    def run(self, segment: Segment, progress: Progress) -> _SegmentResult:
        frames = iter_frames(
            self.path,
            slowmo=self.slowmo,
            start_s=segment.decode_from_s,
            stop_s=segment.stop_s,
            max_side=self.max_side,
            fast=True,
        )
        frame_size = (frames.info.width, frames.info.height)
        collected = DetectionsBuilder(self.num_poses, frame_size)
        keep_from = -math.inf if segment.start_s is None else segment.start_s
        cap = frame_rate_cap(frames.info, self.max_fps)  # one per segment: it remembers the last slot
        sampler = PairSampler(
            self.moments_s[(self.moments_s >= keep_from) & (self.moments_s < (segment.stop_s or math.inf))]
        )
        decoded = 0
        with frames, PoseDetector(self.model_path, self.num_poses, frame_size) as detector:
            for frame in frames:
                if progress.stopped:
                    break
                kept = frame.pts_s >= keep_from
                decoded += kept
                if kept:
                    sampler.offer(frame.pts_s, frame.t_ms, frame.rgb)
                if cap is not None and not cap(frame.t_ms):
                    continue
                landmarks = detector.detect(frame.rgb, frame.t_ms)
                if kept:
                    collected.add(frame.t_ms, *landmarks)
                    progress.add()
        return _SegmentResult(collected.build(), frames, decoded, sampler.pairs)
