"""Draw one frame's annotations: skeleton, measurement lines, angles and a values panel.

The renderer calls :func:`draw_overlay` once per upright RGB frame. Everything is
drawn with OpenCV (anti-aliased, sub-pixel positions) so that one 1080x1920 frame
costs a few milliseconds; sizes scale with the frame's short side so the overlay
reads the same on a 480x854 clip and on a 1080x1920 one watched on a phone.

Colours are RGB triples because the frames are RGB.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import cv2
import numpy as np

from formcam.pose import landmarks as lm
from formcam.gait.view import CLEAR_VIEWS, FRONTAL, View

__all__ = [
    "FrameAnnotation",
    "draw_banner",
    "OverlayPainter",
    "OverlayStyle",
    "PanelRow",
    "draw_overlay",
    "overlay_style",
    "pick_panel_corner",
]

Corner = Literal["top-left", "top-right", "bottom-left", "bottom-right"]
RGB = tuple[int, int, int]

LEFT_COLOUR: RGB = (56, 189, 248)        # sky blue: the runner's left side
RIGHT_COLOUR: RGB = (244, 114, 182)      # pink: the runner's right side
MEASURE_COLOUR: RGB = (250, 204, 21)     # yellow: the lines the angles are measured on
REFERENCE_COLOUR: RGB = (255, 255, 255)  # dashed horizontal / vertical references
OUTLINE_COLOUR: RGB = (15, 15, 20)       # dark edge under every line, for contrast on any background
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
_REGULAR = (cv2.FONT_HERSHEY_SIMPLEX, 1)
_SEMIBOLD = (cv2.FONT_HERSHEY_DUPLEX, 1)
_BOLD = (cv2.FONT_HERSHEY_DUPLEX, 2)
_SHIFT = 4                    # OpenCV fixed-point bits: 1/16 px positions keep lines steady between frames
_ONE = 1 << _SHIFT
_PANEL_ALPHA = 0.68
_MAX_PANEL_WIDTH = 0.62       # of the frame width; the panel font shrinks to stay within it
_MAX_PANEL_HEIGHT = 0.45      # of the frame height, so a small landscape clip still shows the runner
_LINE_EXTENSION = 0.3         # shoulder/hip lines reach this fraction of their length beyond each joint

# Bones whose both ends are on one side; the rest (shoulder and hip lines) are drawn neutral.
_LEFT_IDS = frozenset({1, 2, 3, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31})
_RIGHT_IDS = frozenset({4, 5, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32})
_LEG_IDS = {
    "left": frozenset({lm.LEFT_HIP, lm.LEFT_KNEE, lm.LEFT_ANKLE, lm.LEFT_HEEL, lm.LEFT_FOOT_INDEX}),
    "right": frozenset({lm.RIGHT_HIP, lm.RIGHT_KNEE, lm.RIGHT_ANKLE, lm.RIGHT_HEEL, lm.RIGHT_FOOT_INDEX}),
}
_FOOT_IDS = {
    "left": (lm.LEFT_ANKLE, lm.LEFT_HEEL, lm.LEFT_FOOT_INDEX),
    "right": (lm.RIGHT_ANKLE, lm.RIGHT_HEEL, lm.RIGHT_FOOT_INDEX),
}
_JOINT_IDS = np.array(sorted({i for bone in lm.SKELETON for i in bone}))
_JOINT_COLOURS = [LEFT_COLOUR if i in _LEFT_IDS else RIGHT_COLOUR for i in _JOINT_IDS]
_BONES = np.array(lm.SKELETON)  # (n_bones, 2) landmark ids
# Each bone's colour, an index into _BONE_COLOURS: both ends on the runner's left, both on the right, or across.
_BONE_COLOURS = (LEFT_COLOUR, RIGHT_COLOUR, TEXT_COLOUR)
_BONE_COLOUR = np.array([0 if a in _LEFT_IDS and b in _LEFT_IDS else 1 if a in _RIGHT_IDS and b in _RIGHT_IDS else 2
                         for a, b in lm.SKELETON])
_STANCE_BONES = {side: np.array([a in ids and b in ids for a, b in lm.SKELETON]) for side, ids in _LEG_IDS.items()}
_NO_STANCE_BONES = np.zeros(len(_BONES), bool)


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


@dataclass(frozen=True)
class FrameAnnotation:
    """What to draw on one frame.

    Attributes
    ----------
    xy : ndarray, shape (33, 2)
        Landmark positions in pixels of this upright frame (x right, y down); NaN = missing.
    view : {'side', 'rear', 'front', 'oblique', 'unknown'}
        Rear/front views get the shoulder and hip lines, side views the ear-shoulder
        line; oblique and unknown views get the skeleton only.
    shoulder_tilt_deg, hip_tilt_deg : float
        Tilt of the shoulder and hip lines from horizontal in degrees, NaN if unknown.
        Shown as a magnitude: the drawn line shows which side is low.
    head_forward_deg : float
        Angle of the mid-shoulder to mid-ear line from vertical in degrees, positive forward;
        NaN if unknown. Shown with its sign.
    in_stance : {'left', 'right'} or None
        The foot on the ground; that leg is drawn thicker.
    event : str or None
        A short event label such as ``"L contact"``, shown as a badge under the foot
        of the side it starts with (``"L "``/``"R "``), else under the runner; a
        ``contact`` event also rings that foot.
    trunk_lean_deg : float
        Side view: angle of the mid-hip to mid-shoulder line from vertical in degrees,
        positive forward; NaN if unknown. Drawn as the trunk line with its angle.
    facing : {1, -1, 0}
        Running direction in the image (+1 right, -1 left, 0 unknown): side-view
        labels go behind the runner.
    highlight : str or None
        A metric name (``overstride_pct``, ``knee_flexion_contact_deg``,
        ``shank_angle_contact_deg``, ``arm_crossover_pct``) whose own geometry is
        drawn too, for evidence frames; None for none.
    """

    xy: np.ndarray
    view: str
    shoulder_tilt_deg: float
    hip_tilt_deg: float
    head_forward_deg: float
    in_stance: str | None = None
    event: str | None = None
    trunk_lean_deg: float = float("nan")
    facing: int = 0
    highlight: str | None = None


@dataclass(frozen=True)
class OverlayStyle:
    """Sizes in pixels (and the Hershey font scale) for one frame size.

    Every size is proportional to the frame's short side, so the overlay takes the
    same share of the picture at 480x854 as at 1080x1920.
    """

    unit: float            # short side / 1080
    bone: int              # skeleton line width
    outline: int           # extra width of the dark edge under lines
    joint_radius: int
    measure: int           # shoulder/hip/head line width
    reference: int         # dashed reference width
    dash: int              # dash length
    font_scale: float      # OpenCV text scale of the panel text
    margin: int            # gap between the panel and the frame edge


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


# --------------------------------------------------------------------------- geometry helpers


def _present(xy: np.ndarray) -> np.ndarray:
    """(33,) bool: landmarks with finite x and y."""
    return np.isfinite(xy).all(axis=1)


def _fixed(points: np.ndarray, width: int, height: int) -> np.ndarray:
    """Float pixel points (..., 2) -> int32 fixed-point for OpenCV's ``shift``.

    Points far outside the frame are clamped so the fixed-point values cannot overflow.
    """
    lo = -4.0 * max(width, height)
    hi = 5.0 * max(width, height)
    # np.clip and np.round, without their Python wrappers (called about 15 times a frame).
    return np.rint(np.minimum(np.maximum(points, lo), hi) * _ONE).astype(np.int32)


def _runner_box(xy: np.ndarray) -> tuple[float, float, float, float] | None:
    """Bounding box ``(x0, y0, x1, y1)`` in pixels of the present landmarks, or None."""
    points = xy[_present(xy)]
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

    corners: tuple[Corner, ...] = ("top-left", "top-right", "bottom-left", "bottom-right")
    return min(corners, key=score)


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


# --------------------------------------------------------------------------- primitive drawing


def _lines(img: np.ndarray, segments: np.ndarray, colour: RGB, width: int, outline: int = 0) -> None:
    """Draw (n, 2, 2) float segments, anti-aliased, over a dark edge ``outline`` px wider."""
    if len(segments) == 0:
        return
    h, w = img.shape[:2]
    polylines = list(_fixed(segments, w, h))
    if outline:
        cv2.polylines(img, polylines, False, OUTLINE_COLOUR, width + 2 * outline, cv2.LINE_AA, _SHIFT)
    cv2.polylines(img, polylines, False, colour, width, cv2.LINE_AA, _SHIFT)


def _dashed(p0: np.ndarray, p1: np.ndarray, dash: float) -> np.ndarray:
    """Segments (n, 2, 2) of a dashed line from p0 to p1: dashes and gaps ``dash`` px long."""
    length = float(np.hypot(*(p1 - p0)))
    if length < 1e-6:
        return np.empty((0, 2, 2))
    starts = np.arange(0.0, length, 2 * dash)
    ends = np.minimum(starts + dash, length)
    direction = (p1 - p0) / length
    return np.stack([p0 + starts[:, None] * direction, p0 + ends[:, None] * direction], axis=1)


def _dots(img: np.ndarray, points: np.ndarray, colours: Sequence[RGB], radius: int) -> None:
    h, w = img.shape[:2]
    for centre, colour in zip(_fixed(points, w, h).tolist(), colours):
        cv2.circle(img, centre, (radius + 1) * _ONE, OUTLINE_COLOUR, -1, cv2.LINE_AA, _SHIFT)
        cv2.circle(img, centre, radius * _ONE, colour, -1, cv2.LINE_AA, _SHIFT)


def _blend_box(img: np.ndarray, rect: tuple[int, int, int, int], colour: RGB, alpha: float,
               radius: int = 0) -> None:
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
        for cx, cy in ((ox + r, oy + r), (ox + bw - 1 - r, oy + r),
                       (ox + r, oy + bh - 1 - r), (ox + bw - 1 - r, oy + bh - 1 - r)):
            cv2.circle(layer, (cx, cy), r, colour, -1, cv2.LINE_AA)
    else:
        layer[:] = colour
    cv2.addWeighted(layer, alpha, roi, 1.0 - alpha, 0.0, dst=roi)


def _text_size(text: str, weight: tuple[int, int], scale: float) -> tuple[int, int, int]:
    """Width, ascent and descent in pixels of ``text`` drawn by :func:`_text`."""
    (width, ascent), descent = cv2.getTextSize(text, weight[0], scale, weight[1])
    return width, ascent, descent


def _text(img: np.ndarray, text: str, origin: tuple[int, int], weight: tuple[int, int],
          scale: float, colour: RGB) -> None:
    """Draw ``text`` with its baseline starting at ``origin`` (anti-aliased)."""
    cv2.putText(img, text, (int(origin[0]), int(origin[1])), weight[0], scale, colour, weight[1], cv2.LINE_AA)


def _label(img: np.ndarray, text: str, anchor: tuple[float, float], style: OverlayStyle,
           align: Literal["left", "right", "center"] = "left", fill: RGB = PANEL_COLOUR,
           colour: RGB = TEXT_COLOUR, alpha: float = 0.72) -> None:
    """Text in a rounded dark pill, vertically centred on ``anchor`` and kept inside the frame."""
    h, w = img.shape[:2]
    scale = style.font_scale * 0.9
    tw, ascent, descent = _text_size(text, _SEMIBOLD, scale)
    pad_x, pad_y = round(0.45 * ascent), round(0.35 * ascent)
    bw, bh = tw + 2 * pad_x, ascent + descent + 2 * pad_y
    x0 = {"left": anchor[0], "right": anchor[0] - bw, "center": anchor[0] - bw / 2}[align]
    y0 = anchor[1] - bh / 2
    x0 = int(min(max(x0, 0), max(w - bw, 0)))
    y0 = int(min(max(y0, 0), max(h - bh, 0)))
    _blend_box(img, (x0, y0, x0 + bw, y0 + bh), fill, alpha, radius=bh // 2)
    _text(img, text, (x0 + pad_x, y0 + pad_y + ascent), _SEMIBOLD, scale, colour)


def _format_angle(value: float, signed: bool) -> str | None:
    if not np.isfinite(value):
        return None
    return f"{value if signed else abs(value):.1f}°"


# --------------------------------------------------------------------------- annotation layers


def _draw_skeleton(img: np.ndarray, xy: np.ndarray, present: np.ndarray, style: OverlayStyle,
                   in_stance: str | None, skip_centre: bool) -> None:
    """Bones coloured by side (neutral bones across the body), stance leg thicker, then joints."""
    drawn = present[_BONES].all(axis=1)
    if skip_centre:
        drawn &= _BONE_COLOUR != 2  # the measured shoulder/hip lines replace these bones
    stance = _STANCE_BONES.get(in_stance or "", _NO_STANCE_BONES)
    # One call per colour and width, in the order of each group's first bone in lm.SKELETON.
    groups = (2 * _BONE_COLOUR + stance)[drawn]
    h, w = img.shape[:2]
    segments = _fixed(xy[_BONES[drawn]], w, h)
    _, first = np.unique(groups, return_index=True)
    calls = [(_BONE_COLOURS[g // 2], round(style.bone * 1.8) if g % 2 else style.bone, list(segments[groups == g]))
             for g in groups[np.sort(first)].tolist()]
    # Outlines of every group first so no dark edge is drawn over a neighbouring bone.
    for _, width, polylines in calls:
        cv2.polylines(img, polylines, False, OUTLINE_COLOUR, width + 2 * style.outline, cv2.LINE_AA, _SHIFT)
    for colour, width, polylines in calls:
        cv2.polylines(img, polylines, False, colour, width, cv2.LINE_AA, _SHIFT)

    joints = present[_JOINT_IDS]
    _dots(img, xy[_JOINT_IDS[joints]], [c for c, on in zip(_JOINT_COLOURS, joints) if on], style.joint_radius)


def _draw_tilt_line(img: np.ndarray, a: np.ndarray, b: np.ndarray, name: str, angle_deg: float,
                    style: OverlayStyle) -> None:
    """A left-right joint line extended past both joints, a dashed horizontal level with its
    higher joint (so the lower side visibly drops below it), and ``name angle`` beside it."""
    if a[0] > b[0]:
        a, b = b, a  # a = image-left end
    extension = _LINE_EXTENSION * (b - a)
    p0, p1 = a - extension, b + extension
    level_y = min(a[1], b[1])  # image y grows downwards: the higher joint
    overhang = 0.15 * abs(p1[0] - p0[0]) + 10 * style.unit
    reference = _dashed(np.array([p0[0] - overhang, level_y]), np.array([p1[0] + overhang, level_y]),
                        style.dash)
    _lines(img, reference, REFERENCE_COLOUR, style.reference, style.outline)
    _lines(img, np.array([[p0, p1]]), MEASURE_COLOUR, style.measure, style.outline)

    text = _format_angle(angle_deg, signed=False)
    text = f"{name} {text}" if text else f"{name} n/a"
    gap = 8 * style.unit + style.measure
    right_end = p1[0] + overhang + gap
    width = _text_size(text, _SEMIBOLD, style.font_scale * 0.9)[0] * 1.2
    centre_y = (p1[1] + level_y) / 2
    if right_end + width <= img.shape[1]:
        _label(img, text, (right_end, centre_y), style, align="left")
    else:  # no room on the right: put it beyond the left end
        _label(img, text, (p0[0] - overhang - gap, (p0[1] + level_y) / 2), style, align="right")


def _draw_head_line(img: np.ndarray, xy: np.ndarray, present: np.ndarray, angle_deg: float,
                    style: OverlayStyle, facing: int = 0) -> None:
    """Mid-shoulder to mid-ear line, a dashed vertical through the shoulders, the arc
    between them, and ``Head angle`` behind the head.

    Midpoints, as ``head_forward_deg`` is defined, so the picture shows the number's
    own line, and a pose model's left/right mix-up in side view does not move it.
    """
    pairs = ((lm.LEFT_EAR, lm.RIGHT_EAR), (lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER))
    if not all(present[a] and present[b] for a, b in pairs):
        return
    ear, shoulder = ((xy[a] + xy[b]) / 2 for a, b in pairs)
    _draw_from_vertical(img, shoulder, ear, "Head", angle_deg, style, facing, reach=1.25, reference=1.3,
                        label_height=1.1)


def _draw_trunk_line(img: np.ndarray, xy: np.ndarray, present: np.ndarray, angle_deg: float,
                     style: OverlayStyle, facing: int = 0) -> None:
    """Mid-hip to mid-shoulder line (the trunk whose forward lean is measured), its
    vertical reference and arc, and ``Lean angle`` behind the back."""
    pairs = ((lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER), (lm.LEFT_HIP, lm.RIGHT_HIP))
    if not all(present[a] and present[b] for a, b in pairs):
        return
    shoulder, hip = ((xy[a] + xy[b]) / 2 for a, b in pairs)
    _draw_from_vertical(img, hip, shoulder, "Lean", angle_deg, style, facing, reach=1.0, reference=1.1,
                        label_height=0.45, arc=0.3)


def _draw_from_vertical(img: np.ndarray, base: np.ndarray, tip: np.ndarray, name: str, angle_deg: float,
                        style: OverlayStyle, facing: int, *, reach: float, reference: float,
                        label_height: float, arc: float = 0.55) -> None:
    """A measured line from ``base`` towards ``tip`` (``reach`` times its length), a dashed
    vertical ``reference`` times its length up from ``base``, the arc between them, and
    ``name angle`` behind the runner (``facing`` +1 = image-right; 0 = away from the lean)."""
    length = float(np.hypot(*(tip - base)))
    if length < 1e-3:
        return
    top = base - [0.0, reference * length]
    _lines(img, _dashed(base, top, style.dash), REFERENCE_COLOUR, style.reference, style.outline)
    end = base + reach * (tip - base)
    _lines(img, np.array([[base, end]]), MEASURE_COLOUR, style.measure, style.outline)

    # Arc from straight up (-90 deg in OpenCV's y-down angles) to the line.
    line_angle = math.degrees(math.atan2(tip[1] - base[1], tip[0] - base[0]))
    radius = arc * length
    h, w = img.shape[:2]
    centre = tuple(int(v) for v in _fixed(base, w, h))
    axes = (int(radius * _ONE), int(radius * _ONE))
    start, stop = sorted((-90.0, line_angle))
    cv2.ellipse(img, centre, axes, 0, start, stop, MEASURE_COLOUR, style.reference + 1, cv2.LINE_AA, _SHIFT)

    text = _format_angle(angle_deg, signed=True)
    text = f"{name} {text}" if text else f"{name} n/a"
    # Behind the runner, so the face and the front of the body stay clear; the running
    # direction keeps the label still when the line sways across the vertical.
    forward = facing if facing else (1 if tip[0] >= base[0] else -1)
    behind = -float(forward)
    gap = 14 * style.unit + style.measure
    anchor = (base[0] + behind * gap, base[1] - label_height * length)
    _label(img, text, anchor, style, align="right" if behind < 0 else "left")


def _draw_event(img: np.ndarray, xy: np.ndarray, present: np.ndarray, event: str,
                style: OverlayStyle) -> None:
    """A badge under the foot named by the event's leading ``L``/``R``, else under the runner."""
    words = event.split()
    side = {"L": "left", "R": "right"}.get(words[0].upper()) if words else None
    colour = {"left": LEFT_COLOUR, "right": RIGHT_COLOUR}.get(side or "", TEXT_COLOUR)
    foot = [i for i in _FOOT_IDS.get(side or "", ()) if present[i]]
    ids = foot or list(np.flatnonzero(present))
    h, w = img.shape[:2]
    if foot and "contact" in event.lower():
        # A ring on the ground where the foot lands, so the contact is seen, not only read.
        points = xy[foot]
        centre = _fixed(points.mean(axis=0), w, h)
        span = float(np.ptp(points, axis=0).max()) if len(points) > 1 else 0.0
        radius = int(max(0.6 * span, 22 * style.unit) * _ONE)
        ring = (int(centre[0]), int(centre[1]))
        cv2.circle(img, ring, radius, OUTLINE_COLOUR, style.measure + 2 * style.outline, cv2.LINE_AA, _SHIFT)
        cv2.circle(img, ring, radius, colour, style.measure, cv2.LINE_AA, _SHIFT)
    if ids:
        points = xy[ids]
        anchor = (float(points[:, 0].mean()), float(points[:, 1].max()) + 40 * style.unit)
    else:
        anchor = (w / 2, h * 0.9)
    _label(img, event, anchor, style, align="center", fill=colour, colour=PANEL_COLOUR, alpha=0.9)


