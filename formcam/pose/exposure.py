"""A very dark frame brightened before the pose model sees it.

MediaPipe loses a runner in an underexposed clip (a phone at dusk, a dim
gym): on a copy of a real front-view clip darkened to a mean luma of about
25, it found the runner in only 2.4 of 10 s and the clip was refused, while
the same copy stretched back to the full range was analysed within 1.2 % of
the original's cadence (docs/validation.md, the trust table).  So a frame
whose brightest parts are still dark is scaled up until they are not; a frame
with any normal highlight (daylight, a lit treadmill, a backlit silhouette
against the sky) is left exactly as it is.  The measurements of brightness
the report gives (``dark_video``) are taken from the frames as filmed.
"""

from __future__ import annotations

import numpy as np

#: A frame whose 99th-percentile brightness (of the brightest channel, 0-255) is below this is dark ...
DARK_HIGHLIGHT = 100.0


#: ... and is scaled so that percentile reaches this ...
TARGET_HIGHLIGHT = 220.0


#: ... by at most this much (noise grows with the gain).
MAX_GAIN = 5.0


def exposure_gain(rgb: np.ndarray) -> float:
    """The gain to apply to a frame: 1 unless its highlights are dark (:data:`DARK_HIGHLIGHT`).

    Parameters
    ----------
    rgb : ndarray, uint8, shape (h, w, 3)

    Returns
    -------
    float
        ``TARGET_HIGHLIGHT / p99``, at most :data:`MAX_GAIN`, where the 99th
        percentile of the brightest channel (on every 8th pixel) is below
        :data:`DARK_HIGHLIGHT`; else 1.
    """
    sample = np.asarray(rgb)[::8, ::8].max(axis=-1)
    highlight = float(np.percentile(sample, 99)) if sample.size else 255.0
    if highlight >= DARK_HIGHLIGHT:
        return 1.0
    return float(min(TARGET_HIGHLIGHT / max(highlight, 1.0), MAX_GAIN))


def for_pose_model(rgb: np.ndarray) -> np.ndarray:
    """The frame as the pose model should see it: ``rgb`` itself, or a brightened copy of a dark one.

    Parameters
    ----------
    rgb : ndarray, uint8, shape (h, w, 3)

    Returns
    -------
    ndarray, uint8, shape (h, w, 3)
    """
    gain = exposure_gain(rgb)
    if gain == 1.0:
        return rgb
    import cv2

    table = np.clip(np.arange(256) * gain, 0, 255).astype(np.uint8)
    return cv2.LUT(np.ascontiguousarray(rgb), table)
