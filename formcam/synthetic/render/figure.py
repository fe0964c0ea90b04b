"""Draw a human figure that a pose model recognises, from its 33 landmarks in 3-D.

The figure is built around the landmarks of :mod:`formcam.synthetic.gait` so that the
joints a pose model looks for sit where a person's joints would: limbs are
tapered capsules (thigh, shank, upper arm, forearm, fist, shoe) centred on the
bones, the torso is the hull of elliptic cross-sections that follow the hip
and shoulder lines (so a dropped hip or a dipped shoulder shows in the
outline), and the head is an ellipsoid with hair, ears, eyes, brows, nose and
mouth placed on the landmarks of the same names.

All geometry is computed for every frame at once (arrays of shape
``(T, ...)``) by :func:`project_figure`; :func:`draw_figure` then only sorts
the parts by depth (far ones first, darkened a little, as in shade) and fills
polygons with OpenCV, anti-aliased at sub-pixel precision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import cv2
import numpy as np

from formcam.pose import landmarks as lm
from formcam.synthetic.render.camera import Camera

RGB = tuple[int, int, int]

#: Sub-pixel bits for OpenCV's polygon filling.
_SHIFT = 4
_ONE = 1 << _SHIFT
#: Direction the light comes from, in the image (up and to the left).
_LIGHT = np.array([-0.55, -0.83])
#: Points on each half-circle of a capsule, and on an ellipse.
_ARC_POINTS = 9
_ELLIPSE_POINTS = 28


@dataclass(frozen=True)
class Outfit:
    """Colours (RGB) and proportions of a figure.

    ``build`` scales every limb's thickness; ``sleeve`` and ``shorts_length``
    are the fractions of the upper arm and thigh that the clothes cover.
    ``pattern``: spots of other colours all over the shirt and shorts
    (:data:`PATTERN_COLOURS`), sticker-sized, as on a patterned running kit.
    """

    skin: RGB = (222, 170, 135)
    shirt: RGB = (30, 95, 200)
    shorts: RGB = (40, 42, 52)
    shoes: RGB = (235, 235, 230)
    soles: RGB = (200, 40, 40)
    hair: RGB = (55, 38, 28)
    build: float = 1.0
    sleeve: float = 0.45
    shorts_length: float = 0.22
    pattern: bool = False


#: Colours of a patterned outfit's spots: white, teal and violet (none of them a sticker colour).
PATTERN_COLOURS: tuple[RGB, ...] = ((235, 235, 235), (20, 160, 150), (120, 60, 200))
#: Fluorescent dot-sticker colours (RGB) for the pelvis markers (``formcam render --markers COLOUR``).
MARKER_COLOURS: dict[str, RGB] = {
    "orange": (255, 110, 0),
    "green": (70, 235, 40),
    "pink": (255, 40, 170),
    "yellow": (240, 240, 0),
    "blue": (0, 130, 255),
}


#: A second outfit, for a bystander.
BYSTANDER_OUTFIT = Outfit(
    skin=(150, 105, 80),
    shirt=(200, 60, 40),
    shorts=(60, 70, 110),
    shoes=(40, 40, 45),
    soles=(230, 230, 230),
    hair=(20, 18, 18),
)

# Radii as fractions of standing height (rounded from anthropometric girths).
_LIMBS = (  # name, from, to, radius at from, radius at to, material
    ("thigh", "hip", "knee", 0.052, 0.035, "skin"),
    ("shank", "knee", "ankle", 0.034, 0.021, "skin"),
    ("upper_arm", "shoulder", "elbow", 0.031, 0.025, "skin"),
    ("forearm", "elbow", "wrist", 0.024, 0.018, "skin"),
    ("hand", "wrist", "hand", 0.019, 0.026, "skin"),
    ("shoe", "heel_top", "toe_top", 0.027, 0.019, "shoes"),
    ("ankle", "ankle", "heel_top", 0.023, 0.026, "shoes"),
)
_JOINTS = {
    "left": dict(
        hip=lm.LEFT_HIP,
        knee=lm.LEFT_KNEE,
        ankle=lm.LEFT_ANKLE,
        shoulder=lm.LEFT_SHOULDER,
        elbow=lm.LEFT_ELBOW,
        wrist=lm.LEFT_WRIST,
        heel=lm.LEFT_HEEL,
        toe=lm.LEFT_FOOT_INDEX,
        hand=(17, 19, 21),
    ),
    "right": dict(
        hip=lm.RIGHT_HIP,
        knee=lm.RIGHT_KNEE,
        ankle=lm.RIGHT_ANKLE,
        shoulder=lm.RIGHT_SHOULDER,
        elbow=lm.RIGHT_ELBOW,
        wrist=lm.RIGHT_WRIST,
        heel=lm.RIGHT_HEEL,
        toe=lm.RIGHT_FOOT_INDEX,
        hand=(18, 20, 22),
    ),
}
# Torso cross-sections: position along the trunk (0 mid-hip, 1 mid-shoulder), half-width, half-depth.
_WAIST = 0.30
_TORSO_RINGS = np.array(
    [
        [0.00, 0.100, 0.066],
        [_WAIST, 0.088, 0.060],
        [0.55, 0.090, 0.062],
        [0.80, 0.104, 0.068],
        [1.00, 0.112, 0.058],
        [1.07, 0.080, 0.050],  # above the shoulder line: the slope of the trapezius up to the neck
        [1.14, 0.045, 0.040],
    ]
)
# Head ellipsoid (fractions of height): centre relative to the mid-ear, semi-axes.
_HEAD_CENTRE = np.array([0.0, 0.0, 0.022])  # forward, lateral, up
_HEAD_AXES = np.array([0.053, 0.045, 0.063])
#: The chin, relative to the mid-ear (forward, up), fractions of height.
_CHIN = (0.040, -0.056)


@dataclass
class _Part:
    """One filled shape of a figure, for every frame.

    ``layers`` are (polygons (T, N, 2) in px, colours (T, 3)) drawn in order;
    ``depth`` (T,) sorts the parts of a frame, largest (farthest) first.
    """

    name: str
    depth: np.ndarray
    layers: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)


@dataclass
class ProjectedFigure:
    """A figure ready to draw: its parts and the drawn 2-D landmarks.

    Attributes
    ----------
    parts : list of _Part
    landmarks_xy : ndarray, shape (T, 33, 2)
        The 33 landmarks projected into the image, pixels.
    depth : ndarray, shape (T,)
        Distance of the figure's mid-hip from the camera, metres.
    """

    parts: list[_Part]
    landmarks_xy: np.ndarray
    depth: np.ndarray


def project_figure(
    points: np.ndarray,
    camera: Camera,
    *,
    height_m: float,
    outfit: Outfit = Outfit(),
    markers: RGB | None = None,
    marker_diameter_m: float = 0.03,
) -> ProjectedFigure:
    """Build every part of the figure for every frame.

    Parameters
    ----------
    points : ndarray, shape (T, 33, 3)
        Landmarks in the scene (body frame, metres), e.g. from
        :func:`formcam.synthetic.gait.gait_body_points`.
    camera : Camera
    height_m : float
        The figure's standing height in metres (sets the thickness of every part).
    outfit : Outfit
    markers : (int, int, int), optional
        Draw a round sticker of this colour on each posterior superior iliac
        spine (:func:`formcam.synthetic.gait.psis_points`), where it faces the camera.
    marker_diameter_m : float
        The stickers' diameter, metres.

    Returns
    -------
    ProjectedFigure
    """
    points = np.asarray(points, dtype=np.float64)
    h = height_m
    frame = _body_axes(points)
    to_camera = _to_camera(camera, points)
    torso_depth = camera.depth(points[:, [lm.LEFT_HIP, lm.RIGHT_HIP, lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER]].mean(axis=1))
    parts = _torso_parts(points, frame, camera, h, outfit, torso_depth)
    for side in ("left", "right"):
        parts += _limb_parts(points, side, camera, h, outfit, torso_depth)
    parts += _head_parts(points, frame, camera, h, outfit, to_camera, torso_depth)
    if outfit.pattern:
        parts += _pattern_parts(points, frame, camera, h, outfit, torso_depth)
    if markers is not None:
        parts += _sticker_parts(points, frame, camera, h, markers, marker_diameter_m / 2, torso_depth)
    mid_hip = (points[:, lm.LEFT_HIP] + points[:, lm.RIGHT_HIP]) / 2
    return ProjectedFigure(parts=parts, landmarks_xy=camera.project(points), depth=camera.depth(mid_hip))


def draw_figure(rgb: np.ndarray, figure: ProjectedFigure, index: int) -> None:
    """Draw frame ``index`` of ``figure`` onto ``rgb`` (H, W, 3) uint8, in place, far parts first."""
    order = np.argsort([-part.depth[index] for part in figure.parts], kind="stable")
    for k in order:
        for polygons, colours in figure.parts[k].layers:
            polygon = polygons[index]
            if polygon.shape[0] >= 3 and np.isfinite(polygon).all():
                fill_polygon(rgb, polygon, colours[index])


def fill_polygon(rgb: np.ndarray, polygon: np.ndarray, colour) -> None:
    """Fill a convex polygon (N, 2) in float pixels, anti-aliased."""
    pts = np.round(polygon * _ONE).astype(np.int32)
    cv2.fillConvexPoly(rgb, pts, tuple(int(c) for c in colour), cv2.LINE_AA, _SHIFT)


# --------------------------------------------------------------------------- #
# Geometry shared by the parts


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def _body_axes(points: np.ndarray) -> dict[str, np.ndarray]:
    """Per-frame unit vectors (T, 3) of the figure: lateral-right at hips and shoulders, forward, up."""
    up = np.broadcast_to(np.array([0.0, 0.0, 1.0]), points.shape[:1] + (3,))
    hips = _unit(points[:, lm.RIGHT_HIP] - points[:, lm.LEFT_HIP])
    shoulders = _unit(points[:, lm.RIGHT_SHOULDER] - points[:, lm.LEFT_SHOULDER])
    ears = _unit(points[:, lm.RIGHT_EAR] - points[:, lm.LEFT_EAR])
    # (forward, lateral-right, up) is left-handed: forward = lateral x up.
    return dict(
        up=up,
        hips=hips,
        shoulders=shoulders,
        ears=ears,
        forward=_unit(np.cross(hips, up)),
        head_forward=_unit(np.cross(ears, up)),
    )


def _to_camera(camera: Camera, points: np.ndarray) -> np.ndarray:
    """Unit vectors (T, 3) from the figure's head towards the camera."""
    if camera.orthographic:
        return np.broadcast_to(camera.toward_camera(), points.shape[:1] + (3,))
    head = (points[:, lm.LEFT_EAR] + points[:, lm.RIGHT_EAR]) / 2
    return _unit(camera.position - head)


