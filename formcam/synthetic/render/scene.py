"""The world around a rendered runner: wall, floor, clutter, a treadmill, and other people.

Everything static (wall gradient, floor, clutter) is drawn once by
:func:`background`; what moves (the treadmill belt's stripes) is drawn per
frame by :meth:`Treadmill.draw`. Bystanders are posed by
:func:`standing_body_points` or :func:`formcam.synthetic.gait.gait_body_points` and
placed in the scene by :func:`place_body`.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from formcam.pose import landmarks as lm
from formcam.synthetic.render.camera import Camera
from formcam.synthetic.render.figure import fill_polygon

#: The wall stands this far behind the runner (metres, along the viewing direction).
WALL_BEHIND_M = 3.5
BACKGROUNDS = ("plain", "clutter")


def background(camera: Camera, kind: str = "plain", *, seed: int = 0) -> np.ndarray:
    """A static backdrop, shape (H, W, 3) uint8 RGB: a lit wall, a floor, and optionally clutter.

    Parameters
    ----------
    camera : Camera
    kind : {'plain', 'clutter'}
        'clutter' adds random posters, shelves, circles, lines and a noisy
        texture to the wall (what a gym or a living room puts behind a runner).
    seed : int
        Seed of the clutter.
    """
    if kind not in BACKGROUNDS:
        raise ValueError(f"background must be one of {BACKGROUNDS}, not {kind!r}")
    width, height = camera.frame_size
    rng = np.random.default_rng(seed)
    rows = np.linspace(0.0, 1.0, height)[:, None, None]
    wall_top, wall_bottom = np.array([236.0, 232.0, 222.0]), np.array([196.0, 194.0, 188.0])
    img = wall_top + (wall_bottom - wall_top) * rows
    img = np.broadcast_to(img, (height, width, 3)).copy()
    # Floor: below where the wall meets the ground.
    wall_depth = camera.reference_depth + WALL_BEHIND_M
    floor_y = camera.principal[1] + camera.focal_px * camera.position[2] / wall_depth
    floor_rows = np.arange(height) >= floor_y
    floor_shade = np.linspace(0.0, 1.0, int(floor_rows.sum()))[:, None, None]
    img[floor_rows] = np.array([150.0, 140.0, 128.0]) + np.array([-40.0, -38.0, -34.0]) * floor_shade
    img = img.astype(np.uint8)
    line_y = int(round(floor_y))
    cv2.line(img, (0, line_y), (width, line_y), (110, 104, 96), max(2, height // 240), cv2.LINE_AA)
    if kind == "clutter":
        _clutter(img, rng, floor_y)
    return img


def _clutter(img: np.ndarray, rng: np.random.Generator, floor_y: float) -> None:
    """Random wall furniture and texture, in place."""
    height, width = img.shape[:2]
    top = max(int(floor_y), 1)
    noise = rng.normal(0.0, 4.0, size=(height // 24 + 1, width // 24 + 1))
    texture = cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC)
    img[:] = np.clip(img + texture[..., None], 0, 255)
    for _ in range(int(rng.integers(10, 16))):
        colour = tuple(int(c) for c in rng.integers(30, 230, size=3))
        kind = rng.integers(0, 4)
        x, y = int(rng.integers(0, width)), int(rng.integers(0, top))
        size = int(rng.integers(height // 20, height // 5))
        if kind == 0:  # poster or window
            cv2.rectangle(img, (x, y), (x + size, y + int(size * rng.uniform(0.6, 1.5))), colour, -1, cv2.LINE_AA)
            cv2.rectangle(img, (x, y), (x + size, y + int(size * 0.3)), tuple(c // 2 for c in colour), -1, cv2.LINE_AA)
        elif kind == 1:  # clock, plate, ball
            cv2.circle(img, (x, y), size // 3, colour, -1, cv2.LINE_AA)
        elif kind == 2:  # shelf, pipe
            cv2.line(img, (x, y), (x + size * 2, y), colour, max(3, size // 10), cv2.LINE_AA)
        else:  # plant or lamp: a stem and a blob on the floor line
            base = int(floor_y)
            cv2.line(img, (x, base), (x, base - size), (70, 60, 50), max(2, size // 15), cv2.LINE_AA)
            cv2.ellipse(img, (x, base - size), (size // 3, size // 4), 0, 0, 360, colour, -1, cv2.LINE_AA)


class Treadmill:
    """A treadmill deck under the runner, with belt stripes moving back at the belt speed.

    Parameters
    ----------
    camera : Camera
    belt_speed_m_s : float
        Speed of the belt (the stance foot's backward speed).
    length_m, width_m : float
        Size of the belt.
    """

    def __init__(self, camera: Camera, belt_speed_m_s: float, *, length_m: float = 1.6, width_m: float = 0.55):
        self.camera, self.speed = camera, belt_speed_m_s
        self.half_length, self.half_width = length_m / 2, width_m / 2
        self.stripe_spacing = 0.4

    def _poly(self, corners: npt.ArrayLike) -> np.ndarray:
        return self.camera.project(np.asarray(corners, dtype=np.float64))

    def draw(self, rgb: np.ndarray, t_s: float) -> None:
        """Draw the deck, the belt and its stripes at time ``t_s``, in place."""
        L, W = self.half_length, self.half_width
        deck = 0.16  # deck height below the belt surface, shown as the frame's side panel
        for lateral, colour in ((W + 0.08, (55, 58, 64)), (-W - 0.08, (55, 58, 64))):
            side = [
                [-L - 0.1, lateral, 0.0],
                [L + 0.25, lateral, 0.0],
                [L + 0.25, lateral, -deck],
                [-L - 0.1, lateral, -deck],
            ]
            fill_polygon(rgb, self._poly(side), colour)
        top = [
            [-L - 0.1, -W - 0.08, 0.0],
            [L + 0.25, -W - 0.08, 0.0],
            [L + 0.25, W + 0.08, 0.0],
            [-L - 0.1, W + 0.08, 0.0],
        ]
        fill_polygon(rgb, self._poly(top), (80, 84, 90))
        belt = [[-L, -W, 0.001], [L, -W, 0.001], [L, W, 0.001], [-L, W, 0.001]]
        fill_polygon(rgb, self._poly(belt), (38, 38, 42))
        offset = (-self.speed * t_s) % self.stripe_spacing
        for x in np.arange(-L + offset, L, self.stripe_spacing):
            stripe = [[x, -W, 0.002], [x + 0.04, -W, 0.002], [x + 0.04, W, 0.002], [x, W, 0.002]]
            fill_polygon(rgb, self._poly(stripe), (70, 70, 76))
        # The console at the front end, in side views only (from the front it would hide the runner, and
        # from behind its post and panel look like limbs beside the runner to a pose model).
        if abs(self.camera.axis[0]) < 0.5:
            post = [
                [L + 0.2, -W - 0.06, 0.0],
                [L + 0.27, -W - 0.06, 0.0],
                [L + 0.27, -W - 0.06, 1.15],
                [L + 0.2, -W - 0.06, 1.15],
            ]
            fill_polygon(rgb, self._poly(post), (90, 92, 98))
            console = [[L + 0.1, -W, 1.05], [L + 0.3, -W, 1.05], [L + 0.3, W, 1.3], [L + 0.1, W, 1.3]]
            fill_polygon(rgb, self._poly(console), (60, 62, 70))


def belt_speed(points: np.ndarray, t_s: np.ndarray) -> float:
    """Backward speed (m/s) of a foot on the ground: the treadmill belt's speed.

    Parameters
    ----------
    points : ndarray, shape (T, 33, 3)
        Landmarks in the body frame (metres), regular times ``t_s`` (T,).
    """
    heels = points[:, [lm.LEFT_HEEL, lm.RIGHT_HEEL]]
    velocity = np.gradient(heels[..., 0], t_s, axis=0)
    on_ground = heels[..., 2] < 1e-6
    return float(-np.median(velocity[on_ground])) if on_ground.any() else 0.0


def standing_body_points(t_s: np.ndarray, *, height_m: float = 1.7, seed: int = 0) -> np.ndarray:
    """A person standing at ease, swaying a little: (T, 33, 3) in their body frame, metres.

    Built from the walking model's body (same proportions), with straight legs
    under the hips and arms hanging at the sides.
    """
    from formcam.synthetic.gait import (
        ANKLE_HEIGHT,
        FOREARM,
        HEEL_BEHIND_ANKLE,
        TOE_AHEAD_OF_ANKLE,
        UPPER_ARM,
        gait_body_points,
    )

    t_s = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
    pose = gait_body_points(np.zeros(1), runner_height=height_m, flight=False, knee_flexion_contact_deg=0.0)[0]
    h = height_m
    for hip, knee, ankle, heel, toe in ((23, 25, 27, 29, 31), (24, 26, 28, 30, 32)):
        lateral = pose[hip, 1] * 1.3
        pose[ankle] = [0.0, lateral, ANKLE_HEIGHT * h]
        pose[knee] = (pose[hip] + pose[ankle]) / 2 + [0.01 * h, 0.0, 0.0]
        pose[heel] = pose[ankle] + [-HEEL_BEHIND_ANKLE * h, 0.0, -ANKLE_HEIGHT * h]
        pose[toe] = pose[ankle] + [TOE_AHEAD_OF_ANKLE * h, 0.0, -ANKLE_HEIGHT * h]
    for shoulder, elbow, wrist, fingers, sign in ((11, 13, 15, (17, 19, 21), -1), (12, 14, 16, (18, 20, 22), 1)):
        pose[elbow] = pose[shoulder] + [0.0, sign * 0.02 * h, -UPPER_ARM * h]
        pose[wrist] = pose[elbow] + [0.02 * h, sign * 0.01 * h, -FOREARM * h]
        pose[list(fingers)] = pose[wrist] + [0.01 * h, 0.0, -0.05 * h]
    rng = np.random.default_rng(seed)
    phase = rng.uniform(0, 2 * np.pi)
    sway = 0.012 * h * np.sin(2 * np.pi * 0.25 * t_s + phase)
    body = np.repeat(pose[None], len(t_s), axis=0)
    above_ankles = np.ones(lm.N_LANDMARKS, bool)
    above_ankles[[27, 28, 29, 30, 31, 32]] = False
    body[:, above_ankles, 1] += sway[:, None] * (body[:, above_ankles, 2] / h)
    return body


def place_body(points: np.ndarray, *, origin: np.ndarray, facing: np.ndarray) -> np.ndarray:
    """Move body-frame points (T, 33, 3) into the scene: their mid-ground at ``origin`` (3,) or (T, 3),
    their forward direction along the horizontal unit vector ``facing`` (3,)."""
    up = np.array([0.0, 0.0, 1.0])
    forward = np.asarray(facing, dtype=np.float64) / np.linalg.norm(facing)
    right = np.cross(up, forward)  # (forward, lateral-right, up) is left-handed
    rotation = np.stack([forward, right, up])  # rows: where each body axis points in the scene
    origin = np.asarray(origin, dtype=np.float64)
    return points @ rotation + (origin[:, None, :] if origin.ndim == 2 else origin)