def _draw_highlight(img: np.ndarray, xy: np.ndarray, present: np.ndarray, ann: FrameAnnotation,
                    style: OverlayStyle) -> None:
    """The geometry of one at-contact or arm metric, for evidence frames (see ``FrameAnnotation.highlight``)."""
    side = ann.in_stance or "left"
    hip, knee, ankle, heel = ((lm.LEFT_HIP, lm.LEFT_KNEE, lm.LEFT_ANKLE, lm.LEFT_HEEL) if side == "left"
                              else (lm.RIGHT_HIP, lm.RIGHT_KNEE, lm.RIGHT_ANKLE, lm.RIGHT_HEEL))
    facing = ann.facing or 1
    if ann.highlight == "overstride_pct" and present[[lm.LEFT_HIP, lm.RIGHT_HIP, heel]].all():
        mid_hip = (xy[lm.LEFT_HIP] + xy[lm.RIGHT_HIP]) / 2
        plumb = np.array([mid_hip[0], xy[heel][1]])
        _lines(img, _dashed(mid_hip, plumb, style.dash), REFERENCE_COLOUR, style.reference, style.outline)
        _lines(img, np.array([[plumb, xy[heel]]]), MEASURE_COLOUR, style.measure, style.outline)
        _label(img, "Heel ahead of hip", (float(plumb[0] + xy[heel][0]) / 2, float(plumb[1]) + 45 * style.unit),
               style, align="center")
    elif ann.highlight == "knee_flexion_contact_deg" and present[[hip, knee, ankle]].all():
        _lines(img, np.array([[xy[hip], xy[knee]], [xy[knee], xy[ankle]]]), MEASURE_COLOUR, style.measure,
               style.outline)
        thigh, shank = xy[knee] - xy[hip], xy[ankle] - xy[knee]
        cosine = float(np.dot(thigh, shank) / max(np.hypot(*thigh) * np.hypot(*shank), 1e-9))
        bend = math.degrees(math.acos(min(1.0, max(-1.0, cosine))))
        gap = 20 * style.unit + style.measure
        _label(img, f"Knee bend {bend:.0f}°", (float(xy[knee][0]) + facing * gap, float(xy[knee][1])), style,
               align="left" if facing > 0 else "right")
    elif ann.highlight == "shank_angle_contact_deg" and present[[knee, ankle]].all():
        shin = xy[ankle] - xy[knee]
        below = xy[knee] + [0.0, 1.1 * float(np.hypot(*shin))]
        _lines(img, _dashed(xy[knee], below, style.dash), REFERENCE_COLOUR, style.reference, style.outline)
        _lines(img, np.array([[xy[knee], xy[ankle]]]), MEASURE_COLOUR, style.measure, style.outline)
        angle = math.degrees(math.atan2(shin[0] * facing, shin[1]))
        gap = 20 * style.unit + style.measure
        _label(img, f"Shin {angle:.0f}°", (float(xy[knee][0]) - facing * gap, float(xy[knee][1] + 0.5 * shin[1])),
               style, align="right" if facing > 0 else "left")
    elif ann.highlight == "arm_crossover_pct" and present[[lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER]].all():
        mid = (xy[lm.LEFT_SHOULDER] + xy[lm.RIGHT_SHOULDER]) / 2
        bottom = mid + [0.0, 1.6 * abs(float(xy[lm.RIGHT_SHOULDER][0] - xy[lm.LEFT_SHOULDER][0])) + 1.0]
        _lines(img, _dashed(mid, bottom, style.dash), MEASURE_COLOUR, style.measure, style.outline)
        _label(img, "Midline", (float(bottom[0]), float(bottom[1]) + 30 * style.unit), style, align="center")


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
    while big.font_scale > 0.3 and _text_size(text, _SEMIBOLD, big.font_scale * 0.9)[0] > 0.9 * w:
        big = replace(big, font_scale=big.font_scale * 0.9)
    _label(img, text, (w / 2, style.margin + 30 * style.unit), big, align="center", fill=MEASURE_COLOUR,
           colour=PANEL_COLOUR, alpha=0.92)
    return img