def _shade(colour: RGB, factor: np.ndarray) -> np.ndarray:
    """Colours (T, 3): ``colour`` darkened (factor < 1) or lightened towards white (factor > 1)."""
    c = np.asarray(colour, dtype=np.float64)[None, :]
    f = np.asarray(factor, dtype=np.float64)[:, None]
    dark = c * f
    light = c + (255.0 - c) * (f - 1.0)
    return np.clip(np.where(f <= 1.0, dark, light), 0, 255)


def _depth_shade(depth: np.ndarray, torso_depth: np.ndarray) -> np.ndarray:
    """Parts behind the trunk are in its shadow: up to 30 % darker 12 cm behind it (the far leg)."""
    return 1.0 - 0.30 * np.clip((depth - torso_depth) / 0.12, 0.0, 1.0)


def _ellipse(centre: np.ndarray, ax: np.ndarray, ay: np.ndarray, n: int = _ELLIPSE_POINTS) -> np.ndarray:
    """Axis-aligned ellipses, shape (T, n, 2), from centres (T, 2) and semi-axes (T,)."""
    theta = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack(
        [centre[:, None, 0] + ax[:, None] * np.cos(theta), centre[:, None, 1] + ay[:, None] * np.sin(theta)], axis=-1
    )


def _capsule(a: np.ndarray, b: np.ndarray, ra: np.ndarray, rb: np.ndarray) -> np.ndarray:
    """Outline (T, 2 * _ARC_POINTS, 2) of tapered capsules from ``a`` to ``b`` (T, 2) with radii (T,).

    The sides are the circles' outer common tangents, so the outline is convex.
    """
    d = b - a
    length = np.maximum(np.linalg.norm(d, axis=-1), 1e-6)
    u = d / length[:, None]
    n = np.stack([-u[:, 1], u[:, 0]], axis=-1)
    alpha = np.arcsin(np.clip((ra - rb) / length, -0.95, 0.95))  # tangent lines lean by alpha
    s = np.linspace(0.0, 1.0, _ARC_POINTS)[None, :]
    half = np.pi / 2 - alpha[:, None]
    phi_b = half - s * 2 * half  # front arc around b, through the direction of u
    phi_a = -half - s * (2 * np.pi - 2 * half)  # back arc around a

    def arc(centre, radius, phi):
        return centre[:, None, :] + radius[:, None, None] * (
            np.cos(phi)[..., None] * u[:, None, :] + np.sin(phi)[..., None] * n[:, None, :]
        )

    return np.concatenate([arc(b, rb, phi_b), arc(a, ra, phi_a)], axis=1)


