"""What a video file is, before decoding it: size, rotation, frame rate, slow motion.

:func:`probe_video` opens a file, decodes its first two frames (proof that it
is a moving picture, and the display rotation) and reads its metadata into a
:class:`VideoInfo`; :func:`formcam.video.decode.iter_frames` opens files the
same way (:func:`open_and_probe`) and goes on decoding. A file formcam cannot
read (missing, a folder, text, a web page, a still image, audio only, an MP4
whose index was never written) raises :class:`formcam.errors.UnreadableInputError`
with one sentence saying why.

Slow motion: Android writes the capture rate into the file's metadata
(:data:`CAPTURE_FPS_KEYS`); a user's ``slowmo=`` overrides what the file says.
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass
from fractions import Fraction

import av

from formcam.errors import UnreadableInputError, UsageError
from formcam.inputs import require_regular_file

__all__ = ["VideoInfo", "probe_video", "open_and_probe", "video_stream", "ffmpeg_reason", "failed_reading"]

#: Container metadata keys that state the capture frame rate of a slow-motion
#: clip. Android's camera writes ``com.android.capture.fps`` (e.g. "240.000000")
#: into the MP4 ``udta/meta`` keys while the file plays back at 30 fps.
#: iPhone "Slo-mo" originals need no key: they are stored at the full capture
#: rate with real-time timestamps (the slowdown is a playback recipe), so they
#: are already real time; clips exported with the slowdown baked in carry no
#: capture rate at all and need ``slowmo=`` from the user.
CAPTURE_FPS_KEYS = ("com.android.capture.fps",)

#: A clip counts as slow motion only when its capture rate exceeds the playback
#: rate by this much; phones also write the key (equal to the playback rate) on
#: ordinary clips.
SLOW_MOTION_THRESHOLD = 1.5


@dataclass(frozen=True)
class VideoInfo:
    """What formcam needs to know about a video before decoding it.

    Attributes
    ----------
    path : str
        The file, as given.
    codec : str
        FFmpeg's name of the video codec (``"h264"``, ``"hevc"``, ``"vp9"`` ...).
    width, height : int
        Size in pixels of the **upright** frames that :func:`~formcam.video.decode.iter_frames` yields.
    stored_width, stored_height : int
        Size in pixels of the frames as stored in the file (before rotation).
    rotation_deg : int
        One of 0, 90, 180, 270: how many degrees **clockwise** the stored frame
        is turned to make it upright (the convention of OpenCV's
        ``CAP_PROP_ORIENTATION_META`` and of the legacy MP4 ``rotate`` tag).
        A phone's portrait clip stored 1920x1080 has ``rotation_deg == 90``
        and upright size 1080x1920. PyAV's ``frame.rotation`` is the same
        turn measured counter-clockwise, so ``rotation_deg == -frame.rotation
        mod 360``.
    fps : float
        Nominal average playback frame rate of the file (frames per second of
        file time).
    frames : int or None
        The container's frame count where it states one; it can differ from
        the number of frames actually decoded.
    duration_s : float or None
        Playback duration of the video stream per the container, in seconds of
        file time.
    slow_motion_factor : float
        Capture rate / playback rate (>= 1); 1.0 for normal-speed video.
    slow_motion_source : str or None
        ``"metadata"`` when the file states its capture rate, ``"user"`` when
        given as ``slowmo=``, None when the video is taken as normal speed.
    time_base : fractions.Fraction
        Time base of the video stream: ``Frame.pts * time_base`` is seconds of
        file time. :class:`formcam.video.encode.H264Writer` reuses it.
    """

    path: str
    codec: str
    width: int
    height: int
    stored_width: int
    stored_height: int
    rotation_deg: int
    fps: float
    frames: int | None
    duration_s: float | None
    slow_motion_factor: float
    slow_motion_source: str | None
    time_base: Fraction

    @property
    def turns_ccw(self) -> int:
        """Quarter turns counter-clockwise that make a stored frame upright (for :func:`upright_rgb`)."""
        return (-self.rotation_deg // 90) % 4


def probe_video(path: str | os.PathLike, *, slowmo: float | None = None) -> VideoInfo:
    """Read a video's metadata (size, rotation, frame rate, slow motion).

    Parameters
    ----------
    path : str or os.PathLike
        The video file.
    slowmo : float, optional
        Slow-motion factor declared by the user (capture rate / playback rate,
        >= 1). Overrides what the file says; ``1.0`` declares normal speed.

    Returns
    -------
    VideoInfo

    Raises
    ------
    UnreadableInputError
        The path is missing, a folder, not readable, or not a video formcam can
        decode (text, a still image, audio only, a corrupt file).
    UsageError
        ``slowmo`` is below 1 or not a finite number.
    """
    container, _stream, info, _frames = open_and_probe(path, slowmo)
    container.close()
    return info


# --------------------------------------------------------------------------- #
# Opening and probing


def open_and_probe(path, slowmo: float | None, decoder_options: dict[str, str] | None = None):
    """Open, validate and probe; return ``(container, stream, info, frames)``.

    ``frames`` is an iterator over all decoded frames that starts with the
    frames the probe already decoded, so nothing is decoded twice and no seek
    is needed. ``decoder_options`` are FFmpeg codec options (set before the
    decoder opens).
    """
    factor, source = _user_slow_motion(slowmo)
    path = os.fspath(path)
    _check_path(path)
    container = _open_container(path)
    try:
        stream = video_stream(container, path)
        if decoder_options:
            stream.codec_context.options = decoder_options
        decoder = container.decode(stream)
        first = _first_frames(decoder, path)
        info = _video_info(path, container, stream, first, factor, source)
    except BaseException:
        container.close()
        raise
    return container, stream, info, itertools.chain(first, decoder)


def _user_slow_motion(slowmo: float | None) -> tuple[float, str | None]:
    if slowmo is None:
        return 1.0, None
    try:
        value = float(slowmo)
    except (TypeError, ValueError):
        raise UsageError(f"--slowmo must be a number (capture rate / playback rate), got {slowmo!r}.") from None
    if not math.isfinite(value) or value < 1.0:
        raise UsageError(
            f"--slowmo must be 1 or more (capture rate / playback rate, e.g. 8 for 240 fps played at 30), got {slowmo}."
        )
    return value, "user"


def _check_path(path: str) -> None:
    name = os.path.basename(path) or path
    if not os.path.exists(path):
        raise UnreadableInputError(f"Cannot read {name}: there is no such file.")
    if os.path.isdir(path):
        raise UnreadableInputError(f"Cannot read {name}: it is a folder, not a video file.")
    require_regular_file(path)  # a FIFO would block in open() for ever
    if not os.access(path, os.R_OK):
        raise UnreadableInputError(f"Cannot read {name}: permission denied.")


def _not_a_video(path: str, why: str) -> UnreadableInputError:
    name = os.path.basename(path)
    return UnreadableInputError(f"Cannot read {name}: it is not a video file formcam can decode ({why}).")


def _open_container(path: str) -> av.container.InputContainer:
    try:
        return av.open(path, mode="r")
    except PermissionError:
        raise UnreadableInputError(f"Cannot read {os.path.basename(path)}: permission denied.") from None
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as error:
        raise _not_a_video(path, _open_failure_reason(path, error)) from None


def _open_failure_reason(path: str, error: Exception) -> str:
    """Why FFmpeg could not open ``path``, in its own words where they are known.

    FFmpeg explains a failed open only in its log ("moov atom not found"),
    and PyAV's log hook calls back into Python from FFmpeg's own threads,
    which can deadlock with frame-threaded decoding running in other threads
    (PyAV issue 751), so the log is never switched on. The commonest case,
    an MP4 whose index never got written (a recording cut short, a partial
    download), is recognised from the file's top-level boxes instead.
    """
    if _mp4_without_index(path):
        return "moov atom not found: the recording or the download was cut short"
    kind = _text_kind(path)
    if kind:
        return kind
    return ffmpeg_reason(error)


def _text_kind(path: str) -> str | None:
    """'it is a web page ...' or 'it is a text file' when the file starts as text, else None."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return None
    if not head or b"\0" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # not just a character cut at the 4 KB mark
            return None
        text = head[: error.start].decode("utf-8")
    start = text.lstrip("\ufeff \t\r\n").lower()
    if start.startswith(("<!doctype html", "<html")):
        return "it is an HTML web page, not a video: the download probably failed"
    return "it is a text file"


