"""Cutting a clip by time into segments that threads decode and work on at once.

A :class:`Segment` is a stretch of the clip in file time; a thread decodes it
from the keyframe before it (:func:`formcam.video.decode.iter_frames` with
``start_s``/``stop_s``). Where the pose stage cuts a clip is its own rule
(:func:`formcam.pose.parallel.plan_pose_segments`); work whose result does not
depend on the cut (drawing the annotated video) is split by
:func:`plan_work_segments`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import av

from formcam.video.decode import iter_frames
from formcam.video.probe import VideoInfo, video_stream

#: A clip is cut only where each segment gets at least this many frames.
MIN_SEGMENT_FRAMES = 120
#: Segments are about this long, and come in even numbers so that two cores
#: (the commonest laptop) share them evenly; a long clip's many segments are
#: handed to the threads in turn, so one slow segment does not leave a core idle.
TARGET_SEGMENT_FRAMES = 900
#: A container's declared span is trusted while it holds at most this many times
#: the frames the file has packets for (and MIN_SEGMENT_FRAMES more): a header
#: that claims 116 days for a 4-s clip, or one timestamp jump of days, must not
#: plan hundreds of thousands of segments that each open the file and seek.
DECLARED_FRAMES_SLACK = 2.0


@dataclass(frozen=True)
class Segment:
    """A stretch of the clip in file time (the file's own timeline, seconds).

    Attributes
    ----------
    start_s : float or None
        Its first frame is the first with ``pts_s >= start_s``; None: the video's first frame.
    stop_s : float or None
        Frames from ``stop_s`` on belong to the next segment; None: to the end.
    warmup_s : float
        Tracking starts this much before ``start_s``; those frames are not kept.
    """

    start_s: float | None
    stop_s: float | None
    warmup_s: float = 0.0

    @property
    def decode_from_s(self) -> float | None:
        return None if self.start_s is None else self.start_s - self.warmup_s


WHOLE_CLIP = Segment(None, None)


@dataclass(frozen=True)
class ClipSpan:
    """A video's metadata and where its frames lie in file time.

    Attributes
    ----------
    info : VideoInfo
    first_s : float
        pts of the first frame, s.
    end_s : float or None
        Where the container says the video stream ends, s.
    """

    info: VideoInfo
    first_s: float
    end_s: float | None
    packets: int | None = None

    @property
    def frames(self) -> float:
        """Expected number of frames (0 when the length is unknown), never more than
        :data:`DECLARED_FRAMES_SLACK` times the file's packets."""
        if self.end_s is None or not self.info.fps or self.end_s <= self.first_s:
            return 0.0
        declared = (self.end_s - self.first_s) * self.info.fps
        if self.packets is not None and _overclaims(declared, self.packets):
            return float(self.packets)
        return declared


def _overclaims(declared_frames: float, packets: int) -> bool:
    return declared_frames > DECLARED_FRAMES_SLACK * packets + MIN_SEGMENT_FRAMES


def clip_span(path: Path, slowmo: float | None = None) -> ClipSpan:
    """Open a video to find its :class:`ClipSpan`, bounded by the packets the file holds.

    The container's declared end is kept unless it claims far more frames than
    the file has packets for (:data:`DECLARED_FRAMES_SLACK`); then the span ends
    with the last packet, so no work is planned for time the file does not hold.
    Counting packets reads the file without decoding it (about 25 ms for a
    20-s 1080p clip).
    """
    with iter_frames(path, slowmo=slowmo) as opened:
        info, first_s, end_s = opened.info, next(opened).pts_s, opened.declared_end_s
    packets, last_s = count_packets(path)
    if end_s is not None and info.fps and _overclaims((end_s - first_s) * info.fps, packets):
        end_s = None if last_s is None else max(first_s, min(end_s, last_s + 1.0 / info.fps))
    return ClipSpan(info, first_s, end_s, packets)


def count_packets(path: str | os.PathLike) -> tuple[int, float | None]:
    """The video stream's packets (frames, undecoded) and the last one's pts, s of file time.

    A damaged stream counts the packets before the damage; the pts is None when no packet has one.
    """
    count, last_pts = 0, None
    with av.open(os.fspath(path)) as container:
        stream = video_stream(container, os.fspath(path))
        try:
            for packet in container.demux(stream):
                if packet.size == 0:
                    continue  # the demuxer's flush packet
                count += 1
                if packet.pts is not None and (last_pts is None or packet.pts > last_pts):
                    last_pts = packet.pts
        except (av.error.FFmpegError, OSError):
            pass  # what came before the damage is what the decoder will see
        time_base = stream.time_base
    return count, None if last_pts is None or time_base is None else float(last_pts * time_base)


def split_evenly(span: ClipSpan, count: int, warmup_s: float = 0.0) -> list[Segment]:
    """``count`` segments covering the clip, each as much work as the others.

    Every segment but the first also tracks through its ``warmup_s`` of
    warm-up, so the first is that much longer: the threads then finish
    together instead of one core waiting for the other.
    """
    if count <= 1:
        return [WHOLE_CLIP]
    # Only clips with frames are split, and a clip has frames only where its end is known (ClipSpan.frames).
    assert span.end_s is not None
    first = (span.end_s - span.first_s + (count - 1) * warmup_s) / count
    bounds = [span.first_s] + [span.first_s + first + k * (first - warmup_s) for k in range(count)]
    return [
        Segment(
            start_s=None if k == 0 else bounds[k], stop_s=None if k == count - 1 else bounds[k + 1], warmup_s=warmup_s
        )
        for k in range(count)
    ]


def plan_work_segments(span: ClipSpan, workers: int) -> list[Segment]:
    """Where work whose result does not depend on the cut (drawing the video) is split.

    A multiple of ``workers`` equal segments of at most about
    :data:`TARGET_SEGMENT_FRAMES`: every thread gets as many, so none is left
    working alone at the end (three segments on two threads left one core
    idle for a third of the pass); ``[WHOLE_CLIP]`` for one worker or a short clip.
    """
    frames = span.frames
    if workers <= 1 or frames < workers * MIN_SEGMENT_FRAMES:
        return [WHOLE_CLIP]
    return split_evenly(span, workers * math.ceil(frames / (workers * TARGET_SEGMENT_FRAMES)))
