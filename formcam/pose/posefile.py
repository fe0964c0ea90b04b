"""The pose file: formcam's cache of the pose stage (``pose.npz``).

The format is a contract (``docs/pose-file.md``): a ``numpy.savez`` archive with

=============  ===================  ==============================================
key            dtype, shape         meaning
=============  ===================  ==============================================
``format``     str                  ``"formcam-pose/1"``
``t_ms``       float64 (T,)         real-time presentation time of each frame, ms
``image_xy``   float32 (T, 33, 2)   pixels of the upright frame, x right, y down
``visibility`` float32 (T, 33)      0-1; NaN where no pose
``world_xyz``  float32 (T, 33, 3)   metres, hip-centred; may be all NaN
``frame_size`` int32 (2,)           upright frame ``[width, height]``
=============  ===================  ==============================================

optionally ``markers_xy`` float32 (T, 2, 2): the centres of two pelvis
stickers (the runner's left, then right), pixels of the upright frame, NaN
where not seen (:mod:`formcam.pose.markers`); files without it read as having
no marker tracks, and readers that do not know it ignore it.  And, optionally,
``extras_json``: a JSON object of what formcam knows about the
clip besides the landmarks, read into the typed :class:`PoseExtras`. Keys it
does not know are kept (and written back) but ignored.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from formcam.atomic import write_atomic
from formcam.errors import UnreadableInputError
from formcam.pose.landmarks import N_LANDMARKS

FORMAT = "formcam-pose/1"


@dataclass
class PoseExtras:
    """What a pose file holds besides the landmarks (its ``extras_json``), one field per key formcam writes.

    A field left None is not written. In the file, the keys keep the order of
    the fields below (the order formcam has always written them in), then the
    keys formcam does not know.

    Attributes
    ----------
    synthetic : bool, optional
        True for a runner made by :mod:`formcam.synthetic.gait`.
    truth : dict, optional
        A synthetic runner's true values (:func:`formcam.synthetic.gait.make_gait`).
    tracking : dict, optional
        Whom the pose stage followed among the people it saw, and why
        (:func:`formcam.pose.people.choose_person`).
    video : dict, optional
        report.json's ``video`` section (:func:`formcam.pipeline.video_section`),
        so that a re-analysis gives the same report.
    model : str, optional
        File name of the pose model used.
    pose_stage : dict, optional
        How the pose stage ran: ``people_per_frame``, ``picture_max_side``,
        ``segments``, ``max_fps``.
    capture_quality : dict, optional
        :meth:`formcam.quality.capture.CaptureQuality.to_json` of the sampled frames,
        so that a re-analysis needs no video.
    markers : dict, optional
        How the pelvis stickers were found (:meth:`formcam.pose.markers.MarkerTracks.summary`):
        their hue, the frames they were seen in; the tracks themselves are ``markers_xy``.
    unknown : dict
        Keys formcam does not know (another tool's, a later version's): kept, written back, not used.
    """

    synthetic: bool | None = None
    truth: dict | None = None
    tracking: dict | None = None
    video: dict | None = None
    model: str | None = None
    pose_stage: dict | None = None
    capture_quality: dict | None = None
    markers: dict | None = None
    unknown: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        """The ``extras_json`` object: the fields that are set, then the unknown keys."""
        known = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "unknown"}
        return {**{k: v for k, v in known.items() if v is not None}, **self.unknown}

    @classmethod
    def from_json(cls, data) -> PoseExtras:
        """Read an ``extras_json`` object (anything but an object reads as no extras)."""
        if not isinstance(data, dict):
            return cls()
        names = {f.name for f in fields(cls)} - {"unknown"}
        return cls(
            **{k: v for k, v in data.items() if k in names}, unknown={k: v for k, v in data.items() if k not in names}
        )


@dataclass
class PoseSequence:
    """One runner's landmarks over a clip.

    Attributes
    ----------
    t_ms : ndarray, float64, shape (T,)
        Real-time presentation timestamps in milliseconds, strictly increasing.
    image_xy : ndarray, float32, shape (T, 33, 2)
        Landmark pixels in the upright frame; NaN where no pose was found.
    visibility : ndarray, float32, shape (T, 33)
        MediaPipe's visibility score, 0-1; NaN where no pose was found.
    world_xyz : ndarray, float32, shape (T, 33, 3)
        MediaPipe world landmarks in metres (hip-centred); may be all NaN.
    frame_size : tuple of int
        Upright frame ``(width, height)`` in pixels.
    extras : PoseExtras
        What formcam knows about the clip besides the landmarks (the video,
        whom it followed, the capture quality), kept in the file as ``extras_json``.
    markers_xy : ndarray, float32, shape (T, 2, 2), or None
        Centres of the two pelvis stickers (the runner's left, then right) in
        pixels of the upright frame, NaN where not seen; None: no stickers were
        found or looked for.
    """

    t_ms: np.ndarray
    image_xy: np.ndarray
    visibility: np.ndarray
    world_xyz: np.ndarray
    frame_size: tuple[int, int]
    extras: PoseExtras = field(default_factory=PoseExtras)
    markers_xy: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.t_ms = np.asarray(self.t_ms, dtype=np.float64)
        if self.markers_xy is not None:
            self.markers_xy = np.asarray(self.markers_xy, dtype=np.float32)
        self.image_xy = np.asarray(self.image_xy, dtype=np.float32)
        self.visibility = np.asarray(self.visibility, dtype=np.float32)
        self.world_xyz = np.asarray(self.world_xyz, dtype=np.float32)
        self.frame_size = (int(self.frame_size[0]), int(self.frame_size[1]))
        n = len(self.t_ms)
        expected = {
            "image_xy": (n, N_LANDMARKS, 2),
            "visibility": (n, N_LANDMARKS),
            "world_xyz": (n, N_LANDMARKS, 3),
        }
        if self.markers_xy is not None:
            expected["markers_xy"] = (n, 2, 2)
        for name, shape in expected.items():
            if getattr(self, name).shape != shape:
                raise UnreadableInputError(
                    f"The pose data's {name} has shape {getattr(self, name).shape}, expected {shape}."
                )

    @property
    def n_frames(self) -> int:
        return len(self.t_ms)

    @property
    def detected(self) -> np.ndarray:
        """bool (T,): frames where a pose was found."""
        return np.isfinite(self.image_xy).all(axis=2).any(axis=1)


def save_pose(pose: PoseSequence, path: str | os.PathLike) -> Path:
    """Write ``pose`` as a pose file, atomically (temporary name, then rename)."""
    arrays = {
        "format": np.array(FORMAT),
        "t_ms": pose.t_ms,
        "image_xy": pose.image_xy,
        "visibility": pose.visibility,
        "world_xyz": pose.world_xyz,
        "frame_size": np.array(pose.frame_size, dtype=np.int32),
    }
    if pose.markers_xy is not None:
        arrays["markers_xy"] = pose.markers_xy
    extras = pose.extras.to_json()
    if extras:
        arrays["extras_json"] = np.array(json.dumps(extras))

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            # numpy's stub checks **kwds against savez's allow_pickle: bool too
            np.savez(fh, **arrays)  # type: ignore[arg-type]

    return write_atomic(path, write)


def load_pose(path: str | os.PathLike) -> PoseSequence:
    """Read a pose file; raise :class:`UnreadableInputError` if it is not one formcam supports."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            if "format" not in data.files:
                raise UnreadableInputError(f"{path.name} is not a formcam pose file (it has no 'format' key).")
            _check_format(str(data["format"]), path.name)
            extras = PoseExtras.from_json(json.loads(str(data["extras_json"])) if "extras_json" in data.files else {})
            pose = PoseSequence(
                t_ms=data["t_ms"],
                image_xy=data["image_xy"],
                visibility=data["visibility"],
                world_xyz=data["world_xyz"],
                frame_size=tuple(data["frame_size"]),
                extras=extras,
                markers_xy=data["markers_xy"] if "markers_xy" in data.files else None,
            )
    except UnreadableInputError:
        raise
    except FileNotFoundError:
        raise UnreadableInputError(f"There is no file at {path}.") from None
    except (OSError, ValueError, KeyError, TypeError, IndexError, EOFError, zipfile.BadZipFile) as exc:
        raise UnreadableInputError(f"{path.name} cannot be read as a formcam pose file ({_one_line(exc)}).") from None
    _check_contents(pose, path.name)
    return pose


def _check_format(fmt: str, name: str) -> None:
    """Refuse a pose file of another format, saying whether it is newer or not formcam's at all."""
    if fmt == FORMAT:
        return
    family, _, version = fmt.partition("/")
    ours, _, our_version = FORMAT.partition("/")
    if family == ours and version.isdigit() and int(version) > int(our_version):
        raise UnreadableInputError(
            f"{name} was written by a newer formcam (pose format '{fmt}'; this formcam reads '{FORMAT}'), "
            "which this formcam does not support: upgrade formcam, or re-run the analysis on the video."
        )
    raise UnreadableInputError(
        f"{name} is a pose file of format '{fmt}', which this formcam does not support "
        f"(it reads '{FORMAT}'); re-run the analysis on the video."
    )


def _check_contents(pose: PoseSequence, name: str) -> None:
    """The contract's promises that later stages rely on: increasing times, a real frame size."""
    if pose.t_ms.ndim != 1 or not np.isfinite(pose.t_ms).all() or np.any(np.diff(pose.t_ms) <= 0):
        raise UnreadableInputError(f"{name} is damaged: its frame times (t_ms) are not finite and strictly increasing.")
    if len(pose.frame_size) != 2 or min(pose.frame_size) < 1:
        raise UnreadableInputError(
            f"{name} is damaged: its frame_size {list(pose.frame_size)} is not a width and height."
        )


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
