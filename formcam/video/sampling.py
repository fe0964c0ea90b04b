"""Pairs of neighbouring frames spread over a clip, as small grey pictures, for measuring how it was filmed.

:mod:`formcam.quality.capture` measures brightness, motion blur, camera
motion and letterbox bars on a few dozen such pairs: :data:`N_SAMPLES`
moments spread evenly over the clip (:func:`sample_moments_s`), a pair of
neighbouring frames at each, :data:`WORK_WIDTH` px wide.

The pose stage decodes every frame anyway, so a :class:`PairSampler` per
stretch of the clip keeps the few pairs it needs as the frames pass. A video
analysed on its own is sampled by seeking instead (:func:`sample_frame_pairs`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import av
import cv2
import numpy as np

__all__ = ["FramePair", "PairSampler", "sample_frame_pairs", "sample_moments_s", "grey_picture"]

#: Moments sampled over the clip (each gives a pair of consecutive frames).
N_SAMPLES = 32
#: Width of the grey working images, px (height follows the aspect ratio).
WORK_WIDTH = 320


@dataclass(frozen=True)
class FramePair:
    """Two neighbouring frames sampled from a clip, as small upright grey images.

    Attributes
    ----------
    t_ms : float
        Real time of the first frame, ms (the pose file's clock).
    dt_s : float
        Real time between the two frames, s (> 0).
    first, second : ndarray, uint8, shape (h, w)
        Grey images :data:`WORK_WIDTH` wide.
    """

    t_ms: float
    dt_s: float
    first: np.ndarray
    second: np.ndarray


def sample_frame_pairs(
    path: str | os.PathLike,
    *,
    n_samples: int = N_SAMPLES,
    width: int = WORK_WIDTH,
    rotation_deg: int = 0,
    slow_motion_factor: float = 1.0,
) -> list[FramePair]:
    """Decode ``n_samples`` pairs of consecutive frames spread evenly over a video.

    Parameters
    ----------
    path : str or os.PathLike
        A video file :func:`formcam.video.probe.probe_video` accepts.
    n_samples : int
        Pairs wanted; fewer come back from a short clip or one that breaks part-way.
    width : int
        Width of the grey images, px.
    rotation_deg : int
        Clockwise turn to upright (:attr:`formcam.video.probe.VideoInfo.rotation_deg`).
    slow_motion_factor : float
        Divides file time to give real time, as in the pose file.

    Returns
    -------
    list of FramePair
        In time order. Decoding errors end the sampling early; they never raise.

    Notes
    -----
    Phone clips often have one keyframe in several seconds (or one in the
    whole file), so a seek can cost as much as decoding forward. The
    keyframes are listed first from the packets (no decoding); the decoder
    seeks only when a keyframe lies between where it is and the next sample.
    Frames no other frame refers to (most B-frames) are not decoded at all,
    which halves the work on typical phone H.264; a pair is then two
    neighbouring decoded frames, and ``dt_s`` says how far apart they are.
    """
    pairs: list[FramePair] = []
    try:
        container = av.open(os.fspath(path))
    except (av.error.FFmpegError, OSError, UnicodeDecodeError):
        return pairs
    with container:
        try:
            stream = container.streams.video[0]
            keyframes = _keyframe_pts(container, stream)
            if len(keyframes) == 0:
                return pairs
            stream.thread_type = "AUTO"
            targets = _sample_pts(stream, keyframes, n_samples)
            turns_ccw = (-rotation_deg // 90) % 4
            for skip in ("NONREF", "DEFAULT"):
                stream.codec_context.skip_frame = skip
                pairs = _decode_pairs(container, stream, keyframes, targets, width, turns_ccw, slow_motion_factor)
                if pairs:
                    break
        except (av.error.FFmpegError, OSError, IndexError, ValueError):
            pass  # what was sampled before the damage still counts
    return pairs


def sample_moments_s(start_s: float, end_s: float, fps: float, n_samples: int = N_SAMPLES) -> np.ndarray:
    """Where the pairs are taken: ``n_samples`` moments spread evenly over a clip, file time, s.

    Parameters
    ----------
    start_s, end_s : float
        The clip's first frame and its end, file time, s.
    fps : float
        Frame rate, to leave room at the end for a pair's second frame.
    n_samples : int

    Returns
    -------
    ndarray, shape (n_samples,)
        Increasing; from ``start_s`` to 5 % of the clip (at least 6 frames) before its end.
    """
    last = max(start_s, end_s - max(0.05 * (end_s - start_s), 6.0 / (fps or 30.0)))
    return np.linspace(start_s, last, n_samples)


class PairSampler:
    """Keep pairs of neighbouring frames at given moments from frames passing by in time order.

    Parameters
    ----------
    moments_s : array_like, shape (n,)
        Increasing file times, s (:func:`sample_moments_s`); a pair starts at
        the first frame at or after each (several moments before one frame
        give one pair).
    width : int
        Width of the grey images, px.

    Examples
    --------
    >>> sampler = PairSampler(sample_moments_s(0.0, 10.0, 30.0), WORK_WIDTH)   # doctest: +SKIP
    >>> for frame in iter_frames("run.mp4"):
    ...     sampler.offer(frame.pts_s, frame.t_ms, frame.rgb)
    >>> quality = measure_capture(sampler.pairs)
    """

    def __init__(self, moments_s, width: int = WORK_WIDTH):
        self._moments_s = np.asarray(moments_s, dtype=np.float64)
        self._next = 0
        self._width = width
        self._held: tuple[float, np.ndarray] | None = None
        self.pairs: list[FramePair] = []

    def offer(self, pts_s: float, t_ms: float, rgb: np.ndarray) -> None:
        """Look at the next frame: file time ``pts_s`` (s), real time ``t_ms`` (ms), upright RGB ``rgb``."""
        if self._held is not None:
            held_ms, first = self._held
            self._held = None
            if t_ms > held_ms:
                self.pairs.append(
                    FramePair(
                        t_ms=held_ms, dt_s=(t_ms - held_ms) / 1000.0, first=first, second=grey_picture(rgb, self._width)
                    )
                )
        elif self._next < len(self._moments_s) and pts_s >= self._moments_s[self._next]:
            self._next = int(np.searchsorted(self._moments_s, pts_s, side="right"))
            self._held = (t_ms, grey_picture(rgb, self._width))


def grey_picture(picture: np.ndarray, width: int) -> np.ndarray:
    """A small grey copy of a frame, ``width`` px wide with the aspect ratio kept.

    Parameters
    ----------
    picture : ndarray, uint8, shape (H, W, 3) RGB or (H, W) grey
    width : int

    Returns
    -------
    ndarray, uint8, shape (h, width)
        Averaged over each output pixel's area, so the blur measure sees the
        same picture whatever size the frame was decoded at.
    """
    grey = cv2.cvtColor(picture, cv2.COLOR_RGB2GRAY) if picture.ndim == 3 else picture
    height = max(2, round(width * grey.shape[0] / grey.shape[1]))
    return cv2.resize(grey, (width, height), interpolation=cv2.INTER_AREA)


def _keyframe_pts(container, stream) -> np.ndarray:
    pts = [packet.pts for packet in container.demux(stream) if packet.is_keyframe and packet.pts is not None]
    return np.unique(np.asarray(pts, dtype=np.int64))


def _sample_pts(stream, keyframes: np.ndarray, n_samples: int) -> np.ndarray:
    start = int(stream.start_time) if stream.start_time is not None else int(keyframes[0])
    if stream.duration:
        end = start + int(stream.duration)
    elif stream.container.duration:
        end = start + int(stream.container.duration / av.time_base / stream.time_base)
    else:
        end = start
    time_base = float(stream.time_base)
    moments_s = sample_moments_s(start * time_base, end * time_base, float(stream.average_rate or 30), n_samples)
    return np.round(moments_s / time_base).astype(np.int64)


def _decode_pairs(container, stream, keyframes, targets, width, turns_ccw, slow_motion_factor) -> list[FramePair]:
    time_base = float(stream.time_base)
    pairs: list[FramePair] = []
    position = None  # pts of the last decoded frame
    decoder = None
    held = None  # the first frame of a pair, waiting for the second
    for target in targets:
        keyframe = keyframes[max(np.searchsorted(keyframes, target, side="right") - 1, 0)]
        # Seek only past a keyframe; when samples are denser than the decoded
        # frames, the next pair simply starts after the last one.
        if decoder is None or position is None or keyframe > position:
            container.seek(int(keyframe), stream=stream, backward=True, any_frame=False)
            decoder = container.decode(stream)
            position = None
        held = None
        for frame in decoder:
            if frame.pts is None:
                continue
            position = frame.pts
            if held is None:
                if frame.pts >= target:
                    held = frame
                continue
            dt_s = (frame.pts - held.pts) * time_base / slow_motion_factor
            if dt_s > 0:
                pairs.append(
                    FramePair(
                        t_ms=held.pts * time_base * 1000.0 / slow_motion_factor,
                        dt_s=dt_s,
                        first=_grey(held, width, turns_ccw),
                        second=_grey(frame, width, turns_ccw),
                    )
                )
            break
    return pairs


def _grey(frame, width: int, turns_ccw: int) -> np.ndarray:
    grey = frame.to_ndarray(format="gray")
    if turns_ccw:
        grey = np.rot90(grey, turns_ccw)
    return grey_picture(np.ascontiguousarray(grey), width)
