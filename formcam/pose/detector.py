"""The pose stage: MediaPipe PoseLandmarker over every frame, then pick the runner.

MediaPipe may see several people (a coach beside the treadmill, other racers).
It is run with room for ``num_poses`` people per frame; the detections are
linked into tracks across frames, and the track that moves most like a runner
(legs alternating, large over the clip) is kept. Nearest-in-one-frame is never
the rule: a coach standing in front is larger than the runner but does not run.

The expensive part is inference (about 22 ms a frame on one core): one
:class:`PoseDetector` per thread, on stretches of the clip in parallel
(:mod:`formcam.pose.parallel`).
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from formcam.errors import UnreadableInputError, UsageError
from formcam.pose.exposure import for_pose_model
from formcam.pose.landmarks import (
    LEFT_ANKLE,
    LEFT_HIP,
    LEFT_SHOULDER,
    N_LANDMARKS,
    RIGHT_ANKLE,
    RIGHT_HIP,
    RIGHT_SHOULDER,
)
from formcam.pose.posefile import PoseExtras, PoseSequence

#: Poses MediaPipe looks for in each frame: the runner plus one bystander.
DEFAULT_NUM_POSES = 2
#: A detection joins a track when its torso centre is within this many torso
#: lengths of the track's last position.
LINK_DISTANCE_TORSOS = 0.75
#: A track that has not been seen for this many frames cannot be joined again.
MAX_TRACK_GAP_FRAMES = 15

_TORSO = [LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP]


@dataclass
class Detections:
    """Every person MediaPipe found, frame by frame (K = ``num_poses`` slots).

    Attributes
    ----------
    t_ms : ndarray, float64, shape (T,)
        Real-time timestamps in ms.
    image_xy : ndarray, float32, shape (T, K, 33, 2)
        Landmark pixels in the upright frame; NaN in empty slots.
    visibility : ndarray, float32, shape (T, K, 33)
    world_xyz : ndarray, float32, shape (T, K, 33, 3)
    frame_size : tuple of int
        Upright ``(width, height)``.
    """

    t_ms: np.ndarray
    image_xy: np.ndarray
    visibility: np.ndarray
    world_xyz: np.ndarray
    frame_size: tuple[int, int]


def prefetch(items: Iterable, depth: int = 4) -> Iterator:
    """Yield from ``items``, producing them in a background thread ``depth`` ahead.

    Decoding (PyAV) and inference (MediaPipe) both release the GIL, so this lets
    the decoder use the core that inference leaves idle.
    """
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    break
                buffer.put(item)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            buffer.put(_Failure(exc))
        finally:
            buffer.put(done)

    worker = threading.Thread(target=produce, name="formcam-decode", daemon=True)
    worker.start()
    try:
        while (item := buffer.get()) is not done:
            if isinstance(item, _Failure):
                raise item.exc
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                buffer.get_nowait()
            except queue.Empty:
                worker.join(timeout=0.05)


@dataclass
class _Failure:
    exc: BaseException


_silence_lock = threading.Lock()
_silence_depth = 0
_saved_stderr_fd: int | None = None


@contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Hide what MediaPipe's C++ core prints straight to file descriptor 2.

    TFLite and glog announce delegates and harmless warnings while the model
    loads and runs its first frame; a runner should only see formcam's own output.
    File descriptor 2 belongs to the whole process, so with several pose
    threads the first to enter redirects it and the last to leave restores it.
    """
    global _silence_depth, _saved_stderr_fd
    with _silence_lock:
        if _silence_depth == 0:
            sys.stderr.flush()
            _saved_stderr_fd = os.dup(2)
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 2)
        _silence_depth += 1
    try:
        yield
    finally:
        with _silence_lock:
            _silence_depth -= 1
            if _silence_depth == 0 and _saved_stderr_fd is not None:
                os.dup2(_saved_stderr_fd, 2)
                os.close(_saved_stderr_fd)
                _saved_stderr_fd = None


def _landmarker(model_path: Path, num_poses: int, *, video: bool = True):
    os.environ.setdefault("GLOG_minloglevel", "2")
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model_path)),
        running_mode=vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE,
        num_poses=num_poses,
        min_pose_detection_confidence=0.5,
        min_pose_presence_confidence=0.5,
        min_tracking_confidence=0.5,
    )
    try:
        with native_stderr_silenced():
            return vision.PoseLandmarker.create_from_options(options)
    except (RuntimeError, ValueError) as exc:
        raise UnreadableInputError(f"The pose model {model_path.name} cannot be loaded ({exc}).") from None


