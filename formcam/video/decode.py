"""Decode stage: a video file -> upright RGB frames with true timestamps.

PyAV (FFmpeg) decodes the file. Three things phones do to their clips are
undone here so that every later stage sees plain, upright, real-time frames:

* **Rotation.** A portrait phone clip is usually stored landscape with a
  display matrix saying how a player should turn it. The frames are turned
  here (``numpy.rot90``), so ``Frame.rgb`` is always upright.
* **Variable frame rate.** Each frame keeps its own presentation timestamp;
  time is never computed as ``index / fps``.
* **Slow motion.** A 240 fps capture played back at 30 fps runs 8 times slower
  than real life. ``Frame.t_ms`` is real time: file time divided by the
  slow-motion factor.

The public API is :func:`iter_frames` (a streaming iterator, one decoded
frame in memory at a time); :func:`formcam.video.probe.probe_video` reads the
metadata alone, and finds the rotation and the slow-motion factor.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from fractions import Fraction

import av
import cv2
import numpy as np

from formcam.video.probe import VideoInfo, ffmpeg_reason, open_and_probe, video_stream

__all__ = ["Frame", "FrameStream", "PrerollDecoder", "iter_frames", "scaled_size", "keyframes_near", "upright_rgb"]

#: Decoder options for frames that only the pose model sees (``fast=True``):
#: no deblocking filter and FFmpeg's non-spec-compliant speed-ups, about a
#: quarter less decoding time for H.264 (blocking artefacts vanish when the
#: frame is scaled down for the model).
FAST_DECODING = {"skip_loop_filter": "all", "flags2": "+fast"}


@dataclass(frozen=True)
class Frame:
    """One decoded, upright frame.

    Attributes
    ----------
    index : int
        0-based position in decode (presentation) order.
    pts_s : float
        Presentation time in the file's own timeline, seconds
        (``pts * time_base``; the first frame need not be at 0).
    pts : int or None
        Presentation timestamp in the stream's time base. This is the file's
        own pts except where it was missing or not increasing and had to be
        repaired (see :class:`FrameStream`).
    t_ms : float
        Real time in milliseconds: ``pts_s * 1000 / slow_motion_factor``.
        Strictly increasing over a stream. This is what the pose file stores.
    rgb : numpy.ndarray
        Shape ``(height, width, 3)``, dtype uint8, upright, C-contiguous.
    full_rgb : numpy.ndarray or None
        The same frame at the video's own size (``info.height, info.width, 3``),
        for the frames asked for with ``iter_frames(full_size_at=...)``; else None.
    """

    index: int
    pts_s: float
    pts: int | None
    t_ms: float
    rgb: np.ndarray
    full_rgb: np.ndarray | None = None


class FrameStream(Iterator[Frame]):
    """Iterator over the upright frames of a video; see :func:`iter_frames`.

    Attributes
    ----------
    info : VideoInfo
        The video's metadata (probed when the stream was opened).
    frames_decoded : int
        How many frames have been yielded so far.
    decode_error : str or None
        None while decoding is fine. When the file breaks part-way (a truncated
        download, corrupt packets the decoder cannot skip), iteration stops
        cleanly instead of raising, and this holds one sentence saying where
        and why. Set when the decoder raises, or, after the last frame, when
        the frames end more than ``max(0.5 s, 3 frames)`` before the end the
        container declares (frame-threaded FFmpeg decoding reports a
        truncated stream by simply stopping). Check it after the loop.
    repaired_timestamps : int
        How many frames had a missing or non-increasing timestamp that was
        repaired (see Notes).
    end_s : float
        End of the last frame yielded (pts + one nominal frame interval), s.
    declared_end_s : float or None
        Where the container says the video stream ends, s.
    first_decoded_s : float or None
        pts in s of the first frame decoded, including any skipped before
        ``start_s`` (a seek that landed after ``start_s`` shows here).

    Notes
    -----
    Timestamps must be strictly increasing for the kinematics and for the
    H.264 writer. A frame without a pts is placed one nominal frame interval
    (``1 / fps``) after the previous frame. A frame whose pts is not after the
    previous frame's (a repeated timestamp, or a reset when clips were spliced)
    starts a new segment one nominal frame interval after the previous frame;
    the frames that follow keep their own spacing relative to it (a constant
    offset is added from there on).

    The container is closed when iteration ends, when :meth:`close` is called,
    on leaving a ``with`` block, or when the iterator is garbage-collected.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        slowmo: float | None = None,
        start_s: float | None = None,
        stop_s: float | None = None,
        max_side: int | None = None,
        fast: bool = False,
        full_size_at: Callable[[float], bool] | None = None,
    ):
        self.decode_error: str | None = None
        self.frames_decoded = 0
        self.repaired_timestamps = 0
        self.end_s = 0.0
        self.first_decoded_s: float | None = None
        options = dict(FAST_DECODING) if fast else {}
        if start_s is not None or stop_s is not None:
            # A part of a clip is decoded by one of several threads that keep
            # every core busy: FFmpeg's own decoding threads would add only
            # their frame buffers (tens of MB each at 1080p).
            options["threads"] = "1"
        container, stream, self.info, decoded = open_and_probe(path, slowmo, options)
        self.declared_end_s = _declared_end_s(stream, self.info)
        self._window = (start_s, stop_s)
        self._decode_size = _decode_size(self.info, max_side)
        self._full_size_at = full_size_at
        if start_s is not None:
            decoded = _seek(container, stream, start_s, self.info)
        self._container = container
        self._frames = self._generate(container, decoded)

    def __iter__(self) -> FrameStream:
        return self

    def __next__(self) -> Frame:
        return next(self._frames)

    def close(self) -> None:
        """Stop decoding and close the file (safe to call more than once)."""
        self._frames.close()
        self._container.close()  # the generator's own clean-up never runs if it was never started

    def __enter__(self) -> FrameStream:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _generate(self, container, decoded: Iterator) -> Generator[Frame, None, None]:
        # The generator owns the container: its finally-block runs on
        # exhaustion, on close(), and when the generator is garbage-collected.
        info = self.info
        turns_ccw = info.turns_ccw
        frame_ticks = _nominal_frame_ticks(info.fps, info.time_base)
        last_pts: int | None = None
        offset = 0
        start_s, stop_s = self._window
        try:
            for av_frame in _until_broken(decoded, self):
                pts, offset, repaired = _next_pts(av_frame.pts, last_pts, offset, frame_ticks)
                self.repaired_timestamps += repaired
                last_pts = pts
                pts_s = float(pts * info.time_base)
                if self.first_decoded_s is None:
                    self.first_decoded_s = pts_s
                if start_s is not None and pts_s < start_s:
                    continue  # decoded from the keyframe before start_s
                if stop_s is not None and pts_s >= stop_s:
                    return
                rgb = upright_rgb(av_frame, turns_ccw, self._decode_size)
                t_ms = pts_s * 1000.0 / info.slow_motion_factor
                full_rgb = None
                if self._full_size_at is not None and self._full_size_at(t_ms):
                    full_rgb = rgb if self._decode_size is None else upright_rgb(av_frame, turns_ccw)
                index = self.frames_decoded
                self.frames_decoded += 1
                self.end_s = pts_s + 1.0 / info.fps
                yield Frame(index=index, pts_s=pts_s, pts=pts, t_ms=t_ms, rgb=rgb, full_rgb=full_rgb)
            if self.decode_error is None and start_s is None:
                self.decode_error = self.early_end_message(self.frames_decoded)
        finally:
            container.close()

    def early_end_message(self, frames_total: int) -> str | None:
        """Say so when the frames stopped well before the end the container declares.

        Parameters
        ----------
        frames_total : int
            Frames decoded from the start of the video up to :attr:`end_s`
            (more than :attr:`frames_decoded` when this stream began at ``start_s``).
        """
        return _early_end_message(self.info, frames_total, self.end_s, self.declared_end_s)