def _mp4_without_index(path: str, max_boxes: int = 10_000) -> bool:
    """True for an MP4/MOV file (an ``ftyp`` box first) without a complete ``moov`` box at the top level."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            position, types = 0, list[bytes]()
            while position + 8 <= size and len(types) < max_boxes:
                fh.seek(position)
                header = fh.read(16)
                box_size, box_type = int.from_bytes(header[:4], "big"), header[4:8]
                if box_size == 1 and len(header) == 16:
                    box_size = int.from_bytes(header[8:16], "big")
                elif box_size == 0:
                    box_size = size - position
                if box_size < 8:
                    break  # damaged: stop reading boxes
                if position + box_size <= size:  # a box cut off by the end of the file does not count
                    types.append(box_type)
                position += box_size
    except OSError:
        return False
    return bool(types) and types[0] == b"ftyp" and b"moov" not in types


def failed_reading(error: BaseException, path: str | os.PathLike) -> bool:
    """Whether ``error`` is FFmpeg failing to read ``path`` (and not, say, failing to write an output).

    FFmpeg names the file it was reading or writing in the error it raises.
    """
    filename = getattr(error, "filename", None)
    if not isinstance(error, av.error.FFmpegError) or not filename:
        return False
    try:
        return os.path.samefile(filename, path)
    except OSError:
        return False


def ffmpeg_reason(error: Exception) -> str:
    """FFmpeg's own words for ``error`` (e.g. "invalid data found when processing input"), for a message."""
    if isinstance(error, av.error.FFmpegError) and error.strerror:
        return error.strerror[0].lower() + error.strerror[1:]
    return str(error)


