"""Draw one frame's annotations: skeleton, measurement lines, angles and a values panel.

The renderer calls :func:`draw_overlay` once per upright RGB frame (or an
:class:`OverlayPainter` for many). Everything is drawn with OpenCV
(anti-aliased, sub-pixel positions, :mod:`formcam.report.drawing`) so that one
1080x1920 frame costs a few milliseconds; sizes scale with the frame's short
side so the overlay reads the same on a 480x854 clip and on a 1080x1920 one
watched on a phone. The values panel is :mod:`formcam.report.panel`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from formcam.gait.view import FRONTAL, View
from formcam.pose import landmarks as lm
from formcam.report.drawing import (
    LEFT_COLOUR,
    MEASURE_COLOUR,
    ONE,
    OUTLINE_COLOUR,
    PANEL_COLOUR,
    REFERENCE_COLOUR,
    RIGHT_COLOUR,
    SEMIBOLD,
    SHIFT,
    TEXT_COLOUR,
    OverlayStyle,
    dashed_segments,
    draw_dots,
    draw_label,
    draw_lines,
    fixed_point,
    format_angle,
    overlay_style,
    text_size,
)  # fmt: skip
from formcam.report.panel import PanelRow, ValuesPanel

__all__ = ["FrameAnnotation", "OverlayPainter", "draw_overlay"]

_LINE_EXTENSION = 0.3  # shoulder/hip lines reach this fraction of their length beyond each joint

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
_BONE_COLOUR = np.array(
    [
        0 if a in _LEFT_IDS and b in _LEFT_IDS else 1 if a in _RIGHT_IDS and b in _RIGHT_IDS else 2
        for a, b in lm.SKELETON
    ]
)
_STANCE_BONES = {side: np.array([a in ids and b in ids for a, b in lm.SKELETON]) for side, ids in _LEG_IDS.items()}
_NO_STANCE_BONES = np.zeros(len(_BONES), bool)


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
    markers : ndarray, shape (2, 2), or None
        The two pelvis stickers' centres in pixels of this frame (NaN where
        unknown): rear and front views draw the line between them, its level
        reference and ``pelvis_tilt_deg`` in place of the hip-landmark line.
    pelvis_tilt_deg : float
        The sticker line's tilt from level (the camera's roll removed), degrees.
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
    markers: np.ndarray | None = None
    pelvis_tilt_deg: float = float("nan")


# --------------------------------------------------------------------------- geometry helpers


def _present(xy: np.ndarray) -> np.ndarray:
    """(33,) bool: landmarks with finite x and y."""
    return np.isfinite(xy).all(axis=1)


# --------------------------------------------------------------------------- annotation layers


def _draw_skeleton(
    img: np.ndarray, xy: np.ndarray, present: np.ndarray, style: OverlayStyle, in_stance: str | None, skip_centre: bool
) -> None:
    """Bones coloured by side (neutral bones across the body), stance leg thicker, then joints."""
    drawn = present[_BONES].all(axis=1)
    if skip_centre:
        drawn &= _BONE_COLOUR != 2  # the measured shoulder/hip lines replace these bones
    stance = _STANCE_BONES.get(in_stance or "", _NO_STANCE_BONES)
    # One call per colour and width, in the order of each group's first bone in lm.SKELETON.
    groups = (2 * _BONE_COLOUR + stance)[drawn]
    h, w = img.shape[:2]
    segments = fixed_point(xy[_BONES[drawn]], w, h)
    _, first = np.unique(groups, return_index=True)
    calls = [
        (_BONE_COLOURS[g // 2], round(style.bone * 1.8) if g % 2 else style.bone, list(segments[groups == g]))
        for g in groups[np.sort(first)].tolist()
    ]
    # Outlines of every group first so no dark edge is drawn over a neighbouring bone.
    for _, width, polylines in calls:
        cv2.polylines(img, polylines, False, OUTLINE_COLOUR, width + 2 * style.outline, cv2.LINE_AA, SHIFT)
    for colour, width, polylines in calls:
        cv2.polylines(img, polylines, False, colour, width, cv2.LINE_AA, SHIFT)

    joints = present[_JOINT_IDS]
    draw_dots(img, xy[_JOINT_IDS[joints]], [c for c, on in zip(_JOINT_COLOURS, joints) if on], style.joint_radius)


def _draw_tilt_line(
    img: np.ndarray, a: np.ndarray, b: np.ndarray, name: str, angle_deg: float, style: OverlayStyle
) -> None:
    """A left-right joint line extended past both joints, a dashed horizontal level with its
    higher joint (so the lower side visibly drops below it), and ``name angle`` beside it."""
    if a[0] > b[0]:
        a, b = b, a  # a = image-left end
    extension = _LINE_EXTENSION * (b - a)
    p0, p1 = a - extension, b + extension
    level_y = min(a[1], b[1])  # image y grows downwards: the higher joint
    overhang = 0.15 * abs(p1[0] - p0[0]) + 10 * style.unit
    reference = dashed_segments(
        np.array([p0[0] - overhang, level_y]), np.array([p1[0] + overhang, level_y]), style.dash
    )
    draw_lines(img, reference, REFERENCE_COLOUR, style.reference, style.outline)
    draw_lines(img, np.array([[p0, p1]]), MEASURE_COLOUR, style.measure, style.outline)

    text = format_angle(angle_deg, signed=False)
    text = f"{name} {text}" if text else f"{name} n/a"
    gap = 8 * style.unit + style.measure
    right_end = p1[0] + overhang + gap
    width = text_size(text, SEMIBOLD, style.font_scale * 0.9)[0] * 1.2
    centre_y = (p1[1] + level_y) / 2
    if right_end + width <= img.shape[1]:
        draw_label(img, text, (right_end, centre_y), style, align="left")
    else:  # no room on the right: put it beyond the left end
        draw_label(img, text, (p0[0] - overhang - gap, (p0[1] + level_y) / 2), style, align="right")


def _draw_head_line(
    img: np.ndarray, xy: np.ndarray, present: np.ndarray, angle_deg: float, style: OverlayStyle, facing: int = 0
) -> None:
    """Mid-shoulder to mid-ear line, a dashed vertical through the shoulders, the arc
    between them, and ``Head angle`` behind the head.

    Midpoints, as ``head_forward_deg`` is defined, so the picture shows the number's
    own line, and a pose model's left/right mix-up in side view does not move it.
    """
    pairs = ((lm.LEFT_EAR, lm.RIGHT_EAR), (lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER))
    if not all(present[a] and present[b] for a, b in pairs):
        return
    ear, shoulder = ((xy[a] + xy[b]) / 2 for a, b in pairs)
    _draw_from_vertical(
        img, shoulder, ear, "Head", angle_deg, style, facing, reach=1.25, reference=1.3, label_height=1.1
    )


def _draw_trunk_line(
    img: np.ndarray, xy: np.ndarray, present: np.ndarray, angle_deg: float, style: OverlayStyle, facing: int = 0
) -> None:
    """Mid-hip to mid-shoulder line (the trunk whose forward lean is measured), its
    vertical reference and arc, and ``Lean angle`` behind the back."""
    pairs = ((lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER), (lm.LEFT_HIP, lm.RIGHT_HIP))
    if not all(present[a] and present[b] for a, b in pairs):
        return
    shoulder, hip = ((xy[a] + xy[b]) / 2 for a, b in pairs)
    _draw_from_vertical(
        img, hip, shoulder, "Lean", angle_deg, style, facing, reach=1.0, reference=1.1, label_height=0.45, arc=0.3
    )


def _draw_from_vertical(
    img: np.ndarray,
    base: np.ndarray,
    tip: np.ndarray,
    name: str,
    angle_deg: float,
    style: OverlayStyle,
    facing: int,
    *,
    reach: float,
    reference: float,
    label_height: float,
    arc: float = 0.55,
) -> None:
    """A measured line from ``base`` towards ``tip`` (``reach`` times its length), a dashed
    vertical ``reference`` times its length up from ``base``, the arc between them, and
    ``name angle`` behind the runner (``facing`` +1 = image-right; 0 = away from the lean)."""
    length = float(np.hypot(*(tip - base)))
    if length < 1e-3:
        return
    top = base - [0.0, reference * length]
    draw_lines(img, dashed_segments(base, top, style.dash), REFERENCE_COLOUR, style.reference, style.outline)
    end = base + reach * (tip - base)
    draw_lines(img, np.array([[base, end]]), MEASURE_COLOUR, style.measure, style.outline)

    # Arc from straight up (-90 deg in OpenCV's y-down angles) to the line.
    line_angle = math.degrees(math.atan2(tip[1] - base[1], tip[0] - base[0]))
    radius = arc * length
    h, w = img.shape[:2]
    centre = tuple(int(v) for v in fixed_point(base, w, h))
    axes = (int(radius * ONE), int(radius * ONE))
    start, stop = sorted((-90.0, line_angle))
    cv2.ellipse(img, centre, axes, 0, start, stop, MEASURE_COLOUR, style.reference + 1, cv2.LINE_AA, SHIFT)

    text = format_angle(angle_deg, signed=True)
    text = f"{name} {text}" if text else f"{name} n/a"
    # Behind the runner, so the face and the front of the body stay clear; the running
    # direction keeps the label still when the line sways across the vertical.
    forward = facing if facing else (1 if tip[0] >= base[0] else -1)
    behind = -float(forward)
    gap = 14 * style.unit + style.measure
    anchor = (base[0] + behind * gap, base[1] - label_height * length)
    draw_label(img, text, anchor, style, align="right" if behind < 0 else "left")


def _draw_event(img: np.ndarray, xy: np.ndarray, present: np.ndarray, event: str, style: OverlayStyle) -> None:
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
        centre = fixed_point(points.mean(axis=0), w, h)
        span = float(np.ptp(points, axis=0).max()) if len(points) > 1 else 0.0
        radius = int(max(0.6 * span, 22 * style.unit) * ONE)
        ring = (int(centre[0]), int(centre[1]))
        cv2.circle(img, ring, radius, OUTLINE_COLOUR, style.measure + 2 * style.outline, cv2.LINE_AA, SHIFT)
        cv2.circle(img, ring, radius, colour, style.measure, cv2.LINE_AA, SHIFT)
    if ids:
        points = xy[ids]
        anchor = (float(points[:, 0].mean()), float(points[:, 1].max()) + 40 * style.unit)
    else:
        anchor = (w / 2, h * 0.9)
    draw_label(img, event, anchor, style, align="center", fill=colour, colour=PANEL_COLOUR, alpha=0.9)


def _draw_highlight(
    img: np.ndarray, xy: np.ndarray, present: np.ndarray, ann: FrameAnnotation, style: OverlayStyle
) -> None:
    """The geometry of one at-contact or arm metric, for evidence frames (see ``FrameAnnotation.highlight``)."""
    side = ann.in_stance or "left"
    hip, knee, ankle, heel = (
        (lm.LEFT_HIP, lm.LEFT_KNEE, lm.LEFT_ANKLE, lm.LEFT_HEEL)
        if side == "left"
        else (lm.RIGHT_HIP, lm.RIGHT_KNEE, lm.RIGHT_ANKLE, lm.RIGHT_HEEL)
    )
    facing = ann.facing or 1
    if ann.highlight == "overstride_pct" and present[[lm.LEFT_HIP, lm.RIGHT_HIP, heel]].all():
        mid_hip = (xy[lm.LEFT_HIP] + xy[lm.RIGHT_HIP]) / 2
        plumb = np.array([mid_hip[0], xy[heel][1]])
        draw_lines(img, dashed_segments(mid_hip, plumb, style.dash), REFERENCE_COLOUR, style.reference, style.outline)
        draw_lines(img, np.array([[plumb, xy[heel]]]), MEASURE_COLOUR, style.measure, style.outline)
        draw_label(
            img,
            "Heel ahead of hip",
            (float(plumb[0] + xy[heel][0]) / 2, float(plumb[1]) + 45 * style.unit),
            style,
            align="center",
        )
    elif ann.highlight == "knee_flexion_contact_deg" and present[[hip, knee, ankle]].all():
        draw_lines(
            img, np.array([[xy[hip], xy[knee]], [xy[knee], xy[ankle]]]), MEASURE_COLOUR, style.measure, style.outline
        )
        thigh, shank = xy[knee] - xy[hip], xy[ankle] - xy[knee]
        cosine = float(np.dot(thigh, shank) / max(np.hypot(*thigh) * np.hypot(*shank), 1e-9))
        bend = math.degrees(math.acos(min(1.0, max(-1.0, cosine))))
        gap = 20 * style.unit + style.measure
        draw_label(
            img,
            f"Knee bend {bend:.0f}°",
            (float(xy[knee][0]) + facing * gap, float(xy[knee][1])),
            style,
            align="left" if facing > 0 else "right",
        )
    elif ann.highlight == "shank_angle_contact_deg" and present[[knee, ankle]].all():
        shin = xy[ankle] - xy[knee]
        below = xy[knee] + [0.0, 1.1 * float(np.hypot(*shin))]
        draw_lines(img, dashed_segments(xy[knee], below, style.dash), REFERENCE_COLOUR, style.reference, style.outline)
        draw_lines(img, np.array([[xy[knee], xy[ankle]]]), MEASURE_COLOUR, style.measure, style.outline)
        angle = math.degrees(math.atan2(shin[0] * facing, shin[1]))
        gap = 20 * style.unit + style.measure
        draw_label(
            img,
            f"Shin {angle:.0f}°",
            (float(xy[knee][0]) - facing * gap, float(xy[knee][1] + 0.5 * shin[1])),
            style,
            align="right" if facing > 0 else "left",
        )
    elif ann.highlight == "arm_crossover_pct" and present[[lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER]].all():
        mid = (xy[lm.LEFT_SHOULDER] + xy[lm.RIGHT_SHOULDER]) / 2
        bottom = mid + [0.0, 1.6 * abs(float(xy[lm.RIGHT_SHOULDER][0] - xy[lm.LEFT_SHOULDER][0])) + 1.0]
        draw_lines(img, dashed_segments(mid, bottom, style.dash), MEASURE_COLOUR, style.measure, style.outline)
        draw_label(img, "Midline", (float(bottom[0]), float(bottom[1]) + 30 * style.unit), style, align="center")


# --------------------------------------------------------------------------- public entry point


def draw_overlay(
    rgb: np.ndarray,
    ann: FrameAnnotation,
    panel: Sequence[PanelRow],
    *,
    title: str = "formcam",
    show_panel: bool = True,
    text_scale: float = 1.0,
    track: np.ndarray | None = None,
) -> np.ndarray:
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
    track : ndarray, shape (T, 33, 2), optional
        The runner's landmarks over the whole clip: the panel takes the clip's
        corner (as in the annotated video) rather than this frame's.

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
    painter = OverlayPainter(
        img.shape[1], img.shape[0], panel, title=title, show_panel=show_panel, text_scale=text_scale, track=track
    )
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
    track : ndarray, shape (T, 33, 2), optional
        The runner's landmarks over the whole clip, pixels of these frames: the
        panel keeps one corner for the clip (see :class:`~formcam.report.panel.ValuesPanel`).

    Notes
    -----
    Threads may share a painter: all it changes is its :class:`~formcam.report.panel.ValuesPanel`'s
    memo of layouts by subtitle (the view), each entry a pure function of its key.
    """

    def __init__(
        self,
        width: int,
        height: int,
        panel: Sequence[PanelRow] = (),
        *,
        title: str = "formcam",
        show_panel: bool = True,
        text_scale: float = 1.0,
        track: np.ndarray | None = None,
    ):
        self.width, self.height = int(width), int(height)
        self.panel = tuple(panel)
        self.title = title
        self.show_panel = show_panel
        style = overlay_style(self.width, self.height)
        if text_scale != 1.0:
            style = replace(style, font_scale=style.font_scale * text_scale)
        self.style = style
        self._panel = ValuesPanel(self.panel, title, style, self.width, self.height, track)

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
            raise ValueError(
                f"expected a ({self.height}, {self.width}, 3) uint8 RGB frame, got {img.shape} {img.dtype}"
            )
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
                stickers = None if ann.markers is None else np.asarray(ann.markers, dtype=np.float64)
                has_stickers = stickers is not None and bool(np.isfinite(stickers).all())
                tilt_lines = [("Shoulders", lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER, ann.shoulder_tilt_deg)]
                if not has_stickers:  # the stickers' line replaces the hip landmarks', which do not follow the pelvis
                    tilt_lines.append(("Hips", lm.LEFT_HIP, lm.RIGHT_HIP, ann.hip_tilt_deg))
                for name, a, b, angle in tilt_lines:
                    if present[a] and present[b]:
                        _draw_tilt_line(img, xy[a], xy[b], name, angle, style)
                if has_stickers and stickers is not None:
                    _draw_tilt_line(img, stickers[0], stickers[1], "Pelvis", ann.pelvis_tilt_deg, style)
                    draw_dots(img, stickers, [MEASURE_COLOUR, MEASURE_COLOUR], style.joint_radius)
            elif ann.view == View.SIDE:
                _draw_trunk_line(img, xy, present, ann.trunk_lean_deg, style, ann.facing)
                _draw_head_line(img, xy, present, ann.head_forward_deg, style, ann.facing)
            if ann.highlight:
                _draw_highlight(img, xy, present, ann, style)
        if ann.event:
            _draw_event(img, xy, present, ann.event, style)
        if self.show_panel:
            self._panel.draw_on(img, xy, ann.view)
