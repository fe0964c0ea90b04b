"""Known biases of the pose model, measured on rendered runners, and their corrections.

**The ear** (docs/validation.md, side view): MediaPipe puts both ears, the hidden
far one most, ahead of where they are, by more on an upright head than on a
forward one.  The head-forward angle of rendered runners read 8.0° for a
true 0°, 24.8° for 21.4° and 29.5-29.9° for 27.6° (60 and 120 fps, a rotated
container): a straight line, ``measured = EAR_OFFSET_DEG + EAR_GAIN x true``,
within 0.2° at all three.  Uncorrected, it flagged a neutral head as forward
on every side clip.  The correction inverts that line for landmarks from the
pose model; a pose made by :mod:`formcam.synthetic.gait` (exact landmarks)
keeps its own.
"""

from __future__ import annotations

import numpy as np

from formcam.gait.geometry import midpoint
from formcam.pose import landmarks as lm

#: The pose model's head-forward angle for an upright head (true 0°), degrees.
EAR_OFFSET_DEG = 8.0
#: The measured angle's change per degree of true head-forward angle: (29.7 - 8.0) / 27.6.
EAR_GAIN = 0.786
#: What the report says of the metrics corrected.
EAR_CALIBRATION = (
    "corrected for the pose model's ear bias: MediaPipe reads a head-forward angle of "
    f"{EAR_OFFSET_DEG:g}° + {EAR_GAIN:g} x the true one on rendered runners (docs/validation.md), "
    "so the measured angle was turned back into the true one"
)
#: The metrics the ear correction changes.
EAR_METRICS = ("head_forward_deg", "head_forward_pct")


def correct_ear_bias(xy: np.ndarray, facing: int, signals: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The head-forward signals with the pose model's ear bias removed (a new dict; others as given).

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Levelled landmark pixels (side view).
    facing : {1, -1}
        The runner's image direction.
    signals : dict of str -> ndarray (T,)
        :func:`formcam.gait.signals.frame_signals` output.

    Returns
    -------
    dict of str -> ndarray (T,)
        ``head_forward_deg`` as ``(measured - EAR_OFFSET_DEG) / EAR_GAIN``;
        ``head_forward_pct`` as the ear ahead of the shoulder that the
        corrected angle gives over the same rise from shoulder to ear, % of
        the trunk length.
    """
    out = dict(signals)
    if "head_forward_deg" not in signals or not facing:
        return out
    xy = np.asarray(xy, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mid_sh, mid_hip, mid_ear = midpoint(xy, lm.LEFT_SHOULDER), midpoint(xy, lm.LEFT_HIP), midpoint(xy, lm.LEFT_EAR)
        trunk = np.hypot(*(mid_sh - mid_hip).T)
        rise = mid_sh[:, 1] - mid_ear[:, 1]
        angle = (np.asarray(signals["head_forward_deg"], dtype=np.float64) - EAR_OFFSET_DEG) / EAR_GAIN
        out["head_forward_deg"] = angle
        out["head_forward_pct"] = 100.0 * rise * np.tan(np.radians(angle)) / np.where(trunk > 0, trunk, np.nan)
    return out