class PoseDetector:
    """One MediaPipe PoseLandmarker in VIDEO mode (tracking), fed frame by frame.

    MediaPipe releases the GIL while it infers, so several detectors in
    several threads use several cores; one detector must stay in one thread.

    Parameters
    ----------
    model_path : Path
        A ``pose_landmarker_*.task`` file.
    num_poses : int
        People to look for in each frame (K).
    frame_size : (int, int)
        Upright ``(width, height)`` in which landmark pixels are given. The
        images given to :meth:`detect` may be smaller (scaled in the decoder):
        MediaPipe's landmarks are fractions of the image, so they are scaled
        to this size, not to the image's.

    Examples
    --------
    >>> with PoseDetector(model, 1, (1080, 1920)) as detector:   # doctest: +SKIP
    ...     xy, visibility, world = detector.detect(frame.rgb, frame.t_ms)
    """

    def __init__(self, model_path: Path, num_poses: int, frame_size: tuple[int, int]):
        self.num_poses = num_poses
        self.frame_size = frame_size
        self._landmarker = _landmarker(model_path, num_poses)
        self._last_timestamp = -1
        self._seen_person = False

    def detect(self, rgb: np.ndarray, t_ms: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Landmarks of the people in one frame.

        Parameters
        ----------
        rgb : ndarray, uint8, shape (h, w, 3)
            The upright frame, at any scale.
        t_ms : float
            Its real time; must increase from call to call.

        Returns
        -------
        xy : ndarray, float32, shape (K, 33, 2)
            Pixels in ``frame_size``; NaN in empty slots.
        visibility : ndarray, float32, shape (K, 33)
        world : ndarray, float32, shape (K, 33, 3)
            Metres, hip-centred.
        """
        import mediapipe as mp

        # MediaPipe needs strictly increasing integer milliseconds.
        timestamp = max(self._last_timestamp + 1, int(round(t_ms)))
        self._last_timestamp = timestamp
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(for_pose_model(rgb)))
        # MediaPipe's graph logs once on its first frame, and again on the
        # first frame with a person (landmark projection): hide both.
        if not self._seen_person:
            with native_stderr_silenced():
                result = self._landmarker.detect_for_video(image, timestamp)
            self._seen_person = bool(result.pose_landmarks)
        else:
            result = self._landmarker.detect_for_video(image, timestamp)
        return _result_arrays(result, self.num_poses, *self.frame_size)

    def close(self) -> None:
        self._landmarker.close()

    def __enter__(self) -> PoseDetector:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class DetectionsBuilder:
    """Collects per-frame landmarks into :class:`Detections` (O(T) memory, no frames).

    Frames are written into preallocated blocks of :attr:`BLOCK` frames, so
    a long clip costs its landmarks' bytes, not a small array object per frame.
    """

    BLOCK = 1024

    def __init__(self, num_poses: int, frame_size: tuple[int, int]):
        self.num_poses = num_poses
        self.frame_size = frame_size
        self.t_ms: list[float] = []
        self._blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, t_ms: float, xy: np.ndarray, vis: np.ndarray, world: np.ndarray) -> None:
        row = len(self.t_ms) % self.BLOCK
        if row == 0:
            k = self.num_poses
            self._blocks.append(
                (
                    np.empty((self.BLOCK, k, N_LANDMARKS, 2), np.float32),
                    np.empty((self.BLOCK, k, N_LANDMARKS), np.float32),
                    np.empty((self.BLOCK, k, N_LANDMARKS, 3), np.float32),
                )
            )
        block_xy, block_vis, block_world = self._blocks[-1]
        block_xy[row], block_vis[row], block_world[row] = xy, vis, world
        self.t_ms.append(t_ms)

    def build(self) -> Detections:
        n = len(self.t_ms)
        if not n:
            return empty_detections(self.num_poses, self.frame_size)
        xy, vis, world = (np.concatenate([block[j] for block in self._blocks])[:n] for j in range(3))
        self._blocks = []
        return Detections(
            t_ms=np.asarray(self.t_ms, dtype=np.float64),
            image_xy=xy,
            visibility=vis,
            world_xyz=world,
            frame_size=self.frame_size,
        )


def empty_detections(num_poses: int, frame_size: tuple[int, int]) -> Detections:
    """:class:`Detections` of no frames."""
    return Detections(
        t_ms=np.zeros(0),
        image_xy=np.full((0, num_poses, N_LANDMARKS, 2), np.nan, np.float32),
        visibility=np.full((0, num_poses, N_LANDMARKS), np.nan, np.float32),
        world_xyz=np.full((0, num_poses, N_LANDMARKS, 3), np.nan, np.float32),
        frame_size=frame_size,
    )


def concatenate_detections(parts: list[Detections]) -> Detections:
    """Join detections of consecutive stretches of one video, padding to the largest K.

    Parameters
    ----------
    parts : list of Detections
        In time order, the same ``frame_size``; K may differ (one person was
        looked for in one stretch, two in another).
    """
    slots = max(part.image_xy.shape[1] for part in parts)

    def padded(array: np.ndarray) -> np.ndarray:
        missing = slots - array.shape[1]
        if missing == 0:
            return array
        pad = np.full((array.shape[0], missing, *array.shape[2:]), np.nan, array.dtype)
        return np.concatenate([array, pad], axis=1)

    return Detections(
        t_ms=np.concatenate([part.t_ms for part in parts]),
        image_xy=np.concatenate([padded(part.image_xy) for part in parts]),
        visibility=np.concatenate([padded(part.visibility) for part in parts]),
        world_xyz=np.concatenate([padded(part.world_xyz) for part in parts]),
        frame_size=parts[0].frame_size,
    )


@dataclass(frozen=True)
class PeopleSeen:
    """What PoseLandmarker found in a few still images (:func:`look_for_people`).

    Attributes
    ----------
    most : int
        The most people found in any one image (0, 1 or 2).
    smallest_height : float
        The smallest person found, as the height of their landmarks' extent
        (eyes to heels, about 0.9 of standing height) over the image's height;
        NaN when nobody was found.
    """

    most: int
    smallest_height: float

    @classmethod
    def together(cls, parts: Iterable[PeopleSeen]) -> PeopleSeen:
        """What several looks (at different images) found, taken together."""
        parts = list(parts)
        heights = [part.smallest_height for part in parts if part.smallest_height > 0]
        return cls(max((part.most for part in parts), default=0), min(heights, default=np.nan))


def look_for_people(images: Iterable[np.ndarray], model_path: Path) -> PeopleSeen:
    """How many people PoseLandmarker finds in a few still images, and how large the smallest is.

    A cheap look before the video pass: looking for two people in every
    frame costs about twice the inference of looking for one, so the pose
    stage looks for a second person only where one was seen here; and a
    large runner can be given to the model in a smaller picture.

    Parameters
    ----------
    images : iterable of ndarray, uint8, shape (h, w, 3)
        Upright RGB frames sampled over the clip.
    model_path : Path
    """
    import mediapipe as mp

    most, heights = 0, []
    with native_stderr_silenced(), _landmarker(model_path, 2, video=False) as landmarker:
        for rgb in images:
            picture = np.ascontiguousarray(for_pose_model(rgb))
            result = landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=picture))
            most = max(most, len(result.pose_landmarks))
            heights += [float(np.ptp(np.clip([p.y for p in person], 0.0, 1.0))) for person in result.pose_landmarks]
    return PeopleSeen(most, min(heights, default=np.nan))


def _result_arrays(result, slots: int, width: int, height: int):
    xy = np.full((slots, N_LANDMARKS, 2), np.nan, np.float32)
    vis = np.full((slots, N_LANDMARKS), np.nan, np.float32)
    world = np.full((slots, N_LANDMARKS, 3), np.nan, np.float32)
    for k, landmarks in enumerate(result.pose_landmarks[:slots]):
        xy[k] = [(p.x * width, p.y * height) for p in landmarks]
        vis[k] = [p.visibility if p.visibility is not None else np.nan for p in landmarks]
    for k, landmarks in enumerate(result.pose_world_landmarks[:slots]):
        world[k] = [(p.x, p.y, p.z) for p in landmarks]
    return xy, vis, world


def torso_centres(image_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Torso centre and torso length of each detection.

    Parameters
    ----------
    image_xy : ndarray, shape (..., 33, 2)
        Pixels.

    Returns
    -------
    centre : ndarray, shape (..., 2)
        Mean of the shoulders and hips, px (NaN if any is missing).
    length : ndarray, shape (...)
        Mid-shoulder to mid-hip distance, px.
    """
    torso = image_xy[..., _TORSO, :]
    centre = torso.mean(axis=-2)
    shoulders = torso[..., :2, :].mean(axis=-2)
    hips = torso[..., 2:, :].mean(axis=-2)
    return centre, np.linalg.norm(shoulders - hips, axis=-1)


def link_tracks(image_xy: np.ndarray) -> np.ndarray:
    """Give each detection a track id that follows the same person across frames.

    Greedy nearest-torso association: each frame's detections are matched, closest
    pair first, to tracks seen within :data:`MAX_TRACK_GAP_FRAMES` frames whose
    last torso centre lies within :data:`LINK_DISTANCE_TORSOS` torso lengths.

    Parameters
    ----------
    image_xy : ndarray, shape (T, K, 33, 2)

    Returns
    -------
    track_id : ndarray, int, shape (T, K)
        -1 for empty slots.
    """
    centre, length = torso_centres(image_xy)
    n_frames, slots = centre.shape[:2]
    track_id = np.full((n_frames, slots), -1, dtype=np.int64)
    last_centre: list[np.ndarray] = []
    last_length: list[float] = []
    last_frame: list[int] = []
    for t in range(n_frames):
        present = [k for k in range(slots) if np.isfinite(centre[t, k]).all() and length[t, k] > 0]
        live = [j for j in range(len(last_frame)) if t - last_frame[j] <= MAX_TRACK_GAP_FRAMES]
        pairs = sorted(
            (np.linalg.norm(centre[t, k] - last_centre[j]) / max(last_length[j], length[t, k]), k, j)
            for k in present
            for j in live
        )
        taken_k: set[int] = set()
        taken_j: set[int] = set()
        for distance, k, j in pairs:
            if distance > LINK_DISTANCE_TORSOS or k in taken_k or j in taken_j:
                continue
            track_id[t, k] = j
            taken_k.add(k)
            taken_j.add(j)
        for k in present:
            if k not in taken_k:
                track_id[t, k] = len(last_frame)
                last_centre.append(centre[t, k])
                last_length.append(length[t, k])
                last_frame.append(t)
            j = track_id[t, k]
            last_centre[j], last_length[j], last_frame[j] = centre[t, k], length[t, k], t
    return track_id


def runner_scores(image_xy: np.ndarray, track_id: np.ndarray) -> np.ndarray:
    """Score each track by how much it looks like the runner.

    score = (sum over the frames it is seen of its torso length)
            x (spread of the ankle-to-ankle vector, in torso lengths)

    The first factor favours people who are large and present all clip long; the
    second favours legs that alternate, which a standing coach's do not.

    Parameters
    ----------
    image_xy : ndarray, shape (T, K, 33, 2)
    track_id : ndarray, int, shape (T, K)

    Returns
    -------
    score : ndarray, float, shape (n_tracks,)
    """
    n_tracks = int(track_id.max()) + 1 if track_id.size else 0
    scores = np.zeros(n_tracks)
    _, length = torso_centres(image_xy)
    ankle_gap = image_xy[..., LEFT_ANKLE, :] - image_xy[..., RIGHT_ANKLE, :]
    for j in range(n_tracks):
        mine = track_id == j
        torso = np.nanmedian(length[mine]) if mine.any() else np.nan
        gaps = ankle_gap[mine]
        gaps = gaps[np.isfinite(gaps).all(axis=1)]
        if len(gaps) < 3 or not np.isfinite(torso) or torso <= 0:
            continue
        alternation = np.linalg.norm(gaps.std(axis=0)) / torso
        scores[j] = np.nansum(length[mine]) * alternation
    return scores


def select_runner(detections: Detections, person: int | None = None) -> tuple[PoseSequence, dict]:
    """Keep one person's landmarks: the runner, or track ``person`` if given.

    Returns
    -------
    pose : PoseSequence
        The chosen person's landmarks (NaN in frames where they were not seen).
    tracking : dict
        ``n_tracks``, ``chosen_track``, ``scores`` (for the report and ``--person``).
    """
    track_id = link_tracks(detections.image_xy)
    scores = runner_scores(detections.image_xy, track_id)
    if person is not None:
        if not 0 <= person < len(scores):
            raise UsageError(
                f"--person {person} is not one of the {len(scores)} people formcam followed (0 to {len(scores) - 1})."
            )
        chosen = person
    else:
        chosen = int(np.argmax(scores)) if len(scores) else -1
    n_frames = len(detections.t_ms)
    frame_idx, slot_idx = np.nonzero(track_id == chosen)
    xy = np.full((n_frames, N_LANDMARKS, 2), np.nan, np.float32)
    vis = np.full((n_frames, N_LANDMARKS), np.nan, np.float32)
    world = np.full((n_frames, N_LANDMARKS, 3), np.nan, np.float32)
    xy[frame_idx] = detections.image_xy[frame_idx, slot_idx]
    vis[frame_idx] = detections.visibility[frame_idx, slot_idx]
    world[frame_idx] = detections.world_xyz[frame_idx, slot_idx]
    tracking = {
        "n_tracks": len(scores),
        "chosen_track": chosen,
        "scores": [round(float(s), 3) for s in scores],
        "people_per_frame_max": int((track_id >= 0).sum(axis=1).max()) if n_frames else 0,
    }
    pose = PoseSequence(
        t_ms=detections.t_ms,
        image_xy=xy,
        visibility=vis,
        world_xyz=world,
        frame_size=detections.frame_size,
        extras=PoseExtras(tracking=tracking),
    )
    return pose, tracking