def video_stream(container, path: str):
    """The video stream of an open file (cover art is not one), set to decode on several threads.

    Raises :class:`formcam.errors.UnreadableInputError` when there is none or the file is a still image.
    """
    streams = [s for s in container.streams.video if not _is_cover_art(s)]
    if not streams:
        raise _not_a_video(
            path,
            "moov atom not found: the recording or the download was cut short"
            if _mp4_without_index(path)
            else "it has no video stream",
        )
    if container.format.name == "image2" or container.format.name.endswith("_pipe"):
        raise _not_a_video(path, "it is a still image")
    stream = streams[0]
    stream.thread_type = "AUTO"
    return stream


def _is_cover_art(stream) -> bool:
    # Music files show their cover image as a one-frame "video" stream.
    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def _first_frames(decoder, path: str) -> list:
    """Decode up to two frames: proof that this is a moving picture, and rotation."""
    first: list = []
    try:
        # Pull from the decoder rather than loop-and-break over it, so that the
        # caller can go on with the same decoder without losing a frame.
        while len(first) < 2:
            first.append(next(decoder))
    except StopIteration:
        pass
    except (av.error.FFmpegError, OSError) as error:
        if len(first) < 2:
            raise _not_a_video(path, f"its first frames cannot be decoded: {ffmpeg_reason(error)}") from None
    if not first:
        raise _not_a_video(path, "it holds no frames")
    if len(first) < 2:
        raise _not_a_video(path, "it holds a single still picture")
    return first


def _video_info(path, container, stream, first: list, factor: float, source: str | None) -> VideoInfo:
    stored_width, stored_height = first[0].width, first[0].height
    rotation_deg = _rotation_clockwise(first[0].rotation)
    swap = rotation_deg in (90, 270)
    time_base = stream.time_base or Fraction(1, 90_000)
    fps = _playback_fps(stream, container)
    if source is None:
        factor, source = _metadata_slow_motion(container, stream, fps)
    return VideoInfo(
        path=path,
        codec=stream.codec_context.name,
        width=stored_height if swap else stored_width,
        height=stored_width if swap else stored_height,
        stored_width=stored_width,
        stored_height=stored_height,
        rotation_deg=rotation_deg,
        fps=fps,
        frames=stream.frames or None,
        duration_s=_duration_s(stream, container),
        slow_motion_factor=factor,
        slow_motion_source=source,
        time_base=Fraction(time_base),
    )


def _rotation_clockwise(pyav_rotation) -> int:
    """PyAV's counter-clockwise display rotation -> clockwise quarter turns in degrees."""
    if not pyav_rotation or not math.isfinite(pyav_rotation):
        return 0
    quarter_turns = round(float(pyav_rotation) / 90.0)
    return int((-quarter_turns * 90) % 360)


#: Containers that are a bare codec stream (a Raspberry Pi's ``.h264``): no timestamps of their own.
RAW_STREAM_FORMATS = frozenset({"h264", "hevc", "m4v", "mpegvideo", "rawvideo", "mjpeg"})


def _playback_fps(stream, container) -> float:
    # A bare stream has no timestamps: FFmpeg's average rate is its 25 fps default, while the stream's own
    # timing (the H.264 SPS's VUI) gives the camera's rate as the codec's frame rate.
    bare = bool(RAW_STREAM_FORMATS & set(str(container.format.name).split(",")))
    own = stream.codec_context.framerate if bare else None
    for rate in (own, stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and float(rate) > 0:
            return float(rate)
    duration = _duration_s(stream, container)
    if stream.frames and duration:
        return stream.frames / duration
    # Nothing states a rate: a common default, only used to fill missing pts.
    return 30.0


def _duration_s(stream, container) -> float | None:
    """The declared duration, s; None where none is declared or it is no duration (0, negative, not finite)."""
    duration = None
    if stream.duration and stream.time_base:
        duration = float(stream.duration * stream.time_base)
    elif container.duration:
        duration = container.duration / av.time_base
    return duration if duration is not None and math.isfinite(duration) and duration > 0 else None


def _metadata_slow_motion(container, stream, fps: float) -> tuple[float, str | None]:
    capture_fps = _capture_fps(container.metadata) or _capture_fps(stream.metadata)
    if capture_fps and fps > 0 and capture_fps > SLOW_MOTION_THRESHOLD * fps:
        return capture_fps / fps, "metadata"
    return 1.0, None


def _capture_fps(metadata) -> float | None:
    for key in CAPTURE_FPS_KEYS:
        try:
            value = float(metadata.get(key, ""))
        except ValueError:
            continue
        if math.isfinite(value) and value > 0:
            return value
    return None
