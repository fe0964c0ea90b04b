"""The awkward MP4 containers phones write, made with PyAV alone (no ffmpeg program).

* **Rotation**: portrait clips stored as landscape frames plus a display
  matrix telling the player to turn them (what every phone does).
* **Android slow motion**: frames captured at 120/240 fps and played at 30 fps,
  with the capture rate in the ``com.android.capture.fps`` metadata key.

:func:`stored_frame` turns an upright frame the way a phone stores it, and
:func:`remux_as_phone` copies an MP4's packets (no re-encoding) into a new file
with that metadata.
"""

from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np

from formcam.atomic import write_atomic

#: Android's metadata key for the capture frame rate of a slow-motion clip.
CAPTURE_FPS_KEY = "com.android.capture.fps"


def stored_frame(upright: np.ndarray, rotation_deg: int) -> np.ndarray:
    """The frame as a phone stores it: ``upright`` turned ``rotation_deg`` counter-clockwise.

    ``rotation_deg`` (0, 90, 180, 270) is the clockwise turn a player applies
    to show the frame upright (:attr:`formcam.video.decode.VideoInfo.rotation_deg`).
    """
    if rotation_deg % 90:
        raise ValueError(f"rotation_deg must be a multiple of 90, not {rotation_deg}")
    return np.ascontiguousarray(np.rot90(upright, k=(rotation_deg // 90) % 4))


def remux_as_phone(src: str | os.PathLike, dst: str | os.PathLike, *, rotation_deg: int = 0,
                   capture_fps: float | None = None) -> Path:
    """Copy the video of ``src`` into ``dst`` with a display rotation and/or a capture rate.

    Parameters
    ----------
    src, dst : path
        MP4 files; ``dst`` is written atomically (replaced if it exists).
    rotation_deg : {0, 90, 180, 270}
        Clockwise turn a player should apply to show the stored frames upright.
    capture_fps : float, optional
        Written as Android's ``com.android.capture.fps`` tag (a slow-motion clip
        when it exceeds the playback frame rate).

    Returns
    -------
    Path
        ``dst``.
    """
    if rotation_deg % 90:
        raise ValueError(f"rotation_deg must be a multiple of 90, not {rotation_deg}")
    movflags = "+faststart+use_metadata_tags" if capture_fps else "+faststart"

    def write(part: Path) -> None:
        with av.open(os.fspath(src)) as source, av.open(str(part), "w", format="mp4",
                                                        options={"movflags": movflags}) as out:
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
