"""The values panel: the running values and their flags in the frame corner that hides least of the runner.

A :class:`ValuesPanel` lays the panel out once per view (its subtitle) for
frames of one size, shrinking the font to stay within a share of the frame.
Given the runner's track over the whole clip it stays in one corner, the one
:func:`pick_clip_corner` finds hides least of the runner and of the contact
badge under the feet (a panel that hops between corners draws the eye from
the runner); without a track, each frame takes :func:`pick_panel_corner`'s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from formcam.gait.view import CLEAR_VIEWS, View
from formcam.report.drawing import (
    BOLD,
    DIM_TEXT_COLOUR,
    FLAG_COLOURS,
    LEFT_COLOUR,
    PANEL_COLOUR,
    REGULAR,
    RIGHT_COLOUR,
    SEMIBOLD,
    TEXT_COLOUR,
    OverlayStyle,
    blend_box,
    draw_text,
    text_size,
)  # fmt: skip

__all__ = ["PanelRow", "ValuesPanel", "pick_clip_corner", "pick_panel_corner"]

Corner = Literal["top-left", "top-right", "bottom-left", "bottom-right"]

_PANEL_ALPHA = 0.68
_MAX_PANEL_WIDTH = 0.62  # of the frame width; the panel font shrinks to stay within it
_MAX_PANEL_HEIGHT = 0.45  # of the frame height, so a small landscape clip still shows the runner
_CORNERS: tuple[Corner, ...] = ("top-left", "top-right", "bottom-left", "bottom-right")


@dataclass(frozen=True)
class PanelRow:
    """One line of the values panel.

    Attributes
    ----------
    label : str
        What is measured, e.g. ``"Pelvic drop"``.
    value : str
        The running value as shown, e.g. ``"6.1° L 5.2 / R 7.0"`` or ``"n/a (side view)"``.
    flag : {'ok', 'watch', 'high'} or None
        Colour of the row's dot: green, amber, red; grey for None.
    """

    label: str
    value: str
    flag: str | None


class ValuesPanel:
    """The values panel for frames of one size: laid out once per subtitle (the view), drawn in the best corner.

    Parameters
    ----------
    rows : sequence of PanelRow
        Drawn top to bottom.
    title : str
        Panel heading.
    style : OverlayStyle
        Sizes for the frames drawn on.
    width, height : int
        Size of those frames, px.
    track : ndarray, shape (T, 33, 2), optional
        The runner's landmarks in every frame of the clip, pixels of these
        frames (NaN where missing): the panel then keeps the one corner
        :func:`pick_clip_corner` picks for the whole clip.

    Notes
    -----
    Threads may share a panel: all it changes is a memo of layouts (and
    corners) by subtitle, each entry a pure function of its key.
    """

    def __init__(
        self,
        rows: Sequence[PanelRow],
        title: str,
        style: OverlayStyle,
        width: int,
        height: int,
        track: np.ndarray | None = None,
    ):
        self.rows = tuple(rows)
        self.title = title
        self.style = style
        self.width, self.height = int(width), int(height)
        self.track = None if track is None else np.asarray(track, dtype=np.float64)
        self._layouts: dict[str, tuple[_PanelLayout, Corner | None]] = {}

    def draw_on(self, img: np.ndarray, xy: np.ndarray, view: str) -> None:
        """Draw the panel on ``img`` in place, in the corner that hides least of the runner.

        Parameters
        ----------
        img : ndarray, uint8, shape (height, width, 3)
            Upright RGB frame of this panel's size.
        xy : ndarray, shape (33, 2)
            The runner's landmarks in pixels of ``img``; NaN where missing.
        view : str
            The view named in the subtitle.
        """
        subtitle = f"{view} view" if view in (*CLEAR_VIEWS, View.OBLIQUE) else "view unknown"
        size, margin = (self.width, self.height), self.style.margin
        known = self._layouts.get(subtitle)
        if known is None:
            layout = _panel_layout(self.rows, self.title, subtitle, self.style, self.width, self.height)
            fixed = None
            if self.track is not None:
                fixed = pick_clip_corner(self.track, layout.size, size, margin, badge_reach=_badge_reach(self.style))
            known = self._layouts[subtitle] = (layout, fixed)
        layout, corner = known
        if corner is None:
            corner = pick_panel_corner(xy, layout.size, size, margin)
        _draw_panel(img, _panel_rect(corner, layout.size, size, margin), layout, self.rows, self.title, subtitle)


def _badge_reach(style: OverlayStyle) -> float:
    """How far below the lowest landmark the contact badge reaches, px (see ``overlay._draw_event``)."""
    ascent = text_size("H", SEMIBOLD, style.font_scale * 0.9)[1]
    return 40 * style.unit + 1.5 * ascent


def pick_clip_corner(
    track: np.ndarray,
    panel_size: tuple[int, int],
    frame_size: tuple[int, int],
    margin: int = 0,
    *,
    badge_reach: float = 0.0,
) -> Corner:
    """The one corner for a whole clip where the panel hides least of the runner.

    Parameters
    ----------
    track : ndarray, shape (T, 33, 2)
        The runner's landmarks in each frame, pixels; NaN = missing.
    panel_size : (int, int)
        Panel ``(width, height)``, px.
    frame_size : (int, int)
        Frame ``(width, height)``, px.
    margin : int
        Gap between the panel and the frame edges, px.
    badge_reach : float
        How far below the feet the contact badge reaches, px: the runner's box
        is extended down (and sideways) by this much so the panel never sits on the badge.

    Returns
    -------
    {'top-left', 'top-right', 'bottom-left', 'bottom-right'}
        The corner whose panel overlaps the runner's padded box least, summed
        over the frames (pixel-frames); ties go to the corner farthest from the
        runner's mean position, and ``'top-left'`` when no frame has a landmark.
    """
    xy = np.asarray(track, dtype=np.float64)
    xy = xy.reshape(-1, xy.shape[-2], 2)
    seen = np.asarray(np.isfinite(xy).all(axis=2))  # (T, 33)
    frames = np.asarray(seen.any(axis=1))
    if not frames.any():
        return "top-left"
    xy, seen = xy[frames], seen[frames]
    lo = np.where(seen[..., None], xy, np.inf).min(axis=1)  # (T, 2)
    hi = np.where(seen[..., None], xy, -np.inf).max(axis=1)
    # As pick_panel_corner pads one frame's box: hair, hands and shoes reach beyond the landmarks.
    pad = 0.12 * np.maximum((hi - lo).max(axis=1), 1.0)
    x0, y0 = lo[:, 0] - np.maximum(pad, badge_reach), lo[:, 1] - pad
    x1, y1 = hi[:, 0] + np.maximum(pad, badge_reach), hi[:, 1] + np.maximum(pad, badge_reach)
    centre = np.array([(x0 + x1).mean() / 2, (y0 + y1).mean() / 2])

    def score(corner: Corner) -> tuple[float, float]:
        px0, py0, px1, py1 = _panel_rect(corner, panel_size, frame_size, margin)
        wide = np.clip(np.minimum(x1, px1) - np.maximum(x0, px0), 0, None)
        tall = np.clip(np.minimum(y1, py1) - np.maximum(y0, py0), 0, None)
        return float((wide * tall).sum()), -math.hypot((px0 + px1) / 2 - centre[0], (py0 + py1) / 2 - centre[1])

    return min(_CORNERS, key=score)


def _runner_box(xy: np.ndarray) -> tuple[float, float, float, float] | None:
    """Bounding box ``(x0, y0, x1, y1)`` in pixels of the present landmarks, or None."""
    points = xy[np.isfinite(xy).all(axis=1)]
    if len(points) == 0:
        return None
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def pick_panel_corner(
    xy: np.ndarray, panel_size: tuple[int, int], frame_size: tuple[int, int], margin: int = 0
) -> Corner:
    """Choose the frame corner where the panel hides the least of the runner.

    Parameters
    ----------
    xy : ndarray, shape (33, 2)
        Landmarks in pixels, NaN = missing.
    panel_size : (int, int)
        Panel ``(width, height)`` in pixels.
    frame_size : (int, int)
        Frame ``(width, height)`` in pixels.
    margin : int
        Gap between the panel and the frame edges.

    Returns
    -------
    {'top-left', 'top-right', 'bottom-left', 'bottom-right'}
        The corner whose panel overlaps the runner's (padded) bounding box least;
        ties go to the corner farthest from the box centre. ``'top-left'`` when
        no landmark is present.
    """
    box = _runner_box(xy)
    if box is None:
        return "top-left"
    x0, y0, x1, y1 = box
    # Pad the box: landmarks sit inside the body, hair, hands and shoes reach beyond them.
    pad = 0.12 * max(x1 - x0, y1 - y0, 1.0)
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2

    def score(corner: Corner) -> tuple[float, float]:
        px0, py0, px1, py1 = _panel_rect(corner, panel_size, frame_size, margin)
        overlap = max(0.0, min(x1, px1) - max(x0, px0)) * max(0.0, min(y1, py1) - max(y0, py0))
        distance = math.hypot((px0 + px1) / 2 - cx, (py0 + py1) / 2 - cy)
        return overlap, -distance

    return min(_CORNERS, key=score)


def _panel_rect(
    corner: Corner, panel_size: tuple[int, int], frame_size: tuple[int, int], margin: int
) -> tuple[int, int, int, int]:
    pw, ph = panel_size
    fw, fh = frame_size
    x0 = margin if corner.endswith("left") else fw - margin - pw
    y0 = margin if corner.startswith("top") else fh - margin - ph
    x0 = min(max(x0, 0), max(fw - pw, 0))
    y0 = min(max(y0, 0), max(fh - ph, 0))
    return x0, y0, min(x0 + pw, fw), min(y0 + ph, fh)


# --------------------------------------------------------------------------- layout and drawing


@dataclass(frozen=True)
class _PanelLayout:
    """Panel metrics in pixels for one font scale (``ascent`` = height of a capital)."""

    scale: float
    ascent: int
    pad: int
    title_height: int
    row_height: int
    legend_height: int
    value_x: int
    size: tuple[int, int]
    title_width: int  # of the title alone
    legend_widths: tuple[int, int]  # of the words "left" and "right"


def _panel_layout(
    rows: Sequence[PanelRow],
    title: str,
    subtitle: str,
    style: OverlayStyle,
    frame_width: int,
    frame_height: int | None = None,
) -> _PanelLayout:
    """Measure the panel, shrinking its font so it stays within _MAX_PANEL_WIDTH of the
    frame's width and _MAX_PANEL_HEIGHT of its height."""
    scale = style.font_scale
    while True:
        ascent = text_size("H", REGULAR, scale)[1]
        pad = round(0.8 * ascent)
        title_height = round(2.0 * ascent)
        row_height = round(1.8 * ascent)
        legend_height = round(1.7 * ascent)
        label_width = max((text_size(r.label, REGULAR, scale)[0] for r in rows), default=0)
        value_width = max((text_size(r.value, SEMIBOLD, scale)[0] for r in rows), default=0)
        value_x = pad + round(1.3 * ascent) + label_width + round(1.0 * ascent)
        title_width = text_size(title, BOLD, scale * 1.15)[0]
        heading_width = title_width + round(0.8 * ascent) + text_size(subtitle, REGULAR, scale * 0.8)[0]
        legend_words = (text_size("left", REGULAR, scale * 0.8)[0], text_size("right", REGULAR, scale * 0.8)[0])
        swatch = round(1.4 * ascent)
        legend_width = 2 * (swatch + round(0.4 * ascent)) + round(1.0 * ascent) + sum(legend_words)
        width = max(value_x + value_width, pad + heading_width, pad + legend_width) + pad
        height = 2 * pad + title_height + len(rows) * row_height + legend_height
        room = _MAX_PANEL_WIDTH * frame_width / width
        if frame_height:
            room = min(room, _MAX_PANEL_HEIGHT * frame_height / height)
        if room >= 1 or scale <= 0.3:
            break
        scale = max(0.3, 0.97 * scale * room)
    return _PanelLayout(
        scale,
        ascent,
        pad,
        title_height,
        row_height,
        legend_height,
        value_x,
        (int(width), int(height)),
        title_width,
        legend_words,
    )


