"""A virtual camera for rendered runners: 3-D body-frame points -> image pixels.

The scene uses the body frame of :mod:`formcam.synthetic.gait` in metres:
``(forward, lateral-right, up)``, the ground at ``up = 0`` and the
treadmill's centre at the origin. The camera's optical axis is horizontal (no
tilt, no roll), so vertical lines stay vertical in the image and every angle
measured in a plane parallel to the image (the hip line seen from behind, the
trunk seen from the side) is drawn exactly, in perspective as well as in
orthographic projection. The principal point is shifted, not the camera
tilted, to frame the runner (a shifted lens, as an architect's camera does).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcam.gait.view import CLEAR_VIEWS, View

PROJECTIONS = ("perspective", "orthographic")


@dataclass(frozen=True)
class Camera:
    """A level pinhole (or orthographic) camera.

    Attributes
    ----------
    position : ndarray, shape (3,)
        Optical centre in the body frame, metres.
    right, down, axis : ndarray, shape (3,)
        Unit vectors of the image x axis, the image y axis and the viewing
        direction, in the body frame.
    focal_px : float
        Focal length in pixels.
    principal : (float, float)
        Principal point ``(cx, cy)`` in pixels.
    frame_size : (int, int)
        Image ``(width, height)``.
    orthographic : bool
        Project orthographically, at the scale the perspective camera has at
        ``reference_depth``.
    reference_depth : float
        Distance (m) from the camera to the runner's plane.
    """

    position: np.ndarray
    right: np.ndarray
    down: np.ndarray
    axis: np.ndarray
    focal_px: float
    principal: tuple[float, float]
    frame_size: tuple[int, int]
    orthographic: bool
    reference_depth: float

    def depth(self, points: np.ndarray) -> np.ndarray:
        """Distance along the viewing direction, metres, shape ``points.shape[:-1]``."""
        return (np.asarray(points) - self.position) @ self.axis

    def scale(self, points: np.ndarray) -> np.ndarray:
        """Pixels per metre at each point (for radii), shape ``points.shape[:-1]``."""
        if self.orthographic:
            return np.full(np.shape(points)[:-1], self.focal_px / self.reference_depth)
        return self.focal_px / np.maximum(self.depth(points), 1e-3)

    def project(self, points: np.ndarray) -> np.ndarray:
        """Image pixels ``(x, y)``, shape ``points.shape[:-1] + (2,)``."""
        rel = np.asarray(points, dtype=np.float64) - self.position
        scale = self.scale(points)
        return np.stack(
            [self.principal[0] + scale * (rel @ self.right), self.principal[1] + scale * (rel @ self.down)], axis=-1
        )

    def toward_camera(self) -> np.ndarray:
        """Unit vector from the scene to the camera, shape (3,)."""
        return -self.axis


def view_camera(
    view: str = "side",
    *,
    direction: str = "right",
    frame_size: tuple[int, int] = (1280, 720),
    runner_height_m: float = 1.75,
    runner_height_frac: float = 0.62,
    distance_m: float = 5.0,
    camera_height_m: float = 1.0,
    ground_frac: float = 0.9,
    projection: str = "perspective",
) -> Camera:
    """The camera of one of formcam's views, framing a runner on a treadmill.

    Parameters
    ----------
    view : {'side', 'rear', 'front'}
        Where the camera stands: beside, behind or in front of the runner.
    direction : {'right', 'left'}
        Side view: the image direction the runner faces (the camera stands on
        the runner's right side for 'right', so the right limbs are nearer).
    frame_size : (int, int)
        Image ``(width, height)``; portrait sizes work the same way.
    runner_height_m : float
        Runner's standing height, metres.
    runner_height_frac : float
        Standing height as a fraction of the frame height, at ``distance_m``.
    distance_m : float
        Camera to the runner's plane (treadmill centre), metres.
    camera_height_m : float
        Height of the optical centre above the ground.
    ground_frac : float
        Where the ground under the runner appears, as a fraction of the frame
        height from the top.
    projection : {'perspective', 'orthographic'}

    Returns
    -------
    Camera
    """
    if view not in CLEAR_VIEWS:
        raise ValueError(f"view must be one of {tuple(map(str, CLEAR_VIEWS))}, not {view!r}")
    if direction not in ("right", "left"):
        raise ValueError(f"direction must be 'right' or 'left', not {direction!r}")
    if projection not in PROJECTIONS:
        raise ValueError(f"projection must be one of {PROJECTIONS}, not {projection!r}")
    forward, lateral, up = np.eye(3)
    if view == View.SIDE:
        facing = 1.0 if direction == "right" else -1.0
        right, axis, position = facing * forward, -facing * lateral, facing * distance_m * lateral
    elif view == View.REAR:
        right, axis, position = lateral, forward, -distance_m * forward
    else:
        right, axis, position = -lateral, -forward, distance_m * forward
    position = position + camera_height_m * up
    width, height = int(frame_size[0]), int(frame_size[1])
    focal = runner_height_frac * height * distance_m / runner_height_m
    # Put the ground under the runner at ground_frac of the height by shifting the principal point.
    cy = ground_frac * height - focal * camera_height_m / distance_m
    return Camera(
        position=position,
        right=right,
        down=-up,
        axis=axis,
        focal_px=focal,
        principal=(width / 2.0, cy),
        frame_size=(width, height),
        orthographic=projection == "orthographic",
        reference_depth=distance_m,
    )
