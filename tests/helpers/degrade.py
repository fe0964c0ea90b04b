"""Degraded copies of the real running clips: what a new user's camera does to a good clip.

A false refusal is worse than a warning (issue 20, point 5), so every real
running clip that formcam analyses must still be analysed when it is filmed
in the dark, at low resolution, at a low frame rate, heavily compressed or
blurred.  :data:`DEGRADATIONS` names each of those as the ffmpeg filters and
encoder settings that make it from the clip; :func:`degraded_copy` writes one
(trimmed to the clip's first :data:`TRIM_S` seconds, which hold enough steps
and keep the pose model's time down).  The e2e tests
(``tests/e2e/test_degraded.py``) and the trust table of ``docs/validation.md``
(``python -m tests.helpers.trust_table``) both use them.

The clips themselves stay in ``../shared/videos``; the copies go to a
temporary folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.media import run_ffmpeg

#: Seconds of each clip that are copied: enough for the minimum steps many times over.
TRIM_S = 10.0


@dataclass(frozen=True)
class Degradation:
    """One way of spoiling a clip.

    Attributes
    ----------
    name : str
        Short name (a file name stem and a pytest id).
    label : str
        What it does, in words (for the trust table).
    vf : str or None
        The ffmpeg video filter chain (None: no filter).
    crf : int
        x264's constant rate factor (18: visually lossless; 35: heavy blocking).
    warnings : tuple of str
        Quality-warning codes of which report.json must hold at least one (empty: none expected).
    """

    name: str
    label: str
    vf: str | None
    crf: int = 18
    warnings: tuple[str, ...] = ()


#: The original, only trimmed and re-encoded as the copies are: the reference cadence.
ORIGINAL = Degradation("original", "trimmed, re-encoded at CRF 18", None)

#: The degradations of issue 20, point 5.
DEGRADATIONS: tuple[Degradation, ...] = (
    Degradation(
        "dark",
        "darkened and noisy (`eq=brightness=-0.32:contrast=0.45:gamma=0.8,noise=alls=6:allf=t`)",
        "eq=brightness=-0.32:contrast=0.45:gamma=0.8,noise=alls=6:allf=t",
        warnings=("dark_video", "dark_subject"),
    ),
    Degradation(
        "very_dark",
        "very dark (`eq=brightness=-0.42:contrast=0.30`)",
        "eq=brightness=-0.42:contrast=0.30",
        warnings=("dark_video", "dark_subject"),
    ),
    Degradation("360p", "downscaled to 360 px high", "scale=-2:360", warnings=("subject_small",)),
    Degradation("24fps", "resampled to 24 fps", "fps=24", warnings=("low_frame_rate",)),
    Degradation("crf35", "compressed at CRF 35", None, crf=35),
    Degradation(
        "blur",
        "motion blur (each frame the mean of 3: `tmix=frames=3`)",
        "tmix=frames=3",
    ),
)

#: The real running clips of ``../shared/videos`` that formcam analyses (exit 0) as they are.
ANALYSED_CLIPS: tuple[str, ...] = (
    "treadmill_side_portrait_60fps.mp4",
    "treadmill_side_portrait_tiktok_overlay.mp4",
    "outdoor_front_portrait_pace_labels.mp4",
)


def degraded_copy(src: str | os.PathLike, dst: str | os.PathLike, how: Degradation) -> Path:
    """Write the first :data:`TRIM_S` s of ``src``, spoiled as ``how`` says, to ``dst`` (H.264, no audio).

    ``-preset veryfast`` keeps the encoding of a noisy 1080p clip to seconds;
    the degradation is in the filters and the CRF.
    """
    filters = ["-vf", how.vf] if how.vf else []
    run_ffmpeg(
        "-i", os.fspath(src), "-t", f"{TRIM_S:g}", "-an", *filters,
        "-c:v", "libx264", "-preset", "veryfast", "-crf", str(how.crf), "-pix_fmt", "yuv420p",
        os.fspath(dst),
    )  # fmt: skip
    return Path(dst)