def _draw_panel(
    img: np.ndarray,
    rect: tuple[int, int, int, int],
    layout: _PanelLayout,
    rows: Sequence[PanelRow],
    title: str,
    subtitle: str,
) -> None:
    """Dark translucent box: title and view, one row per value with its flag dot, side legend."""
    x0, y0 = rect[0], rect[1]
    scale, ascent, pad = layout.scale, layout.ascent, layout.pad
    blend_box(img, rect, PANEL_COLOUR, _PANEL_ALPHA, radius=round(0.7 * ascent))

    def baseline(top: int, height: int) -> int:  # capitals centred in a band
        return top + (height + ascent) // 2

    y = y0 + pad
    b = baseline(y, layout.title_height) - round(0.15 * ascent)
    draw_text(img, title, (x0 + pad, b), BOLD, scale * 1.15, TEXT_COLOUR)
    draw_text(
        img, subtitle, (x0 + pad + layout.title_width + round(0.8 * ascent), b), REGULAR, scale * 0.8, DIM_TEXT_COLOUR
    )
    y += layout.title_height

    dot_r = max(3, round(0.32 * ascent))
    for row in rows:
        b = baseline(y, layout.row_height)
        cv2.circle(
            img,
            (x0 + pad + dot_r, b - ascent // 2),
            dot_r,
            FLAG_COLOURS.get(row.flag, FLAG_COLOURS[None]),
            -1,
            cv2.LINE_AA,
        )
        draw_text(img, row.label, (x0 + pad + round(1.3 * ascent), b), REGULAR, scale, DIM_TEXT_COLOUR)
        # Values that need attention take their flag's colour; the rest stay white.
        value_colour = FLAG_COLOURS[row.flag] if row.flag in ("watch", "high") else TEXT_COLOUR
        draw_text(img, row.value, (x0 + layout.value_x, b), SEMIBOLD, scale, value_colour)
        y += layout.row_height

    # Legend: which colour is which side of the runner.
    small = scale * 0.8
    b = baseline(y, layout.legend_height)
    x = x0 + pad
    swatch = round(1.4 * ascent)
    line_y = b - round(0.3 * ascent)
    for name, colour, word_width in zip(("left", "right"), (LEFT_COLOUR, RIGHT_COLOUR), layout.legend_widths):
        cv2.line(img, (x, line_y), (x + swatch, line_y), colour, max(2, round(0.25 * ascent)), cv2.LINE_AA)
        x += swatch + round(0.4 * ascent)
        draw_text(img, name, (x, b), REGULAR, small, DIM_TEXT_COLOUR)
        x += word_width + round(1.0 * ascent)
