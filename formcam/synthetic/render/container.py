"""The awkward MP4 containers phones write.

* **Rotation**: portrait clips stored as landscape frames plus a display
  matrix telling the player to turn them (what every phone does).
* **Android slow motion**: frames captured at 120/240 fps and played at 30 fps,
  with the capture rate in the ``com.android.capture.fps`` metadata key.

:func:`stored_frame` turns an upright frame the way a phone stores it, and
:func:`formcam.video.encode.remux_mp4` copies an MP4's packets (no re-encoding)
into a new file with that metadata.
"""

from __future__ import annotations

import numpy as np


def stored_frame(upright: np.ndarray, rotation_deg: int) -> np.ndarray:
    """The frame as a phone stores it: ``upright`` turned ``rotation_deg`` counter-clockwise.

    ``rotation_deg`` (0, 90, 180, 270) is the clockwise turn a player applies
    to show the frame upright (:attr:`formcam.video.probe.VideoInfo.rotation_deg`).
    """
    if rotation_deg % 90:
        raise ValueError(f"rotation_deg must be a multiple of 90, not {rotation_deg}")
    return np.ascontiguousarray(np.rot90(upright, k=(rotation_deg // 90) % 4))
