"""Read a few frames from the middle of a video by seeking, for evidence frames and replays.

The annotated video decodes the whole clip once; the HTML report's evidence
frames and the slow-motion replay need only a handful of frames around known
times, so they seek (PyAV jumps to the key frame before the time and decodes
from there) instead of decoding everything again. Requests are served in time
order in one pass, seeking ahead only where a key frame lies between the
decoder's place and the next time (phones put key frames seconds apart, some
only one at the start: decoding on is then cheaper than seeking back to it).
A second, demux-only opening of the file finds the key frames.

Times are the analysis's real-time ``t_ms`` (the pose file's); a slow-motion
clip's file time is ``t_ms * slow_motion_factor``. Frames come back upright,
turned by the file's rotation metadata like :func:`formcam.video.decode.iter_frames`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import av
import numpy as np

from formcam.video.decode import PrerollDecoder, upright_rgb
from formcam.video.probe import VideoInfo, probe_video

__all__ = ["frames_at", "frames_between", "iter_frames_at"]


class _Reader:
    """Decoded frames of one video stream as ``(time_s, av_frame)``, with seeking; a context manager."""

    def __init__(self, path: str | os.PathLike, info: VideoInfo):
        self.path = os.fspath(path)
        self._index: av.container.InputContainer | None = None  # the file opened again, only to find key frames
        self.fps = info.fps or 30.0
        self.turns_ccw = info.turns_ccw
        self._open()

    def _open(self) -> None:
        self.container = av.open(self.path)
        self.stream = self.container.streams.video[0]
        self.stream.thread_type = "AUTO"
        time_base = self.stream.time_base
        assert time_base is not None  # PyAV types it Optional; a demuxed video stream always has one
        self.time_base = time_base
        self.position_s = float("-inf")  # time of the last frame handed out
        self._decoder = PrerollDecoder(self.container, self.stream, full_from_s=0.0)
        self._frames: Iterator | None = None

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc_info) -> None:
        self.container.close()
        if self._index is not None:
            self._index.close()

    def keyframe_before(self, time_s: float) -> float:
        """Time of the key frame a seek to ``time_s`` lands on, s (inf when unknown: seek to find out)."""
        if self._index is None:
            self._index = av.open(self.path)
        stream = self._index.streams.video[0]
        try:
            self._index.seek(max(int(time_s / self.time_base), 0), stream=stream, backward=True, any_frame=False)
            packet = next((p for p in self._index.demux(stream) if p.pts is not None), None)
        except (av.error.FFmpegError, OSError):
            return float("inf")
        return float(packet.pts * self.time_base) if packet is not None else float("inf")

    def seek(self, time_s: float) -> None:
        try:
            self.container.seek(
                max(int(time_s / self.time_base), 0), stream=self.stream, backward=True, any_frame=False
            )
        except av.error.FFmpegError:
            try:
                self.container.seek(0)
            except av.error.FFmpegError:
                # An input that cannot seek at all (a raw .h264 stream from a Raspberry Pi camera):
                # open it again and decode from the start.
                self.container.close()
                self._open()
        self._decoder.full_from_s = time_s
        self._frames = None
        self.position_s = float("-inf")

    def frames(self) -> Iterator[tuple[float, object]]:
        if self._frames is None:
            self._frames = iter(self._decoder)
        for frame in self._frames:
            time_s = float(frame.pts * self.time_base) if frame.pts is not None else frame.time
            if time_s is None:
                continue
            self.position_s = time_s
            yield time_s, frame

    def rgb(self, av_frame) -> np.ndarray:
        """The upright full-size pixels, as :func:`formcam.video.decode.iter_frames` gives them (``Frame.full_rgb``)."""
        return upright_rgb(av_frame, self.turns_ccw)

    def go_to(self, first_s: float) -> None:
        """Seek when ``first_s`` is behind the decoder or a key frame lies between; decode in full only from there."""
        seek_s = first_s - 2.0 / self.fps
        if first_s <= self.position_s or self.keyframe_before(seek_s) > self.position_s:
            self.seek(seek_s)
        self._decoder.full_from_s = seek_s


def frames_at(
    path: str | os.PathLike,
    times_ms: Sequence[float],
    *,
    slow_motion_factor: float = 1.0,
    info: VideoInfo | None = None,
) -> list[np.ndarray | None]:
    """The frames nearest each of ``times_ms``, read in one pass.

    Parameters
    ----------
    path : str or os.PathLike
        The analysed video.
    times_ms : sequence of float
        Real times in ms (as in the pose file's ``t_ms``), in any order.
    slow_motion_factor : float
        report.json's ``video.slow_motion_factor``: file time = real time times this.
    info : VideoInfo, optional
        The video's probe, if already known.

    Returns
    -------
    list of (ndarray of shape (H, W, 3), uint8) or None
        Upright RGB frames in the order asked; None where no frame is within one
        and a half frame intervals of the time.

    Raises
    ------
    formcam.errors.UnreadableInputError
        If the video cannot be opened.
    """
    out: list[np.ndarray | None] = [None] * len(times_ms)
    for i, image in iter_frames_at(path, times_ms, slow_motion_factor=slow_motion_factor, info=info):
        out[i] = image
    return out


def iter_frames_at(
    path: str | os.PathLike,
    times_ms: Sequence[float],
    *,
    slow_motion_factor: float = 1.0,
    info: VideoInfo | None = None,
) -> Iterator[tuple[int, np.ndarray | None]]:
    """:func:`frames_at` one frame at a time: ``(position in times_ms, frame)`` in time order.

    Each position comes once; equal times share one array. A caller that
    turns each frame into something small as it comes (the evidence JPEGs)
    holds one full-size frame at a time instead of all of them.
    """
    info = info or probe_video(path)
    targets = sorted((t * slow_motion_factor / 1000.0, i) for i, t in enumerate(times_ms))
    with _Reader(path, info) as reader:
        half = 0.5 / reader.fps
        last_s, image = None, None
        for target_s, i in targets:
            if target_s != last_s:  # times come in order: equal ones are neighbours
                last_s, image = target_s, _frame_near(reader, target_s, half)
            yield i, image


def _frame_near(reader: _Reader, target_s: float, half: float) -> np.ndarray | None:
    """The frame within ``[target - half, target + 3 half]`` s, decoding on (or seeking) from the reader's place."""
    reader.go_to(target_s - half)
    for time_s, frame in reader.frames():
        if time_s < target_s - half:
            continue
        return reader.rgb(frame) if time_s <= target_s + 3 * half else None
    return None


def frames_between(
    path: str | os.PathLike,
    start_ms: float,
    stop_ms: float,
    *,
    slow_motion_factor: float = 1.0,
    info: VideoInfo | None = None,
) -> list[tuple[float, np.ndarray]]:
    """Every frame from ``start_ms`` to ``stop_ms`` (real time), read by seeking.

    Parameters
    ----------
    path : str or os.PathLike
        The analysed video.
    start_ms, stop_ms : float
        Real times in ms (as in the pose file's ``t_ms``); frames within half a
        frame interval of the range count.
    slow_motion_factor, info
        As in :func:`frames_at`.

    Returns
    -------
    list of (float, ndarray of shape (H, W, 3), uint8)
        Each frame's real time in ms and its upright RGB pixels, in order; empty
        when the range holds no frame.
    """
    info = info or probe_video(path)
    first_s, last_s = start_ms * slow_motion_factor / 1000.0, stop_ms * slow_motion_factor / 1000.0
    out = []
    with _Reader(path, info) as reader:
        half = 0.5 / reader.fps
        reader.seek(first_s - 2.0 / reader.fps)
        for time_s, frame in reader.frames():
            if time_s < first_s - half:
                continue
            if time_s > last_s + half:
                break
            out.append((time_s * 1000.0 / slow_motion_factor, reader.rgb(frame)))
    return out