def _shaded_capsule_layers(a, b, ra, rb, colour: RGB, shade: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """A capsule in three tones: its shadow side, its lit body, and a highlight towards the light."""
    d = _unit(b - a)
    n = np.stack([-d[:, 1], d[:, 0]], axis=-1)
    towards_light = (n @ _LIGHT)[:, None] * n  # only across the limb, so the ends stay put
    r = np.maximum(ra, rb)[:, None]
    layers = [(_capsule(a, b, ra, rb), _shade(colour, 0.70 * shade))]
    body_shift = 0.22 * r * towards_light
    layers.append((_capsule(a + body_shift, b + body_shift, 0.76 * ra, 0.76 * rb), _shade(colour, shade)))
    glint_shift = 0.45 * r * towards_light
    layers.append((_capsule(a + glint_shift, b + glint_shift, 0.30 * ra, 0.30 * rb), _shade(colour, 1.18 * shade)))
    return layers


def _capsule_part(
    name: str,
    camera: Camera,
    a3: np.ndarray,
    b3: np.ndarray,
    ra_m: float,
    rb_m: float,
    colour: RGB,
    torso_depth: np.ndarray,
    bias: float = 0.0,
) -> _Part:
    depth = camera.depth((a3 + b3) / 2)
    ra, rb = ra_m * camera.scale(a3), rb_m * camera.scale(b3)
    shade = _depth_shade(depth, torso_depth)
    return _Part(
        name, depth + bias, _shaded_capsule_layers(camera.project(a3), camera.project(b3), ra, rb, colour, shade)
    )


# --------------------------------------------------------------------------- #
# Torso, limbs, head


def _torso_parts(points, frame, camera: Camera, h: float, outfit: Outfit, torso_depth) -> list[_Part]:
    """Trunk as the hull of its cross-sections: shorts below the waist, shirt above."""
    mid_hip = (points[:, lm.LEFT_HIP] + points[:, lm.RIGHT_HIP]) / 2
    mid_sh = (points[:, lm.LEFT_SHOULDER] + points[:, lm.RIGHT_SHOULDER]) / 2
    theta = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    rings = []
    for position, half_width, half_depth in _TORSO_RINGS:
        # The pelvis (up to the waist) turns with the hip line, the chest with the shoulder line.
        w = np.clip((position - _WAIST) / (1.0 - _WAIST), 0.0, 1.0)
        centre = mid_hip + position * (mid_sh - mid_hip)
        lateral = _unit((1 - w) * frame["hips"] + w * frame["shoulders"])
        forward = _unit(np.cross(lateral, frame["up"]))
        ring = (
            centre[:, None, :]
            + half_width * h * outfit.build * np.cos(theta)[None, :, None] * lateral[:, None, :]
            + half_depth * h * outfit.build * np.sin(theta)[None, :, None] * forward[:, None, :]
        )
        rings.append(camera.project(ring))
    # One hull for the shorts (hips to waist), one for the shirt (waist to the base of the neck).
    shade = _depth_shade(torso_depth, torso_depth)
    pelvis = np.concatenate(rings[:2], axis=1)
    chest = np.concatenate(rings[1:], axis=1)
    parts = [
        _Part("shirt", torso_depth + 0.02, _hull_layers(chest, outfit.shirt, shade)),
        _Part("pelvis", torso_depth + 0.021, _hull_layers(pelvis, outfit.shorts, shade)),
    ]
    # A light waistband along the hip line: the pelvis's tilt, seen from behind or in front.
    band = []
    for position in (0.16, 0.24):
        centre = mid_hip + position * (mid_sh - mid_hip)
        band.append(
            camera.project(
                centre[:, None, :]
                + 0.097 * h * outfit.build * np.cos(theta)[None, :, None] * frame["hips"][:, None, :]
                + 0.066 * h * outfit.build * np.sin(theta)[None, :, None] * frame["forward"][:, None, :]
            )
        )
    parts.append(
        _Part("waistband", torso_depth + 0.0205, _hull_layers(np.concatenate(band, axis=1), (235, 235, 235), shade))
    )
    return parts


def _surface_discs(centres, normals, lateral, radius, camera: Camera) -> np.ndarray:
    """Discs (T, K, N, 2) px lying on the body's surface, NaN where a disc faces away from the camera.

    ``centres`` and ``normals`` (T, K, 3), ``lateral`` (T, 3): a disc spans
    ``lateral`` and the direction square to it and to its normal.
    """
    theta = np.linspace(0, 2 * np.pi, _ELLIPSE_POINTS, endpoint=False)
    across = _unit(np.cross(normals, lateral[:, None, :]))
    ring = (
        centres[:, :, None, :]
        + radius * np.cos(theta)[None, None, :, None] * lateral[:, None, None, :]
        + radius * np.sin(theta)[None, None, :, None] * across[:, :, None, :]
    )
    projected = camera.project(ring)
    facing = camera.depth(centres + 0.01 * normals) < camera.depth(centres)
    return np.where(facing[:, :, None, None], projected, np.nan)


def _sticker_parts(points, frame, camera: Camera, h: float, colour: RGB, radius: float, torso_depth) -> list[_Part]:
    """A round sticker on each PSIS, drawn over the shorts (an arm swinging past still hides it)."""
    # Imported here: the gait model imports nothing of the renderer, and the renderer needs only this from it.
    from formcam.synthetic.gait import psis_points

    psis = psis_points(points, h)
    back = np.repeat(-frame["forward"][:, None, :], 2, axis=1)
    discs = _surface_discs(psis, back, frame["hips"], radius, camera)
    colours = np.repeat(np.asarray(colour, dtype=np.float64)[None, :], len(points), axis=0)
    return [_Part(f"sticker_{k}", torso_depth + 0.0197, [(discs[:, k], colours)]) for k in range(2)]


def _pattern_parts(points, frame, camera: Camera, h: float, outfit: Outfit, torso_depth) -> list[_Part]:
    """Spots of :data:`PATTERN_COLOURS` around the shorts and the shirt, at fixed places on the clothes."""
    mid_hip = (points[:, lm.LEFT_HIP] + points[:, lm.RIGHT_HIP]) / 2
    mid_sh = (points[:, lm.LEFT_SHOULDER] + points[:, lm.RIGHT_SHOULDER]) / 2
    parts = []
    k = 0
    for position, half_width, half_depth in _TORSO_RINGS[:5]:
        lateral = frame["hips"] if position <= _WAIST else frame["shoulders"]
        forward = _unit(np.cross(lateral, frame["up"]))
        centre = mid_hip + (position + 0.06) * (mid_sh - mid_hip)
        # Spots every 40 degrees around the body, staggered from ring to ring.
        for theta in np.radians(np.arange(0, 360, 40) + 20 * (k % 2)):
            where = centre + h * outfit.build * (
                half_width * np.cos(theta) * lateral + half_depth * np.sin(theta) * forward
            )
            normal = _unit(np.cos(theta) / half_width * lateral + np.sin(theta) / half_depth * forward)
            disc = _surface_discs(where[:, None, :], normal[:, None, :], frame["up"], 0.022, camera)[:, 0]
            colour = PATTERN_COLOURS[k % len(PATTERN_COLOURS)]
            colours = np.repeat(np.asarray(colour, dtype=np.float64)[None, :], len(points), axis=0)
            parts.append(_Part(f"spot_{k}", torso_depth + 0.0198, [(disc, colours)]))
            k += 1
    return parts


def _hull_layers(points: np.ndarray, colour: RGB, shade: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Convex hulls (T, N, 2) of point sets, with a lit inner hull shifted towards the light."""
    hull = _convex_hulls(points)
    centre = np.nanmean(hull, axis=1, keepdims=True)
    size = np.nanmax(np.linalg.norm(hull - centre, axis=-1), axis=1)[:, None, None]
    lit = centre + 0.82 * (hull - centre) + 0.12 * size * _LIGHT
    return [(hull, _shade(colour, 0.72 * shade)), (lit, _shade(colour, shade))]


def _convex_hulls(points: np.ndarray) -> np.ndarray:
    """Convex hull of each frame's points (T, N, 2), padded with its last vertex to (T, N, 2)."""
    out = np.empty_like(points)
    for t in range(points.shape[0]):  # cv2.convexHull has no batch form
        hull = cv2.convexHull(points[t].astype(np.float32))[:, 0, :]
        out[t, : len(hull)] = hull
        out[t, len(hull) :] = hull[-1]
    return out


def _limb_parts(points, side: str, camera: Camera, h: float, outfit: Outfit, torso_depth) -> list[_Part]:
    j = _JOINTS[side]
    up = np.array([0.0, 0.0, 1.0])
    named = {key: points[:, idx] for key, idx in j.items() if key != "hand"}
    named["hand"] = points[:, list(cast(tuple[int, ...], j["hand"]))].mean(axis=1)  # the one entry that is a tuple
    # The shoe's outline reaches back to the heel landmark and forward to the toe landmark.
    along = _unit(named["toe"] - named["heel"])
    named["heel_top"] = named["heel"] + h * (0.027 * along + 0.026 * up)
    named["toe_top"] = named["toe"] + h * (-0.019 * along + 0.019 * up)
    colours = {"skin": outfit.skin, "shoes": outfit.shoes}
    parts = {}
    for name, start, end, ra, rb, material in _LIMBS:
        parts[name] = _capsule_part(
            f"{side}_{name}",
            camera,
            named[start],
            named[end],
            ra * h * outfit.build,
            rb * h * outfit.build,
            colours[material],
            torso_depth,
        )
    # Clothes over the skin (a sleeve, a shorts leg, a little wider than the limb) and the sole under
    # the shoe, each drawn right after or before the part it belongs to.
    for name, limb, start, end, fraction, ra, rb, colour, after in (
        ("sleeve", "upper_arm", "shoulder", "elbow", outfit.sleeve, 0.036, 0.033, outfit.shirt, True),
        ("shorts", "thigh", "hip", "knee", outfit.shorts_length, 0.056, 0.048, outfit.shorts, True),
        ("sole", "shoe", "heel", "toe", 1.0, 0.010, 0.008, outfit.soles, False),
    ):
        a = named[start] + (0.006 * h * up if name == "sole" else 0.0)
        b = a + fraction * (named[end] - named[start])
        part = _capsule_part(
            f"{side}_{name}", camera, a, b, ra * h * outfit.build, rb * h * outfit.build, colour, torso_depth
        )
        part.depth = parts[limb].depth + (-1e-4 if after else 1e-4)
        parts[name] = part
    return list(parts.values())


def _head_parts(points, frame, camera: Camera, h: float, outfit: Outfit, to_camera, torso_depth) -> list[_Part]:
    """Neck, head, hair, ears and face features; features only where they face the camera."""
    mid_ear = (points[:, lm.LEFT_EAR] + points[:, lm.RIGHT_EAR]) / 2
    fwd, lat, up = frame["head_forward"], frame["ears"], frame["up"]
    centre = mid_ear + h * (_HEAD_CENTRE[0] * fwd + _HEAD_CENTRE[2] * up)
    scale = camera.scale(centre)
    right = camera.right
    # Outline of an upright ellipsoid seen level: the support function gives its half-width.
    half_w = h * scale * np.hypot(_HEAD_AXES[0] * (fwd @ right), _HEAD_AXES[1] * (lat @ right))
    half_h = h * scale * _HEAD_AXES[2]
    c2 = camera.project(centre)
    head_poly = _ellipse(c2, half_w, half_h)
    facing = np.einsum("ij,ij->i", fwd, to_camera)  # 1: face towards the camera
    head_depth = camera.depth(centre) - 0.5  # drawn after the trunk and limbs near it
    parts = []

    mid_sh = (points[:, lm.LEFT_SHOULDER] + points[:, lm.RIGHT_SHOULDER]) / 2
    neck_top = centre - 0.035 * h * up
    # The neck leaves the trunk a little towards the head (a head held forward bends the neck).
    neck_base = mid_sh + 0.02 * h * up + 0.3 * (neck_top - mid_sh) * np.array([1.0, 1.0, 0.0])
    neck = _capsule_part("neck", camera, neck_base, neck_top, 0.033 * h, 0.030 * h, outfit.skin, torso_depth)
    neck.depth = head_depth + 0.01
    parts.append(neck)
    # Jaw lines from below each ear to the chin: a profile with a chin, a face with a V below.
    chin = mid_ear + h * (_CHIN[0] * fwd + _CHIN[1] * up)
    for ear_index in (lm.LEFT_EAR, lm.RIGHT_EAR):
        jaw_top = points[:, ear_index] + h * (0.006 * fwd - 0.014 * up) + 0.25 * (mid_ear - points[:, ear_index])
        jaw = _capsule_part("jaw", camera, jaw_top, chin, 0.024 * h, 0.017 * h, outfit.skin, torso_depth)
        jaw.depth = head_depth + 0.004
        parts.append(jaw)

    for ear_index, sign in ((lm.LEFT_EAR, -1.0), (lm.RIGHT_EAR, 1.0)):
        outward = sign * lat
        ear = points[:, ear_index] + 0.004 * h * outward
        ear_facing = np.einsum("ij,ij->i", outward, to_camera)
        ear_w = h * scale * (0.004 + 0.011 * np.abs(fwd @ right)) * (ear_facing > -0.35)
        ear_h = h * scale * 0.021 * (ear_facing > -0.35)
        e2 = camera.project(ear)
        poly = _ellipse(e2, ear_w * 1.25, ear_h * 1.25, 14)
        inner = _ellipse(e2 + np.array([0.0, 0.002]) * h * scale[:, None], ear_w * 0.6, ear_h * 0.6, 12)
        # Ears seen edge-on stick out from behind the head; seen flat they lie on it.
        depth = np.where(ear_facing > 0.5, head_depth - 0.02, head_depth + 0.02)
        parts.append(
            _Part(
                f"ear{sign:+.0f}",
                depth,
                [
                    (poly, _shade(outfit.skin, np.full(len(ear), 0.85))),
                    (inner, _shade(outfit.skin, np.full(len(ear), 0.6))),
                ],
            )
        )

    skin = np.where((facing > -0.6)[:, None], _shade(outfit.skin, np.ones(len(facing))), np.asarray(outfit.hair, float))
    head = _Part("head", head_depth, [(head_poly, skin)])
    # Hair: the part of the head above the hairline and behind the ears, clipped to the outline.
    # Seen in profile the cap shifts back; seen face-on it shifts up (a fringe above the eyes).
    back = -(fwd @ right)[:, None] * np.array([1.0, 0.0])  # image direction of the back of the head
    lift = 0.045 + 0.035 * np.abs(facing)
    cap_centre = c2 + h * scale[:, None] * (0.026 * back - lift[:, None] * np.array([0.0, 1.0]))
    cap = _ellipse(cap_centre, half_w * 1.05, half_h * 1.05)
    head.layers.append((_clip_convex(head_poly, cap), np.broadcast_to(np.asarray(outfit.hair, float), (len(c2), 3))))
    parts.append(head)
    parts.append(_Part("face", head_depth - 0.01, _face_layers(points, camera, h, scale, fwd, up, to_camera, outfit)))
    return parts


def _clip_convex(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection of convex polygons a and b per frame (T, N, 2), padded; NaN where empty."""
    n = a.shape[1] + b.shape[1]
    out = np.full((a.shape[0], n, 2), np.nan)
    for t in range(a.shape[0]):  # OpenCV clips one pair at a time
        area, poly = cv2.intersectConvexConvex(a[t].astype(np.float32), b[t].astype(np.float32))
        if area > 0 and poly is not None and len(poly) >= 3:
            poly = poly[:, 0, :]
            out[t, : len(poly)] = poly
            out[t, len(poly) :] = poly[-1]
    return out


def _face_layers(points, camera: Camera, h, scale, fwd, up, to_camera, outfit: Outfit):
    """Eyes, brows, nose and mouth on their landmarks, hidden when they face away from the camera."""
    layers = []
    n = len(points)
    nose = points[:, lm.NOSE]
    nose_upper = nose - 0.022 * h * fwd + 0.024 * h * up
    nose_lower = nose - 0.016 * h * fwd - 0.006 * h * up
    facing = np.einsum("ij,ij->i", fwd, to_camera)
    hidden = facing < -0.2
    tri = camera.project(np.stack([nose_upper, nose, nose_lower], axis=1))
    tri[hidden] = np.nan
    layers.append((tri, _shade(outfit.skin, np.full(n, 0.82))))
    dark = np.broadcast_to(np.array([35.0, 25.0, 25.0]), (n, 3))
    white = np.broadcast_to(np.array([245.0, 245.0, 240.0]), (n, 3))
    for eye_index in (2, 5):
        eye = points[:, eye_index]
        outward = _unit(eye - (points[:, lm.LEFT_EAR] + points[:, lm.RIGHT_EAR]) / 2 - 0.01 * h * fwd)
        seen = np.einsum("ij,ij->i", outward, to_camera) > 0.05
        side_on = np.abs(fwd @ camera.right)  # 1 in profile: a narrower eye
        e2 = camera.project(eye)
        white_poly = _ellipse(e2, h * scale * 0.011 * (1 - 0.45 * side_on), h * scale * 0.0055, 14)
        iris = _ellipse(
            e2 + h * scale[:, None] * 0.004 * (fwd @ camera.right)[:, None] * np.array([1.0, 0.0]),
            h * scale * 0.0048 * (1 - 0.4 * side_on),
            h * scale * 0.0050,
            12,
        )
        brow_c = camera.project(eye + 0.014 * h * up)
        brow = _ellipse(brow_c, h * scale * 0.012 * (1 - 0.4 * side_on), h * scale * 0.0022, 12)
        for poly in (white_poly, iris, brow):
            poly[~seen] = np.nan
        layers += [(white_poly, white), (iris, dark), (brow, np.asarray(outfit.hair, float)[None].repeat(n, 0))]
    mouth_l, mouth_r = points[:, 9], points[:, 10]
    mouth_mid = (mouth_l + mouth_r) / 2 + 0.004 * h * fwd
    lips = camera.project(np.stack([mouth_l, mouth_mid + 0.003 * h * up, mouth_r, mouth_mid - 0.004 * h * up], axis=1))
    lips[facing < -0.05] = np.nan
    layers.append((lips, np.broadcast_to(np.array([150.0, 60.0, 60.0]), (n, 3))))
    return layers
