"""One rendered clip: its spec, the posed and filmed scene, the H.264 file and its ground truth.

:func:`render_clip` builds the :class:`Scene` of a :class:`ClipSpec`
(:func:`build_scene`), draws and writes its frames, and writes the ground
truth beside the clip (:func:`truth_path`, read back by :func:`read_truth`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from formcam.atomic import write_text_atomic
from formcam.gait.view import CLEAR_VIEWS, View
from formcam.pose import landmarks as lm
from formcam.synthetic.gait import gait_body_points, make_gait, psis_points
from formcam.synthetic.render.camera import PROJECTIONS, Camera, view_camera
from formcam.synthetic.render.container import stored_frame
from formcam.synthetic.render.figure import (
    BYSTANDER_OUTFIT,
    MARKER_COLOURS,
    Outfit,
    ProjectedFigure,
    draw_figure,
    project_figure,
)
from formcam.synthetic.render.scene import (
    BACKGROUNDS,
    Treadmill,
    background,
    belt_speed,
    place_body,
    standing_body_points,
)
from formcam.video.encode import H264Writer, remux_mp4

__all__ = ["Gait", "ClipSpec", "ClipFiles", "Scene", "build_scene", "render_clip", "truth_path", "read_truth"]

TRUTH_FORMAT = "formcam-render-truth/1"
MOTIONS = ("treadmill", "across")
SECOND_PEOPLE = (None, "standing", "walking")
#: Instants averaged into each frame of a motion-blurred clip.
BLUR_INSTANTS = 5
#: Time base of the written clips: 1/90000 s divides every common frame interval exactly.
TIME_BASE = Fraction(1, 90_000)


@dataclass(frozen=True)
class Gait:
    """How the runner runs: the parameters of :func:`formcam.synthetic.gait.make_gait` (same names, units)."""

    cadence_spm: float = 170.0
    pelvic_drop_deg: float = 0.0
    pelvic_drop_right_deg: float | None = None
    shoulder_dip_deg: float = 0.0
    head_forward_pct: float = 0.0
    trunk_forward_lean_deg: float = 0.0
    trunk_lateral_lean_deg: float = 0.0
    vertical_oscillation_pct: float = 8.0
    overstride_pct: float = 5.0
    knee_flexion_contact_deg: float | None = None
    arm_crossover_pct: float = -10.0
    flight: bool = True


@dataclass(frozen=True)
class ClipSpec:
    """Everything about one rendered clip.

    Attributes
    ----------
    gait : Gait
    view : {'side', 'rear', 'front'}
    direction : {'right', 'left'}
        Side view: the image direction the runner faces.
    fps : float
        Capture frame rate (frames per second of real time).
    duration_s : float
        Real time the clip covers.
    frame_size : (int, int)
        Upright ``(width, height)`` in pixels.
    projection : {'perspective', 'orthographic'}
    distance_m, camera_height_m : float
        Camera to the treadmill's centre, and the lens height.
    runner_height_m, runner_height_frac : float
        Runner's standing height, and that height as a fraction of the frame's.
    motion : {'treadmill', 'across'}
        On a treadmill, or running over the ground across the frame (side
        view only; the runner passes the frame's centre at mid-clip).
    background : {'plain', 'clutter'}
    second_person : {None, 'standing', 'walking'}
        A bystander farther from the camera than the runner.
    seed : int
        Seed of the clutter, the bystander's sway and the frame-time jitter.
    rotation_deg : {0, 90, 180, 270}
        Store the frames turned, with a display rotation that turns them back
        (a phone's portrait clip: ``frame_size=(720, 1280), rotation_deg=90``).
    slowmo : float
        Slow motion: the file plays this many times slower than real time.
    slowmo_metadata : bool
        With ``slowmo > 1``: write the capture rate in Android's
        ``com.android.capture.fps`` tag (False: no hint, as in an exported clip).
    vfr : float
        Variable frame rate: frame intervals vary by up to this fraction of
        the nominal one, and 2 % of frames are dropped (0: constant rate).
    crf : int
        x264 quality (lower is better).
    outfit : Outfit
    markers : str or None
        Put a round sticker of this colour (a :data:`MARKER_COLOURS` name) on
        each posterior superior iliac spine; None: no stickers.
    marker_diameter_m : float
        The stickers' diameter (2-4 cm dot stickers).
    blur : float
        Motion blur: each frame averages the scene over this fraction of
        the frame interval (0: sharp; 0.5: a 180° shutter).
    """

    gait: Gait = field(default_factory=Gait)
    view: str = "side"
    direction: str = "right"
    fps: float = 60.0
    duration_s: float = 8.0
    frame_size: tuple[int, int] = (1280, 720)
    projection: str = "perspective"
    distance_m: float = 5.0
    camera_height_m: float = 1.0
    runner_height_m: float = 1.75
    runner_height_frac: float = 0.62
    motion: str = "treadmill"
    background: str = "plain"
    second_person: str | None = None
    seed: int = 0
    rotation_deg: int = 0
    slowmo: float = 1.0
    slowmo_metadata: bool = True
    vfr: float = 0.0
    crf: int = 23
    outfit: Outfit = field(default_factory=Outfit)
    markers: str | None = None
    marker_diameter_m: float = 0.03
    blur: float = 0.0

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("view", self.view, CLEAR_VIEWS),
            ("projection", self.projection, PROJECTIONS),
            ("motion", self.motion, MOTIONS),
            ("background", self.background, BACKGROUNDS),
            ("second_person", self.second_person, SECOND_PEOPLE),
            ("direction", self.direction, ("right", "left")),
        ):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {tuple(map(str, allowed))}, not {value!r}")
        if self.motion == "across" and self.view != View.SIDE:
            raise ValueError("a runner moving across the frame is filmed from the side (view='side')")
        if self.rotation_deg not in (0, 90, 180, 270):
            raise ValueError(f"rotation_deg must be 0, 90, 180 or 270, not {self.rotation_deg}")
        if self.markers is not None and self.markers not in MARKER_COLOURS:
            raise ValueError(f"markers must be one of {tuple(MARKER_COLOURS)}, not {self.markers!r}")
        if not (0.0 <= self.blur < 1.0 and 0.005 <= self.marker_diameter_m <= 0.1):
            raise ValueError("blur must be in [0, 1) and marker_diameter_m between 0.005 and 0.1 m")
        if not (self.fps > 0 and self.duration_s > 0 and self.slowmo >= 1 and 0 <= self.vfr < 1):
            raise ValueError("fps and duration_s must be positive, slowmo at least 1 and vfr in [0, 1)")

    @property
    def playback_fps(self) -> float:
        """Nominal frame rate of the file (capture rate / slow-motion factor)."""
        return self.fps / self.slowmo

    @property
    def upright_size(self) -> tuple[int, int]:
        """``(width, height)`` of the upright frames: even sizes, as H.264 needs."""
        return (int(self.frame_size[0]) // 2 * 2, int(self.frame_size[1]) // 2 * 2)


@dataclass(frozen=True)
class ClipFiles:
    """Paths of a rendered clip and its ground truth."""

    video: Path
    truth: Path


def frame_times(spec: ClipSpec) -> np.ndarray:
    """Real capture times (s) of the frames, shape (T,), first at 0, on the file's time grid."""
    n = max(int(round(spec.duration_s * spec.fps)), 2)
    nominal = 1.0 / spec.fps
    if spec.vfr > 0:
        rng = np.random.default_rng(spec.seed + 1)
        intervals = nominal * (1 + spec.vfr * rng.uniform(-1, 1, size=n - 1))
        intervals[rng.random(n - 1) < 0.02] += nominal  # a dropped frame, as phones under load do
        t = np.concatenate([[0.0], np.cumsum(intervals)])
    else:
        t = np.arange(n) * nominal
    # Whole ticks of the file's time base (in file time, i.e. after slow motion), so the truth
    # matches the timestamps the decoder will read back exactly.
    ticks = np.round(t * spec.slowmo / float(TIME_BASE))
    return ticks * float(TIME_BASE) / spec.slowmo


@dataclass
class Scene:
    """A clip ready to draw: times, camera, figures, backdrop (see :func:`build_scene`)."""

    spec: ClipSpec
    t_s: np.ndarray
    camera: Camera
    runner: ProjectedFigure
    runner_points: np.ndarray
    others: list[ProjectedFigure]
    backdrop: np.ndarray
    treadmill: Treadmill | None
    #: Instants drawn per frame (averaged: motion blur); the figures hold ``n_frames * subframes`` poses.
    subframes: int = 1
    t_draw: np.ndarray | None = None

    @property
    def n_frames(self) -> int:
        return len(self.t_s)

    @property
    def centre_poses(self) -> np.ndarray:
        """Index into the figures' poses of each frame's own instant (the middle of its exposure)."""
        return np.arange(self.n_frames) * self.subframes + self.subframes // 2

    def frame(self, index: int) -> np.ndarray:
        """Upright RGB frame ``index``, shape (H, W, 3) uint8 (the mean of its instants with motion blur)."""
        if self.subframes == 1:
            return self._instant(index, float(self.t_s[index]))
        t_draw = self.t_draw if self.t_draw is not None else self.t_s
        poses = range(index * self.subframes, (index + 1) * self.subframes)
        total = sum(self._instant(k, float(t_draw[k])).astype(np.float32) for k in poses)
        return np.round(np.asarray(total) / self.subframes).astype(np.uint8)

    def _instant(self, pose: int, t_s: float) -> np.ndarray:
        rgb = self.backdrop.copy()
        if self.treadmill is not None:
            self.treadmill.draw(rgb, t_s)
        for figure in sorted([self.runner, *self.others], key=lambda f: -f.depth[pose]):
            draw_figure(rgb, figure, pose)
        return rgb


def build_scene(spec: ClipSpec) -> Scene:
    """Pose the runner (and bystander) for every frame and set up the camera and backdrop."""
    t_s = frame_times(spec)
    camera = view_camera(
        spec.view,
        direction=spec.direction,
        frame_size=spec.upright_size,
        runner_height_m=spec.runner_height_m,
        runner_height_frac=spec.runner_height_frac,
        distance_m=spec.distance_m,
        camera_height_m=spec.camera_height_m,
        projection=spec.projection,
    )
    subframes = BLUR_INSTANTS if spec.blur > 0 else 1
    # With motion blur each frame is the mean of a few instants spread over its exposure.
    spread = np.linspace(-spec.blur / 2, spec.blur / 2, subframes) / spec.fps if subframes > 1 else np.zeros(1)
    t_draw = (t_s[:, None] + spread[None, :]).ravel()
    points = gait_body_points(t_draw, runner_height=spec.runner_height_m, **asdict(spec.gait))
    speed = _belt_speed(spec)
    if spec.motion == "across":
        points = points + (speed * (t_draw - t_s[-1] / 2))[:, None, None] * np.array([1.0, 0.0, 0.0])
    runner = project_figure(
        points,
        camera,
        height_m=spec.runner_height_m,
        outfit=spec.outfit,
        markers=None if spec.markers is None else MARKER_COLOURS[spec.markers],
        marker_diameter_m=spec.marker_diameter_m,
    )
    others = [] if spec.second_person is None else [_bystander(spec, camera, t_draw)]
    return Scene(
        spec=spec,
        t_s=t_s,
        camera=camera,
        runner=runner,
        runner_points=points,
        others=others,
        backdrop=background(camera, spec.background, seed=spec.seed),
        treadmill=Treadmill(camera, speed) if spec.motion == "treadmill" else None,
        subframes=subframes,
        t_draw=t_draw,
    )


def _belt_speed(spec: ClipSpec) -> float:
    """The stance foot's backward speed: the belt speed, or the runner's speed over the ground."""
    t = np.arange(0.0, 2.0, 1.0 / 240.0)
    return belt_speed(gait_body_points(t, runner_height=spec.runner_height_m, **asdict(spec.gait)), t)


def _bystander(spec: ClipSpec, camera: Camera, t_s: np.ndarray) -> ProjectedFigure:
    """A smaller person 2.5 m behind the runner's plane, standing by or walking across the frame."""
    height = 0.95 * spec.runner_height_m
    away = camera.axis * np.array([1.0, 1.0, 0.0])
    across = camera.right
    origin = 2.5 * away + 1.1 * across * (1 if spec.seed % 2 == 0 else -1)
    if spec.second_person == "standing":
        body = standing_body_points(t_s, height_m=height, seed=spec.seed)
        points = place_body(body, origin=origin, facing=-away)
    else:
        walk = Gait(cadence_spm=110.0, flight=False, vertical_oscillation_pct=3.0, overstride_pct=0.0)
        body = gait_body_points(t_s, runner_height=height, **asdict(walk))
        t = np.arange(0.0, 3.0, 1.0 / 240.0)
        speed = belt_speed(gait_body_points(t, runner_height=height, **asdict(walk)), t)
        start = -2.0 * across
        path = start[None, :] + (speed * t_s)[:, None] * across[None, :]
        points = place_body(body, origin=path + 2.5 * away, facing=across)
    return project_figure(points, camera, height_m=height, outfit=BYSTANDER_OUTFIT)


# --------------------------------------------------------------------------- #
# Writing


def truth_path(video: str | os.PathLike) -> Path:
    """Where the ground truth of a rendered clip lives: ``clip.mp4`` -> ``clip.truth.json``."""
    video = Path(video)
    return video.with_name(f"{video.stem}.truth.json")


def render_clip(spec: ClipSpec, path: str | os.PathLike, *, on_frame=None) -> ClipFiles:
    """Render ``spec`` to an H.264 MP4 at ``path`` and its ground truth next to it.

    Parameters
    ----------
    spec : ClipSpec
    path : str or Path
        The MP4 to write (replaced if it exists); the truth goes to
        :func:`truth_path` of it.
    on_frame : callable, optional
        Called with the number of frames written so far (progress bars).

    Returns
    -------
    ClipFiles
    """
    path = Path(path)
    scene = build_scene(spec)
    pts = np.round(scene.t_s * spec.slowmo / float(TIME_BASE)).astype(np.int64)
    needs_remux = bool(spec.rotation_deg) or (spec.slowmo > 1 and spec.slowmo_metadata)
    encoded = path.with_name(f".{path.stem}.encoded.mp4") if needs_remux else path
    width, height = spec.upright_size
    if spec.rotation_deg in (90, 270):
        width, height = height, width
    try:
        with H264Writer(
            encoded, width=width, height=height, time_base=TIME_BASE, fps=spec.playback_fps, crf=spec.crf
        ) as writer:
            for index in range(scene.n_frames):
                writer.write(stored_frame(scene.frame(index), spec.rotation_deg), int(pts[index]))
                if on_frame is not None:
                    on_frame(index + 1)
        if needs_remux:
            capture = spec.fps if spec.slowmo > 1 and spec.slowmo_metadata else None
            remux_mp4(encoded, path, rotation_deg=spec.rotation_deg, capture_fps=capture)
    finally:
        if needs_remux:
            encoded.unlink(missing_ok=True)
    truth = write_text_atomic(truth_path(path), json.dumps(clip_truth(scene, path.name), allow_nan=False))
    return ClipFiles(video=path, truth=truth)


def clip_truth(scene: Scene, video_name: str) -> dict:
    """The ground truth of a rendered clip, as stored in its JSON file.

    Keys: ``format``; ``video`` (file name, sizes, rates, rotation, slow
    motion); ``spec`` (the :class:`ClipSpec`); ``truth`` (true cadence, event
    times in ms and the metric values the definitions give for this view, from
    :func:`formcam.synthetic.gait.make_gait`, i.e. for an orthographic camera; in
    perspective, angles of lines parallel to the image stay exact, e.g. the hip
    line and the trunk, while the counter-rotating shoulder line tilts a little
    differently: about 0.5° less for a 5° dip seen from 1 m high); ``frames``: ``t_ms`` (real time of each
    frame), ``landmarks_xy`` (T x 33 x 2, the drawn landmarks in pixels of the
    upright frame, MediaPipe's order, null where off the frame) and
    ``runner_height_px`` (T,) (standing height at the runner's distance) and
    ``markers_xy`` (T x 2 x 2, the stickers' true centres, or null without stickers).
    """
    spec = scene.spec
    gait = asdict(spec.gait)
    # The clip lasts until one frame after its last (a variable frame rate can make it longer than asked).
    covered_s = float(scene.t_s[-1]) + 1.0 / spec.fps
    truth = make_gait(view=spec.view, direction=spec.direction, fps=spec.fps, duration_s=covered_s, **gait).extras.truth
    assert truth is not None  # make_gait always gives its truth
    truth.pop("params", None)
    for key in ("leg_length_px", "side_leg_length_px", "vertical_oscillation_px", "runner_height_px"):
        truth.pop(key, None)  # in make_gait's own pixels, not this clip's
    width, height = spec.upright_size
    centre = scene.centre_poses
    xy = scene.runner.landmarks_xy[centre]
    outside = (xy[..., 0] < 0) | (xy[..., 0] >= width) | (xy[..., 1] < 0) | (xy[..., 1] >= height)
    points = scene.runner_points[centre]
    mid_hip = (points[:, lm.LEFT_HIP] + points[:, lm.RIGHT_HIP]) / 2
    stored_w, stored_h = (height, width) if spec.rotation_deg in (90, 270) else (width, height)
    spec_dict = asdict(spec)
    return {
        "format": TRUTH_FORMAT,
        "video": {
            "file": video_name,
            "width": width,
            "height": height,
            "stored_width": stored_w,
            "stored_height": stored_h,
            "rotation_deg": spec.rotation_deg,
            "capture_fps": spec.fps,
            "playback_fps": spec.playback_fps,
            "slow_motion_factor": spec.slowmo,
            "slow_motion_metadata": bool(spec.slowmo > 1 and spec.slowmo_metadata),
            "variable_frame_rate": spec.vfr > 0,
            "frames": scene.n_frames,
        },
        "spec": spec_dict,
        "truth": truth,
        "frames": {
            "t_ms": np.round(scene.t_s * 1000.0, 4).tolist(),
            "landmarks_xy": [
                [[None if off else round(float(v), 2) for v in p] for p, off in zip(frame, out)]
                for frame, out in zip(xy, outside)
            ],
            "runner_height_px": np.round(scene.camera.scale(mid_hip) * spec.runner_height_m, 2).tolist(),
            # The stickers' true centres (the runner's left, then right PSIS), px, whether seen or not.
            "markers_xy": np.round(scene.camera.project(psis_points(points, spec.runner_height_m)), 3).tolist()
            if spec.markers
            else None,
        },
    }


def read_truth(path: str | os.PathLike) -> dict:
    """Load a rendered clip's ground truth (the JSON file, or the clip whose truth it is).

    ``frames.landmarks_xy`` comes back as a float array (T, 33, 2), NaN where off the frame.
    """
    path = Path(path)
    if path.suffix.lower() != ".json":
        path = truth_path(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != TRUTH_FORMAT:
        raise ValueError(f"{path.name} is not a formcam render truth file ({TRUTH_FORMAT})")
    xy = data["frames"]["landmarks_xy"]
    data["frames"]["landmarks_xy"] = np.array(
        [[[np.nan, np.nan] if p[0] is None else p for p in frame] for frame in xy], dtype=np.float64
    ).reshape(len(xy), lm.N_LANDMARKS, 2)
    data["frames"]["t_ms"] = np.asarray(data["frames"]["t_ms"], dtype=np.float64)
    return data