def iter_frames(
    path: str | os.PathLike,
    *,
    slowmo: float | None = None,
    start_s: float | None = None,
    stop_s: float | None = None,
    max_side: int | None = None,
    fast: bool = False,
    full_size_at: Callable[[float], bool] | None = None,
) -> FrameStream:
    """Decode a video into upright RGB frames with real-time timestamps.

    Parameters
    ----------
    path : str or os.PathLike
        The video file.
    slowmo : float, optional
        As in :func:`~formcam.video.probe.probe_video`.
    start_s, stop_s : float, optional
        Only the frames with ``start_s <= pts_s < stop_s`` (file time, the
        file's own timeline): the decoder seeks to the keyframe before
        ``start_s``. ``Frame.index`` then counts from 0 at the first frame
        yielded, and the check for a clip that ends early is left to the
        caller (:meth:`FrameStream.early_end_message`), who knows how many
        frames came before.
    max_side : int, optional
        Scale frames down so that their longer side is at most this many
        pixels (``Frame.rgb`` is then :func:`scaled_size`, smaller than
        ``info.width`` x ``info.height``).
    fast : bool
        Frames for a model, not for people: decode with :data:`FAST_DECODING`.
    full_size_at : callable, optional
        Called with each frame's ``t_ms``; where it returns True the frame
        also comes at the video's own size (``Frame.full_rgb``), as
        :func:`formcam.video.seek.frames_at` would read it: a pass that
        scales frames down can hand a few on at full size (the HTML report's
        evidence frames, from the annotated video's pass).

    Returns
    -------
    FrameStream
        An iterator of :class:`Frame`, streaming (one frame held at a time).
        ``.info`` gives the :class:`VideoInfo`; ``.decode_error`` tells whether
        the file broke part-way. Use it in a ``with`` block, or call
        ``.close()``, to release the file early.

    Raises
    ------
    UnreadableInputError, UsageError
        As :func:`~formcam.video.probe.probe_video`; raised here, at the call, not at the first
        ``next()``.

    Examples
    --------
    >>> with iter_frames("run.mp4") as frames:            # doctest: +SKIP
    ...     for frame in frames:
    ...         landmarks = detect(frame.rgb, frame.t_ms)
    ...     if frames.decode_error:
    ...         warn(frames.decode_error)
    """
    return FrameStream(
        path, slowmo=slowmo, start_s=start_s, stop_s=stop_s, max_side=max_side, fast=fast, full_size_at=full_size_at
    )


