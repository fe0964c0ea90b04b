"""Write RGB frames as an H.264 MP4 that plays in browsers and on phones.

OpenCV's pip wheels cannot write H.264, so this uses PyAV's bundled FFmpeg
with libx264: ``yuv420p`` pixels (the only 4:2:0 layout every hardware and
browser decoder takes), tagged BT.709, and ``+faststart`` (the index at the front, so a
browser can start playing before the whole file has arrived).

The writer keeps the input's timing: each frame is written with the pts it
came with, in the input's time base, so a variable-frame-rate clip stays
variable and the output lasts as long as the input.
"""

from __future__ import annotations

import heapq
import itertools
import os
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from formcam.atomic import create_temporary, write_atomic

__all__ = ["H264Writer", "add_audio", "concat_mp4", "remux_mp4", "video_bit_rate", "CodecError"]

#: What PyAV raises when FFmpeg cannot read or write a video, for callers
#: outside formcam.video that turn it into a message.
CodecError = av.error.FFmpegError
#: Android's metadata key for the capture frame rate of a slow-motion clip.
CAPTURE_FPS_KEY = "com.android.capture.fps"

# FFmpeg's AVColorPrimaries / AVColorTransferCharacteristic value 1 is BT.709,
# AVColorSpace 6 (SMPTE 170M) is the BT.601 matrix; AVColorRange 1 is limited
# ("tv", "MPEG") range.
_BT709 = 1
_BT601_MATRIX = 6
_LIMITED_RANGE = 1
#: x264 preset: "ultrafast" encodes a 720p frame in about 5 ms and 1080p in
#: about 10 ms on one core here, against 22 and 33 ms for "veryfast", for
#: files about 2.7 times larger; and it makes no B-frames, so segments encoded
#: in parallel join by copying packets (:func:`concat_mp4`).
DEFAULT_PRESET = "ultrafast"
#: Audio codecs that an MP4 carries and every browser and phone plays: copied as
#: they are; any other audio is re-encoded to AAC.
MP4_AUDIO_CODECS = frozenset({"aac", "mp3"})
_AAC_BIT_RATE = 128_000