# --------------------------------------------------------------------------- panel


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
    title_width: int                 # of the title alone
    legend_widths: tuple[int, int]   # of the words "left" and "right"


def _panel_layout(rows: Sequence[PanelRow], title: str, subtitle: str, style: OverlayStyle,
                  frame_width: int, frame_height: int | None = None) -> _PanelLayout:
    """Measure the panel, shrinking its font so it stays within _MAX_PANEL_WIDTH of the
    frame's width and _MAX_PANEL_HEIGHT of its height."""
    scale = style.font_scale
    while True:
        ascent = _text_size("H", _REGULAR, scale)[1]
        pad = round(0.8 * ascent)
        title_height = round(2.0 * ascent)
        row_height = round(1.8 * ascent)
        legend_height = round(1.7 * ascent)
        label_width = max((_text_size(r.label, _REGULAR, scale)[0] for r in rows), default=0)
        value_width = max((_text_size(r.value, _SEMIBOLD, scale)[0] for r in rows), default=0)
        value_x = pad + round(1.3 * ascent) + label_width + round(1.0 * ascent)
        title_width = _text_size(title, _BOLD, scale * 1.15)[0]
        heading_width = title_width + round(0.8 * ascent) + _text_size(subtitle, _REGULAR, scale * 0.8)[0]
        legend_words = (_text_size("left", _REGULAR, scale * 0.8)[0], _text_size("right", _REGULAR, scale * 0.8)[0])
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
    return _PanelLayout(scale, ascent, pad, title_height, row_height, legend_height, value_x,
                        (int(width), int(height)), title_width, legend_words)