def scaled_size(info: VideoInfo, max_side: int | None) -> tuple[int, int]:
    """Upright ``(width, height)`` of the frames :func:`iter_frames` gives with ``max_side``, px."""
    stored = _decode_size(info, max_side)
    if stored is None:
        return info.width, info.height
    turned = (info.rotation_deg // 90) % 2
    return (stored[1], stored[0]) if turned else stored


def keyframes_near(info: VideoInfo, times_s, *, max_side: int | None = None) -> list[np.ndarray]:
    """Upright RGB pictures of the keyframes at or before some moments, decoded cheaply.

    For a quick look at a clip (how many people are in it) where any frame
    near each moment will do: each costs one seek and one keyframe decode,
    never the frames between a keyframe and the moment.

    Parameters
    ----------
    info : VideoInfo
        Of a video already opened with :func:`~formcam.video.probe.probe_video` or :func:`iter_frames`.
    times_s : iterable of float
        Moments in file time, s.
    max_side : int, optional
        As in :func:`iter_frames`.

    Returns
    -------
    list of ndarray, uint8, shape (h, w, 3)
        One picture per moment that could be decoded.
    """
    turns_ccw = info.turns_ccw
    size = _decode_size(info, max_side)
    pictures = []
    with av.open(info.path) as container:
        stream = video_stream(container, info.path)
        # Frame threading would decode several frames ahead of the one wanted.
        stream.thread_type = "SLICE"
        stream.codec_context.options = FAST_DECODING
        for time_s in times_s:
            try:
                av_frame = next(_seek(container, stream, time_s, info), None)
            except (av.error.FFmpegError, OSError):
                continue
            if av_frame is not None:
                pictures.append(upright_rgb(av_frame, turns_ccw, size))
    return pictures


# --------------------------------------------------------------------------- #
# Decoding


def _seek(container, stream, start_s: float, info: VideoInfo) -> Iterator:
    """Seek to the keyframe at or before ``start_s`` (file time, s); return a fresh decoder."""
    container.seek(max(0, math.floor(start_s / info.time_base)), stream=stream, backward=True, any_frame=False)
    return iter(PrerollDecoder(container, stream, full_from_s=start_s - 1.0 / (info.fps or 30.0)))


class PrerollDecoder:
    """Decode a stream from where its container stands; in full only from ``full_from_s`` (file time, s) on.

    After a seek, decoding starts at the keyframe before the moment wanted,
    and the frames before that moment are decoded only because later frames
    refer to them. Those no frame refers to (most B-frames of a phone clip)
    are skipped (FFmpeg's ``skip_frame=NONREF``): half the decoding of a clip
    whose keyframes are seconds apart (the 388-frame 1080p treadmill clip:
    1.55 s of CPU against 2.8 s), and the output from ``full_from_s`` on is
    the same.

    Decoding is full again from the first packet, in decoding order, whose
    presentation time is at or after ``full_from_s``: a frame shown from then
    on comes from that packet or a later one, however the encoder reordered
    them. A packet without a time stops the skipping. ``full_from_s`` may be
    moved later while decoding (the evidence reader does, moment by moment):
    it applies to the packets not yet decoded.

    Iterating yields ``av.VideoFrame`` objects, as ``container.decode(stream)`` does.
    """

    def __init__(self, container, stream, full_from_s: float):
        self._container = container
        self._stream = stream
        self.full_from_s = full_from_s

    @property
    def full_from_s(self) -> float:
        return float(self._full_from_pts * self._stream.time_base)

    @full_from_s.setter
    def full_from_s(self, time_s: float) -> None:
        self._full_from_pts = math.floor(time_s / self._stream.time_base)

    def __iter__(self) -> Iterator:
        context = self._stream.codec_context
        for packet in self._container.demux(self._stream):
            wanted = "NONREF" if packet.pts is not None and packet.pts < self._full_from_pts else "DEFAULT"
            if context.skip_frame != wanted:
                context.skip_frame = wanted
            yield from packet.decode()


def _decode_size(info: VideoInfo, max_side: int | None) -> tuple[int, int] | None:
    """Stored ``(width, height)`` that fits ``max_side`` with the aspect ratio kept, or None to keep the size.

    Sides are even: 4:2:0 frames are scaled plane by plane, and the H.264 writer needs even sides.
    """
    if max_side is None:
        return None
    longest = max(info.stored_width, info.stored_height)
    if longest <= max_side:
        return None
    scale = max_side / longest
    return max(2, 2 * round(info.stored_width * scale / 2)), max(2, 2 * round(info.stored_height * scale / 2))


def upright_rgb(av_frame, turns_ccw: int, size: tuple[int, int] | None = None) -> np.ndarray:
    """RGB pixels of a decoded frame, turned upright, shape ``(H, W, 3)`` uint8.

    ``size`` is the stored ``(width, height)`` to scale down to (for the pose
    model); None keeps the decoded size, converted by swscale with the
    file's own colour matrix (the annotated video shows these pixels).

    PyAV returns rows padded to FFmpeg's line alignment (a strided view) when
    ``3 * width`` is not a multiple of it; MediaPipe and OpenCV want compact
    C-contiguous images, so the pixels are copied where needed.
    """
    if size is None:
        rgb = av_frame.to_ndarray(format="rgb24")
    elif av_frame.format.name == "yuv420p":
        rgb = _scaled_rgb_from_yuv420p(av_frame, size)
    else:
        rgb = av_frame.to_ndarray(format="rgb24", width=size[0], height=size[1], interpolation="AREA")
    if turns_ccw:
        rgb = np.rot90(rgb, turns_ccw)
    return np.ascontiguousarray(rgb)


def _scaled_rgb_from_yuv420p(av_frame, size: tuple[int, int]) -> np.ndarray:
    """Shrink the Y, U and V planes first, then convert: about a third of swscale's cost.

    The planes are read in place (no copy of the full frame); OpenCV's
    conversion uses the BT.601 matrix, as OpenCV's own video reader does,
    which makes no difference that matters to the pose model.
    """
    # I420 needs even sides; each chroma plane is a quarter of the luma plane (not a whole number of rows
    # of the full width when height % 4 == 2, so the planes are cut from a flat buffer).
    width, height = size[0] // 2 * 2, size[1] // 2 * 2
    luma, chroma = width * height, (width // 2) * (height // 2)
    flat = np.empty(luma + 2 * chroma, np.uint8)
    i420 = flat.reshape(height * 3 // 2, width)
    targets = (
        flat[:luma].reshape(height, width),
        flat[luma : luma + chroma].reshape(height // 2, width // 2),
        flat[luma + chroma :].reshape(height // 2, width // 2),
    )
    for k, (plane, target) in enumerate(zip(av_frame.planes, targets)):
        rows = av_frame.height if k == 0 else (av_frame.height + 1) // 2
        cols = av_frame.width if k == 0 else (av_frame.width + 1) // 2
        pixels = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[:rows, :cols]
        cv2.resize(pixels, (target.shape[1], target.shape[0]), dst=target, interpolation=cv2.INTER_LINEAR)
    return cv2.cvtColor(i420, cv2.COLOR_YUV2RGB_I420)


def _until_broken(decoded: Iterator, owner: FrameStream):
    """Yield decoded frames; on a mid-stream failure record it on ``owner`` and stop."""
    try:
        yield from decoded
    except (av.error.FFmpegError, OSError) as error:
        seconds = owner.frames_decoded / owner.info.fps if owner.info.fps else 0.0
        owner.decode_error = (
            f"{os.path.basename(owner.info.path)} stopped decoding after frame "
            f"{owner.frames_decoded} (about {seconds:.1f} s): {ffmpeg_reason(error)}."
        )


def _declared_end_s(stream, info: VideoInfo) -> float | None:
    if info.duration_s is None:
        return None
    start = float(stream.start_time * info.time_base) if stream.start_time else 0.0
    return start + info.duration_s


def _early_end_message(info: VideoInfo, frames: int, end_s: float, declared_end_s: float | None) -> str | None:
    """Say so when decoding ended well before the end the container declares.

    With frame-threaded decoding FFmpeg does not report a truncated or damaged
    stream as an error, the frames just stop; comparing with the declared
    duration catches that.
    """
    if declared_end_s is None:
        return None
    tolerance_s = max(0.5, 3.0 / info.fps)
    if end_s >= declared_end_s - tolerance_s:
        return None
    return (
        f"{os.path.basename(info.path)} ended early: {frames} frames decoded, up to "
        f"{end_s:.1f} s of the {declared_end_s:.1f} s the file declares (it is probably truncated or damaged)."
    )


def _nominal_frame_ticks(fps: float, time_base: Fraction) -> int:
    return max(1, round(1.0 / (fps * float(time_base))))


def _next_pts(raw_pts: int | None, last_pts: int | None, offset: int, frame_ticks: int) -> tuple[int, int, int]:
    """Return ``(pts, new_offset, repaired)`` making pts strictly increasing.

    See :class:`FrameStream` Notes for the rule.
    """
    if raw_pts is None:
        pts = 0 if last_pts is None else last_pts + frame_ticks
        return pts, offset, 1
    pts = raw_pts + offset
    if last_pts is None or pts > last_pts:
        return pts, offset, 0
    offset += last_pts + frame_ticks - pts
    return last_pts + frame_ticks, offset, 1
