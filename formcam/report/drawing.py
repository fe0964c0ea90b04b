"""Drawing on RGB frames with OpenCV: the overlay's colours, sizes, lines, dots, text and labels.

Everything is anti-aliased and placed with sub-pixel precision (OpenCV's
fixed-point ``shift``), so lines stay steady from frame to frame; sizes scale
with the frame's short side (:func:`overlay_style`). Colours are RGB triples
because the frames are RGB. :mod:`formcam.report.overlay` and
:mod:`formcam.report.panel` draw with these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import cv2
import numpy as np

__all__ = [
    "OverlayStyle", "overlay_style", "draw_banner", "draw_label", "draw_lines", "draw_dots", "draw_text", "blend_box",
    "dashed_segments", "fixed_point", "text_size", "format_angle",
]  # fmt: skip

RGB = tuple[int, int, int]

LEFT_COLOUR: RGB = (56, 189, 248)  # sky blue: the runner's left side
RIGHT_COLOUR: RGB = (244, 114, 182)  # pink: the runner's right side
MEASURE_COLOUR: RGB = (250, 204, 21)  # yellow: the lines the angles are measured on
REFERENCE_COLOUR: RGB = (255, 255, 255)  # dashed horizontal / vertical references
OUTLINE_COLOUR: RGB = (15, 15, 20)  # dark edge under every line, for contrast on any background
PANEL_COLOUR: RGB = (17, 20, 26)
TEXT_COLOUR: RGB = (245, 245, 245)
DIM_TEXT_COLOUR: RGB = (170, 176, 186)
FLAG_COLOURS: dict[str | None, RGB] = {
    "ok": (34, 197, 94),
    "watch": (245, 158, 11),
    "high": (239, 68, 68),
    None: (140, 140, 140),
}

# OpenCV 5 draws these "Hershey" names with a built-in sans-serif font that covers
# Unicode (so "°" works); the thickness picks the weight, not a stroke width.
REGULAR = (cv2.FONT_HERSHEY_SIMPLEX, 1)
SEMIBOLD = (cv2.FONT_HERSHEY_DUPLEX, 1)
BOLD = (cv2.FONT_HERSHEY_DUPLEX, 2)
SHIFT = 4  # OpenCV fixed-point bits: 1/16 px positions keep lines steady between frames
ONE = 1 << SHIFT


@dataclass(frozen=True)
class OverlayStyle:
    """Sizes in pixels (and the Hershey font scale) for one frame size.

    Every size is proportional to the frame's short side, so the overlay takes the
    same share of the picture at 480x854 as at 1080x1920.
    """

    unit: float  # short side / 1080
    bone: int  # skeleton line width
    outline: int  # extra width of the dark edge under lines
    joint_radius: int
    measure: int  # shoulder/hip/head line width
    reference: int  # dashed reference width
    dash: int  # dash length
    font_scale: float  # OpenCV text scale of the panel text
    margin: int  # gap between the panel and the frame edge


def overlay_style(width: int, height: int) -> OverlayStyle:
    """Return line widths and font size for a frame of ``width`` x ``height`` pixels.

    Parameters
    ----------
    width, height : int
        Frame size in pixels.

    Returns
    -------
    OverlayStyle
        At 1080 px short side: 4 px bones, text scale 1.0 (capitals about 27 px
        high before the panel shrinks to fit); at 480 px: 2 px bones, scale 0.44
        (about 12 px).
    """
    unit = min(width, height) / 1080.0
    return OverlayStyle(
        unit=unit,
        bone=max(2, round(4 * unit)),
        outline=max(1, round(2 * unit)),
        joint_radius=max(2, round(6 * unit)),
        measure=max(2, round(5 * unit)),
        reference=max(1, round(2 * unit)),
        dash=max(4, round(14 * unit)),
        font_scale=max(0.35, 1.0 * unit),
        margin=max(6, round(24 * unit)),
    )


# --------------------------------------------------------------------------- primitive drawing


def fixed_point(points: np.ndarray, width: int, height: int) -> np.ndarray:
    """Float pixel points (..., 2) -> int32 fixed-point for OpenCV's ``shift``.

    Points far outside the frame are clamped so the fixed-point values cannot overflow.
    """
    lo = -4.0 * max(width, height)
    hi = 5.0 * max(width, height)
    # np.clip and np.round, without their Python wrappers (called about 15 times a frame).
    return np.rint(np.minimum(np.maximum(points, lo), hi) * ONE).astype(np.int32)


def draw_lines(img: np.ndarray, segments: np.ndarray, colour: RGB, width: int, outline: int = 0) -> None:
    """Draw (n, 2, 2) float segments, anti-aliased, over a dark edge ``outline`` px wider."""
    if len(segments) == 0:
        return
    h, w = img.shape[:2]
    polylines = list(fixed_point(segments, w, h))
    if outline:
        cv2.polylines(img, polylines, False, OUTLINE_COLOUR, width + 2 * outline, cv2.LINE_AA, SHIFT)
    cv2.polylines(img, polylines, False, colour, width, cv2.LINE_AA, SHIFT)


def dashed_segments(p0: np.ndarray, p1: np.ndarray, dash: float) -> np.ndarray:
    """Segments (n, 2, 2) of a dashed line from p0 to p1: dashes and gaps ``dash`` px long."""
    length = float(np.hypot(*(p1 - p0)))
    if length < 1e-6:
        return np.empty((0, 2, 2))
    starts = np.arange(0.0, length, 2 * dash)
    ends = np.minimum(starts + dash, length)
    direction = (p1 - p0) / length
    return np.stack([p0 + starts[:, None] * direction, p0 + ends[:, None] * direction], axis=1)


def draw_dots(img: np.ndarray, points: np.ndarray, colours: Sequence[RGB], radius: int) -> None:
    h, w = img.shape[:2]
    for centre, colour in zip(fixed_point(points, w, h).tolist(), colours):
        cv2.circle(img, centre, (radius + 1) * ONE, OUTLINE_COLOUR, -1, cv2.LINE_AA, SHIFT)
        cv2.circle(img, centre, radius * ONE, colour, -1, cv2.LINE_AA, SHIFT)


def blend_box(img: np.ndarray, rect: tuple[int, int, int, int], colour: RGB, alpha: float, radius: int = 0) -> None:
    """Blend a filled (rounded) rectangle into ``img`` in place; only its region is touched."""
    h, w = img.shape[:2]
    x0, y0, x1, y1 = max(rect[0], 0), max(rect[1], 0), min(rect[2], w), min(rect[3], h)
    if x1 <= x0 or y1 <= y0:
        return
    roi = img[y0:y1, x0:x1]
    layer = roi.copy()
    bw, bh = rect[2] - rect[0], rect[3] - rect[1]
    r = int(min(radius, bw // 2, bh // 2))
    ox, oy = rect[0] - x0, rect[1] - y0  # box origin inside the clipped roi
    if r > 0:
        cv2.rectangle(layer, (ox + r, oy), (ox + bw - 1 - r, oy + bh - 1), colour, -1)
        cv2.rectangle(layer, (ox, oy + r), (ox + bw - 1, oy + bh - 1 - r), colour, -1)
        for cx, cy in (
            (ox + r, oy + r),
            (ox + bw - 1 - r, oy + r),
            (ox + r, oy + bh - 1 - r),
            (ox + bw - 1 - r, oy + bh - 1 - r),
        ):
            cv2.circle(layer, (cx, cy), r, colour, -1, cv2.LINE_AA)
    else:
        layer[:] = colour
    cv2.addWeighted(layer, alpha, roi, 1.0 - alpha, 0.0, dst=roi)


def text_size(text: str, weight: tuple[int, int], scale: float) -> tuple[int, int, int]:
    """Width, ascent and descent in pixels of ``text`` drawn by :func:`draw_text`."""
    (width, ascent), descent = cv2.getTextSize(text, weight[0], scale, weight[1])
    return width, ascent, descent


def draw_text(
    img: np.ndarray, text: str, origin: tuple[int, int], weight: tuple[int, int], scale: float, colour: RGB
) -> None:
    """Draw ``text`` with its baseline starting at ``origin`` (anti-aliased)."""
    cv2.putText(img, text, (int(origin[0]), int(origin[1])), weight[0], scale, colour, weight[1], cv2.LINE_AA)


def draw_label(
    img: np.ndarray,
    text: str,
    anchor: tuple[float, float],
    style: OverlayStyle,
    align: Literal["left", "right", "center"] = "left",
    fill: RGB = PANEL_COLOUR,
    colour: RGB = TEXT_COLOUR,
    alpha: float = 0.72,
) -> None:
    """Text in a rounded dark pill, vertically centred on ``anchor`` and kept inside the frame."""
    h, w = img.shape[:2]
    scale = style.font_scale * 0.9
    tw, ascent, descent = text_size(text, SEMIBOLD, scale)
    pad_x, pad_y = round(0.45 * ascent), round(0.35 * ascent)
    bw, bh = tw + 2 * pad_x, ascent + descent + 2 * pad_y
    x0 = {"left": anchor[0], "right": anchor[0] - bw, "center": anchor[0] - bw / 2}[align]
    y0 = anchor[1] - bh / 2
    x0 = int(min(max(x0, 0), max(w - bw, 0)))
    y0 = int(min(max(y0, 0), max(h - bh, 0)))
    blend_box(img, (x0, y0, x0 + bw, y0 + bh), fill, alpha, radius=bh // 2)
    draw_text(img, text, (x0 + pad_x, y0 + pad_y + ascent), SEMIBOLD, scale, colour)


def format_angle(value: float, signed: bool) -> str | None:
    if not np.isfinite(value):
        return None
    return f"{value if signed else abs(value):.1f}°"


def draw_banner(rgb: np.ndarray, text: str) -> np.ndarray:
    """Return a copy of ``rgb`` with ``text`` in a large pill at the top centre (e.g. a replay's title).

    Parameters
    ----------
    rgb : ndarray, shape (H, W, 3), uint8
    text : str

    Returns
    -------
    ndarray, shape (H, W, 3), uint8
    """
    img = np.array(rgb, dtype=np.uint8, order="C", copy=True)
    h, w = img.shape[:2]
    style = overlay_style(w, h)
    big = replace(style, font_scale=style.font_scale * 1.15)
    while big.font_scale > 0.3 and text_size(text, SEMIBOLD, big.font_scale * 0.9)[0] > 0.9 * w:
        big = replace(big, font_scale=big.font_scale * 0.9)
    draw_label(
        img,
        text,
        (w / 2, style.margin + 30 * style.unit),
        big,
        align="center",
        fill=MEASURE_COLOUR,
        colour=PANEL_COLOUR,
        alpha=0.92,
    )
    return img