def _draw_panel(img: np.ndarray, rect: tuple[int, int, int, int], layout: _PanelLayout,
                rows: Sequence[PanelRow], title: str, subtitle: str) -> None:
    """Dark translucent box: title and view, one row per value with its flag dot, side legend."""
    x0, y0 = rect[0], rect[1]
    scale, ascent, pad = layout.scale, layout.ascent, layout.pad
    _blend_box(img, rect, PANEL_COLOUR, _PANEL_ALPHA, radius=round(0.7 * ascent))

    def baseline(top: int, height: int) -> int:  # capitals centred in a band
        return top + (height + ascent) // 2

    y = y0 + pad
    b = baseline(y, layout.title_height) - round(0.15 * ascent)
    _text(img, title, (x0 + pad, b), _BOLD, scale * 1.15, TEXT_COLOUR)
    _text(img, subtitle, (x0 + pad + layout.title_width + round(0.8 * ascent), b), _REGULAR, scale * 0.8,
          DIM_TEXT_COLOUR)
    y += layout.title_height

    dot_r = max(3, round(0.32 * ascent))
    for row in rows:
        b = baseline(y, layout.row_height)
        cv2.circle(img, (x0 + pad + dot_r, b - ascent // 2), dot_r,
                   FLAG_COLOURS.get(row.flag, FLAG_COLOURS[None]), -1, cv2.LINE_AA)
        _text(img, row.label, (x0 + pad + round(1.3 * ascent), b), _REGULAR, scale, DIM_TEXT_COLOUR)
        # Values that need attention take their flag's colour; the rest stay white.
        value_colour = FLAG_COLOURS[row.flag] if row.flag in ("watch", "high") else TEXT_COLOUR
        _text(img, row.value, (x0 + layout.value_x, b), _SEMIBOLD, scale, value_colour)
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
        _text(img, name, (x, b), _REGULAR, small, DIM_TEXT_COLOUR)
        x += word_width + round(1.0 * ascent)


# --------------------------------------------------------------------------- public entry point


def draw_overlay(rgb: np.ndarray, ann: FrameAnnotation, panel: Sequence[PanelRow], *,
                 title: str = "formcam", show_panel: bool = True, text_scale: float = 1.0) -> np.ndarray:
    """Return a copy of one upright frame with the runner's annotations drawn on it.

    Parameters
    ----------
    rgb : ndarray, shape (H, W, 3), uint8
        The upright RGB frame; not modified.
    ann : FrameAnnotation
        Landmarks (pixels of this frame), view, angles, stance side and event.
    panel : sequence of PanelRow
        Rows of the values panel, drawn top to bottom.
    title : str
        Panel heading.
    show_panel : bool
        False draws the runner's annotations only (evidence frames in the HTML report).
    text_scale : float
        Enlarges the labels, for a frame that will be shown cropped and small.

    Returns
    -------
    ndarray, shape (H, W, 3), uint8
        A new array: skeleton (runner's left side blue, right side pink, stance leg
        thicker), the view's measurement lines with their angles, the event badge
        (and a ring on the foot at a contact), and the panel in the corner that
        hides least of the runner, its values coloured by flag.

    Raises
    ------
    ValueError
        If ``rgb`` is not an (H, W, 3) uint8 image or ``ann.xy`` is not (33, 2).

    Notes
    -----
    Missing landmarks (NaN) are skipped one by one; a frame with none gets the panel only.
    Rear and front views get the shoulder and hip lines with a level reference, the
    side view the shoulder-to-ear and hip-to-shoulder (trunk) lines with a vertical
    reference; oblique and unknown views the skeleton only, because those angles
    are not valid there. To draw many frames of one size, :class:`OverlayPainter`
    draws in place and lays the panel out once.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB frame, got {rgb.shape} {rgb.dtype}")
    img = np.array(rgb, dtype=np.uint8, order="C", copy=True)
    painter = OverlayPainter(img.shape[1], img.shape[0], panel, title=title, show_panel=show_panel,
                             text_scale=text_scale)
    painter.draw_on(img, ann)
    return img


class OverlayPainter:
    """Draws annotations in place on frames of one size, with one panel.

    The video pass draws every frame with the same size and panel rows: a
    painter works out the line widths, font sizes and the panel's layout (some
    30 text measurements) once, and draws on the frame it is given rather than
    on a copy. :func:`draw_overlay` is the one-frame form, and says what is drawn.

    Parameters
    ----------
    width, height : int
        Size of the frames drawn on, pixels.
    panel : sequence of PanelRow
        Rows of the values panel, drawn top to bottom.
    title : str
        Panel heading.
    show_panel : bool
        False draws the runner's annotations only.
    text_scale : float
        Enlarges the labels.

    Notes
    -----
    Threads may share a painter: all it changes is a memo of panel layouts by
    subtitle (the view), each entry a pure function of its key.
    """

    def __init__(self, width: int, height: int, panel: Sequence[PanelRow] = (), *, title: str = "formcam",
                 show_panel: bool = True, text_scale: float = 1.0):
        self.width, self.height = int(width), int(height)
        self.panel = tuple(panel)
        self.title = title
        self.show_panel = show_panel
        style = overlay_style(self.width, self.height)
        if text_scale != 1.0:
            style = replace(style, font_scale=style.font_scale * text_scale)
        self.style = style
        self._layouts: dict[str, _PanelLayout] = {}

    def draw_on(self, img: np.ndarray, ann: FrameAnnotation) -> None:
        """Draw ``ann`` on ``img``, in place.

        Parameters
        ----------
        img : ndarray, shape (height, width, 3), uint8
            The upright RGB frame, C-contiguous and writeable; drawn on.
        ann : FrameAnnotation
            What to draw (see :func:`draw_overlay`).

        Raises
        ------
        ValueError
            If ``img`` is not such a frame of the painter's size, or ``ann.xy`` is not (33, 2).
        """
        if img.shape != (self.height, self.width, 3) or img.dtype != np.uint8:
            raise ValueError(f"expected a ({self.height}, {self.width}, 3) uint8 RGB frame, "
                             f"got {img.shape} {img.dtype}")
        if not (img.flags.c_contiguous and img.flags.writeable):
            raise ValueError("the frame must be C-contiguous and writeable to be drawn on in place")
        xy = np.asarray(ann.xy, dtype=np.float64)
        if xy.shape != (lm.N_LANDMARKS, 2):
            raise ValueError(f"expected landmarks of shape ({lm.N_LANDMARKS}, 2), got {xy.shape}")

        style = self.style
        present = _present(xy)
        lateral = ann.view in FRONTAL
        if present.any():
            _draw_skeleton(img, xy, present, style, ann.in_stance, skip_centre=lateral)
            if lateral:
                tilt_lines = (("Shoulders", lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER, ann.shoulder_tilt_deg),
                              ("Hips", lm.LEFT_HIP, lm.RIGHT_HIP, ann.hip_tilt_deg))
                for name, a, b, angle in tilt_lines:
                    if present[a] and present[b]:
                        _draw_tilt_line(img, xy[a], xy[b], name, angle, style)
            elif ann.view == View.SIDE:
                _draw_trunk_line(img, xy, present, ann.trunk_lean_deg, style, ann.facing)
                _draw_head_line(img, xy, present, ann.head_forward_deg, style, ann.facing)
            if ann.highlight:
                _draw_highlight(img, xy, present, ann, style)
        if ann.event:
            _draw_event(img, xy, present, ann.event, style)
        if self.show_panel:
            self._place_panel(img, xy, ann.view)

    def _place_panel(self, img: np.ndarray, xy: np.ndarray, view: str) -> None:
        """The panel, laid out once per subtitle, in the corner that hides least of the runner."""
        subtitle = f"{view} view" if view in (*CLEAR_VIEWS, View.OBLIQUE) else "view unknown"
        layout = self._layouts.get(subtitle)
        if layout is None:
            layout = self._layouts[subtitle] = _panel_layout(self.panel, self.title, subtitle, self.style,
                                                             self.width, self.height)
        size, margin = (self.width, self.height), self.style.margin
        rect = _panel_rect(pick_panel_corner(xy, layout.size, size, margin), layout.size, size, margin)
        _draw_panel(img, rect, layout, self.panel, self.title, subtitle)
