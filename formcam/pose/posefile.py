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

import hashlib
import json
import os
import zipfile
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from formcam.atomic import write_atomic
from formcam.errors import UnreadableInputError
from formcam.pose.bounds import check_pose_file_size
from formcam.pose.landmarks import N_LANDMARKS
from formcam.schema import parse_json, schema_problem

FORMAT = "formcam-pose/1"
#: The longest a pose file's frame times may span: longer than any running video (a day).
MAX_SPAN_MS = 24 * 3_600_000.0
#: The longest median time between frames: a video of at least one frame a second.
MAX_MEDIAN_STEP_MS = 1000.0
#: How much of each end of a video :func:`video_fingerprint` hashes.
FINGERPRINT_END_BYTES = 1 << 20
#: The arrays of the contract, each of real numbers (a complex or text array is damage, not data).
_ARRAYS = ("t_ms", "image_xy", "visibility", "world_xyz", "frame_size")


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
    video_fingerprint : dict, optional
        :func:`video_fingerprint` of the video the landmarks come from, so that
        a re-analysis draws only on that video (pose files before it have none).
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
    video_fingerprint: dict | None = None
    markers: dict | None = None
    unknown: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        """The ``extras_json`` object: the fields that are set, then the unknown keys."""
        known = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "unknown"}
        return {**{k: v for k, v in known.items() if v is not None}, **self.unknown}

    @classmethod
    def from_json(cls, data: dict) -> PoseExtras:
        """Read an ``extras_json`` object (checked against ``pose_extras.schema.json`` by :func:`load_pose`)."""
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
    check_pose_file_size(path)  # before numpy allocates what the file's headers claim
    try:
        with np.load(path, allow_pickle=False) as data:
            if "format" not in data.files:
                raise UnreadableInputError(f"{path.name} is not a formcam pose file (it has no 'format' key).")
            _check_format(str(data["format"]), path.name)
            extras = _read_extras(str(data["extras_json"]) if "extras_json" in data.files else "{}", path.name)
            arrays = {key: data[key] for key in _ARRAYS}
            _check_real(arrays, path.name)
            pose = PoseSequence(
                t_ms=arrays["t_ms"],
                image_xy=arrays["image_xy"],
                visibility=arrays["visibility"],
                world_xyz=arrays["world_xyz"],
                frame_size=tuple(arrays["frame_size"]),
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


def _read_extras(text: str, name: str) -> PoseExtras:
    """``extras_json``, refused unless it is the object ``pose_extras.schema.json`` describes."""
    try:
        # NaN stays allowed: formcam's own json.dumps writes it for a measure it could not take.
        data = parse_json(text, finite=False)
    except ValueError as exc:
        raise UnreadableInputError(f"{name} is damaged: its extras_json is not JSON ({_one_line(exc)}).") from None
    problem = schema_problem(data, "pose_extras")
    if problem is not None:
        raise UnreadableInputError(f"{name} is damaged: in its extras_json, {problem}.")
    return PoseExtras.from_json(data)


def _check_real(arrays: dict[str, np.ndarray], name: str) -> None:
    """Refuse arrays that are not real numbers before numpy casts them (a complex one would only warn)."""
    for key, array in arrays.items():
        if array.dtype.kind not in "fiu":
            what = "complex numbers" if array.dtype.kind == "c" else "no numbers"
            raise UnreadableInputError(f"{name} is damaged: its {key} holds {what} ({array.dtype}), not real numbers.")


def _check_contents(pose: PoseSequence, name: str) -> None:
    """The contract's promises that later stages rely on: increasing times of a real video, a real frame size.

    Times are bounded before any stage sizes its work by them: a pose file
    spanning years, or with frames seconds apart, is damage, not a running video.
    """
    if pose.t_ms.ndim != 1 or not np.isfinite(pose.t_ms).all() or np.any(np.diff(pose.t_ms) <= 0):
        raise UnreadableInputError(f"{name} is damaged: its frame times (t_ms) are not finite and strictly increasing.")
    if pose.n_frames > 1:
        span = float(pose.t_ms[-1] - pose.t_ms[0])
        step = float(np.median(np.diff(pose.t_ms)))
        if span > MAX_SPAN_MS or step > MAX_MEDIAN_STEP_MS:
            raise UnreadableInputError(
                f"{name} is damaged: its frame times span {span / 3_600_000:.3g} hours with frames "
                f"{step / 1000:.3g} s apart, which no running video does (at most {MAX_SPAN_MS / 3_600_000:g} "
                f"hours, frames at most {MAX_MEDIAN_STEP_MS / 1000:g} s apart)."
            )
    if len(pose.frame_size) != 2 or min(pose.frame_size) < 1:
        raise UnreadableInputError(
            f"{name} is damaged: its frame_size {list(pose.frame_size)} is not a width and height."
        )


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def video_fingerprint(path: str | os.PathLike) -> dict:
    """What tells a video apart from another at the same path: its size and a hash of its two ends.

    Parameters
    ----------
    path : str or path-like
        A regular file (read, never written).

    Returns
    -------
    dict
        ``bytes`` (the file's size) and ``ends_sha256`` (SHA-256 of its first
        and last :data:`FINGERPRINT_END_BYTES`, the whole file when it is smaller
        than both): a re-encode, a trim or another clip changes them, and
        reading 2 MiB costs milliseconds whatever the video's length.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        digest.update(fh.read(FINGERPRINT_END_BYTES))
        if size > FINGERPRINT_END_BYTES:
            fh.seek(max(FINGERPRINT_END_BYTES, size - FINGERPRINT_END_BYTES))
            digest.update(fh.read(FINGERPRINT_END_BYTES))
    return {"bytes": size, "ends_sha256": digest.hexdigest()}