class H264Writer:
    """Encode RGB frames to an H.264 MP4 file, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The MP4 file to write. It appears only when :meth:`close` succeeds;
        until then the frames go to a unique ``.<name>.<random>.part`` in the same folder, which
        is deleted if the ``with`` block raises (or on :meth:`abort`). An
        existing file at ``path`` is replaced.
    width, height : int
        Size of the frames that :meth:`write` takes, in pixels. H.264 with
        4:2:0 chroma needs even sizes: an odd width or height is padded by one
        column (right) or row (bottom) repeating the edge pixels, so the
        output is at most 1 px larger (``output_width``, ``output_height``)
        and landmark coordinates drawn on the frame stay valid.
    time_base : fractions.Fraction
        Unit of the pts given to :meth:`write`, in seconds (use the input
        video's :attr:`formcam.video.probe.VideoInfo.time_base`).
    fps : float
        Nominal frame rate: a hint to the encoder's rate control, and the
        spacing of frames written with ``pts=None``.
    crf : int, default 23
        x264 constant rate factor (0-51, lower is better quality and larger).
    preset : str, default :data:`DEFAULT_PRESET`
        x264 speed preset.
    max_bit_rate : int, optional
        Cap on the bit rate, bits/s (x264's VBV, over a one-second buffer):
        the quality of ``crf`` where it fits, less where it would not. None:
        no cap.

    Examples
    --------
    >>> with H264Writer("annotated.mp4", width=info.width, height=info.height,
    ...                 time_base=info.time_base, fps=info.fps) as out:  # doctest: +SKIP
    ...     for frame in iter_frames("run.mp4"):
    ...         out.write(draw(frame.rgb), frame.pts)
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        width: int,
        height: int,
        time_base: Fraction,
        fps: float,
        crf: int = 23,
        preset: str = DEFAULT_PRESET,
        threads: int = 0,
        faststart: bool = True,
        max_bit_rate: int | None = None,
    ):
        if width <= 0 or height <= 0:
            raise ValueError(f"frame size must be positive, got {width}x{height}")
        if not fps > 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.path = Path(path)
        self.part_path = create_temporary(self.path)
        self.width, self.height = int(width), int(height)
        self.output_width = self.width + self.width % 2
        self.output_height = self.height + self.height % 2
        self.time_base = Fraction(time_base)
        self.fps = float(fps)
        self.frames_written = 0
        # Exact frame interval in time_base units, so that pts=None frames do
        # not drift (1/25 s is 614.4 ticks of 1/15360 s).
        self._frame_ticks = 1 / (Fraction(self.fps).limit_denominator(100_000) * self.time_base)
        self._last_pts: int | None = None
        self._exact_pts: Fraction | None = None
        try:
            container = av.open(str(self.part_path), mode="w", format="mp4", options=self._muxer_options(faststart))
        except BaseException:
            self.part_path.unlink(missing_ok=True)
            raise
        self._container: av.container.OutputContainer | None = container
        try:
            self._stream = self._add_video_stream(container, crf, preset, threads, max_bit_rate)
        except BaseException:
            self.abort()
            raise

    def _muxer_options(self, faststart: bool) -> dict[str, str]:
        return mp4_muxer_options(self.time_base, faststart)

    def _add_video_stream(
        self, container: av.container.OutputContainer, crf: int, preset: str, threads: int, max_bit_rate: int | None
    ):
        stream = container.add_stream("libx264", rate=Fraction(self.fps).limit_denominator(100_000))
        stream.width = self.output_width
        stream.height = self.output_height
        stream.pix_fmt = "yuv420p"
        # The input's time base, so that its pts pass through unchanged.
        stream.time_base = self.time_base
        stream.codec_context.time_base = self.time_base
        options: dict[str, str] = {"crf": str(int(crf)), "preset": preset}
        if max_bit_rate:
            options.update(maxrate=str(int(max_bit_rate)), bufsize=str(int(max_bit_rate)))
        stream.options = dict(options)
        stream.codec_context.thread_count = int(threads)
        # Tag the matrix that converted the pixels (BT.601, limited range:
        # OpenCV's fast RGB->I420 conversion, about ten times faster than
        # swscale's): untagged video leaves each player to guess the RGB<->YUV
        # matrix, and browsers and phones guess differently (visible hue
        # shifts). Primaries and transfer are those of HD video, BT.709.
        context = stream.codec_context
        context.colorspace = _BT601_MATRIX
        context.color_primaries = context.color_trc = _BT709
        context.color_range = _LIMITED_RANGE
        return stream

    def write(self, rgb: np.ndarray, pts: int | None = None) -> None:
        """Encode one frame.

        Parameters
        ----------
        rgb : numpy.ndarray
            Shape ``(height, width, 3)``, dtype uint8.
        pts : int or None
            Presentation time in ``time_base`` units, greater than the previous
            frame's. None places the frame ``1 / fps`` after the previous one
            (at 0 for the first).
        """
        if self._container is None:
            raise ValueError(f"{self.path.name} is already closed")
        if rgb.shape != (self.height, self.width, 3) or rgb.dtype != np.uint8:
            raise ValueError(f"expected a ({self.height}, {self.width}, 3) uint8 frame, got {rgb.shape} {rgb.dtype}")
        pts = self._checked_pts(pts)
        frame = _yuv420p_frame(cv2.cvtColor(_pad_to_even(rgb), cv2.COLOR_RGB2YUV_I420))
        frame.pts = pts
        frame.time_base = self.time_base
        self._container.mux(self._stream.encode(frame))
        self._last_pts = pts
        self.frames_written += 1

    def _checked_pts(self, pts: int | None) -> int:
        if pts is None:
            exact = Fraction(0) if self._exact_pts is None else self._exact_pts + self._frame_ticks
            pts = round(exact)
        else:
            pts = int(pts)
            exact = Fraction(pts)
        if self._last_pts is not None and pts <= self._last_pts:
            raise ValueError(f"pts must increase: got {pts} after {self._last_pts}")
        self._exact_pts = exact
        return pts

    def close(self) -> None:
        """Flush the encoder, finish the file and move it to ``path``."""
        if self._container is None:
            return
        if self.frames_written == 0:
            self.abort()
            raise ValueError(f"no frames were written to {self.path.name}")
        try:
            self._container.mux(self._stream.encode(None))
            self._container.close()
        except BaseException:
            self.abort()
            raise
        self._container = None
        os.replace(self.part_path, self.path)

    def abort(self) -> None:
        """Stop and delete the partial file; ``path`` is left untouched."""
        container, self._container = self._container, None
        if container is not None:
            try:
                container.close()
            except (av.error.FFmpegError, OSError):
                pass  # the file is being thrown away anyway
        self.part_path.unlink(missing_ok=True)

    def __enter__(self) -> H264Writer:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _pad_to_even(rgb: np.ndarray) -> np.ndarray:
    """Repeat the last row/column where the size is odd, shape ``(H', W', 3)``."""
    height, width = rgb.shape[:2]
    if height % 2 == 0 and width % 2 == 0:
        return rgb
    return np.pad(rgb, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")


def _yuv420p_frame(i420: np.ndarray) -> av.VideoFrame:
    """A ``yuv420p`` frame of an I420 image, shape ``(3 * H / 2, W)`` (planar Y, U, V), H and W even.

    The frame uses the array's memory where PyAV can describe it (H a multiple
    of 4): ``from_ndarray`` copies the pixels twice, 1.5-2 ms of CPU a 720p
    frame in the video pass, more than converting them. The encoder copies
    the pixels into its own buffers before ``encode`` returns.
    """
    if (i420.shape[0] * 2 // 3) % 4 == 0:
        return av.VideoFrame.from_numpy_buffer(i420, format="yuv420p")
    # from_numpy_buffer takes the height as a multiple of 4 (PyAV 18), which would drop two rows.
    return av.VideoFrame.from_ndarray(i420, format="yuv420p")


def mp4_muxer_options(time_base: Fraction, faststart: bool = True) -> dict[str, str]:
    """Options of FFmpeg's MP4 muxer for a video stream in ``time_base``.

    The MP4 edit list that delays a stream whose first pts is not 0 is
    counted in the movie timescale (1/1000 s by default), which would shift
    every frame by up to 1 ms; the stream's own timescale keeps the pts exact.
    ``faststart`` moves the index to the front (a second pass over the file,
    worth it only for the final output).
    """
    options = {"movflags": "+faststart"} if faststart else {}
    if time_base.numerator == 1 and time_base.denominator <= 2**31 - 1:
        options["movie_timescale"] = str(time_base.denominator)
    return options


def concat_mp4(parts: Sequence[Path], path: str | os.PathLike) -> Path:
    """Join MP4 files written by :class:`H264Writer` with the same settings, without re-encoding.

    Parameters
    ----------
    parts : sequence of Path
        In time order; each part's pts must all come after the previous part's.
        Their encoded packets are copied as they are, which is valid H.264
        because every part starts with a keyframe, has the same stream
        parameters, and (preset "ultrafast") no B-frames, so decode order is
        presentation order across the joins.
    path : str or os.PathLike
        The joined MP4, written atomically (a unique ``.<name>.<random>.part``, then renamed).

    Returns
    -------
    Path
    """
    path = Path(path)
    part_path = create_temporary(path)
    try:
        with av.open(str(parts[0])) as first:
            template = first.streams.video[0]
            time_base = template.time_base
            with av.open(str(part_path), mode="w", format="mp4", options=mp4_muxer_options(time_base)) as out:
                stream = out.add_stream_from_template(template)
                stream.time_base = time_base
                for part in parts:
                    _copy_packets(part, out, stream)
    except BaseException:
        part_path.unlink(missing_ok=True)
        raise
    os.replace(part_path, path)
    return path


def _copy_packets(part: Path, out, stream) -> None:
    with av.open(str(part)) as source:
        for packet in source.demux(source.streams.video[0]):
            if packet.size == 0:
                continue  # the demuxer's end-of-stream marker
            packet.stream = stream
            out.mux(packet)


def video_bit_rate(path: str | os.PathLike) -> float | None:
    """Bit rate of the first video stream of ``path``, bits/s (None when it cannot be told).

    The stream's own figure where the container gives one, else the whole
    file's less its audio streams' (an MKV or WebM gives no per-stream rate).
    """
    with av.open(os.fspath(path)) as container:
        stream = container.streams.video[0]
        if stream.bit_rate:
            return float(stream.bit_rate)
        duration = container.duration / av.time_base if container.duration else None
        if not duration:
            return None
        total = container.bit_rate or 8 * os.path.getsize(path) / duration
        return max(float(total) - sum(a.bit_rate or 0 for a in container.streams.audio), 0.0) or None


def add_audio(video: str | os.PathLike, source: str | os.PathLike) -> bool:
    """Give the MP4 ``video`` the first audio track of ``source``, in place (atomically).

    The video's packets are copied; the audio is copied too where it is AAC or
    MP3 (:data:`MP4_AUDIO_CODECS`), else re-encoded to AAC. Both keep their
    timestamps, and the video's were the source's, so sound and picture stay
    in step. The result has its index at the front (``+faststart``).

    Parameters
    ----------
    video : path
        An MP4 with one video stream, as :class:`H264Writer` writes it.
    source : path
        The video it was made from.

    Returns
    -------
    bool
        Whether an audio track was added: False when ``source`` has none, or
        one FFmpeg cannot read (``video`` is then left as it was).
    """
    video = Path(video)
    try:
        with av.open(os.fspath(source)) as probe:
            if not probe.streams.audio:
                return False
        write_atomic(video, lambda part: _mux_with_audio(video, Path(source), part))
    except CodecError:
        return False  # the picture matters more than the sound: keep the silent video
    return True


def _mux_with_audio(video: Path, source: Path, part: Path) -> None:
    with av.open(str(video)) as pictures, av.open(str(source)) as sound:
        video_in, audio_in = pictures.streams.video[0], sound.streams.audio[0]
        options = mp4_muxer_options(video_in.time_base)
        with av.open(str(part), mode="w", format="mp4", options=options) as out:
            video_out = out.add_stream_from_template(video_in)
            video_out.time_base = video_in.time_base
            if audio_in.codec_context.name in MP4_AUDIO_CODECS:
                audio_out = out.add_stream_from_template(audio_in)
                audio_packets = _packets(sound, audio_in, audio_out)
            else:
                audio_out = out.add_stream("aac", rate=audio_in.codec_context.sample_rate)
                audio_out.layout = audio_in.codec_context.layout
                audio_out.bit_rate = _AAC_BIT_RATE
                audio_packets = _aac_packets(sound, audio_in, audio_out)
            # Interleaved by time, as a player reads them.
            merged = heapq.merge(_packets(pictures, video_in, video_out), audio_packets, key=lambda item: item[0])
            for _, packet in merged:
                out.mux(packet)


def _packets(container, stream_in, stream_out):
    """``(time s, packet)`` of ``stream_in``, re-assigned to ``stream_out``, in decode order."""
    for packet in container.demux(stream_in):
        if packet.dts is None:  # the demuxer's end-of-stream marker
            continue
        seconds = float(packet.dts * packet.time_base)
        packet.stream = stream_out
        yield seconds, packet


def _aac_packets(container, stream_in, stream_out):
    """``(time s, packet)`` of ``stream_in``'s audio encoded to AAC by ``stream_out``."""
    for frame in itertools.chain(container.decode(stream_in), [None]):  # None flushes the encoder
        for packet in stream_out.encode(frame):
            yield float((packet.dts or 0) * packet.time_base), packet


