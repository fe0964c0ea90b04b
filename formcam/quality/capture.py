"""Capture quality from the pictures themselves: too dark, motion-blurred, panning, letterboxed.

The pose model says nothing about *why* its landmarks may be poor. This module
looks at a few dozen frames of the video directly: it spreads
:data:`~formcam.video.sampling.N_SAMPLES` moments evenly over the clip, takes a pair of neighbouring
frames at each as small grey images, and measures

* **brightness** of the picture area (letterbox bars excluded), and of the
  runner's box where the runner is known;
* **motion blur** on the runner's box: the no-reference blur effect of Crete et
  al. (2007), 0 sharp to 1 fully blurred, which compares the picture with a
  re-blurred copy of itself, so it does not depend on how much texture the
  scene has;
* **camera motion**: the global shift between the two frames of each pair by
  phase correlation, on tiles of the picture away from the runner (the
  background), as frame widths per second;
* **letterbox bars**: edge rows or columns that are uniformly black in every
  sample.

:func:`assess_capture` returns a :class:`CaptureQuality` with report-ready
warnings; :func:`null_affected_metrics` makes the metrics that the detected
conditions invalidate null, with the reason.

The pairs are handed in: the pose stage keeps them as its frames pass, and
:func:`assess_capture` samples a video on its own (both through
:mod:`formcam.video.sampling`).
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from formcam.gait.registry import BLUR_SENSITIVE_METRICS, CAMERA_MOTION_SENSITIVE_METRICS, METRICS
from formcam.quality.warnings import Code, QualityWarning
from formcam.video.sampling import N_SAMPLES, FramePair, sample_frame_pairs

__all__ = [
    "CaptureQuality",
    "assess_capture",
    "measure_capture",
    "blur_effect",
    "global_shift",
    "letterbox_bars",
    "null_affected_metrics",
    "runner_boxes",
]

#: Median picture brightness (0-255 luma) below which the clip is very dark.
DARK_LUMA = 40.0
#: Median brightness of the runner's box below which the runner is in the dark
#: (a backlit silhouette) even when the picture as a whole is not.
DARK_SUBJECT_LUMA = 30.0
#: Median blur effect on the runner (0 sharp, 1 fully blurred) above which
#: limbs are smeared enough to move the ankle and wrist landmarks.
HEAVY_BLUR = 0.5
#: Global motion (frame widths per second) above which the camera is moving.
PAN_SPEED = 0.15
#: Share of the sampled frame pairs that must show that motion.
PAN_FRACTION = 0.15
#: A phase-correlation peak below this response is not trusted (a cut, a flat tile).
MIN_SHIFT_RESPONSE = 0.1
#: Edge rows/columns count as a bar when :data:`BAR_PIXEL_SHARE` of their
#: pixels are darker than :data:`BAR_LUMA` in :data:`BAR_PICTURE_SHARE` of the
#: sampled pictures (a watermark or mouse cursor on a bar does not break it).
BAR_LUMA = 24
BAR_PIXEL_SHARE = 0.75
BAR_PICTURE_SHARE = 0.9
#: Bars thinner than this share of the frame are ignored (encoder edge noise).
MIN_BAR_FRACTION = 0.02


@dataclass(frozen=True)
class CaptureQuality:
    """What the sampled pictures say about how the clip was filmed.

    Attributes
    ----------
    n_samples : int
        Frame pairs measured (0 when none could be decoded: then every measure is None).
    brightness : float or None
        Median luma (0-255) of the picture area.
    subject_brightness : float or None
        Median luma of the runner's box, where the runner was known.
    blur : float or None
        Median blur effect (0 sharp to 1 fully blurred) of the runner's box in
        the frames with the runner (of the whole picture when no landmarks
        were given).
    camera_speed : float or None
        Median global motion, frame widths per second.
    moving_fraction : float or None
        Share of frame pairs whose global motion exceeds :data:`PAN_SPEED`.
    bars : dict
        Letterbox bar thickness in px of the upright frame: ``top``, ``bottom``,
        ``left``, ``right``.
    warnings : list of QualityWarning
        For report.json's ``quality``.
    """

    n_samples: int
    brightness: float | None = None
    subject_brightness: float | None = None
    blur: float | None = None
    camera_speed: float | None = None
    moving_fraction: float | None = None
    bars: dict = field(default_factory=lambda: {"top": 0, "bottom": 0, "left": 0, "right": 0})
    warnings: list = field(default_factory=list)

    @property
    def codes(self) -> set[str]:
        return {w.code for w in self.warnings}

    def hints(self) -> list[str]:
        """Clauses that may explain why the pose model found nobody (for the refusal message)."""
        found = []
        if "dark_video" in self.codes:
            found.append(f"the video is very dark (median brightness {self.brightness:.0f} of 255)")
        return found

    def to_json(self) -> dict:
        """A JSON-ready summary (kept in the pose file, so re-analysis needs no video)."""

        def rounded(value, digits):
            return None if value is None else round(float(value), digits)

        return {
            "n_samples": self.n_samples,
            "brightness": rounded(self.brightness, 1),
            "subject_brightness": rounded(self.subject_brightness, 1),
            "blur": rounded(self.blur, 3),
            "camera_speed": rounded(self.camera_speed, 3),
            "moving_fraction": rounded(self.moving_fraction, 3),
            "bars": dict(self.bars),
            "warnings": [w.to_json() for w in self.warnings],
        }

    @classmethod
    def from_json(cls, data: dict) -> CaptureQuality:
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**{**fields, "warnings": [QualityWarning.from_json(w) for w in fields.get("warnings", [])]})


# --------------------------------------------------------------------------- #
# Measures on one image or one pair


def blur_effect(grey: np.ndarray) -> float:
    """No-reference blur effect of Crete et al. (2007): 0 sharp, 1 fully blurred.

    Parameters
    ----------
    grey : ndarray, shape (h, w)
        Luma, any numeric dtype; at least 10 px each way.

    Returns
    -------
    float
        The larger of the vertical and horizontal blur (motion blur is
        directional); NaN for an image too small or flat to tell.

    Notes
    -----
    The image is blurred again with a 9-tap box filter along each axis; a sharp
    image loses much of its neighbour-to-neighbour variation, a blurred one
    little. Crete, Dolmiere, Ladret, Nicolas, "The blur effect: perception and
    estimation with a new no-reference perceptual blur metric", SPIE 6492 (2007).
    """
    image = np.asarray(grey, dtype=np.float64)
    if image.ndim != 2 or min(image.shape) < 10:
        return float("nan")
    blurs = []
    for axis in (0, 1):
        reblurred = cv2.blur(image, (1, 9) if axis == 0 else (9, 1), borderType=cv2.BORDER_REFLECT)
        variation = np.abs(np.diff(image, axis=axis))
        variation_reblurred = np.abs(np.diff(reblurred, axis=axis))
        lost = np.maximum(variation - variation_reblurred, 0.0)
        total = variation.sum()
        blurs.append((total - lost.sum()) / total if total > 0 else np.nan)
    return float(np.nanmax(blurs)) if np.isfinite(blurs).any() else float("nan")


def global_shift(
    first: np.ndarray, second: np.ndarray, *, exclude: tuple | None = None, grid: int = 4
) -> tuple[float, float, float]:
    """Global image motion from ``first`` to ``second`` by phase correlation on background tiles.

    Parameters
    ----------
    first, second : ndarray, shape (h, w)
        Consecutive grey frames.
    exclude : tuple of float, optional
        ``(x0, y0, x1, y1)`` in px of these images: the runner's box. Tiles
        that overlap it are skipped, so the runner's own motion does not count
        (nor does a camera that follows the runner look still).
    grid : int
        The picture is cut into ``grid x grid`` tiles.

    Returns
    -------
    dx, dy : float
        Median shift of the trusted tiles, px (NaN when no tile is trusted).
    response : float
        Median phase-correlation peak of those tiles (0-1).
    """
    a = np.asarray(first, dtype=np.float32)
    b = np.asarray(second, dtype=np.float32)
    h, w = a.shape
    th, tw = _dft_size(h // grid), _dft_size(w // grid)
    if th < 8 or tw < 8:
        return float("nan"), float("nan"), 0.0
    window = cv2.createHanningWindow((tw, th), cv2.CV_32F)
    shifts, responses = [], []
    for row in range(grid):
        for col in range(grid):
            y0, x0 = row * th, col * tw
            if exclude is not None and _overlaps((x0, y0, x0 + tw, y0 + th), exclude):
                continue
            tile_a, tile_b = a[y0 : y0 + th, x0 : x0 + tw], b[y0 : y0 + th, x0 : x0 + tw]
            if tile_a.std() < 2.0:  # flat sky or a black bar: nothing to lock onto
                continue
            (dx, dy), response = cv2.phaseCorrelate(tile_a, tile_b, window)
            if response >= MIN_SHIFT_RESPONSE:
                shifts.append((dx, dy))
                responses.append(response)
    if not shifts:
        return float("nan"), float("nan"), 0.0
    dx, dy = np.median(np.asarray(shifts), axis=0)
    return float(dx), float(dy), float(np.median(responses))


def _dft_size(n: int) -> int:
    """Largest even size <= n that the FFT takes unpadded.

    OpenCV's ``phaseCorrelate`` pads other sizes, and then reports a still
    picture as shifted by half a pixel.
    """
    n -= n % 2
    while n > 2 and cv2.getOptimalDFTSize(n) != n:
        n -= 2
    return n


def _overlaps(tile: tuple, box: tuple) -> bool:
    return tile[0] < box[2] and box[0] < tile[2] and tile[1] < box[3] and box[1] < tile[3]


def letterbox_bars(greys: list[np.ndarray]) -> dict:
    """Black bars along the edges, present in every sampled picture.

    Parameters
    ----------
    greys : list of ndarray, shape (h, w)
        Grey pictures of one clip, all the same size.

    Returns
    -------
    dict
        ``top``, ``bottom``, ``left``, ``right``: bar thickness in px of these
        images (0 where there is none).
    """
    bars = {"top": 0, "bottom": 0, "left": 0, "right": 0}
    if not greys:
        return bars
    dark = np.stack([np.asarray(g) < BAR_LUMA for g in greys])
    row_dark = (dark.mean(axis=2) >= BAR_PIXEL_SHARE).mean(axis=0) >= BAR_PICTURE_SHARE
    col_dark = (dark.mean(axis=1) >= BAR_PIXEL_SHARE).mean(axis=0) >= BAR_PICTURE_SHARE
    h, w = dark.shape[1:]
    bars["top"] = _run_length(row_dark)
    bars["bottom"] = _run_length(row_dark[::-1])
    bars["left"] = _run_length(col_dark)
    bars["right"] = _run_length(col_dark[::-1])
    for side, size in (("top", h), ("bottom", h), ("left", w), ("right", w)):
        if bars[side] < MIN_BAR_FRACTION * size or bars[side] >= size // 2:
            bars[side] = 0  # too thin to matter, or the whole picture is black
    return bars


def _run_length(flags: np.ndarray) -> int:
    not_set = np.flatnonzero(~flags)
    return int(not_set[0]) if len(not_set) else len(flags)


def runner_boxes(image_xy: np.ndarray, t_ms: np.ndarray, at_ms: np.ndarray, *, margin: float = 0.15) -> np.ndarray:
    """The runner's bounding box at given times, from the pose landmarks.

    Parameters
    ----------
    image_xy : ndarray, shape (T, 33, 2)
        Landmark pixels; NaN where no pose.
    t_ms : ndarray, shape (T,)
        Their frame times, ms.
    at_ms : ndarray, shape (N,)
        Times wanted, ms.
    margin : float
        Box grown by this share of its size on every side (limbs reach out).

    Returns
    -------
    ndarray, float64, shape (N, 4)
        ``x0, y0, x1, y1`` in px of the upright frame; NaN where the runner
        was not seen within half a frame of that time.
    """
    at_ms = np.asarray(at_ms, dtype=np.float64)
    boxes = np.full((len(at_ms), 4), np.nan)
    t_ms = np.asarray(t_ms, dtype=np.float64)
    if len(t_ms) == 0 or len(at_ms) == 0:
        return boxes
    index = np.clip(np.searchsorted(t_ms, at_ms), 0, len(t_ms) - 1)
    earlier = np.clip(index - 1, 0, len(t_ms) - 1)
    index = np.where(np.abs(t_ms[earlier] - at_ms) < np.abs(t_ms[index] - at_ms), earlier, index)
    half_frame = 0.5 * np.median(np.diff(t_ms)) if len(t_ms) > 1 else np.inf
    close = np.abs(t_ms[index] - at_ms) <= half_frame + 1e-6
    xy = np.asarray(image_xy, dtype=np.float64)[index]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # frames without a pose are all-NaN
        low = np.nanmin(xy, axis=1)
        high = np.nanmax(xy, axis=1)
    size = high - low
    found = close & np.isfinite(low).all(axis=1) & np.isfinite(high).all(axis=1)
    boxes[found] = np.concatenate([low - margin * size, high + margin * size], axis=1)[found]
    return boxes


# --------------------------------------------------------------------------- #
# The assessment


def assess_capture(
    path: str | os.PathLike,
    *,
    frame_size: tuple[int, int] | None = None,
    image_xy: np.ndarray | None = None,
    t_ms: np.ndarray | None = None,
    rotation_deg: int = 0,
    slow_motion_factor: float = 1.0,
    n_samples: int = N_SAMPLES,
) -> CaptureQuality:
    """Sample a video's pictures and say how well it was filmed.

    Parameters
    ----------
    path : str or os.PathLike
        The video.
    frame_size : tuple of int, optional
        Upright ``(width, height)`` of the video's frames, px; needed with
        ``image_xy`` to place the runner's box.
    image_xy : ndarray, shape (T, 33, 2), optional
        The runner's landmarks (pose file ``image_xy``): blur and subject
        brightness are then measured on the runner, and camera motion on the
        background around them.
    t_ms : ndarray, shape (T,), optional
        The landmarks' frame times, ms.
    rotation_deg, slow_motion_factor
        As in :class:`formcam.video.probe.VideoInfo`.
    n_samples : int
        Frame pairs to sample.

    Returns
    -------
    CaptureQuality
        Never raises on a damaged file: what could be sampled is measured.
    """
    pairs = sample_frame_pairs(
        path, n_samples=n_samples, rotation_deg=rotation_deg, slow_motion_factor=slow_motion_factor
    )
    return measure_capture(pairs, frame_size=frame_size, image_xy=image_xy, t_ms=t_ms)


def measure_capture(
    pairs: list[FramePair],
    *,
    frame_size: tuple[int, int] | None = None,
    image_xy: np.ndarray | None = None,
    t_ms: np.ndarray | None = None,
) -> CaptureQuality:
    """Say how well a clip was filmed from pairs of its frames.

    Parameters
    ----------
    pairs : list of FramePair
        In time order, all the same size (:func:`sample_frame_pairs` or a :class:`PairSampler`).
    frame_size, image_xy, t_ms
        As in :func:`assess_capture`.

    Returns
    -------
    CaptureQuality
        ``n_samples=0`` and no warnings when there are no pairs.
    """
    if not pairs:
        return CaptureQuality(n_samples=0)
    h, w = pairs[0].first.shape
    boxes = np.full((len(pairs), 4), np.nan)
    if image_xy is not None and t_ms is not None and frame_size:
        scale = w / float(frame_size[0])
        boxes = runner_boxes(image_xy, t_ms, np.array([p.t_ms for p in pairs])) * scale
        boxes = np.clip(boxes, 0, [w, h, w, h])

    bars = letterbox_bars([p.first for p in pairs])
    content = (slice(bars["top"], h - bars["bottom"]), slice(bars["left"], w - bars["right"]))
    brightness = float(np.median([p.first[content].mean() for p in pairs]))

    runner_known = image_xy is not None
    subject_luma, blurs, speeds = [], [], []
    for pair, box in zip(pairs, boxes):
        has_box = np.isfinite(box).all() and box[2] - box[0] >= 10 and box[3] - box[1] >= 10
        if has_box:
            region = pair.first[int(box[1]) : int(box[3]), int(box[0]) : int(box[2])]
            subject_luma.append(region.mean())
            blurs.append(blur_effect(region))
        elif not runner_known:
            # Without landmarks the whole picture stands in for the runner; with
            # them, frames without the runner say nothing about their blur (a
            # smooth empty scene reads as blurred).
            blurs.append(blur_effect(pair.first[content]))
        dx, dy, _ = global_shift(
            pair.first[content], pair.second[content], exclude=_shift_box(box, bars) if has_box else None
        )
        if np.isfinite(dx):
            content_width = w - bars["left"] - bars["right"]
            speeds.append(math.hypot(dx, dy) / content_width / pair.dt_s)

    full_scale = (frame_size[0] / w) if frame_size else 1.0
    quality = CaptureQuality(
        n_samples=len(pairs),
        brightness=brightness,
        subject_brightness=float(np.median(subject_luma)) if subject_luma else None,
        blur=float(np.nanmedian(blurs)) if blurs and np.isfinite(blurs).any() else None,
        camera_speed=float(np.median(speeds)) if speeds else None,
        moving_fraction=float(np.mean(np.asarray(speeds) > PAN_SPEED)) if speeds else None,
        bars={side: int(round(px * full_scale)) for side, px in bars.items()},
    )
    return replace(quality, warnings=capture_warnings(quality))


def _shift_box(box: np.ndarray, bars: dict) -> tuple:
    return (box[0] - bars["left"], box[1] - bars["top"], box[2] - bars["left"], box[3] - bars["top"])


def capture_warnings(quality: CaptureQuality) -> list[QualityWarning]:
    """report.json ``quality`` entries for the conditions ``quality`` shows."""
    found: list[QualityWarning] = []

    def warn(code: str, message: str) -> None:
        found.append(QualityWarning(code, message))

    if quality.brightness is not None and quality.brightness < DARK_LUMA:
        warn(
            Code.DARK_VIDEO,
            f"The video is very dark (median brightness {quality.brightness:.0f} of 255); "
            "the pose model misplaces joints in the dark, so film in better light.",
        )
    elif quality.subject_brightness is not None and quality.subject_brightness < DARK_SUBJECT_LUMA:
        warn(
            Code.DARK_SUBJECT,
            f"The runner is very dark against the background (brightness {quality.subject_brightness:.0f} "
            "of 255, backlit?); film with the light behind the camera.",
        )
    if quality.blur is not None and quality.blur > HEAVY_BLUR:
        warn(
            Code.MOTION_BLUR,
            f"The runner is heavily motion-blurred (blur {quality.blur:.2f}, 0 sharp to 1 smeared); "
            f"{_listing(BLUR_SENSITIVE_METRICS)} rest on the feet and wrists and were left out. "
            "Film in more light or at a higher frame rate.",
        )
    if quality.moving_fraction is not None and quality.moving_fraction >= PAN_FRACTION:
        warn(
            Code.CAMERA_MOVING,
            f"The camera moved (panning) in {100 * quality.moving_fraction:.0f}% of the sampled moments; "
            "travel in the picture is not the runner's own, so "
            f"{_listing(CAMERA_MOTION_SENSITIVE_METRICS[:1])} was left out. Keep the camera still.",
        )
    if any(quality.bars.values()):
        sizes = ", ".join(f"{side} {px} px" for side, px in quality.bars.items() if px)
        warn(Code.LETTERBOX, f"The picture has black bars ({sizes}); they were left out of the brightness measures.")
    return found


def _listing(names) -> str:
    names = [METRICS[name].warning_name for name in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def null_affected_metrics(metrics: dict, quality: CaptureQuality) -> dict:
    """Metrics with those the capture conditions invalidate made null, with the reason.

    Parameters
    ----------
    metrics : dict of str -> formcam.gait.metrics.MetricResult
    quality : CaptureQuality

    Returns
    -------
    dict of str -> MetricResult
        A new dict; metrics not affected are the same objects.
    """
    reasons = {}
    if "motion_blur" in quality.codes:
        reasons.update(
            dict.fromkeys(BLUR_SENSITIVE_METRICS, "the runner's feet and wrists are motion-blurred in the video")
        )
    if "camera_moving" in quality.codes:
        reasons.update(
            dict.fromkeys(
                CAMERA_MOTION_SENSITIVE_METRICS,
                "the camera moved, so up-and-down travel in the picture is not the runner's own",
            )
        )
    out = dict(metrics)
    for name, reason in reasons.items():
        result = out.get(name)
        if result is None or result.value is None or not np.isfinite(result.value):
            continue
        out[name] = replace(
            result,
            value=None,
            left=None,
            right=None,
            flag=None,
            reason=reason,
            per_step=[{**step, "value": None} for step in result.per_step],
        )
    return out