def remux_mp4(
    src: str | os.PathLike, dst: str | os.PathLike, *, rotation_deg: int = 0, capture_fps: float | None = None
) -> Path:
    """Copy the video of ``src`` into ``dst`` with a display rotation and/or a capture rate, as phones write them.

    Parameters
    ----------
    src, dst : path
        MP4 files; ``dst`` is written atomically (replaced if it exists).
    rotation_deg : {0, 90, 180, 270}
        Clockwise turn a player should apply to show the stored frames upright.
    capture_fps : float, optional
        Written as Android's ``com.android.capture.fps`` tag, :data:`CAPTURE_FPS_KEY`
        (a slow-motion clip when it exceeds the playback frame rate).

    Returns
    -------
    Path
        ``dst``.
    """
    if rotation_deg % 90:
        raise ValueError(f"rotation_deg must be a multiple of 90, not {rotation_deg}")
    movflags = "+faststart+use_metadata_tags" if capture_fps else "+faststart"

    def write(part: Path) -> None:
        with (
            av.open(os.fspath(src)) as source,
            av.open(str(part), "w", format="mp4", options={"movflags": movflags}) as out,
        ):
            video_in = source.streams.video[0]
            video_out = out.add_stream_from_template(video_in)
            if rotation_deg % 360:
                video_out.set_display_rotation(-(rotation_deg % 360))  # PyAV counts counter-clockwise
            if capture_fps:
                out.metadata[CAPTURE_FPS_KEY] = f"{capture_fps:.6f}"
            for packet in source.demux(video_in):
                if packet.dts is None:  # the demuxer's end-of-stream marker
                    continue
                packet.stream = video_out
                out.mux(packet)

    return write_atomic(dst, write)
